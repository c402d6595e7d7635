/**
 * What each function may do, spelled out from its definition (routes, tasks, schedules) and the
 * token-secret life cycle: the contract the IAM assertions compare the synthesized policies to.
 */
import { VPC_ACCESS_ACTIONS } from '../../infra/constructs/control-plane-function';
import { HF_TOKEN_SECRET_ACCESS } from '../../infra/constructs/secrets';
import type { RouteDefinition } from '../../contract/routes';
import type { ScheduleDefinition } from '../../contract/schedules';
import type { TaskFunctionDefinition } from '../../contract/workflows';

/** The item-level table actions each access level stands for (the contract, spelled out). */
export const TABLE_READ = ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query'];
export const TABLE_WRITE = ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem', 'dynamodb:ConditionCheckItem'];
/** Every function writes its own log group and its X-Ray segments. */
export const BASELINE = ['logs:CreateLogStream', 'logs:PutLogEvents', 'xray:PutTraceSegments', 'xray:PutTelemetryRecords'];
/** The token secrets' life cycle, per part (the contract, spelled out). */
export const SECRETS = {
  // CreateSecret with Tags and a customer managed key (aws-review.md B2).
  create: ['secretsmanager:CreateSecret', 'secretsmanager:TagResource', 'kms:GenerateDataKey', 'kms:Decrypt'],
  read: ['secretsmanager:GetSecretValue', 'kms:Decrypt'],
  delete: ['secretsmanager:DeleteSecret'],
} as const;

const secretActions = (name: string): string[] => (HF_TOKEN_SECRET_ACCESS[name] ?? []).flatMap((part) => SECRETS[part]);
/**
 * The network interface actions of a function that runs in a VPC: those that call the Kubernetes
 * API, when the cluster's function network is known (always for a new cluster).
 */
const vpcActions = (callsKubernetes: boolean, inVpc: boolean): string[] => (callsKubernetes && inVpc ? [...VPC_ACCESS_ACTIONS] : []);
const tableActions = (access: 'R' | 'RW'): string[] => [...TABLE_READ, ...(access === 'RW' ? TABLE_WRITE : [])];

/** What a route's definition declares, as IAM actions. */
export const routeActions = (route: RouteDefinition, inVpc = false): string[] => [
  ...vpcActions(route.access.kubernetesRead === true, inVpc),
  ...BASELINE,
  ...tableActions(route.access.table),
  ...(route.access.startsWorkflows.length > 0 ? ['states:StartExecution'] : []),
  ...((route.access.stopsWorkflows ?? []).length > 0 ? ['states:StopExecution'] : []),
  ...(route.access.kubernetesRead ? ['eks:DescribeCluster'] : []),
  ...secretActions(route.name),
];
export const taskActions = (task: TaskFunctionDefinition, inVpc = false): string[] => [
  ...vpcActions(task.access.kubernetes, inVpc),
  ...BASELINE,
  ...tableActions(task.access.table),
  ...task.access.eks,
  ...task.access.autoscaling,
  ...secretActions(task.name),
];
export const scheduleActions = (schedule: ScheduleDefinition, inVpc = false): string[] => [
  ...vpcActions(schedule.access.kubernetes, inVpc),
  ...BASELINE,
  ...tableActions(schedule.access.table),
  ...(schedule.access.startsWorkflows.length > 0 ? ['states:StartExecution'] : []),
  ...(schedule.access.stopsWorkflows.length > 0 ? ['states:StopExecution'] : []),
  ...(schedule.access.describesWorkflows.length > 0 ? ['states:DescribeExecution'] : []),
  ...schedule.access.eks,
  ...schedule.access.autoscaling,
];
export const sorted = (actions: string[]): string[] => [...new Set(actions)].sort();

