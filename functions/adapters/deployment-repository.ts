/**
 * DynamoDB persistence of deployment records. Every write is conditional: creation claims
 * the name with a conditional put, and every later change names the version or the owning execution
 * it expects, so no update is ever lost or applied by a superseded workflow.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, GetCommand, PutCommand, QueryCommand, UpdateCommand, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { TABLE } from '../../contract/table';
import type { GpuDemand } from '../domain/capacity';
import type { DeploymentRecord, DeploymentPhase, DeploymentStatus, Milestone, Tenant } from '../domain/deployment';
import { ConflictError } from '../domain/errors';
import { isInFlight } from '../domain/lifecycle';
import { documentClient, tableName } from './dynamodb';
import { appendEvent } from './event-log';

const tenantKey = (t: Tenant) => `TENANT#${t.org_id}#${t.project_id}`;
const deploymentKey = (t: Tenant, id: string) => ({ pk: tenantKey(t), sk: `DEP#${id}` });
const nameKey = (t: Tenant, name: string) => ({ pk: tenantKey(t), sk: `NAME#${name}` });
const [gpuIndex, inFlightIndex, dueIndex] = TABLE.indexes;
const gpuIndexKey = (record: Pick<DeploymentRecord, 'gpu_config_id' | 'id'>) => ({
  gsi1pk: `GPUCFG#${record.gpu_config_id}`,
  gsi1sk: `DEP#${record.id}`,
});
const gpuIndexValues = (record: Pick<DeploymentRecord, 'gpu_config_id' | 'id'>) => {
  const key = gpuIndexKey(record);
  return { ':gsi1pk': key.gsi1pk, ':gsi1sk': key.gsi1sk };
};
const IN_FLIGHT = 'INFLIGHT';
/** Sparse index entry of a deployment an execution should be working on (see table.ts). */
const inFlightKey = (record: Pick<DeploymentRecord, 'phase' | 'id'>) =>
  isInFlight(record.phase) ? { gsi2pk: IN_FLIGHT, gsi2sk: `DEP#${record.id}` } : {};

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

const toRecord = (item: Record<string, unknown>): DeploymentRecord => {
  const { pk: _pk, sk: _sk, gsi1pk: _g1, gsi1sk: _g2, gsi2pk: _g3, gsi2sk: _g4, gsi3pk: _g5, gsi3sk: _g6, schedule_due_at: _due, ...record } =
    item as unknown as StoredRecord;
  return record;
};

/** Thrown when a conditional write finds the record changed or owned by another execution. */
export class StaleWriteError extends Error {
  override name = 'StaleWrite';
}

/**
 * Claims the name, then writes the record. (dynalite, the local DynamoDB, has no
 * transactions, so this is two conditional writes; a claim whose deployment does not exist,
 * left by a crash between them, is taken over instead of blocking the name forever, once it
 * is older than any request can run: a younger one belongs to a create still in flight.)
 */
export const createDeployment = async (record: DeploymentRecord): Promise<void> => {
  await claimName(record);
  await recordEvent(record, record.created_at, { type: 'accepted', message: `deployment of ${record.model_id} accepted` });
  try {
    await documentClient.send(
      new PutCommand({
        TableName: tableName,
        Item: { ...deploymentKey(record, record.id), ...gpuIndexKey(record), ...inFlightKey(record), ...record },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  } catch (error) {
    await releaseName(record);
    throw error;
  }
  await adjustCount(record, 1);
};

/**
 * Age past which a name claim without its deployment is a crash's leftover. An API request
 * lives at most its Lambda timeout (seconds) and the gateway's 30 s; found by the race test
 * (test/integration/races.test.ts): taking over younger claims let 6 of 50 concurrent creates
 * of one name through, each taking the claim from a create that had not written its record yet.
 */
export const NAME_CLAIM_GRACE_MS = 5 * 60_000;

const claimName = async (record: DeploymentRecord): Promise<void> => {
  const conflict = () => new ConflictError(`a deployment named '${record.name}' already exists in project '${record.project_id}'`);
  try {
    await documentClient.send(
      new PutCommand({
        TableName: tableName,
        Item: { ...nameKey(record, record.name), deployment_id: record.id, claimed_at: record.created_at },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
    return;
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
  }
  const { Item: claim } = await documentClient.send(
    new GetCommand({ TableName: tableName, Key: nameKey(record, record.name), ConsistentRead: true }),
  );
  const holder = typeof claim?.deployment_id === 'string' ? claim.deployment_id : undefined;
  if (holder === undefined) throw conflict();
  const claimedAt = typeof claim?.claimed_at === 'string' ? Date.parse(claim.claimed_at) : Number.NaN;
  // a claim of a create still in flight (its record is not written yet) is not a leftover
  if (Date.parse(record.created_at) - claimedAt < NAME_CLAIM_GRACE_MS) throw conflict();
  if (await getDeployment(record, holder)) throw conflict();
  try {
    await documentClient.send(
      new PutCommand({
        TableName: tableName,
        Item: { ...nameKey(record, record.name), deployment_id: record.id, claimed_at: record.created_at },
        ConditionExpression: 'deployment_id = :stale',
        ExpressionAttributeValues: { ':stale': holder },
      }),
    );
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) throw conflict();
    throw error;
  }
};

const releaseName = async (record: DeploymentRecord): Promise<void> => {
  try {
    await documentClient.send(
      new DeleteCommand({
        TableName: tableName,
        Key: nameKey(record, record.name),
        ConditionExpression: 'deployment_id = :id',
        ExpressionAttributeValues: { ':id': record.id },
      }),
    );
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
  }
};

export const getDeployment = async (tenant: Tenant, id: string): Promise<DeploymentRecord | undefined> => {
  const { Item } = await documentClient.send(
    new GetCommand({ TableName: tableName, Key: deploymentKey(tenant, id), ConsistentRead: true }),
  );
  return Item ? toRecord(Item) : undefined;
};

export interface Page<T> {
  items: T[];
  total: number;
}

const counterKey = (t: Tenant) => ({ pk: tenantKey(t), sk: 'COUNTER' });

/** Keeps the project's deployment count, so a list's total costs one read however many there are. */
const adjustCount = async (tenant: Tenant, by: 1 | -1): Promise<void> => {
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
  let total = 0;
  let cursor: Record<string, unknown> | undefined;
  do {
    const counted = await documentClient.send(new QueryCommand({ ...base, Select: 'COUNT', ExclusiveStartKey: cursor }));
    total += counted.Count ?? 0;
    cursor = counted.LastEvaluatedKey;
  } while (cursor);
  return total;
};

/**
 * One page of a project's deployments, newest first. The offset is skipped with COUNT
 * queries, which move no item data over the wire.
 */
/**
 * One page, newest first. With `after` (a deployment id, from a list cursor) the page starts
 * right after that deployment: one Query of the page, however deep. Without it, the page
 * number's offset is skipped with COUNT Queries, which still read every skipped item.
 */
export const listDeployments = async (tenant: Tenant, page: number, limit: number, after?: string): Promise<Page<DeploymentRecord>> => {
  const base: QueryCommandInput = {
    TableName: tableName,
    KeyConditionExpression: 'pk = :pk AND begins_with(sk, :dep)',
    ExpressionAttributeValues: { ':pk': tenantKey(tenant), ':dep': 'DEP#' },
    ScanIndexForward: false,
  };
  const total = await countDeployments(tenant, base);

  let skip = after === undefined ? (page - 1) * limit : 0;
  if (after === undefined && skip >= total) return { items: [], total };
  let start: Record<string, unknown> | undefined = after === undefined ? undefined : deploymentKey(tenant, after);
  while (skip > 0) {
    const skipped = await documentClient.send(new QueryCommand({ ...base, Select: 'COUNT', Limit: skip, ExclusiveStartKey: start }));
    skip -= skipped.Count ?? 0;
    start = skipped.LastEvaluatedKey;
    if (!start) return { items: [], total };
  }
  const items: DeploymentRecord[] = [];
  do {
    const result = await documentClient.send(new QueryCommand({ ...base, Limit: limit - items.length, ExclusiveStartKey: start }));
    items.push(...(result.Items ?? []).map(toRecord));
    start = result.LastEvaluatedKey;
  } while (start && items.length < limit);
  return { items, total };
};

export interface WriteCondition {
  /** The version the caller read. */
  version?: number;
  /** The execution that must still own the deployment. */
  executionArn?: string;
  /** Allowed current statuses. */
  statusIn?: readonly DeploymentStatus[];
}

type Changes = Partial<Omit<DeploymentRecord, 'org_id' | 'project_id' | 'id' | 'version' | 'timeline'>>;

export interface UpdateOptions {
  now: Date;
  /** Cold-start milestones to stamp with `now`, each only the first time. */
  milestones?: readonly Milestone[];
  /** The history entry this change writes (status and phase are taken from the new record). */
  event?: { type: string; message: string; reason?: string };
  /**
   * The deployment holds GPUs again (a resume after its reservation was taken): list it in the
   * `by-gpu-config` index of this GPU config, so capacity planning counts it.
   */
  holdsCapacityOn?: string;
}

/**
 * Applies `changes` if `condition` holds, bumping version and updated_at, stamping
 * milestones, and appending an event to the deployment's history.
 */
export const updateDeployment = async (
  tenant: Tenant,
  id: string,
  changes: Changes,
  condition: WriteCondition,
  options: UpdateOptions,
): Promise<DeploymentRecord> => {
  const at = options.now.toISOString();
  const names: Record<string, string> = { '#version': 'version', '#updated_at': 'updated_at' };
  const values: Record<string, unknown> = { ':one': 1, ':now': at };
  const sets = ['#version = #version + :one', '#updated_at = :now'];
  const removes: string[] = [];
  for (const [key, value] of Object.entries(changes)) {
    if (value === undefined || key === 'updated_at') continue;
    names[`#${key}`] = key;
    values[`:${key}`] = value;
    sets.push(`#${key} = :${key}`);
  }
  if (changes.phase !== undefined) {
    // The phase decides whether the deployment is listed in the sparse in-flight index.
    if (isInFlight(changes.phase)) {
      values[':inFlight'] = IN_FLIGHT;
      values[':inFlightSk'] = `DEP#${id}`;
      sets.push('gsi2pk = :inFlight', 'gsi2sk = :inFlightSk');
    } else {
      removes.push('gsi2pk', 'gsi2sk');
    }
  }
  if (options.holdsCapacityOn !== undefined) {
    Object.assign(values, gpuIndexValues({ gpu_config_id: options.holdsCapacityOn, id }));
    sets.push('gsi1pk = :gsi1pk', 'gsi1sk = :gsi1sk');
  }
  if (options.milestones?.length) {
    names['#timeline'] = 'timeline';
    for (const milestone of options.milestones) {
      names[`#m_${milestone}`] = milestone;
      sets.push(`#timeline.#m_${milestone} = if_not_exists(#timeline.#m_${milestone}, :now)`);
    }
  }
  const conditions = ['attribute_exists(pk)'];
  if (condition.version !== undefined) {
    values[':expectedVersion'] = condition.version;
    conditions.push('#version = :expectedVersion');
  }
  if (condition.executionArn !== undefined) {
    names['#execution_arn'] = 'execution_arn';
    values[':owner'] = condition.executionArn;
    conditions.push('#execution_arn = :owner');
  }
  if (condition.statusIn !== undefined) {
    names['#status'] = 'status';
    const placeholders = condition.statusIn.map((status, i) => {
      values[`:status${i}`] = status;
      return `:status${i}`;
    });
    conditions.push(`#status IN (${placeholders.join(', ')})`);
  }
  let record: DeploymentRecord;
  try {
    const { Attributes } = await documentClient.send(
      new UpdateCommand({
        TableName: tableName,
        Key: deploymentKey(tenant, id),
        UpdateExpression: `SET ${sets.join(', ')}${removes.length > 0 ? ` REMOVE ${removes.join(', ')}` : ''}`,
        ConditionExpression: conditions.join(' AND '),
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
        ReturnValues: 'ALL_NEW',
      }),
    );
    record = toRecord(Attributes ?? {});
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) {
      throw new StaleWriteError(`deployment ${id} changed since it was read, or is owned by another operation`);
    }
    throw error;
  }
  if (options.event) await recordEvent(record, at, options.event);
  return record;
};

const recordEvent = (record: DeploymentRecord, at: string, event: NonNullable<UpdateOptions['event']>) =>
  appendEvent(record, record.id, {
    at,
    status: record.status,
    phase: record.phase,
    type: event.type,
    message: event.message,
    ...(event.reason ? { reason: event.reason } : {}),
    execution_arn: record.execution_arn,
  });

/**
 * Takes the deployment's GPU reservation, exactly once: sets `reserved_gpus` to 0 and
 * removes it from the GPU-config index, if `executionArn` owns it and it holds GPUs.
 * Returns how many GPUs the caller must now give back to the ledger (0 if none or not owner).
 */
export const takeReservation = async (tenant: Tenant, id: string, executionArn: string): Promise<{ gpuConfigId: string; gpus: number }> => {
  try {
    const { Attributes } = await documentClient.send(
      new UpdateCommand({
        TableName: tableName,
        Key: deploymentKey(tenant, id),
        UpdateExpression: 'SET reserved_gpus = :zero, #version = #version + :one REMOVE gsi1pk, gsi1sk',
        ConditionExpression: 'execution_arn = :owner AND reserved_gpus > :zero',
        ExpressionAttributeNames: { '#version': 'version' },
        ExpressionAttributeValues: { ':zero': 0, ':one': 1, ':owner': executionArn },
        ReturnValues: 'ALL_OLD',
      }),
    );
    return { gpuConfigId: String(Attributes?.gpu_config_id ?? ''), gpus: Number(Attributes?.reserved_gpus ?? 0) };
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return { gpuConfigId: '', gpus: 0 };
    throw error;
  }
};

/** Removes the record, if `executionArn` still owns it, and frees its name. */
export const deleteDeployment = async (record: DeploymentRecord, executionArn: string): Promise<void> => {
  try {
    await documentClient.send(
      new DeleteCommand({
        TableName: tableName,
        Key: deploymentKey(record, record.id),
        ConditionExpression: 'execution_arn = :owner',
        ExpressionAttributeValues: { ':owner': executionArn },
      }),
    );
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) {
      throw new StaleWriteError(`deployment ${record.id} is owned by another operation`);
    }
    throw error;
  }
  await releaseName(record);
  await adjustCount(record, -1);
};

/** Undo of a create whose workflow could not be started: record and name claim both go. */
export const discardDeployment = async (record: DeploymentRecord): Promise<void> => {
  const { Attributes } = await documentClient.send(
    new DeleteCommand({ TableName: tableName, Key: deploymentKey(record, record.id), ReturnValues: 'ALL_OLD' }),
  );
  await releaseName(record);
  if (Attributes) await adjustCount(record, -1);
};

/** Every item a Query matches, page after page. */
const queryAll = async (input: QueryCommandInput): Promise<Record<string, unknown>[]> => {
  const items: Record<string, unknown>[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const result = await documentClient.send(new QueryCommand({ ...input, ExclusiveStartKey: start }));
    items.push(...(result.Items ?? []));
    start = result.LastEvaluatedKey;
  } while (start);
  return items;
};

const onGpuConfig = (gpuConfigId: string, projection: string): QueryCommandInput => ({
  TableName: tableName,
  IndexName: gpuIndex.name,
  KeyConditionExpression: 'gsi1pk = :cfg',
  ExpressionAttributeValues: { ':cfg': `GPUCFG#${gpuConfigId}` },
  ProjectionExpression: projection,
});

/** GPU demand of every deployment that still holds capacity on one GPU config. */
export const gpuDemandOf = async (gpuConfigId: string): Promise<(GpuDemand & { id: string })[]> =>
  (await queryAll(onGpuConfig(gpuConfigId, 'id, gpu_count, replicas'))).map((item) => ({
    id: String(item.id),
    gpuCount: Number(item.gpu_count),
    replicas: Number(item.replicas),
  }));

/** Where a deployment record lives: enough to read it. */
export interface DeploymentKey extends Tenant {
  id: string;
}

/**
 * The deployments an execution should be working on (sparse index `in-flight`), oldest first.
 * The index is eventually consistent: read each record before acting on it.
 */
export const inFlightDeployments = async (): Promise<DeploymentKey[]> =>
  (
    await queryAll({
      TableName: tableName,
      IndexName: inFlightIndex.name,
      KeyConditionExpression: 'gsi2pk = :inFlight',
      ExpressionAttributeValues: { ':inFlight': IN_FLIGHT },
      ProjectionExpression: 'org_id, project_id, id',
    })
  ).map((item) => ({ org_id: String(item.org_id), project_id: String(item.project_id), id: String(item.id) }));

export interface Reservation extends DeploymentKey {
  status: DeploymentStatus;
  phase: DeploymentPhase;
  reserved_gpus: number;
  execution_arn: string;
}

/** The GPUs each deployment on one GPU config holds, as the records say (index `by-gpu-config`). */
export const reservationsOn = async (gpuConfigId: string): Promise<Reservation[]> =>
  (
    await queryAll({
      ...onGpuConfig(gpuConfigId, 'org_id, project_id, id, #status, phase, reserved_gpus, execution_arn'),
      ExpressionAttributeNames: { '#status': 'status' },
    })
  ).map((item) => ({
    org_id: String(item.org_id),
    project_id: String(item.project_id),
    id: String(item.id),
    status: item.status as DeploymentStatus,
    phase: item.phase as DeploymentPhase,
    reserved_gpus: Number(item.reserved_gpus ?? 0),
    execution_arn: String(item.execution_arn),
  }));

// ---- Schedules (index `schedule-due`, see table.ts) ----

/** Shards of the `schedule-due` index: a sweep queries each; writes of one minute spread over them. */
export const DUE_SHARDS = 8;

const shardOf = (id: string): number => {
  let hash = 0;
  for (const char of id) hash = (hash * 31 + char.charCodeAt(0)) >>> 0;
  return hash % DUE_SHARDS;
};

/** The `schedule-due` index keys of a deployment due at `dueAt` (exported for the sweep benchmark's seeding). */
export const dueKey = (id: string, dueAt: string) => ({ gsi3pk: `DUE#${shardOf(id)}`, gsi3sk: `${dueAt}#${id}` });

/** SET (or, with null, REMOVE) of the due time and its index entry, as update-expression parts. */
const dueParts = (id: string, dueAt: string | null): { sets: string[]; removes: string[]; values: Record<string, unknown> } =>
  dueAt === null
    ? { sets: [], removes: ['schedule_due_at', 'gsi3pk', 'gsi3sk'], values: {} }
    : {
        sets: ['schedule_due_at = :dueAt', 'gsi3pk = :gsi3pk', 'gsi3sk = :gsi3sk'],
        removes: [],
        values: { ':dueAt': dueAt, ':gsi3pk': dueKey(id, dueAt).gsi3pk, ':gsi3sk': dueKey(id, dueAt).gsi3sk },
      };

const expression = (parts: { sets: string[]; removes: string[] }) =>
  `${parts.sets.length > 0 ? `SET ${parts.sets.join(', ')}` : ''}${parts.removes.length > 0 ? ` REMOVE ${parts.removes.join(', ')}` : ''}`.trim();

/**
 * Stores (or, with null, removes) the deployment's schedule, its sweeper state and when it is
 * due next. Schedule writes leave `version` alone: they never make a workflow's or a scale
 * request's conditional write fail.
 */
export const putSchedule = async (
  tenant: Tenant,
  id: string,
  schedule: { schedule: DeploymentRecord['schedule']; state: DeploymentRecord['schedule_state'] } | null,
  dueAt: string | null,
): Promise<void> => {
  const due = dueParts(id, dueAt);
  const sets = [...due.sets];
  const removes = [...due.removes];
  const values: Record<string, unknown> = { ...due.values, ':terminating': 'terminating' };
  if (schedule) {
    sets.push('#schedule = :schedule', 'schedule_state = :state');
    values[':schedule'] = schedule.schedule;
    values[':state'] = schedule.state;
  } else {
    removes.push('#schedule', 'schedule_state');
  }
  try {
    await documentClient.send(
      new UpdateCommand({
        TableName: tableName,
        Key: deploymentKey(tenant, id),
        UpdateExpression: expression({ sets, removes }),
        ConditionExpression: 'attribute_exists(pk) AND #status <> :terminating',
        ExpressionAttributeNames: { '#schedule': 'schedule', '#status': 'status' },
        ExpressionAttributeValues: values,
      }),
    );
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) throw new StaleWriteError(`deployment ${id} is gone or being deleted`);
    throw error;
  }
};

export interface DueDeployment {
  record: DeploymentRecord;
  dueAt: string;
}

/**
 * Deployments due at `now`, one Query per shard on `schedule-due` (only due items are read),
 * at most `limit` in all, earliest first within a shard. Eventually consistent: the claim
 * (conditional on the due time read) decides.
 */
export const dueDeployments = async (now: Date, limit: number): Promise<{ due: DueDeployment[]; itemsRead: number }> => {
  const upper = `${now.toISOString()}#~`;
  const perShard = await Promise.all(
    Array.from({ length: DUE_SHARDS }, async (_, shard) => {
      const items: Record<string, unknown>[] = [];
      let start: Record<string, unknown> | undefined;
      do {
        const result = await documentClient.send(
          new QueryCommand({
            TableName: tableName,
            IndexName: dueIndex.name,
            KeyConditionExpression: 'gsi3pk = :shard AND gsi3sk <= :upper',
            ExpressionAttributeValues: { ':shard': `DUE#${shard}`, ':upper': upper },
            Limit: Math.min(1000, limit - items.length),
            ExclusiveStartKey: start,
          }),
        );
        items.push(...(result.Items ?? []));
        start = result.LastEvaluatedKey;
      } while (start && items.length < limit);
      return items;
    }),
  );
  const items = perShard.flat();
  return {
    itemsRead: items.length,
    due: items.slice(0, limit).map((item) => ({ record: toRecord(item), dueAt: String(item.schedule_due_at) })),
  };
};

/**
 * Takes a due deployment for one sweep: moves its due time from `seenDueAt` to `leaseUntil`
 * (conditional), so a concurrent sweep neither sees it due nor wins this write. False: another
 * sweep (or a schedule change) got there first.
 */
export const claimDue = async (key: DeploymentKey, seenDueAt: string, leaseUntil: string): Promise<boolean> => {
  const due = dueParts(key.id, leaseUntil);
  try {
    await documentClient.send(
      new UpdateCommand({
        TableName: tableName,
        Key: deploymentKey(key, key.id),
        UpdateExpression: expression(due),
        ConditionExpression: 'schedule_due_at = :seen',
        ExpressionAttributeValues: { ...due.values, ':seen': seenDueAt },
      }),
    );
    return true;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return false;
    throw error;
  }
};

/** Ends a claim: the new sweeper state and next due time, if the claim still stands. */
export const finishDue = async (
  key: DeploymentKey,
  leaseUntil: string,
  state: NonNullable<DeploymentRecord['schedule_state']>,
  nextDueAt: string | null,
): Promise<boolean> => {
  const due = dueParts(key.id, nextDueAt);
  try {
    await documentClient.send(
      new UpdateCommand({
        TableName: tableName,
        Key: deploymentKey(key, key.id),
        UpdateExpression: expression({ sets: [...due.sets, 'schedule_state = :state'], removes: due.removes }),
        ConditionExpression: 'schedule_due_at = :lease',
        ExpressionAttributeValues: { ...due.values, ':state': state, ':lease': leaseUntil },
      }),
    );
    return true;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return false;
    throw error;
  }
};

/** When the deployment is due next (null: no schedule), read consistently. */
export const scheduleDueAt = async (tenant: Tenant, id: string): Promise<string | null> => {
  const { Item } = await documentClient.send(
    new GetCommand({ TableName: tableName, Key: deploymentKey(tenant, id), ConsistentRead: true, ProjectionExpression: 'schedule_due_at' }),
  );
  return typeof Item?.schedule_due_at === 'string' ? Item.schedule_due_at : null;
};
