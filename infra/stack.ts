import { Annotations, App, Aspects, AspectPriority, CfnOutput, Stack, Token, type AppProps, type Environment, type StackProps } from 'aws-cdk-lib';
import type { Construct, IConstruct, Node } from 'constructs';
import { AZ_ID, INVENTORY } from '../contract/catalog';
import { ControlPlaneApi } from './constructs/api';
import { ApiAuth } from './constructs/auth';
import { ConsoleHosting } from './constructs/console';
import { ExistingCluster, type GpuCluster } from './constructs/cluster';
import { ControlPlaneFunction, constructIdFor, type FunctionNetwork } from './constructs/control-plane-function';
import { parseOfferings, type InstanceTypeOfferings } from './constructs/gpu-placement';
import { NewGpuCluster, VPC_CIDR } from './constructs/new-cluster';
import { ClusterBootstrap } from './constructs/cluster-bootstrap';
import { ControlPlaneData } from './constructs/data';
import { Monitoring } from './constructs/monitoring';
import { Schedules } from './constructs/schedules';
import { GatewaySecret, HfTokenSecrets } from './constructs/secrets';
import { InferenceGateway, type InferenceEdgeConfig } from './constructs/inference-gateway';
import { REPOSITORY_PREFIX, SERVING_IMAGE_FUNCTIONS, SERVING_IMAGE_VARIABLE, ServingImageCache } from './constructs/image-cache';
import { Workflows } from './constructs/workflows';
import { ROUTES } from '../contract/routes';
import { SCHEDULES } from '../contract/schedules';
import { TASK_FUNCTIONS } from '../contract/workflows';
import { applyAwsSolutionsChecks } from './nag';
import { tagEverything } from './tagging';

/** Where the models run: a cluster this stack creates, or an existing one it imports by name. */
export type ClusterConfig =
  | {
      readonly mode: 'create';
      readonly name: string;
      readonly kubernetesVersion: string;
      readonly natGateways: number;
      /** Operator CIDRs for a public endpoint; empty = private endpoint only (the default). */
      readonly endpointPublicCidrs: readonly string[];
      readonly adminPrincipalArn?: string;
      /** AZ IDs of the VPC (context availabilityZoneIds); default: chosen from the offerings. */
      readonly availabilityZoneIds?: readonly string[];
      /** Context gpuInstanceOfferings: AZ IDs per instance type (docs/deploy.md). */
      readonly instanceTypeOfferings: InstanceTypeOfferings;
    }
  | {
      readonly mode: 'import';
      readonly name: string;
      /** Where the Kubernetes-calling functions run (context functionVpcId, functionSubnetIds, functionSecurityGroupIds). */
      readonly functionNetwork?: FunctionNetwork;
    };

/** Who issues the API's tokens: a Cognito user pool this stack creates, or an external OIDC issuer. */
export type AuthConfig = { readonly mode: 'cognito' } | { readonly mode: 'external'; readonly issuer: string; readonly audience: string };

/** What differs between installations; every value can be set with `cdk … -c key=value` (docs/deploy.md). */
export interface ControlPlaneConfig {
  /** Prefix of function, state machine, API, alarm and dashboard names. */
  readonly prefix: string;
  /** Kubernetes namespace of the model workloads. */
  readonly modelNamespace: string;
  readonly cluster: ClusterConfig;
  readonly auth: AuthConfig;
  /** Email address subscribed to the alarm topic. */
  readonly alarmEmail?: string;
  /**
   * Reserved concurrency of each workflow task that calls the Kubernetes API; scheduled jobs
   * reserve 1. 0 reserves nothing anywhere (accounts with a small Lambda concurrency quota).
   */
  readonly kubernetesTaskConcurrency: number;
  /**
   * ECR pull-through cache for the serving image (context dockerHubCredentialsSecretArn and
   * imageCachePrefix): without the secret the nodes pull from Docker Hub anonymously.
   */
  readonly imageCache: { readonly credentialArn?: string; readonly repositoryPrefix: string };
  /**
   * Context modelIngressCidrs: where the API server reaches model pods from (the cluster's
   * subnets), rendered into each model's NetworkPolicy. Default: the new VPC's CIDR; an imported
   * cluster needs it (docs/deploy.md).
   */
  readonly modelIngressCidrs?: readonly string[];
  /**
   * Context inferenceDomain, inferenceHostedZoneId, inferenceHostedZoneName: the inference
   * gateway's public hostname and its Route 53 zone. Without them no load balancer is created.
   */
  readonly inferenceEdge?: InferenceEdgeConfig;
}

export const DEFAULTS = {
  prefix: 'gpu-control-plane',
  modelNamespace: 'models',
  clusterName: 'gpu-models',
  kubernetesVersion: '1.35',
  natGateways: 1,
  clusterEndpointPublicCidrs: [] as readonly string[],
  jwtAudience: 'gpu-control-plane',
  kubernetesTaskConcurrency: 10,
  imageCachePrefix: 'docker-hub',
} as const;

export const DEFAULT_CONFIG: ControlPlaneConfig = {
  prefix: DEFAULTS.prefix,
  modelNamespace: DEFAULTS.modelNamespace,
  cluster: {
    mode: 'create',
    name: DEFAULTS.clusterName,
    kubernetesVersion: DEFAULTS.kubernetesVersion,
    natGateways: DEFAULTS.natGateways,
    endpointPublicCidrs: DEFAULTS.clusterEndpointPublicCidrs,
    instanceTypeOfferings: {},
  },
  auth: { mode: 'cognito' },
  kubernetesTaskConcurrency: DEFAULTS.kubernetesTaskConcurrency,
  imageCache: { repositoryPrefix: DEFAULTS.imageCachePrefix },
};

/** CloudWatch namespace of the functions' Powertools metrics (the `service` dimension is the prefix). */
export const METRICS_NAMESPACE = 'GpuControlPlane';

const EKS_CLUSTER_NAME = /^[0-9A-Za-z][A-Za-z0-9_-]{0,99}$/;
const CIDR = /^(\d{1,3}\.){3}\d{1,3}\/\d{1,2}$/;

/** Lambda refuses a function name longer than 64 characters. */
export const LAMBDA_FUNCTION_NAME_LIMIT = 64;
/** The longest function name suffix of the route, task and schedule tables (names are `<prefix>-<suffix>`). */
export const LONGEST_FUNCTION_SUFFIX = [...ROUTES, ...TASK_FUNCTIONS, ...SCHEDULES]
  .map((definition) => definition.name)
  .reduce((longest, name) => (name.length > longest.length ? name : longest), '');
/** The longest prefix that leaves room for every function name. */
export const MAX_PREFIX_LENGTH = LAMBDA_FUNCTION_NAME_LIMIT - 1 - LONGEST_FUNCTION_SUFFIX.length;

const checkPrefixLength = (prefix: string): string => {
  if (prefix.length > MAX_PREFIX_LENGTH) {
    throw new Error(
      `Context value prefix ${JSON.stringify(prefix)} has ${prefix.length} characters; at most ${MAX_PREFIX_LENGTH} fit, because the function ` +
        `${prefix}-${LONGEST_FUNCTION_SUFFIX} would exceed Lambda's ${LAMBDA_FUNCTION_NAME_LIMIT}-character function name limit.`,
    );
  }
  return prefix;
};

/** Reads the configuration from CDK context (cdk.json or `-c`), falling back to {@link DEFAULTS}. */
export const configFromContext = (node: Node): ControlPlaneConfig => {
  const raw = (key: string): unknown => node.tryGetContext(key);
  const optional = (key: string, pattern: RegExp, expected: string): string | undefined => {
    const value = raw(key);
    if (value === undefined || value === '') return undefined;
    if (typeof value !== 'string' || !pattern.test(value)) {
      throw new Error(`Context value ${key}=${JSON.stringify(value)} is invalid: expected ${expected}.`);
    }
    return value;
  };
  const text = (key: string, fallback: string, pattern: RegExp, expected: string): string => optional(key, pattern, expected) ?? fallback;
  const count = (key: string, fallback: number, min: number, max: number): number => {
    const value = raw(key) ?? fallback;
    const parsed = typeof value === 'number' ? value : Number(value);
    if (!Number.isInteger(parsed) || parsed < min || parsed > max) {
      throw new Error(`Context value ${key}=${JSON.stringify(value)} is invalid: expected a whole number from ${min} to ${max}.`);
    }
    return parsed;
  };

  const list = (key: string, pattern: RegExp, expected: string): string[] | undefined => {
    const value = raw(key);
    if (value === undefined || value === '') return undefined;
    const items = (Array.isArray(value) ? value : String(value).split(',')).map((item) => String(item).trim()).filter((item) => item !== '');
    const bad = items.find((item) => !pattern.test(item));
    if (bad !== undefined) throw new Error(`Context value ${key} has an invalid entry ${JSON.stringify(bad)}: expected ${expected}.`);
    return items;
  };
  const functionNetwork = (): FunctionNetwork | undefined => {
    const vpcId = optional('functionVpcId', /^vpc-[0-9a-f]{8,17}$/, 'a VPC id');
    const subnetIds = list('functionSubnetIds', /^subnet-[0-9a-f]{8,17}$/, 'subnet ids');
    const securityGroupIds = list('functionSecurityGroupIds', /^sg-[0-9a-f]{8,17}$/, 'security group ids');
    if (!vpcId && !subnetIds && !securityGroupIds) return undefined;
    if (!vpcId || !subnetIds?.length || !securityGroupIds?.length) {
      throw new Error('Context values functionVpcId, functionSubnetIds and functionSecurityGroupIds go together: give all three or none.');
    }
    return { vpcId, subnetIds, securityGroupIds };
  };

  const existingClusterName = optional('existingClusterName', EKS_CLUSTER_NAME, 'an EKS cluster name');
  const cluster: ClusterConfig = existingClusterName
    ? { mode: 'import', name: existingClusterName, functionNetwork: functionNetwork() }
    : {
        mode: 'create',
        name: text('clusterName', DEFAULTS.clusterName, EKS_CLUSTER_NAME, 'an EKS cluster name'),
        kubernetesVersion: text('kubernetesVersion', DEFAULTS.kubernetesVersion, /^1\.\d{2}$/, 'a Kubernetes minor version such as 1.35'),
        natGateways: count('natGateways', DEFAULTS.natGateways, 1, 6),
        endpointPublicCidrs: (
          optional('clusterEndpointPublicCidrs', /^[\d./,\s]+$/, 'a comma-separated list of IPv4 CIDR blocks') ??
          DEFAULTS.clusterEndpointPublicCidrs.join(',')
        )
          .split(',')
          .map((cidr) => cidr.trim())
          .filter((cidr) => cidr !== '')
          .filter((cidr) => {
            if (!CIDR.test(cidr)) throw new Error(`Context value clusterEndpointPublicCidrs has an invalid CIDR block ${JSON.stringify(cidr)}.`);
            return true;
          }),
        adminPrincipalArn: optional('clusterAdminPrincipalArn', /^arn:aws[a-z-]*:(iam|sts)::\d{12}:\S+$/, 'an IAM role or user ARN'),
        availabilityZoneIds: list('availabilityZoneIds', AZ_ID, 'AZ IDs such as use1-az4'),
        instanceTypeOfferings: parseOfferings(raw('gpuInstanceOfferings')),
      };

  const inferenceEdge = (): InferenceEdgeConfig | undefined => {
    const hostname = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;
    const domain = optional('inferenceDomain', hostname, 'a lower-case DNS name such as inference.example.com');
    const hostedZoneId = optional('inferenceHostedZoneId', /^Z[A-Z0-9]{1,31}$/, 'a Route 53 hosted zone id such as Z0123456789ABCDEFGHIJ');
    const hostedZoneName = optional('inferenceHostedZoneName', new RegExp(`${hostname.source.slice(0, -1)}\\.?$`), 'the hosted zone\'s DNS name such as example.com')?.replace(
      /\.$/,
      '',
    );
    if (!domain && !hostedZoneId && !hostedZoneName) return undefined;
    if (!domain || !hostedZoneId || !hostedZoneName) {
      throw new Error('Context values inferenceDomain, inferenceHostedZoneId and inferenceHostedZoneName go together: give all three or none.');
    }
    if (domain !== hostedZoneName && !domain.endsWith(`.${hostedZoneName}`)) {
      throw new Error(`Context value inferenceDomain=${JSON.stringify(domain)} is not in the hosted zone ${JSON.stringify(hostedZoneName)}.`);
    }
    return { domain, hostedZoneId, hostedZoneName };
  };

  const jwtIssuer = optional('jwtIssuer', /^https:\/\/\S+$/, 'an https:// issuer URL');
  const auth: AuthConfig = jwtIssuer
    ? { mode: 'external', issuer: jwtIssuer, audience: text('jwtAudience', DEFAULTS.jwtAudience, /^\S+$/, 'a non-empty audience') }
    : { mode: 'cognito' };

  return {
    // Leaves room for the longest function name suffix within Lambda's 64 characters.
    prefix: checkPrefixLength(text('prefix', DEFAULTS.prefix, /^[a-z][a-z0-9-]*$/, 'lower-case letters, digits and dashes, starting with a letter')),
    modelNamespace: text('modelNamespace', DEFAULTS.modelNamespace, /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, 'a Kubernetes namespace name'),
    cluster,
    auth,
    alarmEmail: optional('alarmEmail', /^[^\s@]+@[^\s@]+\.[^\s@]+$/, 'an email address'),
    kubernetesTaskConcurrency: count('kubernetesTaskConcurrency', DEFAULTS.kubernetesTaskConcurrency, 0, 100),
    inferenceEdge: inferenceEdge(),
    modelIngressCidrs: list('modelIngressCidrs', /^(\d{1,3}\.){3}\d{1,3}\/\d{1,2}$/, 'IPv4 CIDR blocks'),
    imageCache: {
      // The ARN's shape is checked by the cache construct, which also knows the stack's account and region.
      credentialArn: optional('dockerHubCredentialsSecretArn', /^arn:\S+$/, 'a Secrets Manager secret ARN'),
      repositoryPrefix: text('imageCachePrefix', DEFAULTS.imageCachePrefix, REPOSITORY_PREFIX, 'an ECR repository prefix of 2-30 lower-case characters'),
    },
  };
};

/** The functions whose code reads ENDPOINT_URL_TEMPLATE (through functions/wiring/serving-endpoint.ts). */
export const ENDPOINT_URL_FUNCTIONS = ['apply-workload', 'create-deployment', 'deploy-yaml', 'list-recipes', 'mark-ready'] as const;

/** The functions that render model manifests, NetworkPolicy included. */
export const MODEL_INGRESS_FUNCTIONS = ['apply-workload', 'create-deployment', 'deploy-yaml'] as const;

export interface GpuControlPlaneStackProps extends StackProps {
  readonly config: ControlPlaneConfig;
}

/**
 * The GPU model deployment control plane: the HTTP API and its token issuer, the workflows, the
 * table, the token secrets, the EKS cluster (new or imported), the timers, alarms and dashboard.
 */
export class GpuControlPlaneStack extends Stack {
  readonly config: ControlPlaneConfig;
  readonly data: ControlPlaneData;
  readonly secrets: HfTokenSecrets;
  /** The inference gateway's master secret; the gateway's construct grants its pods read on it. */
  readonly gatewaySecret: GatewaySecret;
  readonly cluster: GpuCluster;
  readonly workflows: Workflows;
  readonly auth: ApiAuth;
  readonly console: ConsoleHosting;
  readonly api: ControlPlaneApi;
  readonly schedules: Schedules;
  readonly monitoring: Monitoring;
  readonly imageCache: ServingImageCache;
  readonly inferenceGateway: InferenceGateway;

  constructor(scope: Construct, id: string, props: GpuControlPlaneStackProps) {
    super(scope, id, props);
    const { config } = props;
    this.config = config;
    if (!Token.isUnresolved(this.region) && this.region !== INVENTORY.cluster_region) {
      Annotations.of(this).addWarningV2(
        'gpu-control-plane:inventoryRegion',
        `The stack deploys to ${this.region}, but inventory.json describes GPU capacity in ${INVENTORY.cluster_region}; the API will report that region.`,
      );
    }

    this.data = new ControlPlaneData(this, 'Data');
    this.secrets = new HfTokenSecrets(this, 'HfTokenSecrets', { prefix: config.prefix });
    this.gatewaySecret = new GatewaySecret(this, 'GatewaySecret', { prefix: config.prefix, key: this.secrets.key });
    this.cluster =
      config.cluster.mode === 'create'
        ? new NewGpuCluster(this, 'Cluster', {
            clusterName: config.cluster.name,
            kubernetesVersion: config.cluster.kubernetesVersion,
            natGateways: config.cluster.natGateways,
            endpointPublicCidrs: config.cluster.endpointPublicCidrs,
            adminPrincipalArn: config.cluster.adminPrincipalArn,
            availabilityZoneIds: config.cluster.availabilityZoneIds,
            instanceTypeOfferings: config.cluster.instanceTypeOfferings,
            offeringsRegion: Token.isUnresolved(this.region) ? INVENTORY.cluster_region : this.region,
            modelNamespace: config.modelNamespace,
            prefix: config.prefix,
            metricsNamespace: METRICS_NAMESPACE,
          })
        : new ExistingCluster(this, 'Cluster', {
            clusterName: config.cluster.name,
            functionNetwork: config.cluster.functionNetwork,
            modelNamespace: config.modelNamespace,
            prefix: config.prefix,
            metricsNamespace: METRICS_NAMESPACE,
          });
    placeKubernetesCallersInVpc(this, this.cluster);
    new ClusterBootstrap(this, 'ClusterBootstrap', {
      cluster: this.cluster instanceof NewGpuCluster ? this.cluster.cluster : undefined,
      modelNamespace: config.modelNamespace,
      adminPrincipalArn: config.cluster.mode === 'create' ? config.cluster.adminPrincipalArn : undefined,
    });
    this.workflows = new Workflows(this, 'Workflows', {
      prefix: config.prefix,
      table: this.data.table,
      cluster: this.cluster,
      secrets: this.secrets,
      gatewaySecret: this.gatewaySecret,
      metricsNamespace: METRICS_NAMESPACE,
      kubernetesTaskConcurrency: config.kubernetesTaskConcurrency,
    });
    this.console = new ConsoleHosting(this, 'Console', { prefix: config.prefix });
    this.auth = new ApiAuth(this, 'Auth', {
      prefix: config.prefix,
      external: config.auth.mode === 'external' ? { issuer: config.auth.issuer, audience: config.auth.audience } : undefined,
      consoleUrl: this.console.url,
    });
    this.api = new ControlPlaneApi(this, 'Api', {
      prefix: config.prefix,
      table: this.data.table,
      stateMachines: this.workflows.stateMachines,
      jwtIssuer: this.auth.issuer,
      jwtAudience: this.auth.audience,
      cluster: this.cluster,
      secrets: this.secrets,
      gatewaySecret: this.gatewaySecret,
      metricsNamespace: METRICS_NAMESPACE,
    });
    this.console.publish({
      apiUrl: this.api.url,
      auth:
        this.auth.userPoolClient && this.auth.hostedUiUrl
          ? { mode: 'cognito', domain: this.auth.hostedUiUrl, clientId: this.auth.userPoolClient.userPoolClientId }
          : { mode: 'token' },
    });
    this.schedules = new Schedules(this, 'Schedules', {
      prefix: config.prefix,
      table: this.data.table,
      stateMachines: this.workflows.stateMachines,
      cluster: this.cluster,
      metricsNamespace: METRICS_NAMESPACE,
      reserveConcurrency: config.kubernetesTaskConcurrency > 0,
    });
    this.imageCache = new ServingImageCache(this, 'ImageCache', config.imageCache);
    // Imported clusters: the cluster owner grants the node role the same (docs/deploy.md).
    if (this.cluster instanceof NewGpuCluster) this.imageCache.grantPullThrough(this.cluster.nodeRole);
    const functions = new Map([...this.api.routeFunctions, ...this.workflows.taskFunctions, ...this.schedules.functions]);
    for (const name of SERVING_IMAGE_FUNCTIONS) {
      const fn = functions.get(name);
      if (!fn) throw new Error(`SERVING_IMAGE_FUNCTIONS names ${name}, which no route, task or schedule defines.`);
      fn.addEnvironment(SERVING_IMAGE_VARIABLE, this.imageCache.servingImage);
    }
    // The functions that render a model's NetworkPolicy (functions/adapters/model-network.ts).
    const ingressCidrs = config.modelIngressCidrs ?? (this.cluster instanceof NewGpuCluster ? [VPC_CIDR] : undefined);
    if (ingressCidrs) {
      for (const name of MODEL_INGRESS_FUNCTIONS) functions.get(name)?.addEnvironment('MODEL_INGRESS_CIDRS', ingressCidrs.join(','));
    } else {
      Annotations.of(this).addWarning(
        'Context modelIngressCidrs is not set: the model NetworkPolicies admit 10.0.0.0/16, which may not be where this cluster\'s API server reaches its pods. Set it to the cluster subnets\' CIDRs (docs/deploy.md).',
      );
    }
    this.inferenceGateway = new InferenceGateway(this, 'InferenceGateway', {
      table: this.data.table,
      scaleStateMachine: this.workflows.stateMachines.get('scale')!,
      masterSecret: this.gatewaySecret,
      clusterName: this.cluster.clusterName,
      modelNamespace: config.modelNamespace,
      cluster:
        this.cluster instanceof NewGpuCluster
          ? { cluster: this.cluster.cluster, vpc: this.cluster.vpc, podSecurityGroup: this.cluster.cluster.clusterSecurityGroup }
          : undefined,
      edge: config.inferenceEdge,
    });
    // The functions that name a ready deployment's endpoint_url (functions/wiring/serving-endpoint.ts).
    if (this.inferenceGateway.endpointUrlTemplate) {
      for (const name of ENDPOINT_URL_FUNCTIONS) {
        const fn = functions.get(name);
        if (!fn) throw new Error(`ENDPOINT_URL_FUNCTIONS names ${name}, which no route, task or schedule defines.`);
        fn.addEnvironment('ENDPOINT_URL_TEMPLATE', this.inferenceGateway.endpointUrlTemplate);
      }
    }
    this.monitoring = new Monitoring(this, 'Monitoring', {
      prefix: config.prefix,
      metricsNamespace: METRICS_NAMESPACE,
      httpApi: this.api.httpApi,
      stateMachines: this.workflows.stateMachines,
      functions: [
        ...[...this.api.routeFunctions].map(([name, fn]) => ({ name, kind: 'api' as const, fn })),
        ...[...this.workflows.taskFunctions].map(([name, fn]) => ({ name, kind: 'workflow' as const, fn })),
        ...[...this.schedules.functions].map(([name, fn]) => ({ name, kind: 'scheduled' as const, fn })),
      ],
      table: this.data.table,
      alarmEmail: config.alarmEmail,
    });

    new CfnOutput(this, 'ApiUrl', { value: this.api.url, description: 'Base URL of the HTTP API (routes start with /api/v1beta1)' });
    new CfnOutput(this, 'JwtIssuer', { value: this.auth.issuer, description: 'Issuer (iss) of the accepted bearer tokens' });
    new CfnOutput(this, 'JwtAudience', { value: this.auth.audience, description: 'Audience (aud) of the accepted bearer tokens' });
    if (this.auth.userPool && this.auth.userPoolClient) {
      new CfnOutput(this, 'UserPoolId', { value: this.auth.userPool.userPoolId });
      new CfnOutput(this, 'UserPoolClientId', { value: this.auth.userPoolClient.userPoolClientId });
    }
    new CfnOutput(this, 'ClusterName', { value: this.cluster.clusterName, description: `EKS cluster (${config.cluster.mode}d by this stack)` });
    if (this.cluster instanceof NewGpuCluster) {
      new CfnOutput(this, 'VpcAvailabilityZoneIds', {
        value: this.cluster.availabilityZoneIds.join(','),
        description: 'AZ IDs of the VPC, in subnet order: keep them as context availabilityZoneIds for every later deployment (docs/deploy.md)',
      });
    }
    new CfnOutput(this, 'TableName', { value: this.data.table.tableName });
    for (const [workflow, stateMachine] of this.workflows.stateMachines) {
      new CfnOutput(this, `${constructIdFor(workflow)}StateMachineArn`, { value: stateMachine.stateMachineArn });
    }
    new CfnOutput(this, 'AlarmTopicArn', { value: this.monitoring.alarmTopic.topicArn });
    if (config.inferenceEdge && this.inferenceGateway.loadBalancer) {
      new CfnOutput(this, 'InferenceEndpoint', {
        value: `https://${config.inferenceEdge.domain}`,
        description: 'Base of every endpoint_url (…/orgs/{org}/projects/{project}/aimodels/{id}/v1); the inference gateway behind the ALB',
      });
    }
    new CfnOutput(this, 'DashboardName', { value: config.prefix });
  }
}

/**
 * Puts every function that was given Kubernetes access into the cluster's function network, so
 * it reaches a private API endpoint. An aspect, because access entries are added by the
 * constructs built after the cluster (workflows, API, schedules, and any later one).
 */
const placeKubernetesCallersInVpc = (stack: Stack, cluster: GpuCluster): void => {
  Aspects.of(stack).add(
    {
      visit: (node: IConstruct) => {
        const network = cluster.functionNetwork;
        if (network && node instanceof ControlPlaneFunction && cluster.callsKubernetes(node.executionRole)) node.placeInVpc(network);
      },
    },
    { priority: AspectPriority.MUTATING },
  );
};

export const STACK_NAME = 'GpuControlPlane';

/**
 * The whole app as `cdk synth` builds it (infra/bin/app.ts) and as the infra tests build it:
 * the stack configured from context, every resource tagged, and cdk-nag's AwsSolutions checks
 * registered so that every synth runs them and fails on an unacknowledged error.
 */
export const createControlPlaneApp = (props: AppProps = {}, env?: Environment): { app: App; stack: GpuControlPlaneStack } => {
  const app = new App(props);
  const config = configFromContext(app.node);
  const stack = new GpuControlPlaneStack(app, STACK_NAME, {
    description: 'Serverless control plane for dedicated GPU model deployments on EKS',
    env,
    config,
  });
  tagEverything(app, { application: 'gpu-control-plane', 'control-plane-prefix': config.prefix, 'managed-by': 'aws-cdk' });
  applyAwsSolutionsChecks(app);
  return { app, stack };
};
