/**
 * Admin changes to the model catalog, in the one table (contract/table.ts):
 *
 *   pk = CATALOG   sk = MODEL#<catalog id>   model (map), origin, retired_at?, version, updated_at, updated_by
 *
 * Each item overrides the built-in model of that id (origin `builtin`) or adds one (`admin`).
 * Writes are conditional on the version read, so two admins never overwrite each other blindly.
 */
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { catalogModelSchema } from '../../contract/catalog';
import type { CatalogEntry } from '../domain/catalog-admin';
import { documentClient, tableName } from './dynamodb';
import { conditional } from './table/conditional';
import { queryAll } from './table/query';
import { CatalogWriteConflict } from '../ports';

export { CatalogWriteConflict };

const PARTITION = 'CATALOG';
const key = (id: string) => ({ pk: PARTITION, sk: `MODEL#${id}` });

const toEntry = (item: Record<string, unknown>): CatalogEntry => ({
  // Parsed: an item an older release wrote must not reach the planner malformed.
  model: catalogModelSchema.parse(item.model),
  origin: item.origin === 'builtin' ? 'builtin' : 'admin',
  ...(typeof item.retired_at === 'string' ? { retired_at: item.retired_at } : {}),
  version: Number(item.version ?? 0),
  updated_at: String(item.updated_at ?? ''),
  updated_by: String(item.updated_by ?? ''),
});

export const getCatalogEntry = async (id: string): Promise<CatalogEntry | undefined> => {
  const { Item } = await documentClient.send(new GetCommand({ TableName: tableName, Key: key(id), ConsistentRead: true }));
  return Item ? toEntry(Item) : undefined;
};

export const listCatalogEntries = async (): Promise<CatalogEntry[]> =>
  (
    await queryAll({
      TableName: tableName,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :model)',
      ExpressionAttributeValues: { ':pk': PARTITION, ':model': 'MODEL#' },
    })
  ).map(toEntry);

/**
 * Writes `entry` if the stored item is still the one read: `expected` is its version, or
 * `absent` when there was no item yet.
 */
export const putCatalogEntry = async (entry: CatalogEntry, expected: number | 'absent'): Promise<void> => {
  const condition =
    expected === 'absent'
      ? { ConditionExpression: 'attribute_not_exists(pk)' }
      : { ConditionExpression: '#version = :expected', ExpressionAttributeNames: { '#version': 'version' }, ExpressionAttributeValues: { ':expected': expected } };
  await conditional(new PutCommand({ TableName: tableName, Item: { ...key(entry.model.id), ...entry }, ...condition }), () => {
    throw new CatalogWriteConflict(`catalog model ${entry.model.id} changed meanwhile`);
  });
};
