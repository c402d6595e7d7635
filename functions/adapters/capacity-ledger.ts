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
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ConflictError } from '../domain/errors';
import type { LedgerObservation } from '../domain/reconcile';
import { documentClient, tableName } from './dynamodb';

const key = (gpuConfigId: string) => ({ pk: `CAPACITY#${gpuConfigId}`, sk: 'LEDGER' });

export const reservedGpus = async (gpuConfigId: string): Promise<number> => {
  const { Item } = await documentClient.send(new GetCommand({ TableName: tableName, Key: key(gpuConfigId), ConsistentRead: true }));
  return Number(Item?.reserved_gpus ?? 0);
};

/** Reserves `gpus` if the total stays within `limit`; otherwise 409 with what is taken. */
export const reserveGpus = async (gpuConfigId: string, gpus: number, limit: number, nodeGroup: string): Promise<void> => {
  if (gpus <= 0) return;
  try {
    await documentClient.send(
      new UpdateCommand({
        TableName: tableName,
        Key: key(gpuConfigId),
        UpdateExpression: 'ADD reserved_gpus :gpus SET updated_at = :now',
        ConditionExpression: 'attribute_not_exists(reserved_gpus) OR reserved_gpus <= :room',
        ExpressionAttributeValues: { ':gpus': gpus, ':room': limit - gpus, ':now': new Date().toISOString() },
      }),
    );
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
    const taken = await reservedGpus(gpuConfigId);
    throw new ConflictError(
      `no GPU capacity left: node group '${nodeGroup}' has ${taken} of ${limit} GPUs reserved and this request needs ${gpus} more; retry after other deployments scale down, or choose another gpu_config_id`,
    );
  }
};

/** Gives GPUs back. Never goes below zero (a reconcile resets drift from crashes). */
export const releaseGpus = async (gpuConfigId: string, gpus: number): Promise<void> => {
  if (gpus <= 0) return;
  try {
    await documentClient.send(
      new UpdateCommand({
        TableName: tableName,
        Key: key(gpuConfigId),
        UpdateExpression: 'ADD reserved_gpus :minus SET updated_at = :now',
        ConditionExpression: 'reserved_gpus >= :gpus',
        ExpressionAttributeValues: { ':minus': -gpus, ':gpus': gpus, ':now': new Date().toISOString() },
      }),
    );
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
    await documentClient.send(
      new UpdateCommand({
        TableName: tableName,
        Key: key(gpuConfigId),
        UpdateExpression: 'SET reserved_gpus = :zero, updated_at = :now',
        ExpressionAttributeValues: { ':zero': 0, ':now': new Date().toISOString() },
      }),
    );
  }
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

export interface LedgerState {
  reservedGpus: number;
  /** When a reservation or release last changed it; null if it never was. */
  updatedAt: string | null;
  driftObserved?: LedgerObservation;
}

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
  const values: Record<string, unknown> = { ':gpus': gpus, ':now': new Date().toISOString(), ':expected': expected.reservedGpus };
  const conditions = [expected.reservedGpus === 0 ? '(attribute_not_exists(reserved_gpus) OR reserved_gpus = :expected)' : 'reserved_gpus = :expected'];
  if (expected.updatedAt === null) {
    conditions.push('attribute_not_exists(updated_at)');
  } else {
    values[':updatedAt'] = expected.updatedAt;
    conditions.push('updated_at = :updatedAt');
  }
  try {
    await documentClient.send(
      new UpdateCommand({
        TableName: tableName,
        Key: key(gpuConfigId),
        UpdateExpression: 'SET reserved_gpus = :gpus, updated_at = :now REMOVE drift_observed',
        ConditionExpression: conditions.join(' AND '),
        ExpressionAttributeValues: values,
      }),
    );
    return true;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return false;
    throw error;
  }
};
