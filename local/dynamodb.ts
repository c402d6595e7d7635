/**
 * DynamoDB for the local cloud: dynalite (the DynamoDB API on LevelDB) with its data under
 * DATA_DIR, and the table created from the same definition CDK deploys.
 */
import {
  BatchWriteItemCommand,
  CreateTableCommand,
  DeleteTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ResourceNotFoundException,
  ScanCommand,
  UpdateTimeToLiveCommand,
  type AttributeValue,
} from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import { mkdirSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { PassThrough } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { TABLE } from '../contract/table';
import type { LocalFaults } from './faults';
import { readBody } from './http/body';
import { serve } from './http/serve';
import { callerOf } from './identity';
import type { LocalAuthorizer } from './iam/authorizer';
import { dynamoRequests } from './iam/dynamodb-requests';

export interface LocalDynamo {
  url: string;
  close(): Promise<void>;
}

export interface DynamoOptions {
  host: string;
  port?: number;
  dataDir?: string;
  /** IAM for the functions' calls (local/iam); without it every call is served. */
  authorizer?: LocalAuthorizer;
  faults?: LocalFaults;
  region?: string;
  account?: string;
}

// What DynamoDB answers (awsJson1.0, HTTP 400, `__type`) when IAM denies or the table throttles.
const THROTTLE_MESSAGES: Record<string, string> = {
  ProvisionedThroughputExceededException:
    'The level of configured provisioned throughput for the table was exceeded. Consider increasing your provisioning level with the UpdateTable API.',
  ThrottlingException: 'Rate of requests exceeds the allowed throughput.',
};

const answer = (res: ServerResponse, type: string, body: Record<string, string>) => {
  const text = JSON.stringify({ __type: type, ...body });
  res.writeHead(400, { 'content-type': 'application/x-amz-json-1.0', 'content-length': Buffer.byteLength(text), 'x-amzn-requestid': crypto.randomUUID() });
  res.end(text);
};

/**
 * Runs IAM and the fault injector in front of dynalite's own listener: the body is read once,
 * checked, and replayed to dynalite as a fresh stream carrying the same method, URL and headers.
 */
const guard = (
  serve: (req: IncomingMessage, res: ServerResponse) => void,
  options: DynamoOptions,
): ((req: IncomingMessage, res: ServerResponse) => void) => {
  const scope = { region: options.region ?? 'us-east-1', account: options.account ?? '000000000000' };
  return (req, res) => {
    const caller = callerOf(req.headers);
    if (caller === undefined) return serve(req, res);
    void readBody(req, Number.POSITIVE_INFINITY).then((read) => {
      if (read.kind !== 'complete') return; // no limit here (dynalite has its own): the client left
      const raw = read.bytes;
      const operation = String(req.headers['x-amz-target'] ?? '').split('.')[1] ?? '';
      let body: unknown;
      try {
        body = JSON.parse(raw.toString('utf8'));
      } catch {
        body = undefined; // dynalite answers the SerializationException itself
      }
      if (operation && body !== undefined) {
        const denial = options.authorizer?.check(caller, dynamoRequests(operation, body, scope));
        if (denial) return answer(res, 'com.amazon.coral.service#AccessDeniedException', { Message: denial.message });
        const fault = options.faults?.take('dynamodb', operation, caller);
        if (fault) {
          const code = fault.code ?? 'ProvisionedThroughputExceededException';
          return answer(res, `com.amazonaws.dynamodb.v20120810#${code}`, { message: THROTTLE_MESSAGES[code] ?? code });
        }
      }
      const replay = Object.assign(new PassThrough(), { headers: req.headers, method: req.method, url: req.url, socket: req.socket });
      replay.end(raw);
      serve(replay as unknown as IncomingMessage, res);
    });
  };
};

export const startDynamo = async (options: DynamoOptions): Promise<LocalDynamo> => {
  if (options.dataDir) mkdirSync(options.dataDir, { recursive: true });
  const server = dynalite({ path: options.dataDir, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  if (options.authorizer || options.faults) {
    const [serve] = server.listeners('request') as ((req: IncomingMessage, res: ServerResponse) => void)[];
    if (!serve) throw new Error('dynalite has no request listener to guard');
    server.removeAllListeners('request');
    server.on('request', guard(serve, options));
  }
  const { url, close } = await serve({ host: options.host, port: options.port, server });
  return { url, close };
};

/**
 * Creates the table (and waits until it is ACTIVE) unless it exists. An existing table (a data
 * dir of an earlier version) must have every index of TABLE: dynalite cannot add one later
 * (UpdateTable has no GlobalSecondaryIndexUpdates there), so a missing one stops the start with
 * what to do, instead of failing the routes that query it.
 */
/** Every item of a table, read page by page. */
const scanAll = async (client: DynamoDBClient, tableName: string): Promise<Record<string, AttributeValue>[]> => {
  const items: Record<string, AttributeValue>[] = [];
  let start: Record<string, AttributeValue> | undefined;
  do {
    const page = await client.send(new ScanCommand({ TableName: tableName, ExclusiveStartKey: start }));
    items.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start);
  return items;
};

const waitForStatus = async (client: DynamoDBClient, tableName: string, done: (status: string | undefined) => boolean): Promise<void> => {
  for (let i = 0; i < 250; i++) {
    const status = await client
      .send(new DescribeTableCommand({ TableName: tableName }))
      .then((r) => r.Table?.TableStatus)
      .catch((error: unknown) => {
        if (error instanceof ResourceNotFoundException) return undefined;
        throw error;
      });
    if (done(status)) return;
    await sleep(20);
  }
  throw new Error(`the local table ${tableName} did not settle`);
};

const createTable = async (client: DynamoDBClient, tableName: string): Promise<void> => {
  const keyAttributes = [TABLE.partitionKey, TABLE.sortKey, ...TABLE.indexes.flatMap((i) => [i.partitionKey, i.sortKey])];
  await client.send(
    new CreateTableCommand({
      TableName: tableName,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: keyAttributes.map((name) => ({ AttributeName: name, AttributeType: 'S' })),
      KeySchema: [
        { AttributeName: TABLE.partitionKey, KeyType: 'HASH' },
        { AttributeName: TABLE.sortKey, KeyType: 'RANGE' },
      ],
      GlobalSecondaryIndexes: TABLE.indexes.map((index) => ({
        IndexName: index.name,
        KeySchema: [
          { AttributeName: index.partitionKey, KeyType: 'HASH' },
          { AttributeName: index.sortKey, KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      })),
    }),
  );
  await waitForStatus(client, tableName, (status) => status === 'ACTIVE');
  await client
    .send(new UpdateTimeToLiveCommand({ TableName: tableName, TimeToLiveSpecification: { AttributeName: TABLE.timeToLiveAttribute, Enabled: true } }))
    .catch(() => undefined); // dynalite does not implement TTL; AWS does (CDK sets it)
};

/**
 * Creates the table, or brings a DATA_DIR's table of an earlier version up to TABLE. In AWS a new
 * index is an UpdateTable that backfills it from the items; dynalite cannot add an index, so the
 * local table is rebuilt with the same items (read, recreated, written back), which is what the
 * backfill leaves behind. `log` hears about a rebuild.
 */
export const ensureTable = async (endpoint: string, tableName: string, log: (line: string) => void = () => undefined): Promise<void> => {
  const client = new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  try {
    let items: Record<string, AttributeValue>[] = [];
    try {
      const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
      const present = new Set((Table?.GlobalSecondaryIndexes ?? []).map((index) => index.IndexName));
      const missing = TABLE.indexes.filter((index) => !present.has(index.name)).map((index) => index.name);
      if (missing.length === 0) return;
      items = await scanAll(client, tableName);
      log(`local table ${tableName}: adding the index(es) ${missing.join(', ')} (rebuilding it with its ${items.length} items)`);
      await client.send(new DeleteTableCommand({ TableName: tableName }));
      await waitForStatus(client, tableName, (status) => status === undefined);
    } catch (error) {
      if (!(error instanceof ResourceNotFoundException)) throw error;
    }
    await createTable(client, tableName);
    for (let i = 0; i < items.length; i += 25) {
      let pending: Record<string, AttributeValue>[] = items.slice(i, i + 25);
      while (pending.length > 0) {
        const result = await client.send(new BatchWriteItemCommand({ RequestItems: { [tableName]: pending.map((Item) => ({ PutRequest: { Item } })) } }));
        pending = (result.UnprocessedItems?.[tableName] ?? []).flatMap((r) => (r.PutRequest?.Item ? [r.PutRequest.Item] : []));
      }
    }
  } finally {
    client.destroy();
  }
};
