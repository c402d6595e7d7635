/**
 * Dynalite (the local DynamoDB) alone, for tests of the DynamoDB adapters without the rest of
 * the local cloud: starts it with the table, and sets the environment the adapters read when
 * first imported (so a test imports them after this resolves).
 */
import { ensureTable, startDynamo, type LocalDynamo } from '../../local/dynamodb';
import type { LocalFaults } from '../../local/faults';

/** `faults`: the local cloud's fault hook, for tests that throttle the table. */
export const startDynaliteTable = async (tableName: string, faults?: LocalFaults): Promise<LocalDynamo> => {
  const dynamo = await startDynamo({ host: '127.0.0.1', ...(faults ? { faults } : {}) });
  await ensureTable(dynamo.url, tableName);
  Object.assign(process.env, { AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local', TABLE_NAME: tableName, DYNAMODB_ENDPOINT: dynamo.url });
  return dynamo;
};
