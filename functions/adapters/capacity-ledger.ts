/**
 * The GPU capacity ledger: one item per node group counting the GPUs reserved by live
 * deployments. Reservations are conditional increments that never pass the group's limit,
 * so two concurrent deploys can never both count the same free GPU.
 *
 *   pk = CAPACITY#<gpu config id>   sk = LEDGER   reserved_gpus, updated_at[, drift_observed]
 *
 * `drift_observed` is the reconcile's memory of a disagreement with the records (see
 * use-cases/reconcile.ts); reservations and releases never touch it.
 */
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ConflictError } from '../domain/errors';
import type { LedgerObservation } from '../domain/reconcile';
import { documentClient, tableName } from './dynamodb';
import { conditional } from './table/conditional';
import { UpdateBuilder } from './table/update';
import type { LedgerState } from '../ports';

export type { LedgerState };

const key = (gpuConfigId: string) => ({ pk: `CAPACITY#${gpuConfigId}`, sk: 'LEDGER' });

export const reservedGpus = async (gpuConfigId: string): Promise<number> => {
  const { Item } = await documentClient.send(new GetCommand({ TableName: tableName, Key: key(gpuConfigId), ConsistentRead: true }));
  return Number(Item?.reserved_gpus ?? 0);
};

/** Reserves `gpus` if the total stays within `limit`; otherwise 409 with what is taken. */
export const reserveGpus = async (gpuConfigId: string, gpus: number, limit: number, nodeGroup: string): Promise<void> => {
  if (gpus <= 0) return;
  await conditional(
    new UpdateCommand({
      TableName: tableName,
      Key: key(gpuConfigId),
      UpdateExpression: 'ADD reserved_gpus :gpus SET updated_at = :now',
      ConditionExpression: 'attribute_not_exists(reserved_gpus) OR reserved_gpus <= :room',
      ExpressionAttributeValues: { ':gpus': gpus, ':room': limit - gpus, ':now': new Date().toISOString() },
    }),
    async () => {
      const taken = await reservedGpus(gpuConfigId);
      throw new ConflictError(
        `no GPU capacity left: node group '${nodeGroup}' has ${taken} of ${limit} GPUs reserved and this request needs ${gpus} more; retry after other deployments scale down, or choose another gpu_config_id`,
      );
    },
  );
};

/** Gives GPUs back. Never goes below zero (a reconcile resets drift from crashes). */
export const releaseGpus = async (gpuConfigId: string, gpus: number): Promise<void> => {
  if (gpus <= 0) return;
  await conditional(
    new UpdateCommand({
      TableName: tableName,
      Key: key(gpuConfigId),
      UpdateExpression: 'ADD reserved_gpus :minus SET updated_at = :now',
      ConditionExpression: 'reserved_gpus >= :gpus',
      ExpressionAttributeValues: { ':minus': -gpus, ':gpus': gpus, ':now': new Date().toISOString() },
    }),
    () => setReservedGpus(gpuConfigId, 0),
  );
};

/** Sets the ledger to what the records say (the reconcile's repair). */
export const setReservedGpus = async (gpuConfigId: string, gpus: number): Promise<void> => {
  await documentClient.send(
    new UpdateCommand({
      TableName: tableName,
      Key: key(gpuConfigId),
      UpdateExpression: 'SET reserved_gpus = :gpus, updated_at = :now',
      ExpressionAttributeValues: { ':gpus': gpus, ':now': new Date().toISOString() },
    }),
  );
};

export const readLedger = async (gpuConfigId: string): Promise<LedgerState> => {
  const { Item } = await documentClient.send(new GetCommand({ TableName: tableName, Key: key(gpuConfigId), ConsistentRead: true }));
  const observed = Item?.drift_observed as LedgerObservation | undefined;
  return {
    reservedGpus: Number(Item?.reserved_gpus ?? 0),
    updatedAt: typeof Item?.updated_at === 'string' ? Item.updated_at : null,
    ...(observed ? { driftObserved: observed } : {}),
  };
};

/** Remembers (or, with null, forgets) a sighting of drift; leaves the count and updated_at alone. */
export const recordLedgerDrift = async (gpuConfigId: string, observation: LedgerObservation | null): Promise<void> => {
  await documentClient.send(
    new UpdateCommand({
      TableName: tableName,
      Key: key(gpuConfigId),
      ...(observation
        ? { UpdateExpression: 'SET drift_observed = :observed', ExpressionAttributeValues: { ':observed': observation } }
        : { UpdateExpression: 'REMOVE drift_observed' }),
    }),
  );
};

/**
 * Sets the ledger to what the records say, only if it still holds exactly what the
 * reconcile judged (same count, same updated_at). Returns false if it moved meanwhile.
 */
export const repairLedger = async (gpuConfigId: string, gpus: number, expected: Pick<LedgerState, 'reservedGpus' | 'updatedAt'>): Promise<boolean> => {
  const update = new UpdateBuilder()
    .set('reserved_gpus = :gpus, updated_at = :now', { ':gpus': gpus, ':now': new Date().toISOString() })
    .remove(['drift_observed'])
    .when(expected.reservedGpus === 0 ? '(attribute_not_exists(reserved_gpus) OR reserved_gpus = :expected)' : 'reserved_gpus = :expected', {
      ':expected': expected.reservedGpus,
    });
  if (expected.updatedAt === null) update.when('attribute_not_exists(updated_at)');
  else update.when('updated_at = :updatedAt', { ':updatedAt': expected.updatedAt });
  const repaired = await conditional(new UpdateCommand({ TableName: tableName, Key: key(gpuConfigId), ...update.build() }), () => false);
  return repaired !== false;
};
