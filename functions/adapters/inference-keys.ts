/**
 * DynamoDB persistence of inference keys (pk = INFKEY#<key id>, sk = INFKEY; listed per project
 * through the sparse `inference-keys` index, layout in contract/table.ts). The item holds the
 * HMAC of the key's secret, never the key. Keys are never deleted: a revoked key stays listed
 * with its `revoked_at`, and its usage stays readable.
 */
import { GetCommand, PutCommand, UpdateCommand, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import type { Tenant } from '../domain/deployment';
import type { InferenceKeyRecord } from '../domain/inference-keys';
import { StaleWriteError, type Page } from '../ports';
import { documentClient, tableName } from './dynamodb';
import { conditional, ignoreConflict } from './table/conditional';
import { inferenceKeyIndexKey, inferenceKeyKey, inferenceKeysIndex, projectKeysPartition } from './table/keys';
import { countAll, keyAfter, queryUpTo } from './table/query';
import { UpdateBuilder } from './table/update';

type StoredKey = InferenceKeyRecord & { pk: string; sk: string; gsi4pk: string; gsi4sk: string };

const toKeyRecord = (item: Record<string, unknown>): InferenceKeyRecord => {
  const { pk: _pk, sk: _sk, gsi4pk: _g1, gsi4sk: _g2, ...record } = item as unknown as StoredKey;
  return record;
};

export const createInferenceKey = async (record: InferenceKeyRecord): Promise<void> => {
  await conditional(
    new PutCommand({
      TableName: tableName,
      Item: { ...inferenceKeyKey(record.id), ...inferenceKeyIndexKey(record, record.id, record.created_at), ...record },
      ConditionExpression: 'attribute_not_exists(pk)',
    }),
    () => {
      throw new StaleWriteError(`inference key ${record.id} exists`);
    },
  );
};

/** Strongly consistent: a key is usable, and its revocation seen, as soon as the write returns. */
export const getInferenceKey = async (keyId: string): Promise<InferenceKeyRecord | undefined> => {
  const { Item } = await documentClient.send(new GetCommand({ TableName: tableName, Key: inferenceKeyKey(keyId), ConsistentRead: true }));
  return Item ? toKeyRecord(Item) : undefined;
};

/**
 * One page of a project's keys, newest first. Keys are few per project (tens), so the total is
 * a COUNT Query and a page's offset is skipped with COUNT Queries, which move no item data.
 * A global index is eventually consistent: in AWS a key may join the list a moment after its
 * POST answered (get, by id, is consistent at once).
 */
export const listInferenceKeys = async (tenant: Tenant, page: { page: number; limit: number }): Promise<Page<InferenceKeyRecord>> => {
  const base: QueryCommandInput = {
    TableName: tableName,
    IndexName: inferenceKeysIndex.name,
    KeyConditionExpression: '#pk = :pk',
    ExpressionAttributeNames: { '#pk': inferenceKeysIndex.partitionKey },
    ExpressionAttributeValues: { ':pk': projectKeysPartition(tenant) },
    ScanIndexForward: false,
  };
  const total = await countAll(base);
  const skip = (page.page - 1) * page.limit;
  if (skip >= total) return { items: [], total };
  const start = skip > 0 ? await keyAfter(base, skip) : undefined;
  if (skip > 0 && !start) return { items: [], total };
  const items = await queryUpTo({ ...base, ExclusiveStartKey: start }, page.limit);
  return { items: items.map(toKeyRecord), total };
};

/** Sets `revoked_at` the first time only; the record as it now is, or undefined if there is no such key. */
export const revokeInferenceKey = async (keyId: string, at: Date): Promise<InferenceKeyRecord | undefined> => {
  // revoked_at is stored as null until then (if_not_exists would keep the null), hence the condition on its type
  const update = new UpdateBuilder()
    .assign({ revoked_at: at.toISOString() })
    .when('attribute_exists(pk)')
    .when('(attribute_not_exists(#revoked_at) OR attribute_type(#revoked_at, :null))', { ':null': 'NULL' });
  const out = await conditional(new UpdateCommand({ TableName: tableName, Key: inferenceKeyKey(keyId), ...update.build(), ReturnValues: 'ALL_NEW' }), ignoreConflict);
  if (out?.Attributes) return toKeyRecord(out.Attributes);
  // already revoked (the first revocation's time stays), or no such key
  return getInferenceKey(keyId);
};
