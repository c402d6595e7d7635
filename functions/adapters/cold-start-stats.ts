/**
 * How long recent cold starts of a model on a GPU config took (accepted -> ready), to give
 * an ETA for the next one. Keeps the last 20 samples in one item.
 *
 *   pk = STATS#<catalog id>#<gpu config id>   sk = COLD_START   samples: number[] (seconds)
 */
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { documentClient, tableName } from './dynamodb';
import { conditional, ignoreConflict } from './table/conditional';

const KEEP = 20;
const key = (catalogId: string, gpuConfigId: string) => ({ pk: `STATS#${catalogId}#${gpuConfigId}`, sk: 'COLD_START' });

export const coldStartSamples = async (catalogId: string, gpuConfigId: string): Promise<number[]> => {
  const { Item } = await documentClient.send(new GetCommand({ TableName: tableName, Key: key(catalogId, gpuConfigId) }));
  return Array.isArray(Item?.samples) ? (Item.samples as unknown[]).map(Number).filter(Number.isFinite) : [];
};

/** Appends a sample; a lost race drops it, which an estimate can afford. */
export const recordColdStart = async (catalogId: string, gpuConfigId: string, seconds: number): Promise<void> => {
  const { Item } = await documentClient.send(new GetCommand({ TableName: tableName, Key: key(catalogId, gpuConfigId), ConsistentRead: true }));
  const samples = Array.isArray(Item?.samples) ? (Item.samples as number[]) : [];
  const revision = Number(Item?.revision ?? 0);
  await conditional(
    new PutCommand({
      TableName: tableName,
      Item: { ...key(catalogId, gpuConfigId), samples: [...samples, Math.round(seconds)].slice(-KEEP), revision: revision + 1 },
      ConditionExpression: 'attribute_not_exists(pk) OR revision = :revision',
      ExpressionAttributeValues: { ':revision': revision },
    }),
    ignoreConflict,
  );
};
