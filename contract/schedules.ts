/**
 * The schedule list: the single source for the CDK EventBridge schedules and the local cron
 * (local/cron.ts fires each entry every `everyMinutes` x 60 s x the time scale), so the two
 * cannot drift. Same shape as the route and task tables: `entry` is the handler module
 * relative to the repository root and exports `handler`; `access` is what that handler calls,
 * so infra grants exactly that.
 */
import type { FunctionAccess } from './access';

export interface ScheduleDefinition {
  /** Logical name: function name suffix (`<prefix>-<name>`), schedule name, construct id. */
  readonly name: string;
  readonly entry: string;
  readonly description: string;
  /** Fixed rate. EventBridge fires every `everyMinutes`; a run still going is not overlapped locally. */
  readonly everyMinutes: number;
  /** The same rate as an EventBridge expression: `rate(5 minutes)`. */
  readonly expression: string;
  /**
   * The handler works at the event's `time`: EventBridge Scheduler sends its scheduled time
   * as `{"time": …}` (the local cron sends the same field).
   */
  readonly passesScheduledTime?: boolean;
  /** What the handler calls, so infra grants exactly that (Kubernetes RBAC in docs/reconcile.md). */
  readonly access: FunctionAccess;
}

const every = (minutes: number) => ({ everyMinutes: minutes, expression: `rate(${minutes} minute${minutes === 1 ? '' : 's'})` });

export const SCHEDULES: readonly ScheduleDefinition[] = [
  {
    name: 'reconcile',
    entry: 'functions/scheduled/reconcile.ts',
    description:
      'Reconcile and leak audit: repair deployments whose execution died, delete Kubernetes objects and release GPU nodes no deployment owns, fix GPU ledger drift',
    ...every(5),
    access: {
      table: 'RW',
      workflows: { start: ['delete'], describe: ['deploy', 'scale', 'delete'], stop: ['deploy', 'scale'] },
      eks: ['eks:DescribeCluster', 'eks:DescribeNodegroup', 'eks:UpdateNodegroupConfig'],
      autoscaling: ['autoscaling:DescribeAutoScalingGroups', 'autoscaling:TerminateInstanceInAutoScalingGroup'],
      kubernetes: 'workflow',
    },
  },
  {
    name: 'schedule-sweep',
    entry: 'functions/scheduled/schedule-sweep.ts',
    description:
      'Schedule sweeper: Query the deployments due now (index schedule-due), apply their scaling windows and pause the idle ones through the scale workflow',
    ...every(1),
    passesScheduledTime: true,
    access: {
      table: 'RW',
      workflows: { start: ['scale'] },
      eks: ['eks:DescribeCluster'],
      // Lists the model's pods and reads vLLM's /metrics through the pod proxy (pods/proxy get).
      kubernetes: 'workflow',
    },
  },
];
