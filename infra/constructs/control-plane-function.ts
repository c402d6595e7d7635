import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { ArnFormat, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import { LAMBDA_BUNDLE_OPTIONS, PROJECT_ROOT } from '../bundling';
import type { AutoScalingAction, EksAction, FunctionAccess, KubernetesAccess, WorkflowName } from '../../contract/access';
import { TABLE } from '../../contract/table';
import { acknowledgeWildcardResources } from '../nag';

/** What a function does decides its timeout: API handlers answer fast, workflow tasks may wait on EKS, sweeps run longer. */
export type FunctionKind = 'api' | 'workflow' | 'scheduled';
export type TableAccess = 'R' | 'RW';
export type ExecutionAction = 'states:StopExecution' | 'states:DescribeExecution';

/** The environment variable through which a handler receives the ARN of the workflow it starts. */
export const stateMachineArnVariable = (workflow: WorkflowName): string => `${workflow.toUpperCase()}_STATE_MACHINE_ARN`;

/** What {@link ControlPlaneFunction.grantAccess} grants on: the stack's table, state machines and cluster. */
export interface AccessTargets {
  readonly table: dynamodb.ITable;
  readonly stateMachines: ReadonlyMap<WorkflowName, sfn.StateMachine>;
  readonly cluster: {
    readonly clusterName: string;
    readonly modelNamespace: string;
    grantEks(role: iam.IRole, actions: readonly EksAction[]): void;
    grantAutoScaling(role: iam.IRole, actions: readonly AutoScalingAction[]): void;
    addKubernetesAccess(id: string, role: iam.IRole, access: KubernetesAccess): unknown;
  };
  /** The inference gateway's master secret, for the functions whose access declares `gatewaySecret`. */
  readonly gatewaySecret?: { grantFunction(fn: ControlPlaneFunction): void };
}

export interface ControlPlaneFunctionProps {
  /** Logical name from the route or task table; the function is named `<prefix>-<name>`. */
  readonly name: string;
  /** Handler module relative to the repository root; it exports `handler`. */
  readonly entry: string;
  readonly kind: FunctionKind;
  readonly prefix: string;
  /** CloudWatch namespace of the Powertools metrics (POWERTOOLS_METRICS_NAMESPACE). */
  readonly metricsNamespace: string;
  /** Powertools log level. @default 'INFO' */
  readonly logLevel?: string;
  readonly environment?: Readonly<Record<string, string>>;
  /**
   * Concurrent executions reserved for (and capping) this function. Set on the workflow tasks
   * that call the Kubernetes API, so a burst of executions cannot flood the cluster's API server.
   * @default - unreserved
   */
  readonly reservedConcurrency?: number;
  /** @default - from the kind and entry */
  readonly description?: string;
}

/** Where a function that calls the Kubernetes API runs: private subnets that reach the cluster's endpoint. */
export interface FunctionNetwork {
  readonly vpcId: string;
  readonly subnetIds: readonly string[];
  readonly securityGroupIds: readonly string[];
}

/** What Lambda does with a function's role to attach it to a VPC (the actions of AWSLambdaVPCAccessExecutionRole). */
export const VPC_ACCESS_ACTIONS = [
  'ec2:CreateNetworkInterface',
  'ec2:DescribeNetworkInterfaces',
  'ec2:DescribeSubnets',
  'ec2:DeleteNetworkInterface',
  'ec2:AssignPrivateIpAddresses',
  'ec2:UnassignPrivateIpAddresses',
] as const;

/** The runtime every control-plane function runs on: the newest Node.js LTS Lambda offers. */
export const CONTROL_PLANE_RUNTIME = lambda.Runtime.NODEJS_24_X;

/**
 * The item-level DynamoDB actions behind 'R' and 'RW'. Narrower than the CDK's grantRead*Data
 * (no Scan, no stream reads, no DescribeTable): handlers read with GetItem/Query and write with
 * Put/Update/Delete, single or in transactions (TransactWriteItems is authorised per item, with
 * ConditionCheckItem for its condition-only items).
 */
export const TABLE_ACTIONS: Readonly<Record<TableAccess, readonly string[]>> = {
  R: ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query'],
  RW: [
    'dynamodb:GetItem',
    'dynamodb:BatchGetItem',
    'dynamodb:Query',
    'dynamodb:PutItem',
    'dynamodb:UpdateItem',
    'dynamodb:DeleteItem',
    'dynamodb:BatchWriteItem',
    'dynamodb:ConditionCheckItem',
  ],
};

const TIMEOUTS: Readonly<Record<FunctionKind, Duration>> = {
  api: Duration.seconds(10),
  workflow: Duration.seconds(60),
  scheduled: Duration.minutes(5),
};

const DESCRIPTIONS: Readonly<Record<FunctionKind, string>> = {
  api: 'API route',
  workflow: 'Workflow task',
  scheduled: 'Scheduled job',
};

/** The team's esbuild options (infra/bundling.ts) in NodejsFunction's vocabulary (test/infra/bundling.test.ts: same bytes). */
export const BUNDLING: nodejs.BundlingOptions = {
  forceDockerBundling: false,
  format: nodejs.OutputFormat.ESM,
  target: LAMBDA_BUNDLE_OPTIONS.target,
  minify: LAMBDA_BUNDLE_OPTIONS.minify,
  sourceMap: LAMBDA_BUNDLE_OPTIONS.sourcemap,
  sourceMapMode: nodejs.SourceMapMode.DEFAULT,
  sourcesContent: LAMBDA_BUNDLE_OPTIONS.sourcesContent,
  mainFields: [...LAMBDA_BUNDLE_OPTIONS.mainFields],
  banner: LAMBDA_BUNDLE_OPTIONS.banner,
  externalModules: [...LAMBDA_BUNDLE_OPTIONS.external],
  bundleAwsSDK: true,
  esbuildArgs: {
    '--tree-shaking': String(LAMBDA_BUNDLE_OPTIONS.treeShaking),
    // The aliases too (the credential provider): without them the deployed bundles kept the
    // SSO/IMDS credential chain that `npm run bundle` and the bench leave out.
    ...Object.fromEntries(Object.entries(LAMBDA_BUNDLE_OPTIONS.alias).map(([from, to]) => [`--alias:${from}`, to])),
  },
  logLevel: nodejs.LogLevel.WARNING,
};

/**
 * When a synth skips bundling for this stack (context `aws:cdk:bundling-stacks`, as the infra
 * tests and `cdk deploy OtherStack` do), the code asset is never built, so a handler file that
 * does not exist yet must not fail the synth. The function then carries this stub instead; it
 * is never deployed, because deploying a stack always bundles it.
 */
const SKIPPED_BUNDLING_STUB = "exports.handler = async () => { throw new Error('bundling was skipped at synth'); };";

/**
 * A NodejsFunction with the team's defaults: Node.js 24 on arm64, X-Ray tracing, a one-month
 * log group of its own, ESM bundles with source maps built by the local esbuild, Powertools
 * logger/metrics/tracer configuration, a role that starts with nothing but writing to that log
 * group (and X-Ray), and binders that add least-privilege grants together with the environment
 * variable the handler reads.
 *
 * The log group and role are siblings of the function, with ids `<id>-LogGroup` and `<id>-Role`:
 * the dash cannot occur in an id made by {@link constructIdFor}, so no route or task name can
 * collide with them (`get-deployment` + `Logs` would be the function id of `get-deployment-logs`).
 */
export class ControlPlaneFunction extends nodejs.NodejsFunction {
  /** The function's own role (the inherited `role` has the optional IRole type). */
  readonly executionRole: iam.Role;

  constructor(scope: Construct, id: string, props: ControlPlaneFunctionProps) {
    const functionName = `${props.prefix}-${props.name}`;
    const logGroup = new logs.LogGroup(scope, `${id}-LogGroup`, {
      logGroupName: `/aws/lambda/${functionName}`,
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const role = new iam.Role(scope, `${id}-Role`, {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Execution role of ${functionName}`,
    });
    logGroup.grantWrite(role);

    super(scope, id, {
      functionName,
      description: props.description ?? `${DESCRIPTIONS[props.kind]} ${props.name} (${props.entry})`,
      ...ControlPlaneFunction.codeFor(scope, props.entry),
      runtime: CONTROL_PLANE_RUNTIME,
      architecture: lambda.Architecture.ARM_64,
      memorySize: 256,
      timeout: TIMEOUTS[props.kind],
      tracing: lambda.Tracing.ACTIVE,
      reservedConcurrentExecutions: props.reservedConcurrency,
      logGroup,
      role,
      environment: {
        NODE_OPTIONS: '--enable-source-maps',
        POWERTOOLS_SERVICE_NAME: props.prefix,
        POWERTOOLS_METRICS_NAMESPACE: props.metricsNamespace,
        LOG_LEVEL: props.logLevel ?? 'INFO',
        ...props.environment,
      },
    });
    this.executionRole = role;

    acknowledgeWildcardResources(
      role,
      ['*'],
      'Active tracing needs xray:PutTraceSegments and xray:PutTelemetryRecords, which support no resource-level permissions.',
    );
  }

  /**
   * Runs the function in `network` (the functions that call a private Kubernetes API endpoint).
   * Set after construction, because the stack learns which functions call Kubernetes only when
   * their access entries exist (infra/stack.ts). The ENI actions go into the role's default policy,
   * which the function already depends on, so CreateFunction finds them (it checks the role).
   */
  placeInVpc(network: FunctionNetwork): this {
    const cfn = this.node.defaultChild as lambda.CfnFunction;
    if (cfn.vpcConfig) return this;
    cfn.vpcConfig = { subnetIds: [...network.subnetIds], securityGroupIds: [...network.securityGroupIds] };
    this.executionRole.addToPrincipalPolicy(new iam.PolicyStatement({ actions: [...VPC_ACCESS_ACTIONS], resources: ['*'] }));
    acknowledgeWildcardResources(
      this.executionRole,
      ['*'],
      'Lambda creates and deletes the network interfaces of a VPC function with its execution role; the EC2 network ' +
        'interface actions it needs (those of AWSLambdaVPCAccessExecutionRole) support no resource-level scoping at creation.',
    );
    return this;
  }

  /**
   * Grants read ('R') or read/write ('RW') on the table's items ({@link TABLE_ACTIONS}) and
   * dynamodb:Query on each of its indexes, named one by one (contract/table.ts), and sets
   * TABLE_NAME.
   */
  bindTable(table: dynamodb.ITable, access: TableAccess): this {
    // Not table.grant(): with indexes it would add `<table>/index/*`.
    this.executionRole.addToPrincipalPolicy(new iam.PolicyStatement({ actions: [...TABLE_ACTIONS[access]], resources: [table.tableArn] }));
    if (TABLE.indexes.length > 0) {
      this.executionRole.addToPrincipalPolicy(
        new iam.PolicyStatement({
          actions: ['dynamodb:Query'],
          resources: TABLE.indexes.map((index) => `${table.tableArn}/index/${index.name}`),
        }),
      );
    }
    this.addEnvironment('TABLE_NAME', table.tableName);
    return this;
  }

  /**
   * Grants exactly what `access` (contract/access.ts) declares, for a route, a workflow task or a
   * scheduled job alike: the table, the workflows it starts, describes or stops, the EKS and Auto
   * Scaling actions, an EKS access entry (named after this function) when it talks to Kubernetes,
   * and read on the gateway's master secret.
   */
  grantAccess(access: FunctionAccess, targets: AccessTargets): this {
    this.bindTable(targets.table, access.table);
    const stateMachine = (workflow: WorkflowName): sfn.StateMachine => {
      const found = targets.stateMachines.get(workflow);
      if (!found) throw new Error(`${this.node.id} uses the ${workflow} workflow, which has no state machine.`);
      return found;
    };
    for (const workflow of access.workflows?.start ?? []) this.bindStartExecution(stateMachine(workflow), stateMachineArnVariable(workflow));
    const stops = access.workflows?.stop ?? [];
    const describes = access.workflows?.describe ?? [];
    for (const workflow of new Set([...stops, ...describes])) {
      this.bindExecutions(stateMachine(workflow), [
        ...(stops.includes(workflow) ? (['states:StopExecution'] as const) : []),
        ...(describes.includes(workflow) ? (['states:DescribeExecution'] as const) : []),
      ]);
    }
    targets.cluster.grantEks(this.executionRole, access.eks ?? []);
    targets.cluster.grantAutoScaling(this.executionRole, access.autoscaling ?? []);
    if (access.kubernetes) {
      targets.cluster.addKubernetesAccess(`${this.node.id}AccessEntry`, this.executionRole, access.kubernetes);
      this.addEnvironment('EKS_CLUSTER_NAME', targets.cluster.clusterName);
      this.addEnvironment('MODEL_NAMESPACE', targets.cluster.modelNamespace);
    }
    if (access.gatewaySecret) {
      if (!targets.gatewaySecret) throw new Error(`${this.node.id} reads the gateway secret, which its construct was not given.`);
      targets.gatewaySecret.grantFunction(this);
    }
    return this;
  }

  /** Grants states:StartExecution on exactly this state machine and passes its ARN in `variable`. */
  bindStartExecution(stateMachine: sfn.IStateMachine, variable: string): this {
    stateMachine.grantStartExecution(this);
    this.addEnvironment(variable, stateMachine.stateMachineArn);
    return this;
  }

  /**
   * Grants `actions` (StopExecution, DescribeExecution) on the executions of exactly this state
   * machine, whose ARNs are `…:execution:<state machine name>:<execution name>`. The handler acts
   * on the execution ARN recorded on the deployment, so no variable is needed.
   */
  bindExecutions(stateMachine: sfn.StateMachine, actions: readonly ExecutionAction[]): this {
    if (actions.length === 0) return this;
    const executions = Stack.of(this).formatArn({
      service: 'states',
      resource: 'execution',
      resourceName: `${stateMachine.stateMachineName}:*`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    this.executionRole.addToPrincipalPolicy(new iam.PolicyStatement({ actions: [...actions], resources: [executions] }));
    acknowledgeWildcardResources(
      this.executionRole,
      [executions],
      'Execution names are chosen at run time (deployment id, operation, timestamp); the pattern is pinned to the executions of one state machine.',
    );
    return this;
  }

  private static codeFor(
    scope: Construct,
    entry: string,
  ): Pick<nodejs.NodejsFunctionProps, 'entry' | 'code' | 'handler' | 'bundling' | 'projectRoot' | 'depsLockFilePath'> {
    const entryPath = path.join(PROJECT_ROOT, entry);
    if (!existsSync(entryPath) && !Stack.of(scope).bundlingRequired) {
      return { code: lambda.Code.fromInline(SKIPPED_BUNDLING_STUB), handler: 'index.handler' };
    }
    if (!existsSync(entryPath)) {
      throw new Error(`Handler ${entry} does not exist (looked for ${entryPath}); every route and task needs its handler file.`);
    }
    return {
      entry: entryPath,
      handler: 'handler',
      bundling: BUNDLING,
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: path.join(PROJECT_ROOT, 'package-lock.json'),
    };
  }
}

/** `create-deployment` -> `CreateDeployment`: construct ids from the logical names in the definitions. */
export const constructIdFor = (name: string): string =>
  name
    .split(/[^A-Za-z0-9]+/)
    .filter((part) => part !== '')
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
