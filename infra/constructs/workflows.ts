import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { RemovalPolicy } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { PROJECT_ROOT } from '../bundling';
import type { WorkflowName } from '../../contract/routes';
import { STATE_MACHINES, TASK_FUNCTIONS, stateMachineName, type StateMachineDefinition } from '../../contract/workflows';
import { acknowledgeWildcardResources } from '../nag';
import type { GpuCluster } from './cluster';
import { ControlPlaneFunction, constructIdFor } from './control-plane-function';
import { HF_TOKEN_SECRET_ACCESS, type GatewaySecret, type HfTokenSecrets } from './secrets';

export interface WorkflowsProps {
  /** Prefix of function and state machine names. */
  readonly prefix: string;
  readonly table: dynamodb.ITable;
  readonly cluster: GpuCluster;
  readonly secrets: HfTokenSecrets;
  /** The inference gateway's master secret, for the tasks that read it (`gatewaySecret` access). */
  readonly gatewaySecret: GatewaySecret;
  readonly metricsNamespace: string;
  /**
   * Concurrency reserved for (and capping) each task function that calls the Kubernetes API, so
   * a burst of executions cannot overload the cluster's API server. 0 reserves nothing (for
   * accounts whose Lambda concurrency quota is too small to reserve from).
   */
  readonly kubernetesTaskConcurrency: number;
  readonly logLevel?: string;
}

/**
 * The deploy, scale and delete workflows: one Lambda function per task in
 * contract/workflows.ts, and one STANDARD state machine per ASL file in
 * statemachines/, deployed as is with the task ARNs filled into its `${…}` placeholders.
 */
export class Workflows extends Construct {
  /** Task functions by task name. */
  readonly taskFunctions: ReadonlyMap<string, ControlPlaneFunction>;
  readonly stateMachines: ReadonlyMap<WorkflowName, sfn.StateMachine>;

  constructor(scope: Construct, id: string, props: WorkflowsProps) {
    super(scope, id);

    const tasks = new Map<string, ControlPlaneFunction>();
    for (const task of TASK_FUNCTIONS) {
      const fn = new ControlPlaneFunction(this, constructIdFor(task.name), {
        name: task.name,
        entry: task.entry,
        kind: 'workflow',
        prefix: props.prefix,
        metricsNamespace: props.metricsNamespace,
        logLevel: props.logLevel,
        reservedConcurrency: task.access.kubernetes && props.kubernetesTaskConcurrency > 0 ? props.kubernetesTaskConcurrency : undefined,
        environment: { EKS_CLUSTER_NAME: props.cluster.clusterName, MODEL_NAMESPACE: props.cluster.modelNamespace },
      });
      fn.grantAccess(task.access, { table: props.table, stateMachines: new Map(), cluster: props.cluster, gatewaySecret: props.gatewaySecret });
      props.secrets.grant(fn, HF_TOKEN_SECRET_ACCESS[task.name] ?? []);
      tasks.set(task.name, fn);
    }
    this.taskFunctions = tasks;

    const machines = new Map<WorkflowName, sfn.StateMachine>();
    for (const definition of STATE_MACHINES) {
      machines.set(definition.workflow, this.stateMachine(definition, tasks, props.prefix));
    }
    this.stateMachines = machines;
  }

  private stateMachine(
    definition: StateMachineDefinition,
    tasks: ReadonlyMap<string, ControlPlaneFunction>,
    prefix: string,
  ): sfn.StateMachine {
    const aslFile = path.join(PROJECT_ROOT, definition.file);
    if (!existsSync(aslFile)) {
      throw new Error(`State machine definition ${definition.file} is missing (looked for ${aslFile}).`);
    }
    // Substitutions and invoke grants follow the placeholders the file really uses.
    const functions = placeholdersIn(readFileSync(aslFile, 'utf8')).map((placeholder) => {
      const task = TASK_FUNCTIONS.find((candidate) => candidate.substitution === placeholder);
      const fn = task && tasks.get(task.name);
      if (!task || !fn) {
        throw new Error(`${definition.file} uses \${${placeholder}}, which no task function in TASK_FUNCTIONS substitutes.`);
      }
      return { fn, substitution: placeholder };
    });

    const id = constructIdFor(definition.workflow);
    const name = stateMachineName(prefix, definition.workflow);
    const logGroup = new logs.LogGroup(this, `${id}StateMachineLogs`, {
      // The /aws/vendedlogs/ prefix keeps CloudWatch Logs' resource policy for log delivery small.
      logGroupName: `/aws/vendedlogs/states/${name}`,
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });

    const stateMachine = new sfn.StateMachine(this, `${id}StateMachine`, {
      stateMachineName: name,
      stateMachineType: sfn.StateMachineType.STANDARD,
      definitionBody: sfn.DefinitionBody.fromFile(aslFile),
      definitionSubstitutions: Object.fromEntries(functions.map(({ fn, substitution }) => [substitution, fn.functionArn])),
      // Every state transition is logged, but never its input or output: secrets must not reach logs.
      logs: { destination: logGroup, level: sfn.LogLevel.ALL, includeExecutionData: false },
      tracingEnabled: true,
    });
    // The ASL invokes the unqualified function ARNs it is given, so no `:*` (version) grant is needed.
    stateMachine.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: functions.map(({ fn }) => fn.functionArn) }),
    );
    acknowledgeWildcardResources(
      stateMachine.role,
      ['*'],
      'Log delivery (logs:CreateLogDelivery, logs:PutResourcePolicy, …) and X-Ray (xray:PutTraceSegments, …) actions ' +
        'that Step Functions logging and tracing need support no resource-level permissions.',
    );
    return stateMachine;
  }
}

/** The `${Name}` placeholders of an ASL document, each once, in order of first use. */
export const placeholdersIn = (asl: string): string[] => [...new Set(Array.from(asl.matchAll(/\$\{([^}]*)\}/g), (match) => match[1] ?? ''))];
