/**
 * API fuzzing (test/reliability/fuzz.ts) against the local API gateway of a private local
 * cloud: FUZZ_RUNS requests (600 by default, bounded for CI; `npm run reliability` runs many
 * more) over every route, with malformed paths, queries, headers, tokens and bodies. Zero
 * 5xx, every 4xx `{code, message}`, the server up, and whatever the fuzzer created or changed
 * is undone and leaves the store exact: no record, name claim, GPU reservation, node or
 * Kubernetes object left.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { SignJWT } from 'jose';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INVENTORY } from '../../contract/catalog';
import { DEV_AUDIENCE, DEV_ISSUER, loadOrCreateDevKey, signDevToken } from '../../local/jwt';
import { qwenBody } from '../support/failures';
import { expectLedgerMatchesRecords, expectNodeGroupSizedForLive, expectNoObjectsOf } from '../support/leaks';
import { BASE, ORG, PROJECT, TABLE, startTestCloud, waitFor, type TestCloud } from '../support/local-cloud';
import { recordFigures } from '../reliability/figures';
import { emptyGatewayStats, emptyStats, fuzzApi, fuzzGateway, fuzzRawHttp, send, type FuzzTokens } from '../reliability/fuzz';
import { API_BASE_PATH } from '../../contract/routes';

const RUNS = Number(process.env.FUZZ_RUNS ?? 600);
/** A third of the API's runs, at least 100: the gateway has fewer routes. */
const GATEWAY_RUNS = Math.max(100, Math.ceil(RUNS / 3));
const SEED = process.env.FUZZ_SEED === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(process.env.FUZZ_SEED);

let t: TestCloud;
let tokens: FuzzTokens;
let fixtureId: string;
/** The gateway fuzz's own deployment: the API fuzz may delete, pause or scale the fixture before it. */
let gatewayTargetId: string | undefined;
const stats = emptyStats();
const cleaned = new Set<string>();
/** An editor of every project of `org`. */
const ownerOf = (org: string) => t.token({ org_id: org, project_ids: '*' });

beforeAll(async () => {
  t = await startTestCloud(0.01, { cron: false });
  const key = await loadOrCreateDevKey(t.cloud.dataDir);
  const foreignDir = await mkdtemp(join(tmpdir(), 'fuzz-foreign-key-'));
  const now = Math.floor(Date.now() / 1000);
  tokens = {
    editor: t.defaultToken,
    viewer: await t.token({ role: 'viewer' }),
    otherOrg: await t.token({ org_id: 'org-other', project_ids: PROJECT }),
    otherProject: await t.token({ project_ids: 'prj-other' }),
    orgWide: await t.token({ project_ids: '*' }),
    expired: await new SignJWT({ org_id: ORG, project_ids: PROJECT })
      .setProtectedHeader({ alg: 'ES256', kid: key.kid })
      .setIssuer(DEV_ISSUER)
      .setAudience(DEV_AUDIENCE)
      .setIssuedAt(now - 7200)
      .setExpirationTime(now - 3600)
      .sign(key.privateKey),
    foreignKey: await signDevToken(await loadOrCreateDevKey(foreignDir), { org_id: ORG, project_ids: PROJECT }),
  };
  await rm(foreignDir, { recursive: true, force: true });
  const fixture = await t.api('POST', BASE, { body: qwenBody('fuzz-fixture') });
  expect(fixture.status).toBe(201);
  fixtureId = fixture.body.id;
  await waitFor(() => t.api('GET', `${BASE}/${fixtureId}`), (r) => r.body.status === 'ready', 'fixture ready', 20_000);
});
afterAll(async () => {
  await t?.close();
});

const scanSortKeys = async (prefix: string): Promise<string[]> => {
  const client = DynamoDBDocumentClient.from(
    new DynamoDBClient({ region: 'us-east-1', endpoint: t.cloud.dynamoUrl, credentials: { accessKeyId: 'x', secretAccessKey: 'x' } }),
  );
  try {
    const page = await client.send(
      new ScanCommand({ TableName: TABLE, ConsistentRead: true, FilterExpression: 'begins_with(sk, :p)', ExpressionAttributeValues: { ':p': prefix } }),
    );
    return (page.Items ?? []).map((i) => `${i.pk} ${i.sk}`);
  } finally {
    client.destroy();
  }
};

describe('API fuzzing', () => {
  it(
    `answers ${RUNS} random and malformed requests without a 5xx, always with {code, message}`,
    async () => {
      const started = Date.now();
      try {
        await fuzzApi(
          { apiUrl: t.cloud.apiUrl, org: ORG, project: PROJECT, tokens, deploymentIds: () => [fixtureId, ...stats.created.map((c) => c.id)], keyIds: () => stats.keys },
          stats,
          {
            runs: RUNS,
            seed: SEED,
            // what the fuzzer deployed lives on for the other routes; the oldest beyond 3 is deleted
            onCreated: async () => {
              const live = stats.created.filter((c) => !cleaned.has(c.id));
              for (const { id, base } of live.slice(0, Math.max(0, live.length - 3))) {
                cleaned.add(id);
                const record = (await t.records()).find((r) => r.id === id);
                if (!record) continue; // the fuzzer deleted it already
                const deleted = await t.api('DELETE', `${base}/${id}`, { token: await ownerOf(record.org_id) });
                expect([204, 404], JSON.stringify(deleted.body)).toContain(deleted.status);
              }
            },
          },
        );
      } finally {
        recordFigures('fuzz', {
          runs: RUNS,
          seed: SEED,
          seconds: (Date.now() - started) / 1000,
          requests: stats.requests,
          refusedByClient: stats.refusedByClient,
          byStatus: stats.byStatus,
          byRoute: stats.byRoute,
          byBodyKind: stats.byBodyKind,
          serverErrors: stats.serverErrors,
          contractViolations: stats.contractViolations,
          created: stats.created.length,
          scaled: stats.scaled.length,
          deleted: stats.deleted.length,
        });
      }
      expect(stats.serverErrors).toEqual([]);
      expect(stats.contractViolations).toEqual([]);
      expect(stats.requests).toBeGreaterThanOrEqual(RUNS * 0.9);
      // the fuzzer reached the handlers, not only the gateway's 401/404
      for (const status of ['200', '400', '401', '404']) expect(stats.byStatus[status] ?? 0, `answers ${status}`).toBeGreaterThan(0);
      expect((await send(t.cloud.apiUrl, { method: 'GET', path: '/api/v1beta1/inventory', headers: { authorization: `Bearer ${tokens.editor}` } })).status).toBe(200);
    },
    Math.max(60_000, RUNS * 200),
  );

  it(
    `the inference gateway answers ${GATEWAY_RUNS} random requests without a 5xx, in OpenAI's error shape, and never another project's key`,
    async () => {
      const keyIn = async (org: string, project: string, token: string) => {
        const made = await t.api('POST', `${API_BASE_PATH}/orgs/${org}/projects/${project}/inference-keys`, { token, body: { name: 'fuzz-gateway' } });
        expect(made.status, JSON.stringify(made.body)).toBe(201);
        return String(made.body.key);
      };
      const gatewayStats = emptyGatewayStats();
      const own = await keyIn(ORG, PROJECT, tokens.editor);
      const target = await t.api('POST', BASE, { body: qwenBody('fuzz-gateway-target') });
      expect(target.status, JSON.stringify(target.body)).toBe(201);
      const targetId: string = target.body.id;
      gatewayTargetId = targetId;
      await waitFor(() => t.api('GET', `${BASE}/${targetId}`), (r) => r.body.status === 'ready', 'gateway target ready', 20_000);
      // The target is reachable: the project's own key lists its models.
      const control = await fetch(`${t.cloud.gatewayUrl}/orgs/${ORG}/projects/${PROJECT}/aimodels/${targetId}/v1/models`, { headers: { authorization: `Bearer ${own}` } });
      expect(control.status).toBe(200);
      try {
        await fuzzGateway(
          {
            gatewayUrl: t.cloud.gatewayUrl,
            org: ORG,
            project: PROJECT,
            deploymentId: targetId,
            keys: {
              own,
              otherProject: await keyIn(ORG, 'prj-other', tokens.otherProject),
              otherOrg: await keyIn('org-other', PROJECT, tokens.otherOrg),
            },
          },
          gatewayStats,
          { runs: GATEWAY_RUNS, seed: SEED },
        );
      } finally {
        recordFigures('fuzz-gateway', { requests: gatewayStats.requests, byStatus: gatewayStats.byStatus, serverErrors: gatewayStats.serverErrors, violations: gatewayStats.violations });
      }
      expect(gatewayStats.serverErrors).toEqual([]);
      expect(gatewayStats.violations).toEqual([]);
      // It reached the key checks (401, 403) and the routing (404); the control request above, the model server.
      for (const status of ['401', '403', '404']) expect(gatewayStats.byStatus[status] ?? 0, `answers ${status}`).toBeGreaterThan(0);
    },
    Math.max(60_000, RUNS * 100),
  );

  it('regression (found by the fuzzer): a deploy body the gateway passes but DynamoDB could not store is a 413, not a 500', async () => {
    for (const size of [70_000, 500_000, 1_000_000]) {
      const body = { ...qwenBody(`big-${size}`), config: { pad: 'x'.repeat(size) } };
      const response = await t.api('POST', BASE, { body });
      expect(response.status, JSON.stringify(response.body)).toBe(413);
      expect(response.body).toEqual({ code: 'payload_too_large', message: 'request body exceeds 65536 bytes' });
      const scale = await t.api('PUT', `${BASE}/${fixtureId}/scale`, { body: { replicas: 1, pad: 'x'.repeat(size) } });
      expect(scale.status).toBe(413);
    }
    const names = (await t.api('GET', BASE)).body.items.map((d: { name: string }) => d.name);
    expect(names.filter((n: string) => n.startsWith('big-'))).toEqual([]);
  });

  it('answers malformed HTTP (below the router) with one 4xx {code, message} and keeps serving', async () => {
    const raw = emptyStats();
    const runs = Math.max(50, Math.round(RUNS / 10));
    try {
      await fuzzRawHttp(t.cloud.apiUrl, raw, { runs, seed: SEED });
    } finally {
      recordFigures('fuzz-raw', { runs, requests: raw.requests, byStatus: raw.byStatus, byKind: raw.byBodyKind, serverErrors: raw.serverErrors, contractViolations: raw.contractViolations });
    }
    expect(raw.serverErrors).toEqual([]);
    expect(raw.contractViolations).toEqual([]);
    expect(raw.requests).toBe(runs);
    expect((await send(t.cloud.apiUrl, { method: 'GET', path: '/api/v1beta1/inventory', headers: { authorization: `Bearer ${tokens.editor}` } })).status).toBe(200);
  });

  it('leaves the store exact once what the fuzzer created is gone', async () => {
    // Settle every operation, then delete whatever is left (the fixture, unless the fuzzer deleted it).
    const settled = await waitFor(() => t.records(), (rs) => rs.every((r) => r.status === 'ready' || r.status === 'failed'), 'every deployment settled', 30_000);
    for (const r of settled) {
      // the fuzzer also deploys into other tenants (e.g. org-other with its own token)
      const deleted = await t.api('DELETE', `/api/v1beta1/orgs/${r.org_id}/projects/${r.project_id}/aimodels/${r.id}`, { token: await ownerOf(r.org_id) });
      expect([204, 404]).toContain(deleted.status);
    }
    await waitFor(() => t.records(), (rs) => rs.length === 0, 'every deployment deleted', 30_000);
    for (const config of INVENTORY.gpu_configs) {
      expect(await t.ledger(config.config_id), `ledger of ${config.config_id}`).toBe(0);
      await expectLedgerMatchesRecords(t, config.config_id);
      await expectNodeGroupSizedForLive(t, config.config_id, 10_000);
    }
    expect(await scanSortKeys('NAME#'), 'name claims left').toEqual([]);
    for (const id of [fixtureId, ...(gatewayTargetId ? [gatewayTargetId] : []), ...stats.created.map((c) => c.id)]) await expectNoObjectsOf(t, id);
    recordFigures('fuzz', { storeExactAfterCleanup: true, deploymentsCleanedUp: settled.length });
  });
});
