/**
 * The key and index codec of the deployment items (layout in contract/table.ts): which keys a
 * record, its name claim and its project's counter live under, which index entries a record
 * carries, and how a stored item becomes a record again.
 */
import { TABLE } from '../../../contract/table';
import type { DeploymentRecord, Tenant } from '../../domain/deployment';
import type { DeploymentKey } from '../../ports';

export type { DeploymentKey };

export const [gpuIndex, inFlightIndex, dueIndex, inferenceKeysIndex] = TABLE.indexes;

export const tenantKey = (t: Tenant) => `TENANT#${t.org_id}#${t.project_id}`;
export const deploymentKey = (t: Tenant, id: string) => ({ pk: tenantKey(t), sk: `DEP#${id}` });
export const nameKey = (t: Tenant, name: string) => ({ pk: tenantKey(t), sk: `NAME#${name}` });
export const counterKey = (t: Tenant) => ({ pk: tenantKey(t), sk: 'COUNTER' });
/** Sort-key prefix of a project's deployment records. */
export const DEPLOYMENT_PREFIX = 'DEP#';

/** Partition of the `by-gpu-config` index holding one GPU config's deployments. */
export const gpuConfigPartition = (gpuConfigId: string) => `GPUCFG#${gpuConfigId}`;
export const gpuIndexKey = (record: Pick<DeploymentRecord, 'gpu_config_id' | 'id'>) => ({
  gsi1pk: gpuConfigPartition(record.gpu_config_id),
  gsi1sk: `DEP#${record.id}`,
});

/** Partition of the sparse `in-flight` index. */
export const IN_FLIGHT = 'INFLIGHT';
/** Index entry of a deployment an execution should be working on (the phase decides: deployment-records.ts). */
export const inFlightKey = (id: string) => ({ gsi2pk: IN_FLIGHT, gsi2sk: `DEP#${id}` });

/** Shards of the `schedule-due` index: a sweep queries each; writes of one minute spread over them. */
export const DUE_SHARDS = 8;
export const dueShard = (shard: number) => `DUE#${shard}`;
const shardOf = (id: string): number => {
  let hash = 0;
  for (const char of id) hash = (hash * 31 + char.charCodeAt(0)) >>> 0;
  return hash % DUE_SHARDS;
};
/** The `schedule-due` index keys of a deployment due at `dueAt` (exported for the sweep benchmark's seeding). */
export const dueKey = (id: string, dueAt: string) => ({ gsi3pk: dueShard(shardOf(id)), gsi3sk: `${dueAt}#${id}` });

type StoredRecord = DeploymentRecord & {
  pk: string;
  sk: string;
  gsi1pk?: string;
  gsi1sk?: string;
  gsi2pk?: string;
  gsi2sk?: string;
  gsi3pk?: string;
  gsi3sk?: string;
  schedule_due_at?: string;
};

/** The record in a stored item: keys, index entries and the due time stripped. */
export const toRecord = (item: Record<string, unknown>): DeploymentRecord => {
  const { pk: _pk, sk: _sk, gsi1pk: _g1, gsi1sk: _g2, gsi2pk: _g3, gsi2sk: _g4, gsi3pk: _g5, gsi3sk: _g6, schedule_due_at: _due, ...record } =
    item as unknown as StoredRecord;
  return record;
};

// ---- Inference keys and their token counters (layout in contract/table.ts) ----

export const inferenceKeyPartition = (keyId: string) => `INFKEY#${keyId}`;
export const inferenceKeyKey = (keyId: string) => ({ pk: inferenceKeyPartition(keyId), sk: 'INFKEY' });
/** Partition of the sparse `inference-keys` index holding one project's keys. */
export const projectKeysPartition = (t: Tenant) => `KEYS#${t.org_id}#${t.project_id}`;
export const inferenceKeyIndexKey = (t: Tenant, keyId: string, createdAt: string) => ({ gsi4pk: projectKeysPartition(t), gsi4sk: `${createdAt}#${keyId}` });
/** Sort-key prefix of a key's usage items, under the key's own partition. */
export const KEY_USAGE_PREFIX = 'USAGE#';
export const keyUsageKey = (keyId: string, day: string, deploymentId: string) => ({ pk: inferenceKeyPartition(keyId), sk: `${KEY_USAGE_PREFIX}${day}#${deploymentId}` });
export const deploymentTokensPartition = (deploymentId: string) => `TOKENS#${deploymentId}`;
/** Sort-key prefix of a deployment's daily token items. */
export const TOKENS_DAY_PREFIX = 'DAY#';
export const deploymentTokensKey = (deploymentId: string, day: string) => ({ pk: deploymentTokensPartition(deploymentId), sk: `${TOKENS_DAY_PREFIX}${day}` });
