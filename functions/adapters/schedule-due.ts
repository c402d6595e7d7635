/**
 * Schedules on the deployment records, and the sparse `schedule-due` index that tells the
 * sweeper which deployments to look at now (layout in contract/table.ts). Schedule writes leave
 * `version` alone: they never make a workflow's or a scale request's conditional write fail.
 */
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { DeploymentRecord, Tenant } from '../domain/deployment';
import { StaleWriteError } from './deployment-records';
import { documentClient, tableName } from './dynamodb';
import { conditional } from './table/conditional';
import { type DeploymentKey, DUE_SHARDS, dueIndex, dueKey, dueShard, deploymentKey, toRecord } from './table/keys';
import { queryUpTo } from './table/query';
import { UpdateBuilder } from './table/update';
import type { DueDeployment } from '../ports';

export type { DueDeployment };

export { DUE_SHARDS, dueKey } from './table/keys';

/** SET (or, with null, REMOVE) of the due time and its index entry. */
const withDue = (update: UpdateBuilder, id: string, dueAt: string | null): UpdateBuilder => {
  if (dueAt === null) return update.remove(['schedule_due_at', 'gsi3pk', 'gsi3sk']);
  const { gsi3pk, gsi3sk } = dueKey(id, dueAt);
  return update.set('schedule_due_at = :dueAt', { ':dueAt': dueAt }).set('gsi3pk = :gsi3pk, gsi3sk = :gsi3sk', { ':gsi3pk': gsi3pk, ':gsi3sk': gsi3sk });
};

/** Stores (or, with null, removes) the deployment's schedule, its sweeper state and when it is due next. */
export const putSchedule = async (
  tenant: Tenant,
  id: string,
  schedule: { schedule: DeploymentRecord['schedule']; state: DeploymentRecord['schedule_state'] } | null,
  dueAt: string | null,
): Promise<void> => {
  const update = withDue(new UpdateBuilder(), id, dueAt);
  if (schedule) {
    update.set('#schedule = :schedule', { '#schedule': 'schedule', ':schedule': schedule.schedule });
    update.set('schedule_state = :state', { ':state': schedule.state });
  } else {
    update.remove(['#schedule', 'schedule_state'], { '#schedule': 'schedule' });
  }
  update.when('attribute_exists(pk) AND #status <> :terminating', { '#status': 'status', ':terminating': 'terminating' });
  await conditional(new UpdateCommand({ TableName: tableName, Key: deploymentKey(tenant, id), ...update.build() }), () => {
    throw new StaleWriteError(`deployment ${id} is gone or being deleted`);
  });
};

/**
 * Deployments due at `now`, one Query per shard on `schedule-due` (only due items are read),
 * at most `limit` in all, earliest first within a shard. Eventually consistent: the claim
 * (conditional on the due time read) decides.
 */
export const dueDeployments = async (now: Date, limit: number): Promise<{ due: DueDeployment[]; itemsRead: number }> => {
  const upper = `${now.toISOString()}#~`;
  const perShard = await Promise.all(
    Array.from({ length: DUE_SHARDS }, (_, shard) =>
      queryUpTo(
        {
          TableName: tableName,
          IndexName: dueIndex.name,
          KeyConditionExpression: 'gsi3pk = :shard AND gsi3sk <= :upper',
          ExpressionAttributeValues: { ':shard': dueShard(shard), ':upper': upper },
        },
        limit,
        1000,
      ),
    ),
  );
  const items = perShard.flat();
  return {
    itemsRead: items.length,
    due: items.slice(0, limit).map((item) => ({ record: toRecord(item), dueAt: String(item.schedule_due_at) })),
  };
};

/**
 * Takes a due deployment for one sweep: moves its due time from `seenDueAt` to `leaseUntil`
 * (conditional), so a concurrent sweep neither sees it due nor wins this write. False: another
 * sweep (or a schedule change) got there first.
 */
export const claimDue = async (key: DeploymentKey, seenDueAt: string, leaseUntil: string): Promise<boolean> => {
  const update = withDue(new UpdateBuilder(), key.id, leaseUntil).when('schedule_due_at = :seen', { ':seen': seenDueAt });
  const claimed = await conditional(new UpdateCommand({ TableName: tableName, Key: deploymentKey(key, key.id), ...update.build() }), () => false);
  return claimed !== false;
};

/** Ends a claim: the new sweeper state and next due time, if the claim still stands. */
export const finishDue = async (
  key: DeploymentKey,
  leaseUntil: string,
  state: NonNullable<DeploymentRecord['schedule_state']>,
  nextDueAt: string | null,
): Promise<boolean> => {
  const update = withDue(new UpdateBuilder(), key.id, nextDueAt)
    .set('schedule_state = :state', { ':state': state })
    .when('schedule_due_at = :lease', { ':lease': leaseUntil });
  const finished = await conditional(new UpdateCommand({ TableName: tableName, Key: deploymentKey(key, key.id), ...update.build() }), () => false);
  return finished !== false;
};

/** When the deployment is due next (null: no schedule), read consistently. */
export const scheduleDueAt = async (tenant: Tenant, id: string): Promise<string | null> => {
  const { Item } = await documentClient.send(
    new GetCommand({ TableName: tableName, Key: deploymentKey(tenant, id), ConsistentRead: true, ProjectionExpression: 'schedule_due_at' }),
  );
  return typeof Item?.schedule_due_at === 'string' ? Item.schedule_due_at : null;
};
