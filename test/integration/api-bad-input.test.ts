/**
 * Bad input through the real HTTP path gets a 4xx `{code, message}` naming the problem,
 * writes nothing, and leaves the server serving.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BASE, basePath, ORG, PROJECT, startTestCloud, type TestCloud } from '../support/local-cloud';

let t: TestCloud;
beforeAll(async () => {
  t = await startTestCloud(0.01);
});
afterAll(async () => {
  await t?.close();
});

const valid = {
  name: 'qwen-valid',
  catalog_id: 'Qwen-Qwen2.5-0.5B-Instruct',
  region: 'us-east-1',
  gpu_config_id: 'l4-24gb',
  gpu_count: 1,
  plan_id: 'plan-l4-24gb-ondemand',
};

const totalDeployments = async () => (await t.api('GET', BASE)).body.pagination.total_items as number;

describe('bad input', () => {
  it.each([
    ['malformed JSON', { rawBody: '{"name": ', headers: { 'content-type': 'application/json' } }, 400, 'not valid JSON'],
    ['an array body', { body: [valid] }, 400, 'JSON object'],
    ['a missing name', { body: { ...valid, name: undefined } }, 400, 'name'],
    ['a too long name', { body: { ...valid, name: 'a'.repeat(31) } }, 400, 'name'],
    ['a non DNS-1123 name', { body: { ...valid, name: 'Qwen_Small' } }, 400, 'name'],
    ['a wrong type', { body: { ...valid, gpu_count: 'one' } }, 400, 'gpu_count'],
    ['an unknown catalog id', { body: { ...valid, catalog_id: 'nope' } }, 400, 'catalog_id'],
    ['an unknown gpu config', { body: { ...valid, gpu_config_id: 'tpu' } }, 400, 'gpu_config_id'],
    ['too many GPUs', { body: { ...valid, gpu_count: 8 } }, 400, 'max_gpu_count'],
    ['a plan of another GPU', { body: { ...valid, plan_id: 'plan-a100-80gb-ondemand' } }, 400, 'plan_id'],
    ['max_model_len out of range', { body: { ...valid, config: { max_model_len: 1_000_000 } } }, 400, 'config.max_model_len'],
    ['extra_args not strings', { body: { ...valid, config: { extra_args: [1] } } }, 400, 'config.extra_args'],
    ['absurd replicas', { body: { ...valid, replicas: 100000 } }, 400, 'replicas'],
    ['JSON nested too deep', { rawBody: `{"name":"x","config":${'{"a":'.repeat(40)}1${'}'.repeat(40)}}`, headers: { 'content-type': 'application/json' } }, 400, 'nested'],
    ['a wrong content type', { rawBody: 'name=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } }, 415, 'content-type'],
  ])('rejects %s with a clear message', async (_what, request, status, message) => {
    const response = await t.api('POST', BASE, request);
    expect(response.status).toBe(status);
    expect(response.body.code).toMatch(/^[a-z_]+$/);
    expect(response.body.message).toContain(message);
    expect(await totalDeployments()).toBe(0);
  });

  it('answers 413 to a body over 1 MB, and keeps serving', async () => {
    const response = await t.api('POST', BASE, { body: { ...valid, config: { pad: 'x'.repeat(1_100_000) } } });
    expect(response.status).toBe(413);
    expect(response.body.code).toBe('payload_too_large');
    expect((await t.api('GET', '/api/v1beta1/inventory')).status).toBe(200);
  });

  it('rejects bad pagination by name', async () => {
    for (const query of ['page=0', 'limit=0', 'limit=101', 'page=abc']) {
      const response = await t.api('GET', `${BASE}?${query}`);
      expect(response.status).toBe(400);
      expect(response.body.message).toContain(query.split('=')[0]);
    }
  });

  it('answers unknown routes and methods with 404 and 405', async () => {
    expect((await t.api('GET', '/api/v1beta1/nothing-here')).status).toBe(404);
    expect((await t.api('PATCH', BASE)).status).toBe(405);
  });

  it('requires a valid token, and hides other tenants behind 404', async () => {
    expect((await t.api('GET', BASE, { token: null })).status).toBe(401);
    expect((await t.api('GET', BASE, { token: 'not-a-jwt' })).status).toBe(401);
    const otherOrg = await t.token({ org_id: 'org-other', project_ids: PROJECT });
    expect((await t.api('GET', BASE, { token: otherOrg })).status).toBe(404);
    const otherProject = await t.token({ org_id: ORG, project_ids: 'prj-other' });
    expect((await t.api('GET', BASE, { token: otherProject })).status).toBe(404);
    const viewer = await t.token({ role: 'viewer' });
    expect((await t.api('GET', BASE, { token: viewer })).status).toBe(200);
    const denied = await t.api('POST', BASE, { token: viewer, body: valid });
    expect(denied.status).toBe(403);
    expect(denied.body.code).toBe('forbidden');
  });

  it('answers 404 for unknown deployments and 400 for malformed ids', async () => {
    expect((await t.api('GET', `${BASE}/dep-doesnotexist`)).status).toBe(404);
    expect((await t.api('DELETE', `${BASE}/dep-doesnotexist`)).status).toBe(404);
    expect((await t.api('PUT', `${BASE}/dep-doesnotexist/scale`, { body: { replicas: 2 } })).status).toBe(404);
    const malformed = await t.api('GET', `${BASE}/DROP%20TABLE`);
    expect(malformed.status).toBe(400);
    expect(malformed.body.message).toContain('model_id');
  });

  // aws-review.md m8: the ids become label values of the model's Kubernetes objects; the path
  // admits ids a label value cannot hold (a trailing '-'), so the deploy refuses them before it reserves.
  it('refuses a deploy or a dry run under an org or project id that is not a label value, naming the field; reads still work', async () => {
    const trailing = await t.tenant('prj-');
    const otherOrg = 'org-acme-';
    const orgToken = await t.token({ org_id: otherOrg, project_ids: PROJECT });
    for (const [field, base, token] of [
      ['project_id', trailing.base, trailing.token],
      ['org_id', basePath(PROJECT, otherOrg), orgToken],
    ] as const) {
      for (const path of [base, `${base}?dry_run=true`]) {
        const refused = await t.api('POST', path, { token, body: valid });
        expect(refused.status, path).toBe(400);
        expect(refused.body.code).toBe('invalid_request');
        expect(refused.body.message, path).toContain(`${field} '`);
      }
      const list = await t.api('GET', base, { token });
      expect(list.status).toBe(200);
      expect(list.body.pagination.total_items).toBe(0);
    }
    expect(await t.ledger(valid.gpu_config_id)).toBe(0);
  });

  it('answers 409 to a second deployment with the same name, creating nothing more', async () => {
    const first = await t.api('POST', BASE, { body: { ...valid, name: 'same-name' } });
    expect(first.status).toBe(201);
    const second = await t.api('POST', BASE, { body: { ...valid, name: 'same-name' } });
    expect(second.status).toBe(409);
    expect(second.body).toEqual({ code: 'conflict', message: expect.stringContaining('same-name') });
    expect(await totalDeployments()).toBe(1);
    const scale = await t.api('PUT', `${BASE}/${first.body.id}/scale`, { body: { replicas: -1 } }); // 0 pauses: valid
    expect(scale.status).toBe(400);
    expect(scale.body.message).toContain('replicas');
    expect((await t.api('DELETE', `${BASE}/${first.body.id}`)).status).toBe(204);
  });
});
