/**
 * Token counters on DynamoDB (layout in contract/table.ts): per key and deployment
 * (pk = INFKEY#<key id>, sk = USAGE#<day>#<deployment id>) and per deployment
 * (pk = TOKENS#<deployment id>, sk = DAY#<day>). Every write is an atomic ADD, so any number of
 * gateway instances add to the same items without reading them. A batch is first merged per
 * item (one UpdateItem per item however many requests it counts), then written a few items at
 * a time; DynamoDB has no batched UpdateItem (BatchWriteItem only replaces items).
 */
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { TokenUsageDay, UsageIncrement } from '../ports';
import { documentClient, tableName } from './dynamodb';
import { deploymentTokensKey, deploymentTokensPartition, inferenceKeyPartition, KEY_USAGE_PREFIX, keyUsageKey, TOKENS_DAY_PREFIX } from './table/keys';
import { queryAll } from './table/query';
import { UpdateBuilder } from './table/update';

/** UpdateItems in flight at once for one batch. */
const CONCURRENCY = 8;

interface Counters {
  requests: number;
  prompt_tokens: number;
  completion_tokens: number;
  estimated_requests: number;
}

interface Target {
  key: { pk: string; sk: string };
  /** Set (not added) on the item, so that a read needs nothing but the item. */
  labels: Record<string, string>;
  counters: Counters;
}

const countersOf = (i: UsageIncrement): Counters => ({
  requests: i.requests,
  prompt_tokens: i.promptTokens,
  completion_tokens: i.completionTokens,
  estimated_requests: i.estimatedRequests,
});

/** The items a batch adds to, each once, with the sums of its increments. */
const targetsOf = (increments: readonly UsageIncrement[]): Target[] => {
  const targets = new Map<string, Target>();
  const addTo = (key: { pk: string; sk: string }, labels: Record<string, string>, counters: Counters) => {
    const id = `${key.pk}\n${key.sk}`;
    const target = targets.get(id);
    if (!target) {
      targets.set(id, { key, labels, counters: { ...counters } });
      return;
    }
    for (const name of Object.keys(counters) as (keyof Counters)[]) target.counters[name] += counters[name];
  };
  for (const i of increments) {
    const tenant = { org_id: i.org_id, project_id: i.project_id };
    addTo(keyUsageKey(i.keyId, i.day, i.deploymentId), { ...tenant, key_id: i.keyId, deployment_id: i.deploymentId, day: i.day }, countersOf(i));
    addTo(deploymentTokensKey(i.deploymentId, i.day), { ...tenant, deployment_id: i.deploymentId, day: i.day }, countersOf(i));
  }
  return [...targets.values()];
};

const write = async (target: Target): Promise<void> => {
  const update = new UpdateBuilder().assign(target.labels);
  for (const [name, value] of Object.entries(target.counters)) update.add(`#${name} :${name}`, { [`#${name}`]: name, [`:${name}`]: value });
  await documentClient.send(new UpdateCommand({ TableName: tableName, Key: target.key, ...update.build() }));
};

/**
 * Adds a batch. Every item is attempted even if some fail (the SDK has already retried
 * throttling); then the failures are thrown together. A caller must not re-add a batch that
 * failed: the items that were written would count twice.
 */
export const addTokenUsage = async (increments: readonly UsageIncrement[]): Promise<void> => {
  const queue = targetsOf(increments);
  const failures: unknown[] = [];
  const worker = async () => {
    for (let target = queue.shift(); target; target = queue.shift()) await write(target).catch((error: unknown) => failures.push(error));
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, queue.length) }, worker));
  if (failures.length > 0) throw new AggregateError(failures, `${failures.length} token usage item(s) not written`);
};

const toDay = (item: Record<string, unknown>): TokenUsageDay => ({
  day: String(item.day),
  deploymentId: String(item.deployment_id),
  requests: Number(item.requests ?? 0),
  promptTokens: Number(item.prompt_tokens ?? 0),
  completionTokens: Number(item.completion_tokens ?? 0),
  estimatedRequests: Number(item.estimated_requests ?? 0),
});

/** A key's days per deployment, oldest first (the sort key orders them by day, then deployment). */
export const tokenUsageOfKey = async (keyId: string): Promise<TokenUsageDay[]> =>
  (
    await queryAll({
      TableName: tableName,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :usage)',
      ExpressionAttributeValues: { ':pk': inferenceKeyPartition(keyId), ':usage': KEY_USAGE_PREFIX },
    })
  ).map(toDay);

/** A deployment's days, every key summed, oldest first. */
export const tokenUsageOfDeployment = async (deploymentId: string): Promise<TokenUsageDay[]> =>
  (
    await queryAll({
      TableName: tableName,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :day)',
      ExpressionAttributeValues: { ':pk': deploymentTokensPartition(deploymentId), ':day': TOKENS_DAY_PREFIX },
    })
  ).map(toDay);
