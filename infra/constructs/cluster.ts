/**
 * The EKS cluster the models run on, in one of two modes (chosen by context, see infra/stack.ts):
 *
 * - {@link NewGpuCluster} (default): a VPC and an EKS cluster made by this stack, with one managed
 *   node group per GPU configuration in the inventory (0 nodes while idle) and a small system
 *   node group for the cluster add-ons;
 * - {@link ExistingCluster} (`-c existingClusterName=<name>`): a cluster and node groups that
 *   exist already, imported by name and left as they are.
 *
 * Both hand out the same narrow grants: EKS and Auto Scaling calls on exactly the inventory's
 * node groups, and EKS access entries that map a function role to the model namespace.
 */
import { ArnFormat, Aws, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { INVENTORY, type GpuConfig } from '../../functions/domain/catalog';
import type { TaskFunctionDefinition } from '../definitions/workflows';
import { acknowledgeRule, acknowledgeWildcardResources } from '../nag';
import { bootstrapKubectlProvider } from './cluster-bootstrap';
import { constructIdFor } from './control-plane-function';

export type EksAction = TaskFunctionDefinition['access']['eks'][number];
export type AutoScalingAction = TaskFunctionDefinition['access']['autoscaling'][number];

/** The Kubernetes group the workflow roles are mapped to; docs/deploy.md binds it to a ClusterRole. */
export const KUBERNETES_GROUP = 'gpu-control-plane';
/** The Kubernetes group of the routes that reach model servers through the service proxy; docs/deploy.md binds it to a Role. */
export const MODEL_PROXY_GROUP = 'gpu-control-plane-model-proxy';

/** Node label with the inventory's GPU config id (the workloads select `eks.amazonaws.com/nodegroup`). */
export const GPU_CONFIG_LABEL = 'gpudeploy.io/gpu-config';
/** The taint every GPU node carries; only the model workloads tolerate it. */
export const GPU_TAINT = { key: 'nvidia.com/gpu', value: 'true', effect: 'NO_SCHEDULE' } as const;
/** Bottlerocket's NVIDIA variant: the driver and the Kubernetes device plugin are part of the image. */
export const GPU_AMI_TYPE = 'BOTTLEROCKET_x86_64_NVIDIA';

/** Which EKS resource type each action is authorised on. */
const EKS_ACTION_RESOURCE: Readonly<Record<EksAction, 'cluster' | 'nodegroup'>> = {
  'eks:DescribeCluster': 'cluster',
  'eks:DescribeNodegroup': 'nodegroup',
  'eks:UpdateNodegroupConfig': 'nodegroup',
};

/** The GPU configurations of functions/domain/data/inventory.json, as the API serves them. */
export const inventoryGpuConfigs = (): readonly GpuConfig[] => INVENTORY.gpu_configs;

/** The EKS node group names the GPU inventory scales, each once. */
export const inventoryNodeGroupNames = (): string[] => [...new Set(inventoryGpuConfigs().map((config) => config.node_group.name))];

/**
 * What a function may do in Kubernetes:
 * - `workflow`: edit the model namespace (AmazonEKSEditPolicy scoped to it) and, as a member of
 *   {@link KUBERNETES_GROUP}, the cluster-scoped calls the ClusterRole in docs/deploy.md allows
 *   (list, read and cordon nodes, list pods on a node, create the model namespace);
 * - `read`: read the model namespace, pod logs included (AmazonEKSViewPolicy scoped to it);
 * - `proxy`: `read`, and as a member of {@link MODEL_PROXY_GROUP} the model servers' HTTP API
 *   through `services/proxy` (the Role in docs/deploy.md; the view policy does not include it).
 */
export type KubernetesAccess = 'workflow' | 'read' | 'proxy';

const NAMESPACE_POLICY: Readonly<Record<KubernetesAccess, string>> = {
  workflow: 'AmazonEKSEditPolicy',
  read: 'AmazonEKSViewPolicy',
  proxy: 'AmazonEKSViewPolicy',
};

const ACCESS_GROUPS: Readonly<Record<KubernetesAccess, string[] | undefined>> = {
  workflow: [KUBERNETES_GROUP],
  read: undefined,
  proxy: [MODEL_PROXY_GROUP],
};

export interface GpuClusterProps {
  /** Kubernetes namespace of the model workloads: the scope of the access entries. */
  readonly modelNamespace: string;
}

/**
 * What the rest of the stack needs from the cluster, whichever mode: its name and ARNs, the
 * grants, and the access entries.
 */
export abstract class GpuCluster extends Construct {
  /** The cluster's name as a plain string (function environments, ARNs, IAM conditions). */
  readonly clusterName: string;
  readonly clusterArn: string;
  /** One pattern per GPU node group: `…:nodegroup/<cluster>/<node group>/*` (the suffix is EKS's UUID). */
  readonly nodeGroupArns: readonly string[];
  readonly modelNamespace: string;
  readonly nodeGroupNames: readonly string[];

  protected constructor(scope: Construct, id: string, clusterName: string, props: GpuClusterProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.clusterName = clusterName;
    this.modelNamespace = props.modelNamespace;
    this.nodeGroupNames = inventoryNodeGroupNames();
    if (this.nodeGroupNames.length === 0) throw new Error('The inventory has no GPU configuration, so there is no node group to scale');
    this.clusterArn = stack.formatArn({ service: 'eks', resource: 'cluster', resourceName: clusterName, arnFormat: ArnFormat.SLASH_RESOURCE_NAME });
    this.nodeGroupArns = this.nodeGroupNames.map((nodeGroup) =>
      stack.formatArn({
        service: 'eks',
        resource: 'nodegroup',
        resourceName: `${clusterName}/${nodeGroup}/*`,
        arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
      }),
    );
  }

  /**
   * The cluster name to reference from resources that must be created after the cluster (access
   * entries): a reference to the cluster resource when this stack creates it, else the name.
   */
  protected abstract get clusterNameReference(): string;

  /** Allows `actions` on the cluster (DescribeCluster) or on the GPU node groups (node group actions). */
  grantEks(role: iam.IRole, actions: readonly EksAction[]): void {
    const clusterActions = actions.filter((action) => EKS_ACTION_RESOURCE[action] === 'cluster');
    const nodeGroupActions = actions.filter((action) => EKS_ACTION_RESOURCE[action] === 'nodegroup');
    if (clusterActions.length > 0) {
      role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: clusterActions, resources: [this.clusterArn] }));
    }
    if (nodeGroupActions.length > 0) {
      role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: nodeGroupActions, resources: [...this.nodeGroupArns] }));
      acknowledgeWildcardResources(
        role,
        this.nodeGroupArns,
        'A node group ARN ends in the UUID EKS assigns at creation; the pattern is pinned to this cluster and to one GPU node group named in inventory.json.',
      );
    }
  }

  /**
   * Allows the Auto Scaling calls behind targeted scale-in: describing groups (an action without
   * resource-level permissions) and terminating one instance, only in Auto Scaling groups that
   * EKS tagged as belonging to this cluster and to one of its GPU node groups.
   */
  grantAutoScaling(role: iam.IRole, actions: readonly AutoScalingAction[]): void {
    if (actions.includes('autoscaling:DescribeAutoScalingGroups')) {
      role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['autoscaling:DescribeAutoScalingGroups'], resources: ['*'] }));
      acknowledgeWildcardResources(
        role,
        ['*'],
        'autoscaling:DescribeAutoScalingGroups supports no resource-level permissions; it only reads group sizes and instance ids.',
      );
    }
    if (actions.includes('autoscaling:TerminateInstanceInAutoScalingGroup')) {
      const eksManagedGroups = Stack.of(this).formatArn({
        service: 'autoscaling',
        resource: 'autoScalingGroup',
        resourceName: '*:autoScalingGroupName/*',
        arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      });
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          actions: ['autoscaling:TerminateInstanceInAutoScalingGroup'],
          resources: [eksManagedGroups],
          conditions: {
            StringEquals: {
              'aws:ResourceTag/eks:cluster-name': this.clusterName,
              'aws:ResourceTag/eks:nodegroup-name': [...this.nodeGroupNames],
            },
          },
        }),
      );
      acknowledgeWildcardResources(
        role,
        [eksManagedGroups],
        'EKS generates the Auto Scaling group names of managed node groups, so the ARN cannot name them; the ' +
          'statement is scoped by the aws:ResourceTag/eks:cluster-name and aws:ResourceTag/eks:nodegroup-name conditions instead.',
      );
    }
  }

  /**
   * Lets `role` into the cluster through an EKS access entry: an EKS access policy scoped to the
   * model namespace, plus (for `workflow`) membership of {@link KUBERNETES_GROUP} for the few
   * cluster-scoped calls no namespace-scoped policy can allow.
   */
  addKubernetesAccess(id: string, role: iam.IRole, access: KubernetesAccess): eks.CfnAccessEntry {
    return new eks.CfnAccessEntry(this, id, {
      clusterName: this.clusterNameReference,
      principalArn: role.roleArn,
      type: 'STANDARD',
      kubernetesGroups: ACCESS_GROUPS[access],
      accessPolicies: [
        {
          policyArn: eksAccessPolicyArn(NAMESPACE_POLICY[access]),
          accessScope: { type: 'namespace', namespaces: [this.modelNamespace] },
        },
      ],
    });
  }
}

/** ARN of an EKS access policy (`arn:<partition>:eks::aws:cluster-access-policy/<name>`). */
export const eksAccessPolicyArn = (name: string): string => `arn:${Aws.PARTITION}:eks::aws:cluster-access-policy/${name}`;

/**
 * An existing EKS cluster, imported by name: not managed by this stack, no kubectl provider. Its
 * node groups must be named as in the inventory (`gpu_configs[].node_group.name`).
 */
export class ExistingCluster extends GpuCluster {
  constructor(scope: Construct, id: string, props: GpuClusterProps & { readonly clusterName: string }) {
    super(scope, id, props.clusterName, props);
  }

  protected get clusterNameReference(): string {
    return this.clusterName;
  }
}

export interface NewGpuClusterProps extends GpuClusterProps {
  readonly clusterName: string;
  /** Kubernetes minor version, e.g. `1.34`. */
  readonly kubernetesVersion: string;
  /** NAT gateways of the new VPC (1 saves cost, one per AZ survives an AZ outage). */
  readonly natGateways: number;
  /** CIDR blocks allowed to reach the public API endpoint (the workflow functions run outside the VPC). */
  readonly endpointPublicCidrs: readonly string[];
  /** IAM role (or user) given cluster-admin through an access entry, to apply the RBAC in docs/deploy.md. */
  readonly adminPrincipalArn?: string;
  /** The system node group, for CoreDNS and other add-ons. */
  readonly systemNodes?: { readonly instanceType: string; readonly minSize: number; readonly maxSize: number };
}

/** Disk of a GPU node: room for the vLLM image and the model weights cached on the node. */
export const gpuNodeDiskGib = (config: GpuConfig): number => Math.max(100, Math.ceil(config.gpu_memory_gib * config.gpus_per_node + 50));

/**
 * A new VPC and EKS cluster with one managed node group per inventory GPU configuration.
 *
 * - VPC: public and private subnets in two AZs, NAT for the nodes (image and weight downloads),
 *   flow logs to CloudWatch.
 * - Cluster: authentication by access entries only (no aws-auth ConfigMap), public and private
 *   endpoint (the workflow functions run outside the VPC), all control plane logs, Kubernetes
 *   secrets (the Hugging Face tokens) envelope-encrypted with a customer managed key.
 * - GPU node groups: named, sized and typed from inventory.json, min 0 and desired 0 (no GPU
 *   costs while idle; the workflows set the desired size), Bottlerocket NVIDIA (driver and device
 *   plugin included), the `nvidia.com/gpu=true:NoSchedule` taint and the gpu-config label.
 * - System node group: two small Graviton nodes for CoreDNS and the other add-ons.
 */
export class NewGpuCluster extends GpuCluster {
  readonly vpc: ec2.Vpc;
  readonly cluster: eks.Cluster;
  readonly nodeRole: iam.Role;
  /** GPU node groups by inventory config id. */
  readonly gpuNodeGroups: ReadonlyMap<string, eks.CfnNodegroup>;
  readonly systemNodeGroup: eks.CfnNodegroup;

  constructor(scope: Construct, id: string, props: NewGpuClusterProps) {
    super(scope, id, props.clusterName, props);

    const flowLogs = new logs.LogGroup(this, 'VpcFlowLogs', {
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.vpc = new ec2.Vpc(this, 'Vpc', {
      maxAzs: 2,
      natGateways: props.natGateways,
      subnetConfiguration: [
        { name: 'public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 },
        // Nodes and pods share these addresses (VPC CNI): /19 leaves ~8000 per AZ.
        { name: 'nodes', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 19 },
      ],
      flowLogs: { all: { destination: ec2.FlowLogDestination.toCloudWatchLogs(flowLogs), trafficType: ec2.FlowLogTrafficType.ALL } },
    });

    const secretsKey = new kms.Key(this, 'KubernetesSecretsKey', {
      description: `Envelope encryption of the Kubernetes secrets of EKS cluster ${props.clusterName}`,
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.cluster = new eks.Cluster(this, 'Cluster', {
      clusterName: props.clusterName,
      version: eks.KubernetesVersion.of(props.kubernetesVersion),
      vpc: this.vpc,
      vpcSubnets: [{ subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS }],
      defaultCapacityType: eks.DefaultCapacityType.NODEGROUP,
      defaultCapacity: 0,
      endpointAccess: eks.EndpointAccess.PUBLIC_AND_PRIVATE.onlyFrom(...props.endpointPublicCidrs),
      clusterLogging: [
        eks.ClusterLoggingTypes.API,
        eks.ClusterLoggingTypes.AUDIT,
        eks.ClusterLoggingTypes.AUTHENTICATOR,
        eks.ClusterLoggingTypes.CONTROLLER_MANAGER,
        eks.ClusterLoggingTypes.SCHEDULER,
      ],
      secretsEncryptionKey: secretsKey,
      // Cluster admins are named explicitly (adminPrincipalArn), not whoever ran CloudFormation.
      bootstrapClusterCreatorAdminPermissions: false,
      kubectlProviderOptions: bootstrapKubectlProvider(this, this.vpc), // applies the cluster bootstrap (cluster-bootstrap.ts)
    });
    Validations.of(this.cluster.node.defaultChild as eks.CfnCluster).acknowledge({
      id: 'CloudFormation-Validate::W9009',
      reason:
        "The EKS construct writes EncryptionConfig.Resources ['secrets'], the only value EKS accepts; the schema marks " +
        'the property deprecated because the value is implied, not because it changes anything.',
    });
    acknowledgeRule(
      this.cluster.node.defaultChild as eks.CfnCluster,
      'EKS1',
      'The workflow functions run outside any VPC (no NAT, ENI or VPC endpoint costs, no VPC cold starts) and reach the ' +
        'API server over its public endpoint with IAM-authenticated tokens that only EKS access entries admit; restrict ' +
        'the source addresses with -c clusterEndpointPublicCidrs.',
    );
    acknowledgeRule(
      this.cluster.role,
      'IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/AmazonEKSClusterPolicy]',
      'AmazonEKSClusterPolicy is the AWS-maintained policy the EKS service role must carry; EKS documents no narrower alternative.',
    );

    if (props.adminPrincipalArn) {
      new eks.CfnAccessEntry(this, 'AdminAccess', {
        clusterName: this.cluster.clusterName,
        principalArn: props.adminPrincipalArn,
        type: 'STANDARD',
        accessPolicies: [{ policyArn: eksAccessPolicyArn('AmazonEKSClusterAdminPolicy'), accessScope: { type: 'cluster' } }],
      });
    }

    this.nodeRole = new iam.Role(this, 'NodeRole', {
      assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com'),
      description: `Nodes of EKS cluster ${props.clusterName}`,
      managedPolicies: NODE_POLICIES.map((name) => iam.ManagedPolicy.fromAwsManagedPolicyName(name)),
    });
    for (const name of NODE_POLICIES) {
      acknowledgeRule(
        this.nodeRole,
        `IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/${name}]`,
        `${name} is one of the three AWS-maintained policies EKS requires on a managed node role (join the cluster, ` +
          'run the VPC CNI, pull the add-on images from ECR).',
      );
    }

    const subnets = this.vpc.selectSubnets({ subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS }).subnetIds;
    const system = props.systemNodes ?? { instanceType: 't4g.medium', minSize: 2, maxSize: 3 };
    this.systemNodeGroup = new eks.CfnNodegroup(this, 'SystemNodeGroup', {
      clusterName: this.cluster.clusterName,
      nodegroupName: 'system',
      nodeRole: this.nodeRole.roleArn,
      subnets,
      amiType: 'BOTTLEROCKET_ARM_64',
      capacityType: 'ON_DEMAND',
      instanceTypes: [system.instanceType],
      scalingConfig: { minSize: system.minSize, desiredSize: system.minSize, maxSize: system.maxSize },
      labels: { 'gpudeploy.io/pool': 'system' },
      updateConfig: { maxUnavailable: 1 },
    });

    const gpuNodeGroups = new Map<string, eks.CfnNodegroup>();
    for (const config of inventoryGpuConfigs()) {
      const nodeGroup = new eks.CfnNodegroup(this, `GpuNodeGroup${constructIdFor(config.config_id)}`, {
        clusterName: this.cluster.clusterName,
        nodegroupName: config.node_group.name,
        nodeRole: this.nodeRole.roleArn,
        subnets,
        amiType: GPU_AMI_TYPE,
        capacityType: 'ON_DEMAND',
        instanceTypes: [config.instance_type],
        diskSize: gpuNodeDiskGib(config),
        // Desired = min in the template, and it never changes there: CloudFormation leaves the
        // desired size the workflows set alone (it only sends DesiredSize when the template's value changes).
        scalingConfig: { minSize: config.node_group.min_size, desiredSize: config.node_group.min_size, maxSize: config.node_group.max_size },
        labels: { [GPU_CONFIG_LABEL]: config.config_id, 'gpudeploy.io/pool': 'gpu' },
        taints: [GPU_TAINT],
        updateConfig: { maxUnavailable: 1 },
      });
      gpuNodeGroups.set(config.config_id, nodeGroup);
    }
    this.gpuNodeGroups = gpuNodeGroups;
  }

  protected get clusterNameReference(): string {
    return this.cluster.clusterName;
  }
}

/** The AWS managed policies EKS requires on the role of managed nodes. */
const NODE_POLICIES = ['AmazonEKSWorkerNodePolicy', 'AmazonEKS_CNI_Policy', 'AmazonEC2ContainerRegistryReadOnly'] as const;
