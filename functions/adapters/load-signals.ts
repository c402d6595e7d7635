/**
 * The gateways' load signals on DynamoDB (DATAPLANE.md), one item per deployment and gateway
 * instance, overwritten by that instance every few seconds:
 *
 *   pk = LOAD#<deployment id>   sk = GW#<instance id>   in_flight, held, completed, at, expires_at (TTL)
 *
 * The autoscaler reads one deployment's partition with one Query and sums the snapshots newer
 * than its freshness bound: a gateway that stopped (scaled in, crashed) drops out at once, and
 * its item goes with the TTL. Writes are plain Puts in batches of 25 (last writer wins: each
 * instance owns its items).
 */
import { BatchWriteCommand, type BatchWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { documentClient, tableName } from './dynamodb';
import { queryAll } from './table/query';
import type { LoadSignals, LoadSnapshot } from '../ports';

/** Seconds an item outlives its snapshot before TTL may delete it (reads ignore stale ones long before). */
const TTL_SECONDS = 3600;
const BATCH = 25;
const RETRIES = 5;

export const loadKey = (deploymentId: string, instanceId: string) => ({ pk: `LOAD#${deploymentId}`, sk: `GW#${instanceId}` });

const itemOf = (instanceId: string, s: LoadSnapshot) => ({
  ...loadKey(s.deploymentId, instanceId),
  deployment_id: s.deploymentId,
  instance_id: instanceId,
  in_flight: s.inFlight,
  held: s.held,
  completed: s.completed,
  at: s.at,
  expires_at: Math.floor(Date.parse(s.at) / 1000) + TTL_SECONDS,
});

const writeBatch = async (requests: NonNullable<BatchWriteCommandInput['RequestItems']>[string]): Promise<void> => {
  let pending = requests;
  for (let attempt = 0; pending.length > 0; attempt++) {
    if (attempt === RETRIES) throw new Error(`load signals: ${pending.length} snapshot(s) not written after ${RETRIES} attempts (throttled)`);
    if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 50 * 2 ** attempt));
    const { UnprocessedItems } = await documentClient.send(new BatchWriteCommand({ RequestItems: { [tableName]: pending } }));
    pending = UnprocessedItems?.[tableName] ?? [];
  }
};

export const publishLoad = async (instanceId: string, snapshots: readonly LoadSnapshot[]): Promise<void> => {
  // One snapshot per deployment per batch: BatchWrite refuses two writes of one key.
  const latest = new Map(snapshots.map((s) => [s.deploymentId, s]));
  const requests = [...latest.values()].map((s) => ({ PutRequest: { Item: itemOf(instanceId, s) } }));
  const batches: (typeof requests)[] = [];
  for (let i = 0; i < requests.length; i += BATCH) batches.push(requests.slice(i, i + BATCH));
  await Promise.all(batches.map(writeBatch));
};

export const readLoad: LoadSignals['read'] = async (deploymentId, freshSince) => {
  const items = await queryAll({
    TableName: tableName,
    KeyConditionExpression: 'pk = :pk AND begins_with(sk, :gw)',
    ExpressionAttributeValues: { ':pk': `LOAD#${deploymentId}`, ':gw': 'GW#' },
  });
  const sum = { inFlight: 0, held: 0, completed: 0, instances: 0 };
  for (const item of items) {
    if (typeof item.at !== 'string' || Date.parse(item.at) < freshSince.getTime()) continue;
    sum.inFlight += Number(item.in_flight) || 0;
    sum.held += Number(item.held) || 0;
    sum.completed += Number(item.completed) || 0;
    sum.instances += 1;
  }
  return sum;
};
