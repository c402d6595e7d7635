/**
 * Name claims: one item per deployment name in a project (pk = TENANT#…, sk = NAME#<name>),
 * written before the record, so two creates of one name cannot both succeed.
 */
import { DeleteCommand, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { DeploymentRecord } from '../domain/deployment';
import { ConflictError } from '../domain/errors';
import { documentClient, tableName } from './dynamodb';
import { conditional, ignoreConflict } from './table/conditional';
import { nameKey } from './table/keys';

/**
 * Age past which a name claim without its deployment is a crash's leftover. An API request
 * lives at most its Lambda timeout (seconds) and the gateway's 30 s; found by the race test
 * (test/integration/races.test.ts): taking over younger claims let 6 of 50 concurrent creates
 * of one name through, each taking the claim from a create that had not written its record yet.
 */
export const NAME_CLAIM_GRACE_MS = 5 * 60_000;

const claim = (record: DeploymentRecord, condition: { ConditionExpression: string; ExpressionAttributeValues?: Record<string, unknown> }) =>
  new PutCommand({
    TableName: tableName,
    Item: { ...nameKey(record, record.name), deployment_id: record.id, claimed_at: record.created_at },
    ...condition,
  });

/**
 * Claims the record's name for it, or throws a ConflictError. A claim whose deployment does
 * not exist (`holderExists` says), left by a crash between claim and record, is taken over
 * once it is older than any request can run: a younger one belongs to a create still in flight.
 */
export const claimName = async (record: DeploymentRecord, holderExists: (id: string) => Promise<boolean>): Promise<void> => {
  const conflict = () => new ConflictError(`a deployment named '${record.name}' already exists in project '${record.project_id}'`);
  const claimed = await conditional(claim(record, { ConditionExpression: 'attribute_not_exists(pk)' }), () => false);
  if (claimed !== false) return;

  const { Item: held } = await documentClient.send(
    new GetCommand({ TableName: tableName, Key: nameKey(record, record.name), ConsistentRead: true }),
  );
  const holder = typeof held?.deployment_id === 'string' ? held.deployment_id : undefined;
  if (holder === undefined) throw conflict();
  const claimedAt = typeof held?.claimed_at === 'string' ? Date.parse(held.claimed_at) : Number.NaN;
  // a claim of a create still in flight (its record is not written yet) is not a leftover
  if (Date.parse(record.created_at) - claimedAt < NAME_CLAIM_GRACE_MS) throw conflict();
  if (await holderExists(holder)) throw conflict();
  await conditional(claim(record, { ConditionExpression: 'deployment_id = :stale', ExpressionAttributeValues: { ':stale': holder } }), () => {
    throw conflict();
  });
};

/** Frees the record's name, if the claim is still the record's. */
export const releaseName = async (record: DeploymentRecord): Promise<void> => {
  await conditional(
    new DeleteCommand({
      TableName: tableName,
      Key: nameKey(record, record.name),
      ConditionExpression: 'deployment_id = :id',
      ExpressionAttributeValues: { ':id': record.id },
    }),
    ignoreConflict,
  );
};
