/**
 * The DynamoDB table toolkit (functions/adapters/table) against dynalite, the local DynamoDB:
 * conditional writes, the update builder's expressions, and queries that span pages.
 */
import { PutCommand, UpdateCommand, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { UpdateBuilder } from '../../functions/adapters/table/update';
import type { LocalDynamo } from '../../local/dynamodb';
import { startDynaliteTable } from '../support/dynalite';

const TABLE_NAME = 'table-toolkit-test';
let dynamo: LocalDynamo;
beforeAll(async () => {
  dynamo = await startDynaliteTable(TABLE_NAME);
});
afterAll(() => dynamo?.close());

/** The modules that read TABLE_NAME and DYNAMODB_ENDPOINT when loaded, once dynalite runs. */
const load = async () => ({
  ...(await import('../../functions/adapters/dynamodb')),
  ...(await import('../../functions/adapters/table/conditional')),
  ...(await import('../../functions/adapters/table/query')),
});

describe('conditional', () => {
  it('answers with onConflict when the condition fails, and with the output when it holds', async () => {
    const { conditional, tableName } = await load();
    const put = () => new PutCommand({ TableName: tableName, Item: { pk: 'COND', sk: 'ONE', n: 1 }, ConditionExpression: 'attribute_not_exists(pk)' });
    expect(await conditional(put(), () => 'conflict')).not.toBe('conflict');
    expect(await conditional(put(), () => 'conflict')).toBe('conflict');
    await expect(conditional(put(), () => Promise.reject(new Error('stale')))).rejects.toThrow('stale');
  });

  it('throws any other error as it came', async () => {
    const { conditional, tableName } = await load();
    // an unused value placeholder is a ValidationException, not a failed condition
    const invalid = new PutCommand({
      TableName: tableName,
      Item: { pk: 'COND', sk: 'TWO' },
      ConditionExpression: 'attribute_not_exists(pk)',
      ExpressionAttributeValues: { ':unused': 1 },
    });
    await expect(conditional(invalid, () => 'conflict')).rejects.toMatchObject({ name: 'ValidationException' });
  });
});

describe('UpdateBuilder', () => {
  it('builds SET, REMOVE and AND-ed conditions with only the placeholders they use', () => {
    const parts = new UpdateBuilder()
      .set('#version = #version + :one', { '#version': 'version', ':one': 1 })
      .assign({ status: 'ready', phase: undefined })
      .remove(['gsi2pk', 'gsi2sk'])
      .when('attribute_exists(pk)')
      .whenIn('status', ['deploying', 'scaling'], 'allowed')
      .build();
    expect(parts).toEqual({
      UpdateExpression: 'SET #version = #version + :one, #status = :status REMOVE gsi2pk, gsi2sk',
      ConditionExpression: 'attribute_exists(pk) AND #status IN (:allowed0, :allowed1)',
      ExpressionAttributeNames: { '#version': 'version', '#status': 'status' },
      ExpressionAttributeValues: { ':one': 1, ':status': 'ready', ':allowed0': 'deploying', ':allowed1': 'scaling' },
    });
    expect(new UpdateBuilder().remove(['a']).build()).toEqual({ UpdateExpression: 'REMOVE a' });
    expect(() => new UpdateBuilder().set('a = b', { b: 1 })).toThrow(/neither/);
  });

  it('writes what it built, and its condition guards the write', async () => {
    const { conditional, documentClient, tableName } = await load();
    const Key = { pk: 'UPD', sk: 'ONE' };
    await documentClient.send(new PutCommand({ TableName: tableName, Item: { ...Key, version: 1, status: 'deploying', gsi2pk: 'X', gsi2sk: 'Y' } }));
    const bump = (expected: number) =>
      new UpdateBuilder()
        .set('#version = #version + :one', { '#version': 'version', ':one': 1 })
        .assign({ status: 'ready' })
        .remove(['gsi2pk', 'gsi2sk'])
        .when('#version = :expected', { ':expected': expected })
        .whenIn('status', ['deploying', 'ready'], 'status')
        .build();
    const written = await conditional(new UpdateCommand({ TableName: tableName, Key, ...bump(1), ReturnValues: 'ALL_NEW' }), () => undefined);
    expect(written?.Attributes).toEqual({ ...Key, version: 2, status: 'ready' });
    expect(await conditional(new UpdateCommand({ TableName: tableName, Key, ...bump(1) }), () => 'stale')).toBe('stale');
  });

  it('adds to counters that need not exist yet (ADD), beside SET', async () => {
    const { documentClient, tableName } = await load();
    const Key = { pk: 'ADD', sk: 'ONE' };
    const add = (n: number) =>
      new UpdateBuilder().assign({ day: '2026-12-01' }).add('#requests :requests', { '#requests': 'requests', ':requests': n }).add('#tokens :tokens', { '#tokens': 'tokens', ':tokens': n * 10 }).build();
    expect(add(1).UpdateExpression).toBe('SET #day = :day ADD #requests :requests, #tokens :tokens');
    await documentClient.send(new UpdateCommand({ TableName: tableName, Key, ...add(1) }));
    const { Attributes } = await documentClient.send(new UpdateCommand({ TableName: tableName, Key, ...add(2), ReturnValues: 'ALL_NEW' }));
    expect(Attributes).toEqual({ ...Key, day: '2026-12-01', requests: 3, tokens: 30 });
  });
});

describe('ensureTable', () => {
  it('brings a table of an earlier version up to date: the missing indexes added, every item kept and found through them', async () => {
    const { DynamoDBClient, CreateTableCommand, PutItemCommand, QueryCommand, ScanCommand } = await import('@aws-sdk/client-dynamodb');
    const { ensureTable } = await import('../../local/dynamodb');
    const client = new DynamoDBClient({ endpoint: dynamo.url, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
    await client.send(
      new CreateTableCommand({
        TableName: 'no-indexes',
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }, { AttributeName: 'sk', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'sk', KeyType: 'RANGE' }],
      }),
    );
    for (let i = 0; i < 60; i++) {
      const item = { pk: { S: `INFKEY#k${i}` }, sk: { S: 'INFKEY' }, gsi4pk: { S: 'KEYS#o#p' }, gsi4sk: { S: `2026-12-07#k${String(i).padStart(2, '0')}` }, n: { N: String(i) } };
      await client.send(new PutItemCommand({ TableName: 'no-indexes', Item: item }));
    }
    const lines: string[] = [];
    await ensureTable(dynamo.url, 'no-indexes', (line) => lines.push(line));
    expect(lines).toEqual(['local table no-indexes: adding the index(es) by-gpu-config, in-flight, schedule-due, inference-keys (rebuilding it with its 60 items)']);
    const scanned = await client.send(new ScanCommand({ TableName: 'no-indexes', Select: 'COUNT' }));
    expect(scanned.Count).toBe(60);
    const byIndex = await client.send(
      new QueryCommand({ TableName: 'no-indexes', IndexName: 'inference-keys', KeyConditionExpression: 'gsi4pk = :p', ExpressionAttributeValues: { ':p': { S: 'KEYS#o#p' } }, Select: 'COUNT' }),
    );
    expect(byIndex.Count).toBe(60);
    client.destroy();
    // Up to date now: nothing more to do.
    await ensureTable(dynamo.url, 'no-indexes', (line) => lines.push(line));
    expect(lines).toHaveLength(1);
    await expect(ensureTable(dynamo.url, TABLE_NAME)).resolves.toBeUndefined();
  });
});

describe('queries over pages (paginateQuery)', () => {
  const ITEMS = 25;
  const partition: QueryCommandInput = {
    TableName: TABLE_NAME,
    KeyConditionExpression: 'pk = :pk',
    ExpressionAttributeValues: { ':pk': 'PAGED' },
  };
  beforeAll(async () => {
    const { documentClient, tableName } = await load();
    for (let i = 0; i < ITEMS; i++) {
      await documentClient.send(new PutCommand({ TableName: tableName, Item: { pk: 'PAGED', sk: `ITEM#${String(i).padStart(2, '0')}`, i } }));
    }
  });

  /** The Limit of each Query the client sends while `run` runs. */
  const limitsOf = async <T>(run: () => Promise<T>): Promise<{ result: T; limits: (number | undefined)[] }> => {
    const { documentClient } = await load();
    const limits: (number | undefined)[] = [];
    const send = documentClient.send.bind(documentClient);
    const spy = vi.spyOn(documentClient, 'send').mockImplementation(((command: { input: { Limit?: number } }, ...rest: unknown[]) => {
      limits.push(command.input.Limit);
      return (send as (...args: unknown[]) => unknown)(command, ...rest);
    }) as typeof documentClient.send);
    try {
      return { result: await run(), limits };
    } finally {
      spy.mockRestore();
    }
  };

  it('queryAll follows LastEvaluatedKey to the end', async () => {
    const { queryAll } = await load();
    const { result, limits } = await limitsOf(() => queryAll({ ...partition, Limit: 4 }));
    expect(result.map((item) => item.i)).toEqual(Array.from({ length: ITEMS }, (_, i) => i));
    expect(limits).toEqual([4, 4, 4, 4, 4, 4, 4]);
  });

  it('queryUpTo asks each page only for what is still missing', async () => {
    const { queryUpTo } = await load();
    const { result, limits } = await limitsOf(() => queryUpTo(partition, 7, 3));
    expect(result.map((item) => item.i)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(limits).toEqual([3, 3, 1]);
    expect((await queryUpTo({ ...partition, ExclusiveStartKey: { pk: 'PAGED', sk: 'ITEM#22' } }, 10)).map((item) => item.i)).toEqual([23, 24]);
  });

  it('countAll counts every match; keyAfter skips with COUNT queries', async () => {
    const { countAll, keyAfter, queryUpTo } = await load();
    expect(await countAll(partition)).toBe(ITEMS);
    const { result: start, limits } = await limitsOf(() => keyAfter(partition, 10));
    expect(limits).toEqual([10]);
    expect((await queryUpTo({ ...partition, ExclusiveStartKey: start }, 2)).map((item) => item.i)).toEqual([10, 11]);
    expect(await keyAfter(partition, ITEMS + 5)).toBeUndefined();
  });
});
