/**
 * The GPU capacity ledger: one item per node group counting the GPUs reserved by live
 * deployments. Reservations are conditional increments that never pass the group's limit,
 * so two concurrent deploys can never both count the same free GPU.
 *
 *   pk = CAPACITY#<gpu config id>   sk = LEDGER   reserved_gpus, updated_at
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ConflictError } from '../domain/errors';
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
