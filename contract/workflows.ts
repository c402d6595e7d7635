/**
 * The workflows and their task functions: the single source for CDK
 * (infra/constructs/workflows.ts) and the local Step Functions endpoint (local/main.ts).
 *
 * Each state machine file in statemachines/ references its task functions as
 * `${<Substitution>}` placeholders; CDK substitutes the Lambda ARNs, the local cloud
 * substitutes local ARNs `arn:aws:lambda:<region>:<account>:function:<functionName>`.
 */
import type { AutoScalingAction, EksAction, FunctionAccess, WorkflowName } from './access';

export interface TaskFunctionDefinition {
  /** Logical name, also the Lambda function name suffix and bundle folder. */
  readonly name: string;
  readonly entry: string;
  /** Placeholder in the ASL files, without `${}`. */
  readonly substitution: string;
  /** AWS calls the handler makes, so infra grants exactly these. */
  readonly access: FunctionAccess;
}

/** A task's access as the list below spells it: every field, and `kubernetes: true` for the workflow access entry. */
interface TaskAccess {
  readonly table: FunctionAccess['table'];
  readonly eks: readonly EksAction[];
  readonly autoscaling: readonly AutoScalingAction[];
  readonly kubernetes: boolean;
  /** Reads the inference gateway's master secret (FunctionAccess.gatewaySecret). */
  readonly gatewaySecret?: true;
}

const task = (name: string, substitution: string, { kubernetes, ...access }: TaskAccess): TaskFunctionDefinition => ({
  name,
  entry: `functions/workflow/${name}.ts`,
  substitution,
  access: { ...access, ...(kubernetes ? { kubernetes: 'workflow' } : {}) },
});

const describeCluster = 'eks:DescribeCluster' as const;

export const TASK_FUNCTIONS: readonly TaskFunctionDefinition[] = [
  task('record-phase', 'RecordPhaseFunctionArn', { table: 'RW', eks: [], autoscaling: [], kubernetes: false }),
  task('ensure-node-capacity', 'EnsureNodeCapacityFunctionArn', {
    table: 'R',
    eks: ['eks:DescribeNodegroup', 'eks:UpdateNodegroupConfig'],
    autoscaling: [],
    kubernetes: false,
  }),
  task('check-nodes', 'CheckNodesFunctionArn', {
    // RW: it records the nodes_ready milestone on the deployment (UpdateItem).
    table: 'RW',
    // Re-grows a group whose desired size fell short (UpdateNodegroupConfig), judges health
    // issues by the scaling activities of this grow, and counts the ASG's live instances.
    eks: [describeCluster, 'eks:DescribeNodegroup', 'eks:UpdateNodegroupConfig'],
    autoscaling: ['autoscaling:DescribeAutoScalingGroups', 'autoscaling:DescribeScalingActivities'],
    kubernetes: true,
  }),
  // RW: it records the scheduling phase on the deployment (UpdateItem).
  // gatewaySecret: it writes the model server's own key (derived from the master secret) into the workload's Secret.
  task('apply-workload', 'ApplyWorkloadFunctionArn', { table: 'RW', eks: [describeCluster], autoscaling: [], kubernetes: true, gatewaySecret: true }),
  task('check-workload', 'CheckWorkloadFunctionArn', { table: 'RW', eks: [describeCluster], autoscaling: [], kubernetes: true }),
  task('mark-ready', 'MarkReadyFunctionArn', { table: 'RW', eks: [], autoscaling: [], kubernetes: false }),
  task('mark-paused', 'MarkPausedFunctionArn', { table: 'RW', eks: [], autoscaling: [], kubernetes: false }),
  task('release-reservation', 'ReleaseReservationFunctionArn', { table: 'RW', eks: [], autoscaling: [], kubernetes: false }),
  task('remove-workload', 'RemoveWorkloadFunctionArn', { table: 'R', eks: [describeCluster], autoscaling: [], kubernetes: true }),
  task('release-idle-nodes', 'ReleaseIdleNodesFunctionArn', {
    table: 'R',
    eks: [describeCluster, 'eks:DescribeNodegroup', 'eks:UpdateNodegroupConfig'],
    autoscaling: ['autoscaling:DescribeAutoScalingGroups', 'autoscaling:TerminateInstanceInAutoScalingGroup'],
    kubernetes: true,
  }),
  task('record-failure', 'RecordFailureFunctionArn', { table: 'RW', eks: [], autoscaling: [], kubernetes: false }),
  task('finish-delete', 'FinishDeleteFunctionArn', { table: 'RW', eks: [], autoscaling: [], kubernetes: false }),
];

export interface StateMachineDefinition {
  readonly workflow: WorkflowName;
  /** ASL file relative to the repository root. */
  readonly file: string;
  /** Substitutions (placeholder names) the file uses. */
  readonly tasks: readonly string[];
}

export const STATE_MACHINES: readonly StateMachineDefinition[] = [
  {
    workflow: 'deploy',
    file: 'statemachines/deploy.asl.json',
    tasks: ['record-phase', 'ensure-node-capacity', 'check-nodes', 'apply-workload', 'check-workload', 'mark-ready', 'record-failure', 'remove-workload', 'release-idle-nodes'],
  },
  {
    workflow: 'scale',
    file: 'statemachines/scale.asl.json',
    tasks: ['ensure-node-capacity', 'check-nodes', 'apply-workload', 'check-workload', 'mark-ready', 'mark-paused', 'release-reservation', 'record-failure', 'remove-workload', 'release-idle-nodes'],
  },
  {
    workflow: 'delete',
    file: 'statemachines/delete.asl.json',
    tasks: ['release-reservation', 'remove-workload', 'release-idle-nodes', 'finish-delete', 'record-failure'],
  },
];

/** The state machine name in AWS and locally: `<prefix>-<workflow>`. */
export const stateMachineName = (prefix: string, workflow: WorkflowName): string => `${prefix}-${workflow}`;
