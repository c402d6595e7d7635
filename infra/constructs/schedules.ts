import { Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as targets from 'aws-cdk-lib/aws-scheduler-targets';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { WorkflowName } from '../../contract/access';
import { SCHEDULES, type ScheduleDefinition } from '../../contract/schedules';
import type { GpuCluster } from './cluster';
import { ControlPlaneFunction, constructIdFor } from './control-plane-function';
import { acknowledgeWildcardResources } from '../nag';

export interface SchedulesProps {
  readonly prefix: string;
  readonly table: dynamodb.ITable;
  readonly stateMachines: ReadonlyMap<WorkflowName, sfn.StateMachine>;
  readonly cluster: GpuCluster;
  readonly metricsNamespace: string;
  /**
   * Reserve (and cap at) one concurrent execution per scheduled job, so two passes never overlap
   * (docs/reconcile.md). False for accounts whose Lambda quota is too small to reserve from.
   */
  readonly reserveConcurrency: boolean;
  /** The schedule list. @default SCHEDULES (contract/schedules.ts) */
  readonly schedules?: readonly ScheduleDefinition[];
  readonly logLevel?: string;
}

/**
 * The timers of the control plane (contract/schedules.ts, the list the local cron fires
 * too): per entry, one function with exactly the access the entry declares (one pass at a time),
 * and one EventBridge
 * Scheduler schedule `<prefix>-<name>` that invokes it, retried twice and dropped after an hour
 * (the next tick does the same work).
 */
export class Schedules extends Construct {
  readonly functions: ReadonlyMap<string, ControlPlaneFunction>;
  readonly schedules: ReadonlyMap<string, scheduler.Schedule>;

  constructor(scope: Construct, id: string, props: SchedulesProps) {
    super(scope, id);
    const functions = new Map<string, ControlPlaneFunction>();
    const schedules = new Map<string, scheduler.Schedule>();
    for (const definition of props.schedules ?? SCHEDULES) {
      const scheduleId = constructIdFor(definition.name);
      const fn = new ControlPlaneFunction(this, scheduleId, {
        name: definition.name,
        entry: definition.entry,
        kind: 'scheduled',
        prefix: props.prefix,
        reservedConcurrency: props.reserveConcurrency ? 1 : undefined,
        metricsNamespace: props.metricsNamespace,
        logLevel: props.logLevel,
        environment: { EKS_CLUSTER_NAME: props.cluster.clusterName, MODEL_NAMESPACE: props.cluster.modelNamespace },
      });
      fn.grantAccess(definition.access, props);

      // The role EventBridge Scheduler assumes to invoke the function; it may invoke nothing else.
      const invokeRole = new iam.Role(this, `${scheduleId}-SchedulerRole`, {
        assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
          conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
        }),
        description: `EventBridge Scheduler invoking ${props.prefix}-${definition.name}`,
      });
      const schedule = new scheduler.Schedule(this, `${scheduleId}Schedule`, {
        scheduleName: `${props.prefix}-${definition.name}`,
        description: definition.description,
        schedule: scheduler.ScheduleExpression.expression(definition.expression),
        target: new targets.LambdaInvoke(fn, {
          role: invokeRole,
          retryAttempts: 2,
          maxEventAge: Duration.hours(1),
          ...(definition.passesScheduledTime
            ? { input: scheduler.ScheduleTargetInput.fromObject({ time: scheduler.ContextAttribute.scheduledTime }) }
            : {}),
        }),
      });
      acknowledgeWildcardResources(
        invokeRole,
        [`${fn.functionArn}:*`],
        'The Lambda target grants invoke on the function and its qualified ARNs (versions, aliases) of this one ' +
          'function; the schedule invokes the unqualified ARN.',
      );
      functions.set(definition.name, fn);
      schedules.set(definition.name, schedule);
    }
    this.functions = functions;
    this.schedules = schedules;
  }
}
