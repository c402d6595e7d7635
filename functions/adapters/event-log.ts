/**
 * The durable history of each deployment: one item per status or phase change, kept 30
 * days after it was written (TTL), so a deleted deployment's history outlives it briefly.
 *
 *   pk = TENANT#<org>#<project>   sk = EVT#<deployment id>#<iso time>#<seq>
 */
import { PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { TABLE } from '../../contract/table';
import type { Tenant } from '../domain/deployment';
import { documentClient, tableName } from './dynamodb';
import { tenantKey } from './table/keys';
import type { DeploymentEvent } from '../ports';

export type { DeploymentEvent };

export const EVENT_RETENTION_DAYS = 30;

const eventPrefix = (deploymentId: string) => `EVT#${deploymentId}#`;
let sequence = 0;

export const appendEvent = async (tenant: Tenant, deploymentId: string, event: DeploymentEvent): Promise<void> => {
  sequence = (sequence + 1) % 1_000_000;
  await documentClient.send(
    new PutCommand({
      TableName: tableName,
      Item: {
        pk: tenantKey(tenant),
        sk: `${eventPrefix(deploymentId)}${event.at}#${String(sequence).padStart(6, '0')}`,
        ...event,
        [TABLE.timeToLiveAttribute]: Math.floor(Date.parse(event.at) / 1000) + EVENT_RETENTION_DAYS * 86_400,
      },
    }),
  );
};

/**
 * Events oldest first; `limit` per page, continuing after `after`. Cursors (`after`, `next`)
 * are the sort-key suffix after the deployment id, `<iso time>#<seq>`; the API hands them out
 * base64url-encoded and checks that shape (contract/requests/queries.ts, eventsQuerySchema).
 * One item more than asked is read, so `next` is only given when another page exists.
 */
export const listEvents = async (
  tenant: Tenant,
  deploymentId: string,
  options: { limit: number; after?: string },
): Promise<{ items: DeploymentEvent[]; next?: string }> => {
  const prefix = eventPrefix(deploymentId);
  const result = await documentClient.send(
    new QueryCommand({
      TableName: tableName,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': tenantKey(tenant), ':prefix': prefix },
      Limit: options.limit + 1,
      ExclusiveStartKey: options.after ? { pk: tenantKey(tenant), sk: `${prefix}${options.after}` } : undefined,
    }),
  );
  const found = result.Items ?? [];
  const page = found.slice(0, options.limit);
  // More than `limit` found: continue after the last one shown. Otherwise DynamoDB may still
  // have stopped early (1 MB per call): continue where it stopped.
  const lastSk = found.length > options.limit ? page.at(-1)?.sk : result.LastEvaluatedKey?.sk;
  const items = page.map(({ pk: _pk, sk: _sk, [TABLE.timeToLiveAttribute]: _ttl, ...event }) => event as DeploymentEvent);
  return { items, next: typeof lastSk === 'string' ? lastSk.slice(prefix.length) : undefined };
};
