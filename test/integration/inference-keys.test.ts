/**
 * Inference keys through the local API (issue 15): create, list, get, revoke and usage, with the
 * JWT rules of the deployment routes (an editor writes, a viewer reads, another project sees
 * 404), every bad field named in its 400, and the key found nowhere but in the one answer that
 * creates it: not in any other answer, not in any log line (captured at DEBUG), not in any table
 * item, not in the data files on disk. Neither is the gateway's master secret or the pepper
 * derived from it. Token counters are added as the gateway adds them (the TokenUsageStore
 * adapter) and read back through both usage routes.
 */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deriveKey, parseInferenceKey } from '../../functions/domain/inference-keys';
import { qwenBody } from '../support/failures';
import { BASE, ORG, PROJECT, startTestCloud, TABLE, type TestCloud } from '../support/local-cloud';
import { captureProcessOutput } from '../support/output-capture';

const KEYS = `/api/v1beta1/orgs/${ORG}/projects/${PROJECT}/inference-keys`;
const AWS = { region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } };

const output = captureProcessOutput();
const captured = output.captured;
const responses: string[] = [];

let t: TestCloud;
beforeAll(async () => {
  output.start();
  t = await startTestCloud(0.01, { cron: false });
});
afterAll(async () => {
  await t?.close();
  output.stop();
});

/** Every call goes through here, so every answer is searched for the key afterwards. */
const call = async (method: string, path: string, options: Parameters<TestCloud['api']>[2] = {}) => {
  const response = await t.api(method, path, options);
  responses.push(`${response.status} ${JSON.stringify(response.body ?? null)}`);
  return response;
};

/** The keys created here, as their creating answers gave them (those answers are not searched). */
const created: string[] = [];
const create = async (body: unknown, token?: string) => {
  const response = await t.api('POST', KEYS, { body, ...(token ? { token } : {}) });
  if (response.status === 201) created.push(response.body.key);
  else responses.push(`${response.status} ${JSON.stringify(response.body ?? null)}`);
  return response;
};

let deploymentId = '';
let keyId = '';

describe('inference keys', () => {
  it('creates a key shown once, with the fields of issue 15', async () => {
    const deploy = await call('POST', BASE, { body: qwenBody('keys-target') });
    expect(deploy.status).toBe(201);
    deploymentId = deploy.body.id;

    const { status, body } = await create({ name: 'ci', deployment_ids: [deploymentId], limits: { requests_per_minute: 60, tokens_per_minute: 100000, concurrent_requests: 4 } });
    expect(status).toBe(201);
    expect(body).toMatchObject({
      name: 'ci',
      state: 'active',
      expires_at: null,
      revoked_at: null,
      deployment_ids: [deploymentId],
      limits: { requests_per_minute: 60, tokens_per_minute: 100000, concurrent_requests: 4 },
    });
    expect(body.key).toMatch(/^sk-ik[a-z2-7]{18}\.[A-Za-z0-9_-]{43}$/);
    expect(parseInferenceKey(body.key)?.keyId).toBe(body.id);
    expect(body.key.startsWith(body.key_prefix)).toBe(true);
    keyId = body.id;
  });

  it('lists (newest first, paginated) and gets keys without the key', async () => {
    const second = await create({ name: 'second', expires_at: new Date(Date.now() + 86_400_000).toISOString() });
    expect(second.status).toBe(201);
    const page = await call('GET', `${KEYS}?limit=1`);
    expect(page.status).toBe(200);
    expect(page.body.items.map((k: { id: string }) => k.id)).toEqual([second.body.id]);
    expect(page.body.pagination).toEqual({ total_items: 2, total_pages: 2, current_page: 1, items_per_page: 1 });
    const next = await call('GET', `${KEYS}?limit=1&page=2`);
    expect(next.body.items.map((k: { id: string }) => k.id)).toEqual([keyId]);
    const one = await call('GET', `${KEYS}/${keyId}`);
    expect(one.status).toBe(200);
    expect(one.body).not.toHaveProperty('key');
    expect(one.body).not.toHaveProperty('hash');
    expect(one.body).toMatchObject({ id: keyId, name: 'ci', state: 'active' });
  });

  it('lets a viewer read but not write, and another project see nothing', async () => {
    const viewer = await t.token({ role: 'viewer' });
    expect((await call('GET', KEYS, { token: viewer })).status).toBe(200);
    expect((await call('GET', `${KEYS}/${keyId}/usage`, { token: viewer })).status).toBe(200);
    expect((await create({ name: 'nope' }, viewer)).status).toBe(403);
    expect((await call('DELETE', `${KEYS}/${keyId}`, { token: viewer })).status).toBe(403);

    const other = await t.tenant('prj-keys-other');
    const otherKeys = other.base.replace(/\/aimodels$/, '/inference-keys');
    for (const path of [`${otherKeys}/${keyId}`, `${otherKeys}/${keyId}/usage`]) expect((await call('GET', path, { token: other.token })).status).toBe(404);
    expect((await call('DELETE', `${otherKeys}/${keyId}`, { token: other.token })).status).toBe(404);
    expect((await call('GET', otherKeys, { token: other.token })).body.pagination.total_items).toBe(0);
    // our project's path with their token: 404, as for deployments
    expect((await call('GET', `${KEYS}/${keyId}`, { token: other.token })).status).toBe(404);
    expect((await create({ name: 'theirs', deployment_ids: [deploymentId] }, other.token)).status).toBe(404);
    const theirs = await t.api('POST', otherKeys, { token: other.token, body: { name: 'theirs', deployment_ids: [deploymentId] } });
    responses.push(JSON.stringify(theirs.body));
    expect(theirs).toMatchObject({ status: 400, body: { message: expect.stringContaining('deployment_ids.0') } });
  });

  it('answers 400 naming the field', async () => {
    const cases: [unknown, string][] = [
      [{}, 'name'],
      [{ name: '' }, 'name'],
      [{ name: 'x'.repeat(65) }, 'name'],
      [{ name: 'ok', expires_at: 'soon' }, 'expires_at'],
      [{ name: 'ok', expires_at: '2020-01-01T00:00:00Z' }, 'expires_at'],
      [{ name: 'ok', deployment_ids: ['not-a-dep'] }, 'deployment_ids.0'],
      [{ name: 'ok', deployment_ids: ['dep-doesnotexist'] }, 'deployment_ids.0'],
      [{ name: 'ok', limits: { requests_per_minute: -1 } }, 'limits.requests_per_minute'],
      [{ name: 'ok', limits: { tokens_per_minute: 'many' } }, 'limits.tokens_per_minute'],
      [{ name: 'ok', limits: { concurrent_requests: 100000 } }, 'limits.concurrent_requests'],
    ];
    for (const [body, field] of cases) {
      const response = await create(body);
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect(response.body.message, JSON.stringify(body)).toContain(field);
    }
    for (const path of [`${KEYS}/not-a-key`, `${KEYS}/ik123/usage`]) {
      const response = await call('GET', path);
      expect(response.status).toBe(400);
      expect(response.body.message).toContain('key_id');
    }
    expect((await call('GET', `${KEYS}?limit=1000`)).status).toBe(400);
    expect((await call('GET', `${KEYS}/ikaaaaaaaaaaaaaaaaaa`)).status).toBe(404);
  });

  it('shows what the gateway metered, per key and per deployment', async () => {
    const { tokenUsageStore } = await import('../../functions/wiring/token-usage');
    const tenant = { org_id: ORG, project_id: PROJECT };
    await tokenUsageStore.add([
      { ...tenant, keyId, deploymentId, day: '2026-12-01', requests: 2, promptTokens: 30, completionTokens: 70, estimatedRequests: 0 },
      { ...tenant, keyId, deploymentId, day: '2026-12-02', requests: 1, promptTokens: 5, completionTokens: 6, estimatedRequests: 1 },
      { ...tenant, keyId: 'ikbbbbbbbbbbbbbbbbbb', deploymentId, day: '2026-12-02', requests: 4, promptTokens: 1, completionTokens: 1, estimatedRequests: 0 },
    ]);
    const usage = await call('GET', `${KEYS}/${keyId}/usage`);
    expect(usage.status).toBe(200);
    expect(usage.body).toMatchObject({
      key_id: keyId,
      total: { requests: 3, prompt_tokens: 35, completion_tokens: 76, estimated_requests: 1 },
      days: [
        { date: '2026-12-01', deployment_id: deploymentId, requests: 2, prompt_tokens: 30, completion_tokens: 70, estimated_requests: 0 },
        { date: '2026-12-02', deployment_id: deploymentId, requests: 1, prompt_tokens: 5, completion_tokens: 6, estimated_requests: 1 },
      ],
    });
    const deployment = await call('GET', `${BASE}/${deploymentId}/usage`);
    expect(deployment.status).toBe(200);
    expect(deployment.body.tokens).toEqual({
      total: { requests: 7, prompt_tokens: 36, completion_tokens: 77, estimated_requests: 1 },
      days: [
        { date: '2026-12-01', requests: 2, prompt_tokens: 30, completion_tokens: 70, estimated_requests: 0 },
        { date: '2026-12-02', requests: 5, prompt_tokens: 6, completion_tokens: 7, estimated_requests: 1 },
      ],
    });
  });

  it('revokes with 204, again with 204 keeping the first time; the key stays listed as revoked', async () => {
    expect((await call('DELETE', `${KEYS}/${keyId}`)).status).toBe(204);
    const first = (await call('GET', `${KEYS}/${keyId}`)).body;
    expect(first).toMatchObject({ state: 'revoked', revoked_at: expect.any(String) });
    expect((await call('DELETE', `${KEYS}/${keyId}`)).status).toBe(204);
    expect((await call('GET', `${KEYS}/${keyId}`)).body.revoked_at).toBe(first.revoked_at);
    expect((await call('DELETE', `${KEYS}/ikaaaaaaaaaaaaaaaaaa`)).status).toBe(404);
    expect((await call('GET', `${KEYS}/${keyId}/usage`)).body.total.requests).toBe(3);
  });

  it('leaves the key, the master secret and the pepper in no other answer, log line, table item or data file', async () => {
    const secrets = new SecretsManagerClient({ ...AWS, endpoint: t.cloud.secretsManager.url });
    const master = (await secrets.send(new GetSecretValueCommand({ SecretId: 'gpu-control-plane/inference-gateway' }))).SecretString!;
    secrets.destroy();
    expect(Buffer.from(master, 'base64').length).toBeGreaterThanOrEqual(32);
    const pepper = deriveKey(Buffer.from(master, 'base64'), 'inference-key-hash');
    const needles = [master, pepper.toString('hex'), pepper.toString('base64'), ...created.flatMap((key) => [key, parseInferenceKey(key)!.secret])];
    expect(created.length).toBeGreaterThanOrEqual(2);
    const hits = (texts: readonly string[]) => texts.filter((text) => needles.some((needle) => text.includes(needle)));

    expect(hits(responses)).toEqual([]);
    expect(captured.length).toBeGreaterThan(0);
    expect(hits(captured)).toEqual([]);

    const dynamo = new DynamoDBClient({ ...AWS, endpoint: t.cloud.dynamoUrl });
    const items: string[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await dynamo.send(new ScanCommand({ TableName: TABLE, ExclusiveStartKey: start as never }));
      items.push(...(page.Items ?? []).map((item) => JSON.stringify(item)));
      start = page.LastEvaluatedKey;
    } while (start);
    dynamo.destroy();
    expect(items.filter((item) => item.includes('INFKEY#')).length).toBeGreaterThanOrEqual(2);
    expect(hits(items)).toEqual([]);

    const files: string[] = [];
    const walk = (dir: string) => {
      for (const name of readdirSync(dir)) {
        const path = join(dir, name);
        if (statSync(path).isDirectory()) walk(path);
        else files.push(path);
      }
    };
    walk(t.cloud.dataDir);
    const onDisk = files.filter((file) => {
      const bytes = readFileSync(file);
      return needles.some((needle) => bytes.includes(needle));
    });
    expect(onDisk).toEqual([]);
  });
});
