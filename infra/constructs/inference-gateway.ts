/**
 * The inference gateway in AWS (issue 15, docs/inference.md): the customers' OpenAI-compatible
 * endpoint, a node:http service (gateway/) that authenticates inference keys, meters tokens and
 * proxies to the model servers.
 *
 * - Identity: an IAM role the gateway pods assume through EKS Pod Identity, allowed exactly what
 *   the gateway calls: read keys and deployments, add to the usage counters and load items, read
 *   the master secret, and wake a paused deployment (issue 16: the scale use case's writes and
 *   the scale workflow's start).
 * - Workload (new cluster only; an imported cluster is not this stack's to change): its own
 *   namespace, a Deployment of 2+ replicas on the system nodes spread over AZs, a PDB, a Service,
 *   applied through the cluster's kubectl provider like the cluster bootstrap; the image is built
 *   from infra/docker/inference-gateway.Dockerfile (esbuild bundle of gateway/main.ts).
 * - Edge (context inferenceDomain, inferenceHostedZoneId, inferenceHostedZoneName): an
 *   internet-facing ALB with one ACM certificate for the one hostname (the deployment is named in
 *   the path), idle timeout 3600 s for minutes-long streams, HTTP redirected to HTTPS, access logs;
 *   an IP target group the AWS Load Balancer Controller fills with the gateway pods through a
 *   TargetGroupBinding (the controller creates no load balancer here, it only registers pods);
 *   a Route 53 alias record. docs/deploy.md says why ALB and not API Gateway or an NLB.
 */
import * as path from 'node:path';
import { Annotations, Aws, Duration, IgnoreMode, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecrAssets from 'aws-cdk-lib/aws-ecr-assets';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as route53Targets from 'aws-cdk-lib/aws-route53-targets';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { POD_SECURITY_LEVEL, type ClusterManifest } from '../../contract/cluster-manifests';
import { TABLE } from '../../contract/table';
import { PROJECT_ROOT } from '../bundling';
import { acknowledgeRule, acknowledgeWildcardResources } from '../nag';
import type { GatewaySecret } from './secrets';

/** Where the gateway runs in the cluster (its Pod Identity association names both). */
export const GATEWAY_NAMESPACE = 'inference-gateway';
export const GATEWAY_SERVICE_ACCOUNT = 'inference-gateway';

/** The principal EKS Pod Identity assumes roles as. */
export const POD_IDENTITY_PRINCIPAL = 'pods.eks.amazonaws.com';

/** What the gateway reads: inference keys (GetItem by key id) and deployments (GetItem, Query). */
export const GATEWAY_READ_ACTIONS = ['dynamodb:GetItem', 'dynamodb:Query'] as const;

/**
 * What the gateway writes (DATAPLANE.md), by partition and by attribute, so that it can never
 * touch a deployment, a capacity reservation, or a key's own fields (hash, expiry, revocation,
 * limits) that share the key's partition:
 * - token counters ADDed with UpdateItem (functions/adapters/token-usage.ts): per key
 *   (`INFKEY#<key id>`, sk `USAGE#…`) and per deployment (`TOKENS#<deployment id>`);
 * - load items (`LOAD#<deployment id>`, sk `GW#<instance>`) Put in batches with BatchWriteItem
 *   (functions/adapters/load-signals.ts), so UpdateItem is not granted on them.
 */
export const GATEWAY_USAGE_PARTITIONS = ['INFKEY#*', 'TOKENS#*'] as const;
export const GATEWAY_USAGE_ATTRIBUTES = [
  TABLE.partitionKey,
  TABLE.sortKey,
  'org_id',
  'project_id',
  'key_id',
  'deployment_id',
  'day',
  'requests',
  'prompt_tokens',
  'completion_tokens',
  'estimated_requests',
] as const;
export const GATEWAY_LOAD_PARTITIONS = ['LOAD#*'] as const;
/**
 * The wake from zero (issue 16) runs in the gateway: `wakeDeployment` (functions/use-cases/wake.ts)
 * resumes a paused deployment through the scale use case, which reserves GPUs in the capacity
 * ledger (`CAPACITY#<gpu config>`, UpdateItem), hands the deployment over to the scale workflow
 * (`TENANT#<org>#<project>`, a conditional UpdateItem), records the event (PutItem, same
 * partition) and starts the scale execution. IAM cannot tell a resume from any other change to
 * those items; docs/deploy.md says what this lets the gateway do.
 */
export const GATEWAY_WAKE_UPDATE_PARTITIONS = ['TENANT#*', 'CAPACITY#*'] as const;
export const GATEWAY_WAKE_PUT_PARTITIONS = ['TENANT#*'] as const;
export const GATEWAY_LOAD_ATTRIBUTES = [TABLE.partitionKey, TABLE.sortKey, 'deployment_id', 'instance_id', 'in_flight', 'held', 'completed', 'at', 'expires_at'] as const;

/** The gateway's container port (GATEWAY_PORT, gateway/main.ts); the ALB reaches the pods on it and nothing else. */
export const GATEWAY_PORT = 8080;
/** The gateway answers these without a key (gateway/server.ts): readiness, liveness and the ALB's health check. */
export const GATEWAY_HEALTH_PATH = '/healthz';
/**
 * How long a pod that is told to stop keeps serving its open streams, and how long the ALB keeps
 * a deregistered pod's connections: longer than the gateway's upstream timeout (10 min) and a
 * long generation. The ALB's idle timeout (3600 s) applies between bytes, not to a whole stream.
 */
export const STREAM_DRAIN_SECONDS = 900;
/** ALB idle timeout: a model may prefill or queue for minutes before its first byte. */
export const ALB_IDLE_TIMEOUT_SECONDS = 3600;
/** The system node group's label (new-cluster.ts): the gateway never lands on a GPU node. */
const SYSTEM_POOL = { 'gpudeploy.io/pool': 'system' } as const;
/** Labels of the gateway's pods; the models' NetworkPolicy admits exactly these (functions/domain/model-policies.ts). */
export const GATEWAY_POD_LABELS = { 'app.kubernetes.io/name': 'inference-gateway', 'app.kubernetes.io/part-of': 'gpu-control-plane' } as const;
const MANAGED_BY = { 'app.kubernetes.io/managed-by': 'gpu-control-plane-stack' } as const;

/** The AWS Load Balancer Controller, installed only to bind the gateway pods to the stack's target group. */
export const LB_CONTROLLER = {
  chart: 'aws-load-balancer-controller',
  repository: 'https://aws.github.io/eks-charts',
  version: '1.14.1',
  namespace: 'kube-system',
  serviceAccount: 'aws-load-balancer-controller',
} as const;

/**
 * What the controller calls for a TargetGroupBinding without `networking` (the stack owns the
 * security group rules): it reads the target group, its health and the pods' ENIs and VPC, and
 * registers and deregisters pod IPs in the one target group.
 */
export const LB_CONTROLLER_DESCRIBE_ACTIONS = [
  'ec2:DescribeAvailabilityZones',
  'ec2:DescribeInstances',
  'ec2:DescribeNetworkInterfaces',
  'ec2:DescribeSecurityGroups',
  'ec2:DescribeSubnets',
  'ec2:DescribeVpcs',
  'elasticloadbalancing:DescribeListeners',
  'elasticloadbalancing:DescribeLoadBalancers',
  'elasticloadbalancing:DescribeTags',
  'elasticloadbalancing:DescribeTargetGroupAttributes',
  'elasticloadbalancing:DescribeTargetGroups',
  'elasticloadbalancing:DescribeTargetHealth',
] as const;
export const LB_CONTROLLER_TARGET_ACTIONS = ['elasticloadbalancing:RegisterTargets', 'elasticloadbalancing:DeregisterTargets'] as const;

/** Context inferenceDomain, inferenceHostedZoneId, inferenceHostedZoneName (docs/deploy.md). */
export interface InferenceEdgeConfig {
  /** The one hostname customers call, e.g. `inference.example.com`. */
  readonly domain: string;
  readonly hostedZoneId: string;
  /** The zone's name, e.g. `example.com`; `domain` lies in it. */
  readonly hostedZoneName: string;
}

/** `endpoint_url` of a deployment served through the edge; the gateway fills in {org}, {project}, {id}. */
export const edgeEndpointUrlTemplate = (domain: string): string => `https://${domain}/orgs/{org}/projects/{project}/aimodels/{id}/v1`;

export interface GatewayWorkloadOptions {
  readonly image: string;
  readonly replicas: number;
  readonly modelNamespace: string;
  readonly region: string;
  readonly tableName: string;
  readonly masterSecretId: string;
  readonly scaleStateMachineArn: string;
  /**
   * The Load Balancer Controller's pod readiness gate (with the edge): a new pod counts as ready
   * only once the ALB sees it healthy, so a rolling update never leaves the target group empty.
   */
  readonly readinessGate: boolean;
}

/**
 * The gateway's Kubernetes objects, in apply order (the namespace first). Pod Security Admission
 * `restricted`, as the model namespace: non-root, read-only root filesystem, no capabilities.
 */
export const gatewayWorkloadManifests = (options: GatewayWorkloadOptions): ClusterManifest[] => {
  const labels = { ...GATEWAY_POD_LABELS, ...MANAGED_BY };
  const selector = { 'app.kubernetes.io/name': GATEWAY_POD_LABELS['app.kubernetes.io/name'] };
  const probe = (periodSeconds: number, failureThreshold: number) => ({
    httpGet: { path: GATEWAY_HEALTH_PATH, port: 'http' },
    periodSeconds,
    failureThreshold,
    timeoutSeconds: 2,
  });
  return [
    {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: {
        name: GATEWAY_NAMESPACE,
        labels: {
          ...MANAGED_BY,
          'pod-security.kubernetes.io/enforce': POD_SECURITY_LEVEL,
          'pod-security.kubernetes.io/enforce-version': 'latest',
          'pod-security.kubernetes.io/warn': POD_SECURITY_LEVEL,
          'pod-security.kubernetes.io/audit': POD_SECURITY_LEVEL,
          ...(options.readinessGate ? { 'elbv2.k8s.aws/pod-readiness-gate-inject': 'enabled' } : {}),
        },
      },
    },
    {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: GATEWAY_SERVICE_ACCOUNT, namespace: GATEWAY_NAMESPACE, labels },
      // The gateway calls AWS only (Pod Identity), never the Kubernetes API.
      automountServiceAccountToken: false,
    },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'inference-gateway', namespace: GATEWAY_NAMESPACE, labels },
      spec: {
        replicas: options.replicas,
        selector: { matchLabels: selector },
        // One new pod at a time, none removed before it is ready: streams keep a serving replica.
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
        template: {
          metadata: { labels },
          spec: {
            serviceAccountName: GATEWAY_SERVICE_ACCOUNT,
            automountServiceAccountToken: false,
            nodeSelector: SYSTEM_POOL,
            // A zone outage leaves a replica; ScheduleAnyway, because the system group may run in fewer AZs than replicas.
            topologySpreadConstraints: [
              { maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: selector } },
              { maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: selector } },
            ],
            terminationGracePeriodSeconds: STREAM_DRAIN_SECONDS,
            securityContext: { runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000, seccompProfile: { type: 'RuntimeDefault' } },
            containers: [
              {
                name: 'gateway',
                image: options.image,
                ports: [{ name: 'http', containerPort: GATEWAY_PORT, protocol: 'TCP' }],
                env: [
                  { name: 'GATEWAY_PORT', value: String(GATEWAY_PORT) },
                  { name: 'AWS_REGION', value: options.region },
                  { name: 'TABLE_NAME', value: options.tableName },
                  { name: 'GATEWAY_SECRET_ID', value: options.masterSecretId },
                  // The wake from zero starts the scale workflow (issue 16), as the functions do.
                  { name: 'SCALE_STATE_MACHINE_ARN', value: options.scaleStateMachineArn },
                  { name: 'MODEL_NAMESPACE', value: options.modelNamespace },
                  { name: 'UPSTREAM_URL_TEMPLATE', value: 'http://{service}.{namespace}.svc.cluster.local:8000' },
                  { name: 'NODE_OPTIONS', value: '--enable-source-maps' },
                ],
                readinessProbe: probe(5, 2),
                livenessProbe: { ...probe(10, 3), initialDelaySeconds: 5 },
                // The ALB takes a few seconds to stop sending to a deregistered pod: keep serving meanwhile.
                lifecycle: { preStop: { sleep: { seconds: 15 } } },
                resources: { requests: { cpu: '250m', memory: '256Mi' }, limits: { memory: '512Mi' } },
                securityContext: {
                  allowPrivilegeEscalation: false,
                  readOnlyRootFilesystem: true,
                  capabilities: { drop: ['ALL'] },
                },
              },
            ],
          },
        },
      },
    },
    {
      apiVersion: 'policy/v1',
      kind: 'PodDisruptionBudget',
      metadata: { name: 'inference-gateway', namespace: GATEWAY_NAMESPACE, labels },
      spec: { minAvailable: 1, selector: { matchLabels: selector } },
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'inference-gateway', namespace: GATEWAY_NAMESPACE, labels },
      spec: { type: 'ClusterIP', selector, ports: [{ name: 'http', port: GATEWAY_PORT, targetPort: 'http', protocol: 'TCP' }] },
    },
  ];
};

/** The TargetGroupBinding that makes the controller register the gateway pods' IPs in `targetGroupArn`. */
export const gatewayTargetGroupBinding = (targetGroupArn: string): ClusterManifest => ({
  apiVersion: 'elbv2.k8s.aws/v1beta1',
  kind: 'TargetGroupBinding',
  metadata: { name: 'inference-gateway', namespace: GATEWAY_NAMESPACE, labels: { ...GATEWAY_POD_LABELS, ...MANAGED_BY } },
  // No `networking`: the stack's security group rules admit the ALB to the pods' port.
  spec: { serviceRef: { name: 'inference-gateway', port: GATEWAY_PORT }, targetGroupARN: targetGroupArn, targetType: 'ip' },
});

export interface InferenceGatewayProps {
  readonly table: dynamodb.ITable;
  /** The scale workflow's state machine: the gateway starts it to wake a deployment paused at zero. */
  readonly scaleStateMachine: sfn.IStateMachine;
  /** `${prefix}/inference-gateway`: the master secret the key pepper and the model server keys derive from. */
  readonly masterSecret: GatewaySecret;
  /** EKS cluster name the pods run in (the trust policy admits only its pods). */
  readonly clusterName: string;
  readonly modelNamespace: string;
  /** The new cluster (kubectl provider, VPC); undefined for an imported cluster, where nothing is applied. */
  readonly cluster?: { readonly cluster: eks.Cluster; readonly vpc: ec2.IVpc; readonly podSecurityGroup: ec2.ISecurityGroup };
  readonly edge?: InferenceEdgeConfig;
  /** Default 2. */
  readonly replicas?: number;
}

export class InferenceGateway extends Construct {
  /** The gateway pods' role (logical id `InferenceGatewayRole…`, which local IAM looks up). */
  readonly role: iam.Role;
  /** `endpoint_url` template of the served deployments, when the edge exists. */
  readonly endpointUrlTemplate?: string;
  readonly loadBalancer?: elbv2.ApplicationLoadBalancer;

  constructor(scope: Construct, id: string, props: InferenceGatewayProps) {
    super(scope, id);
    this.role = this.createRole(props);
    if (!props.cluster) {
      Annotations.of(this).addWarningV2(
        'gpu-control-plane:inferenceGatewayImported',
        'The cluster is imported: the stack creates the inference gateway\'s IAM role but does not run the gateway in a cluster it does not own. ' +
          'Deploy it with the objects of docs/deploy.md ("Inference gateway") and a Pod Identity association for the role.',
      );
      return;
    }
    const { cluster, vpc, podSecurityGroup } = props.cluster;
    const replicas = props.replicas ?? 2;
    if (replicas < 2) throw new Error('The inference gateway runs at least 2 replicas (one survives a node or zone loss).');

    // Built by `cdk deploy` (Docker); synth only stages the context, which these patterns keep small.
    const image = new ecrAssets.DockerImageAsset(this, 'Image', {
      directory: PROJECT_ROOT,
      file: path.join('infra', 'docker', 'inference-gateway.Dockerfile'),
      platform: ecrAssets.Platform.LINUX_ARM64,
      ignoreMode: IgnoreMode.DOCKER,
      exclude: ['*', '!package.json', '!package-lock.json', '!tsconfig.json', '!gateway', '!functions', '!contract', '!infra', 'infra/*', '!infra/docker'],
    });

    const association = new eks.CfnPodIdentityAssociation(this, 'PodIdentity', {
      clusterName: cluster.clusterName,
      namespace: GATEWAY_NAMESPACE,
      serviceAccount: GATEWAY_SERVICE_ACCOUNT,
      roleArn: this.role.roleArn,
    });
    const [namespace, ...objects] = gatewayWorkloadManifests({
      image: image.imageUri,
      replicas,
      modelNamespace: props.modelNamespace,
      region: Aws.REGION,
      tableName: props.table.tableName,
      masterSecretId: props.masterSecret.secret.secretArn,
      scaleStateMachineArn: props.scaleStateMachine.stateMachineArn,
      readinessGate: props.edge !== undefined,
    });
    const namespaceManifest = new eks.KubernetesManifest(this, 'Namespace', { cluster, manifest: [namespace!], overwrite: true });
    const workload = new eks.KubernetesManifest(this, 'Workload', { cluster, manifest: objects, overwrite: true });
    workload.node.addDependency(namespaceManifest);
    // Pod Identity hands credentials to pods created after the association exists.
    workload.node.addDependency(association);

    if (!props.edge) {
      Annotations.of(this).addWarningV2(
        'gpu-control-plane:noInferenceEdge',
        'Context inferenceDomain, inferenceHostedZoneId and inferenceHostedZoneName are not set: the inference gateway runs in the cluster, but no load ' +
          'balancer, certificate or DNS name reaches it, and endpoint_url stays cluster-internal (docs/deploy.md, "Inference endpoint").',
      );
      return;
    }
    const { loadBalancer, targetGroup } = this.createEdge(props.edge, vpc, podSecurityGroup);
    this.loadBalancer = loadBalancer;
    this.endpointUrlTemplate = edgeEndpointUrlTemplate(props.edge.domain);
    const controller = this.installLoadBalancerController(cluster, vpc, targetGroup);
    const binding = new eks.KubernetesManifest(this, 'TargetGroupBinding', {
      cluster,
      manifest: [gatewayTargetGroupBinding(targetGroup.targetGroupArn)],
      overwrite: true,
    });
    // The binding is a custom resource of the controller's chart, and names the gateway's Service.
    binding.node.addDependency(controller, workload);
  }

  /** The ALB, its certificate, listeners, target group, access logs and DNS name. */
  private createEdge(edge: InferenceEdgeConfig, vpc: ec2.IVpc, podSecurityGroup: ec2.ISecurityGroup) {
    if (Token.isUnresolved(Stack.of(this).region)) {
      throw new Error('The inference edge (context inferenceDomain) needs the stack\'s region for the ALB access log bucket policy: synthesize with CDK_DEFAULT_REGION set.');
    }
    const zone = route53.HostedZone.fromHostedZoneAttributes(this, 'Zone', { hostedZoneId: edge.hostedZoneId, zoneName: edge.hostedZoneName });
    // One hostname, one certificate: the deployment is named in the path, not in the host.
    const certificate = new acm.Certificate(this, 'Certificate', {
      domainName: edge.domain,
      validation: acm.CertificateValidation.fromDns(zone),
    });

    const albSecurityGroup = new ec2.SecurityGroup(this, 'LoadBalancerSecurityGroup', {
      vpc,
      description: 'Inference gateway ALB: HTTPS (and HTTP, redirected) from anywhere; out only to the gateway pods',
      allowAllOutbound: false,
    });
    albSecurityGroup.addIngressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'HTTPS from the customers');
    albSecurityGroup.addIngressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(80), 'HTTP, answered with a redirect to HTTPS');
    acknowledgeRule(
      albSecurityGroup,
      'EC23',
      'The inference endpoint is public by design: customers anywhere call it with their inference keys. Only 443 (and 80, which only redirects) ' +
        'is open, and the ALB forwards nothing but to the gateway pods\' port.',
    );
    // The pods use their nodes' security group (VPC CNI): the ALB reaches only the gateway's port there.
    albSecurityGroup.connections.allowTo(podSecurityGroup, ec2.Port.tcp(GATEWAY_PORT), 'Inference gateway pods');

    const logs = new s3.Bucket(this, 'AccessLogs', {
      // ALB access logs support only SSE-S3.
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [{ expiration: Duration.days(90) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    acknowledgeRule(
      logs,
      'S1',
      'This bucket holds the ALB\'s access logs and nothing else; server access logs of it would need yet another log bucket, and every object ' +
        'in it is written by the Elastic Load Balancing log delivery, which the access logs themselves already record.',
    );
    const loadBalancer = new elbv2.ApplicationLoadBalancer(this, 'LoadBalancer', {
      vpc,
      internetFacing: true,
      vpcSubnets: { subnetType: ec2.SubnetType.PUBLIC },
      securityGroup: albSecurityGroup,
      idleTimeout: Duration.seconds(ALB_IDLE_TIMEOUT_SECONDS),
      dropInvalidHeaderFields: true,
      http2Enabled: true,
    });
    loadBalancer.logAccessLogs(logs, 'inference-gateway');

    const targetGroup = new elbv2.ApplicationTargetGroup(this, 'Targets', {
      vpc,
      targetType: elbv2.TargetType.IP,
      protocol: elbv2.ApplicationProtocol.HTTP,
      port: GATEWAY_PORT,
      deregistrationDelay: Duration.seconds(STREAM_DRAIN_SECONDS),
      healthCheck: { path: GATEWAY_HEALTH_PATH, healthyHttpCodes: '200', interval: Duration.seconds(10), healthyThresholdCount: 2, unhealthyThresholdCount: 3 },
    });
    loadBalancer.addListener('Https', {
      port: 443,
      protocol: elbv2.ApplicationProtocol.HTTPS,
      certificates: [certificate],
      sslPolicy: elbv2.SslPolicy.RECOMMENDED_TLS,
      // The security group above already admits the world on 443.
      open: false,
      defaultTargetGroups: [targetGroup],
    });
    loadBalancer.addListener('Http', {
      port: 80,
      protocol: elbv2.ApplicationProtocol.HTTP,
      open: false,
      defaultAction: elbv2.ListenerAction.redirect({ protocol: 'HTTPS', port: '443', permanent: true }),
    });

    new route53.ARecord(this, 'Alias', {
      zone,
      recordName: edge.domain,
      target: route53.RecordTarget.fromAlias(new route53Targets.LoadBalancerTarget(loadBalancer)),
    });
    return { loadBalancer, targetGroup };
  }

  /**
   * The AWS Load Balancer Controller (Helm chart), with its own Pod Identity role allowed only to
   * read and to register targets in the gateway's target group; it watches only the gateway's
   * namespace and creates no load balancer of its own.
   */
  private installLoadBalancerController(cluster: eks.Cluster, vpc: ec2.IVpc, targetGroup: elbv2.ApplicationTargetGroup): Construct {
    const role = new iam.Role(this, 'LoadBalancerControllerRole', {
      description: 'AWS Load Balancer Controller: registers the inference gateway pods in their target group',
      assumedBy: new iam.ServicePrincipal(POD_IDENTITY_PRINCIPAL)
        .withConditions({
          StringEquals: {
            'aws:SourceAccount': Aws.ACCOUNT_ID,
            'aws:RequestTag/eks-cluster-name': cluster.clusterName,
            'aws:RequestTag/kubernetes-namespace': LB_CONTROLLER.namespace,
            'aws:RequestTag/kubernetes-service-account': LB_CONTROLLER.serviceAccount,
          },
        })
        .withSessionTags(),
    });
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: [...LB_CONTROLLER_DESCRIBE_ACTIONS], resources: ['*'] }));
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: [...LB_CONTROLLER_TARGET_ACTIONS], resources: [targetGroup.targetGroupArn] }));
    acknowledgeWildcardResources(
      role,
      ['*'],
      'The EC2 and Elastic Load Balancing Describe* actions support no resource-level permissions; they only read, and the controller ' +
        'registers targets in the inference gateway\'s target group alone.',
    );
    const association = new eks.CfnPodIdentityAssociation(this, 'LoadBalancerControllerPodIdentity', {
      clusterName: cluster.clusterName,
      namespace: LB_CONTROLLER.namespace,
      serviceAccount: LB_CONTROLLER.serviceAccount,
      roleArn: role.roleArn,
    });
    const chart = cluster.addHelmChart('LoadBalancerController', {
      chart: LB_CONTROLLER.chart,
      repository: LB_CONTROLLER.repository,
      version: LB_CONTROLLER.version,
      namespace: LB_CONTROLLER.namespace,
      release: LB_CONTROLLER.chart,
      wait: true,
      values: {
        clusterName: cluster.clusterName,
        region: Aws.REGION,
        vpcId: vpc.vpcId,
        serviceAccount: { create: true, name: LB_CONTROLLER.serviceAccount },
        // Only the TargetGroupBinding of the gateway: no Ingress or Service load balancers, no webhook on every Service.
        watchNamespace: GATEWAY_NAMESPACE,
        createIngressClassResource: false,
        enableServiceMutatorWebhook: false,
        nodeSelector: SYSTEM_POOL,
      },
    });
    chart.node.addDependency(association);
    return chart;
  }

  private createRole(props: InferenceGatewayProps): iam.Role {
    // Pod Identity assumes the role with session tags (sts:TagSession, same statement); the tags
    // name the cluster, namespace and service account, so no other association can borrow the role.
    const role = new iam.Role(this, 'Role', {
      description: `Inference gateway pods (service account ${GATEWAY_NAMESPACE}/${GATEWAY_SERVICE_ACCOUNT}) through EKS Pod Identity`,
      assumedBy: new iam.ServicePrincipal(POD_IDENTITY_PRINCIPAL)
        .withConditions({
          StringEquals: {
            'aws:SourceAccount': Aws.ACCOUNT_ID,
            'aws:RequestTag/eks-cluster-name': props.clusterName,
            'aws:RequestTag/kubernetes-namespace': GATEWAY_NAMESPACE,
            'aws:RequestTag/kubernetes-service-account': GATEWAY_SERVICE_ACCOUNT,
          },
        })
        .withSessionTags(),
    });

    const tableArn = props.table.tableArn;
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'ReadKeysAndDeployments',
        actions: [...GATEWAY_READ_ACTIONS],
        resources: [tableArn],
      }),
    );
    // Indexes named one by one (contract/table.ts), as the functions' grants do: no `index/*`.
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'QueryIndexes',
        actions: ['dynamodb:Query'],
        resources: TABLE.indexes.map((index) => `${tableArn}/index/${index.name}`),
      }),
    );
    // dynamodb:LeadingKeys is the partition key of each item written, dynamodb:Attributes the
    // top-level attributes the write names (keys included). ForAllValues holds for a key absent
    // from the request, hence the Null check: DynamoDB always sets LeadingKeys on an item write.
    const writes = (partitions: readonly string[], attributes: readonly string[]) => ({
      'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [...partitions] },
      'ForAllValues:StringEquals': { 'dynamodb:Attributes': [...attributes] },
      Null: { 'dynamodb:LeadingKeys': 'false' },
    });
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'AddTokenUsage',
        actions: ['dynamodb:UpdateItem'],
        resources: [tableArn],
        conditions: writes(GATEWAY_USAGE_PARTITIONS, GATEWAY_USAGE_ATTRIBUTES),
      }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'PublishLoad',
        actions: ['dynamodb:BatchWriteItem'],
        resources: [tableArn],
        conditions: writes(GATEWAY_LOAD_PARTITIONS, GATEWAY_LOAD_ATTRIBUTES),
      }),
    );
    // GetSecretValue on this one secret, kms:Decrypt only through Secrets Manager and for it.
    props.masterSecret.grantRead(role);
    const partitions = (values: readonly string[]) => ({
      'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [...values] },
      Null: { 'dynamodb:LeadingKeys': 'false' },
    });
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({ sid: 'WakeHandOver', actions: ['dynamodb:UpdateItem'], resources: [tableArn], conditions: partitions(GATEWAY_WAKE_UPDATE_PARTITIONS) }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({ sid: 'WakeEvent', actions: ['dynamodb:PutItem'], resources: [tableArn], conditions: partitions(GATEWAY_WAKE_PUT_PARTITIONS) }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'WakeFromZero',
        actions: ['states:StartExecution'],
        resources: [props.scaleStateMachine.stateMachineArn],
      }),
    );
    return role;
  }
}
