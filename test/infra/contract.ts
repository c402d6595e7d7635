/**
 * What each function may do, spelled out from its definition (routes, tasks, schedules) and the
 * token-secret life cycle: the contract the IAM assertions compare the synthesized policies to.
 */
import { VPC_ACCESS_ACTIONS } from '../../infra/constructs/control-plane-function';
import { HF_TOKEN_SECRET_ACCESS } from '../../infra/constructs/secrets';
import type { FunctionAccess } from '../../contract/access';
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

/** Reading the inference gateway's master secret (`gatewaySecret` access). */
export const GATEWAY_SECRET_READ = ['secretsmanager:GetSecretValue', 'kms:Decrypt'];

const secretActions = (name: string): string[] => (HF_TOKEN_SECRET_ACCESS[name] ?? []).flatMap((part) => SECRETS[part]);
/**
 * The network interface actions of a function that runs in a VPC: those that call the Kubernetes
 * API, when the cluster's function network is known (always for a new cluster).
 */
const vpcActions = (callsKubernetes: boolean, inVpc: boolean): string[] => (callsKubernetes && inVpc ? [...VPC_ACCESS_ACTIONS] : []);
const tableActions = (access: 'R' | 'RW'): string[] => [...TABLE_READ, ...(access === 'RW' ? TABLE_WRITE : [])];

/** What a function's access (contract/access.ts) declares, as IAM actions. */
const accessActions = (access: FunctionAccess, inVpc: boolean): string[] => [
  ...vpcActions(access.kubernetes !== undefined, inVpc),
  ...BASELINE,
  ...tableActions(access.table),
  ...((access.workflows?.start ?? []).length > 0 ? ['states:StartExecution'] : []),
  ...((access.workflows?.stop ?? []).length > 0 ? ['states:StopExecution'] : []),
  ...((access.workflows?.describe ?? []).length > 0 ? ['states:DescribeExecution'] : []),
  ...(access.eks ?? []),
  ...(access.autoscaling ?? []),
  ...(access.gatewaySecret ? GATEWAY_SECRET_READ : []),
];
export const routeActions = (route: RouteDefinition, inVpc = false): string[] => [...accessActions(route.access, inVpc), ...secretActions(route.name)];
export const taskActions = (task: TaskFunctionDefinition, inVpc = false): string[] => [...accessActions(task.access, inVpc), ...secretActions(task.name)];
export const scheduleActions = (schedule: ScheduleDefinition, inVpc = false): string[] => accessActions(schedule.access, inVpc);
export const sorted = (actions: string[]): string[] => [...new Set(actions)].sort();

