/**
 * Tenant isolation matrix: every route of ROUTES (infra/definitions/routes.ts, so a new route
 * is covered without touching this file) against every kind of caller that must not reach
 * tenant A's deployment: another org, another project of the same org, an expired token, a
 * token signed with another key, an unsigned (`alg: none`) token, no token; and a viewer of
 * A, who may read but not deploy, scale or delete. Expected: 401 for a bad credential, 404
 * for another tenant (existence is not revealed), 403 for a viewer's write, and no body that
 * carries anything of A's deployment. Then the swap: tenant B naming A's deployment id under
 * its own path gets 404 on every deployment route. The owner's control cases prove each route
 * was reachable at all.
 *
 * The gateway's JWT rules themselves are proven in api-gateway.test.ts; this file proves the
 * real handlers behind them.
 */
import { SignJWT } from 'jose';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROUTES, type RouteDefinition } from '../../infra/definitions/routes';
import { DEV_AUDIENCE, DEV_ISSUER, loadOrCreateDevKey, signDevToken } from '../../local/jwt';
import { qwenBody } from '../support/failures';
import { BASE, ORG, PROJECT, basePath, startTestCloud, waitFor, type TestCloud } from '../support/local-cloud';
import { recordFigures } from '../reliability/figures';

const ORG_B = 'org-beta';
const PROJECT_B = 'prj-b';
const BASE_B = basePath(PROJECT_B, ORG_B);
const SECRET_NAME = 'tenant-a-private';

type Caller = 'owner' | 'viewer' | 'otherOrg' | 'otherOrgSameProject' | 'otherProject' | 'expired' | 'foreignKey' | 'algNone' | 'noToken';
const BAD_CREDENTIALS: readonly Caller[] = ['expired', 'foreignKey', 'algNone', 'noToken'];
const OTHER_TENANTS: readonly Caller[] = ['otherOrg', 'otherOrgSameProject', 'otherProject'];

let t: TestCloud;
let tokens: Record<Caller, string | null>;
let tokenB: string;
let idA: string;
let viewA: Record<string, unknown>;
let idB: string;

beforeAll(async () => {
  t = await startTestCloud(0.01, { cron: false });
  const key = await loadOrCreateDevKey(t.cloud.dataDir);
  const foreignDir = await mkdtemp(join(tmpdir(), 'isolation-foreign-key-'));
  const now = Math.floor(Date.now() / 1000);
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  tokens = {
    owner: t.defaultToken,
    viewer: await t.token({ role: 'viewer' }),
    otherOrg: await t.token({ org_id: ORG_B, project_ids: '*' }),
    otherOrgSameProject: await t.token({ org_id: ORG_B, project_ids: PROJECT }),
    otherProject: await t.token({ project_ids: 'prj-other' }),
    expired: await new SignJWT({ org_id: ORG, project_ids: PROJECT })
      .setProtectedHeader({ alg: 'ES256', kid: key.kid })
      .setIssuer(DEV_ISSUER)
      .setAudience(DEV_AUDIENCE)
      .setIssuedAt(now - 7200)
      .setExpirationTime(now - 60)
      .sign(key.privateKey),
    foreignKey: await signDevToken(await loadOrCreateDevKey(foreignDir), { org_id: ORG, project_ids: PROJECT }),
    algNone: `${part({ alg: 'none', typ: 'JWT', kid: key.kid })}.${part({ org_id: ORG, project_ids: PROJECT, iss: DEV_ISSUER, aud: DEV_AUDIENCE, iat: now, exp: now + 3600 })}.`,
    noToken: null,
  };
  await rm(foreignDir, { recursive: true, force: true });
  tokenB = await t.token({ org_id: ORG_B, project_ids: PROJECT_B });

  const a = await t.api('POST', BASE, { body: qwenBody(SECRET_NAME) });
  const b = await t.api('POST', BASE_B, { token: tokenB, body: qwenBody('tenant-b-own') });
  expect([a.status, b.status]).toEqual([201, 201]);
  idA = a.body.id;
  idB = b.body.id;
  viewA = (await waitFor(() => t.api('GET', `${BASE}/${idA}`), (r) => r.body.status === 'ready', 'A ready', 20_000)).body;
  await waitFor(() => t.api('GET', `${BASE_B}/${idB}`, { token: tokenB }), (r) => r.body.status === 'ready', 'B ready', 20_000);
});
afterAll(async () => {
  await t?.close();
});

const isTenantRoute = (route: RouteDefinition) => route.path.includes('{org_id}');
const isWrite = (route: RouteDefinition) => route.access.table === 'RW';
const pathOf = (route: RouteDefinition, org: string, project: string, id: string) =>
  route.path.replace('{org_id}', org).replace('{project_id}', project).replace('{model_id}', id);

/** What only A's deployment has: its name, its execution, its creation time, its endpoint. */
const privateMarkers = () =>
  [SECRET_NAME, String((viewA.workflow as { execution_arn: string }).execution_arn), String(viewA.created_at), String(viewA.endpoint_url)].filter(
    (m) => m !== 'null' && m !== 'undefined',
  );

/** A request that gets past validation for the owner: reads as they are, writes with a body the handler must reject. */
const requestOf = (route: RouteDefinition) => {
  if (route.method === 'POST') return { body: {} };
  if (route.method === 'PUT') return { body: {} };
  return {};
};

const expected = (route: RouteDefinition, caller: Caller): number => {
  if (BAD_CREDENTIALS.includes(caller)) return 401;
  if (!isTenantRoute(route)) return 200;
  if (OTHER_TENANTS.includes(caller)) return 404;
  if (caller === 'viewer' && isWrite(route)) return 403;
  // owner (and a viewer's read): reads succeed; writes reach the handler and fail on the empty body
  return route.method === 'GET' ? 200 : 400;
};

const matrix: { route: string; caller: Caller; status: number; expected: number }[] = [];

describe.each(ROUTES.map((route) => [route.name, route] as const))('%s', (_name, route) => {
  const callers: Caller[] = ['owner', 'viewer', ...OTHER_TENANTS, ...BAD_CREDENTIALS];

  it.each(callers.filter((c) => !(c === 'owner' && route.method === 'DELETE')))('as %s', async (caller) => {
    const response = await t.api(route.method, pathOf(route, ORG, PROJECT, idA), { token: tokens[caller], ...requestOf(route) });
    const want = expected(route, caller);
    matrix.push({ route: route.name, caller, status: response.status, expected: want });

    expect(response.status, `${route.method} ${route.path} as ${caller}: ${JSON.stringify(response.body)}`).toBe(want);
    if (want >= 400) expect(response.body).toEqual({ code: expect.stringMatching(/^[a-z_]+$/), message: expect.any(String) });
    if (caller !== 'owner' && caller !== 'viewer') {
      const text = JSON.stringify(response.body ?? '');
      for (const marker of privateMarkers()) expect(text, `${caller} saw ${marker}`).not.toContain(marker);
    }
  });

  if (route.path.includes('{model_id}')) {
    it("tenant B naming A's deployment id under its own path gets 404 and nothing of A", async () => {
      const response = await t.api(route.method, pathOf(route, ORG_B, PROJECT_B, idA), { token: tokenB, ...(route.method === 'PUT' ? { body: { replicas: 2 } } : {}) });
      matrix.push({ route: route.name, caller: 'otherOrg', status: response.status, expected: 404 });
      expect(response.status, JSON.stringify(response.body)).toBe(404);
      for (const marker of privateMarkers()) expect(JSON.stringify(response.body)).not.toContain(marker);
    });
  }
});

describe('after the matrix', () => {
  it("A's deployment is untouched, B's list holds only B's, and the owner can still delete", async () => {
    const a = await t.api('GET', `${BASE}/${idA}`);
    expect(a.body).toMatchObject({ id: idA, status: 'ready', replicas: 1, name: SECRET_NAME });
    const listB = await t.api('GET', BASE_B, { token: tokenB });
    expect(listB.body.items.map((d: { id: string }) => d.id)).toEqual([idB]);
    expect(JSON.stringify(listB.body)).not.toContain(SECRET_NAME);
    expect((await t.api('GET', BASE)).body.pagination.total_items).toBe(1);

    expect((await t.api('DELETE', `${BASE}/${idA}`)).status).toBe(204);
    expect((await t.api('DELETE', `${BASE_B}/${idB}`, { token: tokenB })).status).toBe(204);
    await waitFor(() => t.records(), (rs) => rs.length === 0, 'both deleted', 20_000);

    const mismatches = matrix.filter((m) => m.status !== m.expected);
    recordFigures('isolation', {
      routes: ROUTES.length,
      cases: matrix.length,
      mismatches: mismatches.length,
      byExpectedStatus: matrix.reduce<Record<string, number>>((acc, m) => ({ ...acc, [m.expected]: (acc[m.expected] ?? 0) + 1 }), {}),
    });
    expect(mismatches).toEqual([]);
    expect(matrix.length).toBeGreaterThanOrEqual(ROUTES.length * 8);
  });
});
