/**
 * POST …/aimodels with an `Idempotency-Key` (functions/commons/idempotency.ts): a retry gets the
 * first response and creates nothing; the same key with another body is a 422; keys are per
 * tenant and never replay across tenants; failures and dry runs do not consume a key; the
 * record lives in the one table with a 24 h TTL.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { qwenBody } from '../support/failures';
import { expectLedgerMatchesRecords } from '../support/leaks';
import { BASE, ORG, PROJECT, TABLE, startTestCloud, waitFor, type TestCloud } from '../support/local-cloud';

const CONFIG = 'l4-24gb';
let t: TestCloud;
let dynamo: DynamoDBDocumentClient;
beforeAll(async () => {
  t = await startTestCloud(0.01, { cron: false });
  dynamo = DynamoDBDocumentClient.from(
    new DynamoDBClient({ region: 'us-east-1', endpoint: t.cloud.dynamoUrl, credentials: { accessKeyId: 'x', secretAccessKey: 'x' } }),
  );
});
afterAll(async () => {
  dynamo?.destroy();
  await t?.close();
});

const post = (body: unknown, key: string | undefined, options: { token?: string; base?: string; query?: string } = {}) =>
  t.api('POST', `${options.base ?? BASE}${options.query ?? ''}`, {
    body,
    token: options.token,
    headers: key === undefined ? {} : { 'idempotency-key': key },
  });

const total = async (base = BASE, token?: string) => (await t.api('GET', base, { token })).body.pagination.total_items as number;
const idempotencyRecords = async () =>
  (
    await dynamo.send(
      new QueryCommand({
        TableName: TABLE,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': 'IDEMPOTENCY#create-deployment' },
        ConsistentRead: true,
      }),
    )
  ).Items ?? [];
const created: { id: string; base: string; token?: string }[] = [];

describe('Idempotency-Key on deploy', () => {
  it('a retry with the same key returns the first response and creates nothing new', async () => {
    const first = await post(qwenBody('idem-one'), 'key-one');
    expect(first.status, JSON.stringify(first.body)).toBe(201);
    created.push({ id: first.body.id, base: BASE });
    const deploysAfterFirst = (await t.executions('deploy')).length;

    const retry = await t.api('POST', BASE, { body: qwenBody('idem-one'), headers: { 'idempotency-key': 'key-one' } });
    const raw = await fetch(`${t.cloud.apiUrl}${BASE}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${t.defaultToken}`, 'content-type': 'application/json', 'idempotency-key': 'key-one' },
      body: JSON.stringify(qwenBody('idem-one')),
    });

    expect(retry.status).toBe(201);
    expect(retry.body).toEqual(first.body);
    expect(raw.status).toBe(201);
    expect(raw.headers.get('idempotency-replayed')).toBe('true');
    expect(await total()).toBe(1);
    expect(await t.ledger(CONFIG)).toBe(1);
    expect((await t.executions('deploy')).length).toBe(deploysAfterFirst);
    const [record, ...others] = await idempotencyRecords();
    expect(others).toEqual([]);
    expect(record).toMatchObject({ idempotency_status: 'COMPLETED', sk: expect.stringMatching(/^create-deployment#/) });
    // 24 h TTL on the table's TTL attribute
    const ttl = Number(record!.expires_at) - Date.now() / 1000;
    expect(ttl).toBeGreaterThan(24 * 3600 - 120);
    expect(ttl).toBeLessThanOrEqual(24 * 3600 + 1);
    expect(JSON.stringify(record)).not.toContain(t.defaultToken);
  });

  it('the same key with another body is a 422 naming the key, and creates nothing', async () => {
    const reused = await post(qwenBody('idem-other'), 'key-one');
    expect(reused.status).toBe(422);
    expect(reused.body).toEqual({ code: 'invalid_request', message: expect.stringContaining('Idempotency-Key was already used with a different request body') });
    expect(await total()).toBe(1);
    // the first request's record survives the refused reuse: the original retry still replays
    const again = await post(qwenBody('idem-one'), 'key-one');
    expect(again.status).toBe(201);
    expect(again.body.id).toBe(created[0]!.id);
  });

  it('keys are per tenant: another project uses the same key for its own deploy; another org never gets the replay', async () => {
    const other = await t.tenant('prj-idem');
    const own = await post(qwenBody('idem-one'), 'key-one', { token: other.token, base: other.base });
    expect(own.status, JSON.stringify(own.body)).toBe(201);
    expect(own.body.id).not.toBe(created[0]!.id);
    created.push({ id: own.body.id, base: other.base, token: other.token });

    const foreign = await t.token({ org_id: 'org-evil', project_ids: PROJECT });
    const stolen = await post(qwenBody('idem-one'), 'key-one', { token: foreign });
    expect(stolen.status).toBe(404);
    expect(JSON.stringify(stolen.body)).not.toContain(created[0]!.id);
    const viewer = await t.token({ role: 'viewer' });
    const read = await post(qwenBody('idem-one'), 'key-one', { token: viewer });
    expect(read.status).toBe(403);
    expect(JSON.stringify(read.body)).not.toContain(created[0]!.id);
    expect(await total()).toBe(1);
  });

  it('a failed request does not consume its key: the corrected retry runs', async () => {
    const bad = await post({ ...qwenBody('idem-fix'), gpu_count: 'two' }, 'key-fix');
    expect(bad.status).toBe(400);
    const conflict = await post(qwenBody('idem-one'), 'key-fix'); // the name is taken: 409, not stored either
    expect(conflict.status).toBe(409);
    const fixed = await post(qwenBody('idem-fix'), 'key-fix');
    expect(fixed.status, JSON.stringify(fixed.body)).toBe(201);
    created.push({ id: fixed.body.id, base: BASE });
    expect((await post(qwenBody('idem-fix'), 'key-fix')).body.id).toBe(fixed.body.id);
  });

  it('a dry run neither consumes nor replays a key', async () => {
    const recordsBefore = (await idempotencyRecords()).length;
    const plan = await post(qwenBody('idem-dry'), 'key-dry', { query: '?dry_run=true' });
    expect(plan.status).toBe(200);
    expect((await idempotencyRecords()).length).toBe(recordsBefore);
    const real = await post(qwenBody('idem-dry'), 'key-dry');
    expect(real.status, JSON.stringify(real.body)).toBe(201);
    created.push({ id: real.body.id, base: BASE });
    const planAgain = await post(qwenBody('idem-dry'), 'key-dry', { query: '?dry_run=true' });
    expect(planAgain.status).toBe(200);
    expect(planAgain.body.id).toBeUndefined();
  });

  it('concurrent retries of one key create exactly one deployment', async () => {
    const before = await total();
    const responses = await Promise.all(Array.from({ length: 10 }, () => post(qwenBody('idem-race'), 'key-race')));
    const statuses = responses.map((r) => r.status);
    for (const r of responses) expect([201, 409], JSON.stringify(r.body)).toContain(r.status);
    for (const r of responses.filter((x) => x.status === 409)) expect(r.body.message).toMatch(/Idempotency-Key is still in progress|already exists/);
    expect(statuses.filter((s) => s === 201).length).toBeGreaterThanOrEqual(1);
    expect(new Set(responses.filter((r) => r.status === 201).map((r) => r.body.id)).size).toBe(1);
    expect(await total()).toBe(before + 1);
    created.push({ id: responses.find((r) => r.status === 201)!.body.id, base: BASE });
  });

  it('an expired record no longer binds its key', async () => {
    const [record, ...others] = (await idempotencyRecords()).filter((r) => String(r.first_response?.body).includes('"name":"idem-dry"'));
    expect(others).toEqual([]);
    expect(record!.first_response.statusCode).toBe(201);
    expect(record).toBeDefined();
    await dynamo.send(
      new UpdateCommand({ TableName: TABLE, Key: { pk: record!.pk, sk: record!.sk }, UpdateExpression: 'SET expires_at = :past', ExpressionAttributeValues: { ':past': Math.floor(Date.now() / 1000) - 1 } }),
    );
    const fresh = await post(qwenBody('idem-after-expiry'), 'key-dry');
    expect(fresh.status, JSON.stringify(fresh.body)).toBe(201);
    created.push({ id: fresh.body.id, base: BASE });
  });

  it('rejects a malformed key naming the header', async () => {
    const response = await post(qwenBody('idem-bad-key'), 'x'.repeat(256));
    expect(response.status).toBe(400);
    expect(response.body).toEqual({ code: 'invalid_request', message: expect.stringContaining('Idempotency-Key') });
  });

  it('cleans up: every deployment deleted, ledger back to zero', async () => {
    for (const { id, base, token } of created) {
      await waitFor(() => t.api('GET', `${base}/${id}`, { token }), (r) => r.body.status !== 'initializing', `${id} settled`, 20_000);
      expect((await t.api('DELETE', `${base}/${id}`, { token })).status).toBe(204);
    }
    for (const { id, base, token } of created) {
      await waitFor(() => t.api('GET', `${base}/${id}`, { token }), (r) => r.status === 404, `${id} deleted`, 20_000);
    }
    expect(await t.ledger(CONFIG)).toBe(0);
    await expectLedgerMatchesRecords(t, CONFIG);
    expect(ORG).toBe('org-acme');
  });
});
