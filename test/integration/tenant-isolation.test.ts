/**
 * Tenant isolation matrix: every route of ROUTES (contract/routes.ts, so a new route
 * is covered without touching this file) against every kind of caller that must not reach
 * tenant A's deployment: another org, another project of the same org, an expired token, a
 * token signed with another key, an unsigned (`alg: none`) token, no token; and a viewer of
 * A, who may read but not deploy, scale or delete. Expected: 401 for a bad credential, 404
 * for another tenant (existence is not revealed), 403 for a viewer's write, and no body that
 * carries anything of A's deployment. Then the swap: tenant B naming A's deployment id under
 * its own path, with a body that passes validation, gets 404 on every deployment route (and
 * naming A's inference key id, on every key route). The
 * owner's control cases prove each route was reachable at all.
 *
 * Two kinds of routes hold no tenant's data and are judged by their own rules: public routes
 * (`public: true`, the API's description) answer 200 to anyone, with any token or none, and
 * carry nothing of A or B; org-independent writes (the catalog admin routes) refuse every
 * non-admin token with 403, any bad credential with 401, and succeed for an admin of any org.
 * What a route needs beyond ROUTES (a valid body, a precondition) is in ROUTE_NEEDS below.
 *
 * The gateway's JWT rules themselves are proven in api-gateway.test.ts; this file proves the
 * real handlers behind them.
 */
import { SignJWT } from 'jose';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_BASE_PATH, ROUTES, type RouteDefinition } from '../../contract/routes';
import { DEV_AUDIENCE, DEV_ISSUER, loadOrCreateDevKey, signDevToken } from '../../local/jwt';
import { qwenBody } from '../support/failures';
import { BASE, ORG, PROJECT, basePath, startTestCloud, waitFor, type TestCloud } from '../support/local-cloud';
import { recordFigures } from '../reliability/figures';

const ORG_B = 'org-beta';
const PROJECT_B = 'prj-b';
const BASE_B = basePath(PROJECT_B, ORG_B);
const SECRET_NAME = 'tenant-a-private';

type Caller = 'admin' | 'owner' | 'viewer' | 'otherOrg' | 'otherOrgSameProject' | 'otherProject' | 'expired' | 'foreignKey' | 'algNone' | 'noToken';
const BAD_CREDENTIALS: readonly Caller[] = ['expired', 'foreignKey', 'algNone', 'noToken'];
const OTHER_TENANTS: readonly Caller[] = ['otherOrg', 'otherOrgSameProject', 'otherProject'];

let t: TestCloud;
let tokens: Record<Caller, string | null>;
let tokenB: string;
let idA: string;
let viewA: Record<string, unknown>;
let idB: string;
/** A's inference key (the `{key_id}` of the key routes) and what only it shows: its prefix. */
let keyA: { id: string; key_prefix: string; key: string };
/** Inference keys of the other callers' own projects (B's org and project, A's org and another project). */
let gatewayKeys: Record<'keyB' | 'otherOrgSameProject' | 'otherProject', string>;

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
    // An admin of another org: catalog administration does not depend on the org.
    admin: await t.token({ org_id: ORG_B, project_ids: PROJECT_B, role: 'admin' }),
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

  // Preconditions of ROUTE_NEEDS: A has a schedule to read (no cron runs here: it never fires);
  // the catalog holds the models the admin cases change and retire.
  expect((await t.api('PUT', `${BASE}/${idA}/schedule`, { body: SCHEDULE })).status).toBe(200);
  const created = await t.api('POST', `${API_BASE_PATH}/orgs/${ORG}/projects/${PROJECT}/inference-keys`, { body: { name: `${SECRET_NAME}-key`, deployment_ids: [idA] } });
  expect(created.status).toBe(201);
  keyA = { id: created.body.id, key_prefix: created.body.key_prefix, key: created.body.key };
  const keyOf = async (org: string, project: string, token: string | null) => {
    const made = await t.api('POST', `${API_BASE_PATH}/orgs/${org}/projects/${project}/inference-keys`, { token, body: { name: 'isolation-gateway' } });
    expect(made.status).toBe(201);
    return String(made.body.key);
  };
  gatewayKeys = {
    keyB: await keyOf(ORG_B, PROJECT_B, tokenB),
    otherOrgSameProject: await keyOf(ORG_B, PROJECT, tokens.otherOrgSameProject),
    otherProject: await keyOf(ORG, 'prj-other', tokens.otherProject),
  };
  for (const id of [CATALOG_KEPT, CATALOG_RETIRED]) {
    expect((await t.api('POST', CATALOG, { token: tokens.admin, body: catalogModel(id) })).status).toBe(201);
  }
});
afterAll(async () => {
  await t?.close();
});

const CATALOG = `${API_BASE_PATH}/aimodels-catalog`;
const CATALOG_KEPT = 'isolation-kept';
const CATALOG_RETIRED = 'isolation-retired';
const CATALOG_NEW = 'isolation-new';
const SCHEDULE = { time_zone: 'UTC', windows: [{ cron: '0 20 * * *', replicas: 1 }] };
const catalogModel = (id: string) => ({
  id,
  model_id: 'microsoft/Phi-3-mini-4k-instruct',
  name: `Phi-3 Mini (${id})`,
  vendor: 'Microsoft',
  parameters_billion: 3.8,
  dtype: 'bfloat16',
  architecture: { num_layers: 32, num_kv_heads: 32, head_dim: 96 },
  configurations: { max_model_len: { min: 512, max: 4096, default: 4096 }, max_num_seqs: { min: 1, max: 128, default: 32 } },
  recommended_gpu: { gpu_config_id: 'l4-24gb', gpu_count: 1 },
  tags: ['chat'],
});

/**
 * What a route needs beyond its ROUTES entry. `validBody`: a body that passes validation, sent
 * by other tenants and in the swap, so that their 404 can only come from tenancy (a write
 * route with {model_id} and no entry here fails the swap with a 400 naming the field).
 * `catalogId`: the catalog model an admin route acts on. `adminStatus`: an admin's success.
 */
const ROUTE_NEEDS: Record<string, { validBody?: unknown; catalogId?: string; adminStatus?: number }> = {
  'scale-deployment': { validBody: { replicas: 2 } },
  'set-deployment-autoscaling': { validBody: { min_replicas: 0, max_replicas: 2 } },
  'prompt-deployment': { validBody: { prompt: 'hello' } },
  'put-schedule': { validBody: SCHEDULE },
  'create-catalog-model': { validBody: catalogModel(CATALOG_NEW), adminStatus: 201 },
  'update-catalog-model': { validBody: { name: 'renamed by the admin' }, catalogId: CATALOG_KEPT, adminStatus: 200 },
  'retire-catalog-model': { catalogId: CATALOG_RETIRED, adminStatus: 204 },
  'create-inference-key': { validBody: { name: 'isolation' } },
};

const isTenantRoute = (route: RouteDefinition) => route.path.includes('{org_id}');
const isWrite = (route: RouteDefinition) => route.access.table === 'RW';
const isPublic = (route: RouteDefinition) => route.public === true;
/** An org-independent write: changes what every tenant sees (the catalog), so only an admin may. */
const isAdminRoute = (route: RouteDefinition) => !isTenantRoute(route) && !isPublic(route) && isWrite(route);
const pathOf = (route: RouteDefinition, org: string, project: string, id: string) =>
  route.path
    .replace('{org_id}', org)
    .replace('{project_id}', project)
    .replace('{model_id}', id)
    .replace('{key_id}', keyA.id)
    .replace('{catalog_id}', ROUTE_NEEDS[route.name]?.catalogId ?? 'no-catalog-id');

/** What only A's deployment has: its name, its execution, its creation time, its endpoint. */
const privateMarkers = () =>
  [SECRET_NAME, String((viewA.workflow as { execution_arn: string }).execution_arn), String(viewA.created_at), String(viewA.endpoint_url), keyA.key_prefix].filter(
    (m) => m !== 'null' && m !== 'undefined',
  );

/**
 * A's own members (owner, viewer) send tenant routes an empty body the handler must reject
 * (400: the route was reached, nothing of A changed); everyone else sends a valid body, so a
 * refusal is about who they are, never about what they sent.
 */
const requestOf = (route: RouteDefinition, caller: Caller) => {
  if (route.method !== 'POST' && route.method !== 'PUT') return {};
  const valid = ROUTE_NEEDS[route.name]?.validBody;
  const member = caller === 'owner' || caller === 'viewer';
  return { body: (member && isTenantRoute(route)) || valid === undefined ? {} : valid };
};

const expected = (route: RouteDefinition, caller: Caller): number => {
  if (isPublic(route)) return 200;
  if (BAD_CREDENTIALS.includes(caller)) return 401;
  if (isAdminRoute(route)) return caller === 'admin' ? (ROUTE_NEEDS[route.name]?.adminStatus ?? 200) : 403;
  if (!isTenantRoute(route)) return 200;
  if (OTHER_TENANTS.includes(caller)) return 404;
  if (caller === 'viewer' && isWrite(route)) return 403;
  // owner (and a viewer's read): reads succeed; writes reach the handler and fail on the empty body
  return route.method === 'GET' ? 200 : 400;
};

const matrix: { route: string; caller: Caller; status: number; expected: number }[] = [];

describe.each(ROUTES.map((route) => [route.name, route] as const))('%s', (_name, route) => {
  // The admin is a caller where the role decides (admin routes) or nothing does (public routes).
  const callers: Caller[] = [...(isAdminRoute(route) || isPublic(route) ? (['admin'] as const) : []), 'owner', 'viewer', ...OTHER_TENANTS, ...BAD_CREDENTIALS];
  // The owner's DELETE of a tenant route would end A's deployment (or schedule) before the rest of the matrix.
  const skipped = (c: Caller) => c === 'owner' && route.method === 'DELETE' && isTenantRoute(route);

  it.each(callers.filter((c) => !skipped(c)))('as %s', async (caller) => {
    const response = await t.api(route.method, pathOf(route, ORG, PROJECT, idA), { token: tokens[caller], ...requestOf(route, caller) });
    const want = expected(route, caller);
    matrix.push({ route: route.name, caller, status: response.status, expected: want });

    expect(response.status, `${route.method} ${route.path} as ${caller}: ${JSON.stringify(response.body)}`).toBe(want);
    if (want >= 400) expect(response.body).toEqual({ code: expect.stringMatching(/^[a-z_]+$/), message: expect.any(String) });
    if (want === 403) expect(response.body.code).toBe('forbidden');
    if (isPublic(route)) {
      // Public means nobody's: nothing of A or B, whoever asks.
      const text = JSON.stringify(response.body ?? '');
      for (const marker of [...privateMarkers(), idA, idB, 'tenant-b-own']) expect(text, `${route.name} holds ${marker}`).not.toContain(marker);
    } else if (caller !== 'owner' && caller !== 'viewer') {
      const text = JSON.stringify(response.body ?? '');
      for (const marker of privateMarkers()) expect(text, `${caller} saw ${marker}`).not.toContain(marker);
    }
  });

  if (route.path.includes('{model_id}') || route.path.includes('{key_id}')) {
    it("tenant B naming A's deployment (or inference key) id under its own path gets 404 and nothing of A", async () => {
      const body = ROUTE_NEEDS[route.name]?.validBody;
      const response = await t.api(route.method, pathOf(route, ORG_B, PROJECT_B, idA), { token: tokenB, ...(body === undefined ? {} : { body }) });
      matrix.push({ route: route.name, caller: 'otherOrg', status: response.status, expected: 404 });
      expect(response.status, JSON.stringify(response.body)).toBe(404);
      for (const marker of privateMarkers()) expect(JSON.stringify(response.body)).not.toContain(marker);
    });
  }
});

/**
 * The inference gateway: a key reaches the deployments of its own project only. A key of another
 * org or project gets 403 on A's deployment, the same answer whether the id exists; under its own
 * path, A's deployment id is an unknown deployment (404). No answer carries anything of A.
 */
describe('the inference gateway', () => {
  type KeyHolder = 'keyA' | keyof typeof gatewayKeys | 'none' | 'notAKey';
  const keyOf = (holder: KeyHolder): string | undefined =>
    holder === 'keyA' ? keyA.key : holder === 'none' ? undefined : holder === 'notAKey' ? 'sk-not-a-key' : gatewayKeys[holder];
  const routes = [
    { name: 'gateway GET /v1/models', method: 'GET', path: '/v1/models', body: undefined },
    { name: 'gateway POST /v1/chat/completions', method: 'POST', path: '/v1/chat/completions', body: { model: SECRET_NAME, messages: [{ role: 'user', content: 'hi' }], max_tokens: 2 } },
  ] as const;
  const cases: { holder: KeyHolder; target: 'A' | 'A-missing' | 'B' | 'A-under-B'; want: number }[] = [
    { holder: 'keyA', target: 'A', want: 200 },
    { holder: 'keyA', target: 'B', want: 403 },
    // keyA is scoped to deployment_ids [idA]: any other id of its project is outside its scope.
    { holder: 'keyA', target: 'A-missing', want: 403 },
    { holder: 'keyB', target: 'A', want: 403 },
    { holder: 'keyB', target: 'A-missing', want: 403 },
    { holder: 'keyB', target: 'A-under-B', want: 404 },
    { holder: 'otherOrgSameProject', target: 'A', want: 403 },
    { holder: 'otherProject', target: 'A', want: 403 },
    { holder: 'none', target: 'A', want: 401 },
    { holder: 'notAKey', target: 'A', want: 401 },
  ];
  const urlOf = (target: (typeof cases)[number]['target'], path: string) => {
    const [org, project, id] =
      target === 'A' ? [ORG, PROJECT, idA] : target === 'A-missing' ? [ORG, PROJECT, 'dep-doesnotexist'] : target === 'B' ? [ORG_B, PROJECT_B, idB] : [ORG_B, PROJECT_B, idA];
    return `${t.cloud.gatewayUrl}/orgs/${org}/projects/${project}/aimodels/${id}/v1${path.slice(3)}`;
  };

  describe.each(routes.map((r) => [r.name, r] as const))('%s', (name, route) => {
    it.each(cases.map((c) => [`${c.holder} on ${c.target}`, c] as const))('%s', async (_label, c) => {
      const key = keyOf(c.holder);
      const response = await fetch(urlOf(c.target, route.path), {
        method: route.method,
        headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
        ...(route.body ? { body: JSON.stringify(route.body) } : {}),
      });
      const text = await response.text();
      matrix.push({ route: name, caller: 'otherOrg', status: response.status, expected: c.want });
      expect(response.status, `${c.holder} on ${c.target}: ${text}`).toBe(c.want);
      if (c.want >= 400) expect(JSON.parse(text)).toEqual({ error: { message: expect.any(String), type: expect.any(String), code: expect.any(String) } });
      if (c.holder !== 'keyA') for (const marker of privateMarkers()) expect(text, `${c.holder} saw ${marker}`).not.toContain(marker);
    });
  });
});

describe('after the matrix', () => {
  it("A's deployment is untouched, B's list holds only B's, and the owner can still delete", async () => {
    const a = await t.api('GET', `${BASE}/${idA}`);
    expect(a.body).toMatchObject({ id: idA, status: 'ready', replicas: 1, name: SECRET_NAME, autoscaling: null });
    expect((await t.api('GET', `${BASE}/${idA}/schedule`)).body).toMatchObject(SCHEDULE);
    const keys = `${API_BASE_PATH}/orgs/${ORG}/projects/${PROJECT}/inference-keys`;
    expect((await t.api('GET', `${keys}/${keyA.id}`)).body).toMatchObject({ id: keyA.id, state: 'active', deployment_ids: [idA] });
    expect((await t.api('GET', keys)).body.pagination.total_items).toBe(1);
    expect((await t.api('DELETE', `${keys}/${keyA.id}`)).status).toBe(204);
    // Only the admin's own changes reached the catalog.
    const catalog = (await t.api('GET', CATALOG)).body.items as { id: string; name: string }[];
    expect(catalog.find((m) => m.id === CATALOG_KEPT)?.name).toBe('renamed by the admin');
    expect(catalog.map((m) => m.id)).toContain(CATALOG_NEW);
    expect(catalog.map((m) => m.id)).not.toContain(CATALOG_RETIRED);
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
