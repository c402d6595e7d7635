/**
 * A project's deployments, page by page, and the counter item (pk = TENANT#…, sk = COUNTER)
 * that keeps their number, so a list's total costs one read however many there are.
 */
import { GetCommand, UpdateCommand, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import type { DeploymentRecord, Tenant } from '../domain/deployment';
import { documentClient, tableName } from './dynamodb';
import { counterKey, DEPLOYMENT_PREFIX, deploymentKey, tenantKey, toRecord } from './table/keys';
import { countAll, keyAfter, queryUpTo } from './table/query';
import type { Page } from '../ports';

export type { Page };

/** Counts a deployment in (1) or out (-1) of its project. */
export const adjustCount = async (tenant: Tenant, by: 1 | -1): Promise<void> => {
  await documentClient.send(
    new UpdateCommand({
      TableName: tableName,
      Key: counterKey(tenant),
      UpdateExpression: 'ADD deployments :by',
      ExpressionAttributeValues: { ':by': by },
    }),
  );
};

/** The counter, or (a project from before the counter existed) a count of the records. */
const countDeployments = async (tenant: Tenant, base: QueryCommandInput): Promise<number> => {
  const { Item } = await documentClient.send(new GetCommand({ TableName: tableName, Key: counterKey(tenant), ConsistentRead: true }));
  if (typeof Item?.deployments === 'number') return Math.max(0, Item.deployments);
  return countAll(base);
};

/**
 * One page, newest first. With `after` (a deployment id, from a list cursor) the page starts
 * right after that deployment: one Query of the page, however deep. Without it, the page
 * number's offset is skipped with COUNT Queries, which move no item data over the wire but
 * still read every skipped item.
 */
export const listDeployments = async (tenant: Tenant, page: number, limit: number, after?: string): Promise<Page<DeploymentRecord>> => {
  const base: QueryCommandInput = {
    TableName: tableName,
    KeyConditionExpression: 'pk = :pk AND begins_with(sk, :dep)',
    ExpressionAttributeValues: { ':pk': tenantKey(tenant), ':dep': DEPLOYMENT_PREFIX },
    ScanIndexForward: false,
  };
  const total = await countDeployments(tenant, base);

  let start: Record<string, unknown> | undefined = after === undefined ? undefined : deploymentKey(tenant, after);
  if (after === undefined) {
    const skip = (page - 1) * limit;
    if (skip >= total) return { items: [], total };
    if (skip > 0) {
      start = await keyAfter(base, skip);
      if (!start) return { items: [], total };
    }
  }
  const items = await queryUpTo({ ...base, ExclusiveStartKey: start }, limit);
  return { items: items.map(toRecord), total };
};
