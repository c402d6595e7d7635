/**
 * DynamoDB persistence of deployment records (pk = TENANT#<org>#<project>, sk = DEP#<id>).
 * Every write is conditional: creation claims the name with a conditional put, and every later
 * change names the version or the owning execution it expects, so no update is ever lost or
 * applied by a superseded workflow.
 */
import { DeleteCommand, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { DeploymentPhase, DeploymentRecord, Tenant } from '../domain/deployment';
import { isInFlight } from '../domain/lifecycle';
import { adjustCount } from './deployment-list';
import { claimName, releaseName } from './deployment-names';
import { documentClient, tableName } from './dynamodb';
import { appendEvent } from './event-log';
import { conditional } from './table/conditional';
import { deploymentKey, dueKey, gpuIndexKey, inFlightKey, toRecord } from './table/keys';
import { UpdateBuilder } from './table/update';
import { StaleWriteError } from '../ports';
import type { DeploymentChanges, WriteCondition, UpdateOptions } from '../ports';

export { StaleWriteError };
export type { WriteCondition, UpdateOptions };

/** The sparse `in-flight` index lists a deployment while its phase is one an execution should be working on. */
const inFlightEntry = (id: string, phase: DeploymentPhase) => (isInFlight(phase) ? inFlightKey(id) : undefined);

/**
 * Claims the name, then writes the record. (dynalite, the local DynamoDB, has no
 * transactions, so this is two conditional writes; see deployment-names.ts for a claim a
 * crash left between them.)
 */
/** A deployment with load scaling on is due for the sweeper from its creation (index `schedule-due`). */
const loadScalingDue = (record: DeploymentRecord) => (record.load_scaling ? { schedule_due_at: record.created_at, ...dueKey(record.id, record.created_at) } : {});

export const createDeployment = async (record: DeploymentRecord): Promise<void> => {
  await claimName(record, async (holder) => (await getDeployment(record, holder)) !== undefined);
  await recordEvent(record, record.created_at, { type: 'accepted', message: `deployment of ${record.model_id} accepted` });
  try {
    await documentClient.send(
      new PutCommand({
        TableName: tableName,
        Item: { ...deploymentKey(record, record.id), ...gpuIndexKey(record), ...inFlightEntry(record.id, record.phase), ...loadScalingDue(record), ...record },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  } catch (error) {
    // whatever failed, the name must not stay claimed by a record that was never written
    await releaseName(record);
    throw error;
  }
  try {
    await adjustCount(record, 1);
  } catch (error) {
    // A create that fails leaves nothing: not a record its project's count leaves out (the API
    // answers 503 and the client sends the same request again).
    await documentClient.send(new DeleteCommand({ TableName: tableName, Key: deploymentKey(record, record.id) }));
    await releaseName(record);
    throw error;
  }
};

export const getDeployment = async (tenant: Tenant, id: string): Promise<DeploymentRecord | undefined> => {
  const { Item } = await documentClient.send(
    new GetCommand({ TableName: tableName, Key: deploymentKey(tenant, id), ConsistentRead: true }),
  );
  return Item ? toRecord(Item) : undefined;
};

/**
 * Applies `changes` if `condition` holds, bumping version and updated_at, stamping
 * milestones, and appending an event to the deployment's history.
 */
export const updateDeployment = async (
  tenant: Tenant,
  id: string,
  changes: DeploymentChanges,
  condition: WriteCondition,
  options: UpdateOptions,
): Promise<DeploymentRecord> => {
  const at = options.now.toISOString();
  const { updated_at: _stamped, ...fields } = changes;
  const update = new UpdateBuilder()
    .set('#version = #version + :one', { '#version': 'version', ':one': 1 })
    .set('#updated_at = :now', { '#updated_at': 'updated_at', ':now': at })
    .assign(fields);
  if (changes.phase !== undefined) {
    const entry = inFlightEntry(id, changes.phase);
    if (entry) update.assign(entry);
    else update.remove(['gsi2pk', 'gsi2sk']);
  }
  if (options.holdsCapacityOn !== undefined) update.assign(gpuIndexKey({ gpu_config_id: options.holdsCapacityOn, id }));
  for (const milestone of options.milestones ?? []) {
    const path = `#timeline.#m_${milestone}`;
    update.set(`${path} = if_not_exists(${path}, :now)`, { '#timeline': 'timeline', [`#m_${milestone}`]: milestone });
  }

  update.when('attribute_exists(pk)');
  if (condition.version !== undefined) update.when('#version = :expectedVersion', { ':expectedVersion': condition.version });
  if (condition.executionArn !== undefined) {
    update.when('#execution_arn = :owner', { '#execution_arn': 'execution_arn', ':owner': condition.executionArn });
  }
  if (condition.statusIn !== undefined) update.whenIn('status', condition.statusIn, 'status');

  const { Attributes } = await conditional(
    new UpdateCommand({ TableName: tableName, Key: deploymentKey(tenant, id), ...update.build(), ReturnValues: 'ALL_NEW' }),
    () => {
      throw new StaleWriteError(`deployment ${id} changed since it was read, or is owned by another operation`);
    },
  );
  const record = toRecord(Attributes ?? {});
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

/** Removes the record, if `executionArn` still owns it, and frees its name. */
export const deleteDeployment = async (record: DeploymentRecord, executionArn: string): Promise<void> => {
  await conditional(
    new DeleteCommand({
      TableName: tableName,
      Key: deploymentKey(record, record.id),
      ConditionExpression: 'execution_arn = :owner',
      ExpressionAttributeValues: { ':owner': executionArn },
    }),
    () => {
      throw new StaleWriteError(`deployment ${record.id} is owned by another operation`);
    },
  );
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
