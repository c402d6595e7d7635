import { Annotations, App, CfnOutput, Stack, type AppProps, type Environment, type StackProps } from 'aws-cdk-lib';
import type { Construct, Node } from 'constructs';
import { ControlPlaneApi } from './constructs/api';
import { ExistingCluster, inventoryNodeGroupNames } from './constructs/cluster';
import { constructIdFor } from './constructs/control-plane-function';
import { ControlPlaneData } from './constructs/data';
import { Workflows } from './constructs/workflows';
import { applyAwsSolutionsChecks } from './nag';

/** What differs between installations; every value can be set with `cdk … -c key=value`. */
export interface ControlPlaneConfig {
  /** Name of the existing EKS cluster (in the stack's account and region). */
  readonly clusterName: string;
  /** Kubernetes namespace of the model workloads. */
  readonly modelNamespace: string;
  /** JWT issuer URL; its OpenID discovery document must be reachable by API Gateway. */
  readonly jwtIssuer: string;
  readonly jwtAudience: string;
  /** Prefix of function, state machine and API names. */
  readonly prefix: string;
}

/** A stand-in issuer, so a synth works out of the box; a deployment must override it. */
export const PLACEHOLDER_JWT_ISSUER = 'https://auth.example.com/';

export const DEFAULT_CONFIG: ControlPlaneConfig = {
  clusterName: 'gpu-models',
  modelNamespace: 'models',
  jwtIssuer: PLACEHOLDER_JWT_ISSUER,
  jwtAudience: 'gpu-control-plane',
  prefix: 'gpu-control-plane',
};

/** Reads the configuration from CDK context (cdk.json or `-c`), falling back to {@link DEFAULT_CONFIG}. */
export const configFromContext = (node: Node): ControlPlaneConfig => {
  const read = (key: keyof ControlPlaneConfig, pattern: RegExp, expected: string): string => {
    const value: unknown = node.tryGetContext(key) ?? DEFAULT_CONFIG[key];
    if (typeof value !== 'string' || !pattern.test(value)) {
      throw new Error(`Context value ${key}=${JSON.stringify(value)} is invalid: expected ${expected}.`);
    }
    return value;
  };
  return {
    clusterName: read('clusterName', /^[0-9A-Za-z][A-Za-z0-9_-]{0,99}$/, 'an EKS cluster name'),
    modelNamespace: read('modelNamespace', /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, 'a Kubernetes namespace name'),
    jwtIssuer: read('jwtIssuer', /^https:\/\/\S+$/, 'an https:// issuer URL'),
    jwtAudience: read('jwtAudience', /^\S+$/, 'a non-empty audience'),
    // Leaves room for the longest function name suffix within Lambda's 64 characters.
    prefix: read('prefix', /^[a-z][a-z0-9-]{0,39}$/, 'lower-case letters, digits and dashes, at most 40 characters'),
  };
};

export interface GpuControlPlaneStackProps extends StackProps {
  readonly config: ControlPlaneConfig;
}

/**
 * The GPU model deployment control plane: the HTTP API, the workflows and the table, wired to
 * an existing EKS cluster.
 */
export class GpuControlPlaneStack extends Stack {
  readonly data: ControlPlaneData;
  readonly cluster: ExistingCluster;
  readonly workflows: Workflows;
  readonly api: ControlPlaneApi;

  constructor(scope: Construct, id: string, props: GpuControlPlaneStackProps) {
    super(scope, id, props);
    const { config } = props;
    if (config.jwtIssuer === PLACEHOLDER_JWT_ISSUER) {
      Annotations.of(this).addWarningV2(
        'gpu-control-plane:placeholderJwtIssuer',
        `jwtIssuer is the placeholder ${PLACEHOLDER_JWT_ISSUER}; no token will be accepted. Deploy with -c jwtIssuer=<your issuer URL>.`,
      );
    }

    this.data = new ControlPlaneData(this, 'Data');
    this.cluster = new ExistingCluster(this, 'Cluster', {
      clusterName: config.clusterName,
      nodeGroupNames: inventoryNodeGroupNames(),
    });
    this.workflows = new Workflows(this, 'Workflows', {
      prefix: config.prefix,
      table: this.data.table,
      cluster: this.cluster,
      modelNamespace: config.modelNamespace,
    });
    this.api = new ControlPlaneApi(this, 'Api', {
      prefix: config.prefix,
      table: this.data.table,
      stateMachines: this.workflows.stateMachines,
      jwtIssuer: config.jwtIssuer,
      jwtAudience: config.jwtAudience,
    });

    new CfnOutput(this, 'ApiUrl', { value: this.api.url, description: 'Base URL of the HTTP API (routes start with /api/v1beta1)' });
    new CfnOutput(this, 'TableName', { value: this.data.table.tableName });
    for (const [workflow, stateMachine] of this.workflows.stateMachines) {
      new CfnOutput(this, `${constructIdFor(workflow)}StateMachineArn`, { value: stateMachine.stateMachineArn });
    }
  }
}

export const STACK_NAME = 'GpuControlPlane';

/**
 * The whole app as `cdk synth` builds it (infra/bin/app.ts) and as the infra tests build it:
 * the stack configured from context, with cdk-nag's AwsSolutions checks registered so that
 * every synth runs them and fails on an unacknowledged error.
 */
export const createControlPlaneApp = (props: AppProps = {}, env?: Environment): { app: App; stack: GpuControlPlaneStack } => {
  const app = new App(props);
  const stack = new GpuControlPlaneStack(app, STACK_NAME, {
    description: 'Serverless control plane for dedicated GPU model deployments on EKS',
    env,
    config: configFromContext(app.node),
  });
  applyAwsSolutionsChecks(app);
  return { app, stack };
};
