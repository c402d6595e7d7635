/**
 * The console's files and the local sign-in on the local API Gateway (local/gateway/console.ts):
 * served without a token beside the API's routes, built once, and a dev token only for a valid
 * request from this machine, verifiable like any token of `npm run token`.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RouteDefinition } from '../../contract/routes';
import { createConsoleSite, startApiGateway } from '../../local/gateway';
import { loadOrCreateDevKey, verifyBearer, type DevKey } from '../../local/jwt';

const ROUTE: RouteDefinition = { name: 'ping', method: 'GET', path: '/api/v1beta1/ping', entry: 'inline/ping.ts', access: { table: 'R' } };

let url: string;
let close: () => Promise<void>;
let key: DevKey;
let dataDir: string;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'console-site-test-'));
  key = await loadOrCreateDevKey(dataDir);
  const gateway = await startApiGateway({
    routes: [ROUTE],
    key,
    site: createConsoleSite(key),
    loadHandler: async () => async () => ({ statusCode: 200, body: '{"pong":true}' }),
  });
  url = gateway.url;
  close = gateway.close;
});
afterAll(async () => {
  await close?.();
  await rm(dataDir, { recursive: true, force: true });
});

const mint = (body: unknown) => fetch(`${url}/console/local/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

describe('the console files', () => {
  it('serves index.html at /, the bundle under /console/ and the local config, without a token and uncached', async () => {
    const index = await fetch(`${url}/`);
    expect(index.status).toBe(200);
    expect(index.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(index.headers.get('cache-control')).toBe('no-cache');
    expect(await index.text()).toContain('<script type="module" src="/console/app.js">');
    const app = await fetch(`${url}/console/app.js`);
    expect(app.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect((await app.text()).length).toBeGreaterThan(10_000);
    expect((await fetch(`${url}/console/app.css`)).status).toBe(200);
    expect(await (await fetch(`${url}/console/config.json`)).json()).toEqual({ apiUrl: '', auth: { mode: 'local', tokenUrl: '/console/local/token' } });
    const head = await fetch(`${url}/`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
  });

  it('answers unknown console paths and other methods like the gateway does, and leaves the API to its routes', async () => {
    const missing = await fetch(`${url}/console/nope.js`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ code: 'not_found' });
    const post = await fetch(`${url}/`, { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
    expect((await fetch(`${url}/console/local/token`)).status).toBe(405);
    // The API keeps its authorizer: the site does not open it.
    expect((await fetch(`${url}/api/v1beta1/ping`)).status).toBe(401);
    expect((await fetch(`${url}/other`)).status).toBe(404);
  });
});

describe('the local sign-in', () => {
  it('signs a dev token for the tenant and role asked, which the gateway accepts', async () => {
    const response = await mint({ org_id: 'org-acme', project_ids: 'prj-web, prj-ml', role: 'admin' });
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const { token } = (await response.json()) as { token: string };
    const verified = await verifyBearer(`Bearer ${token}`, key);
    expect(verified.ok).toBe(true);
    if (verified.ok) expect(verified.claims).toMatchObject({ org_id: 'org-acme', project_ids: 'prj-web prj-ml', role: 'admin', sub: 'console-local' });
    const api = await fetch(`${url}/api/v1beta1/ping`, { headers: { authorization: `Bearer ${token}` } });
    expect(api.status).toBe(200);
  });

  it.each([
    [{ project_ids: 'p' }, /org_id/],
    [{ org_id: 'org a', project_ids: 'p' }, /org_id must not contain spaces/],
    [{ org_id: 'o', project_ids: '' }, /project_ids is required/],
    [{ org_id: 'o', project_ids: 'p', role: 'owner' }, /role must be one of admin, editor, viewer/],
    [{ org_id: 'o', project_ids: 'p,*' }, /\* must be the only project id/],
  ])('refuses %j with a message naming the field', async (body, message) => {
    const response = await mint(body);
    expect(response.status).toBe(400);
    expect(((await response.json()) as { message: string }).message).toMatch(message);
  });

  it('refuses a body that is not JSON', async () => {
    const response = await fetch(`${url}/console/local/token`, { method: 'POST', body: 'org=acme' });
    expect(response.status).toBe(400);
  });
});
