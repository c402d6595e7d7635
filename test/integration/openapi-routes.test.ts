/**
 * The API describes itself without a token: GET /api/v1beta1/openapi.json is the document the
 * contract checks use, GET /api/v1beta1/docs a page that loads nothing from elsewhere; every
 * other route still wants a token.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildOpenApiDocument } from '../../contract/openapi';
import { ROUTES } from '../../contract/routes';
import { startTestCloud, type TestCloud } from '../support/local-cloud';

let t: TestCloud;
beforeAll(async () => {
  t = await startTestCloud(0.01);
});
afterAll(async () => t?.close());

describe('the API\'s own description', () => {
  it('serves the OpenAPI document without a token, the same one the tests check answers against', async () => {
    const answer = await t.api('GET', '/api/v1beta1/openapi.json', { token: null });
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual(JSON.parse(JSON.stringify(buildOpenApiDocument())));
  });

  it('serves a browsable page without a token, with a policy that lets it load nothing', async () => {
    const response = await fetch(`${t.cloud.apiUrl}/api/v1beta1/docs`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(response.headers.get('content-security-policy')).toMatch(/^default-src 'none'; style-src 'unsafe-inline'/);
    const page = await response.text();
    for (const route of ROUTES) expect(page).toContain(`<code>${route.path}</code>`);
    expect((await t.api('GET', '/api/v1beta1/docs', { token: null })).status).toBe(200); // and keeps the contract (text/html)
  });

  it('still answers 401 without a token on every other route', async () => {
    for (const route of ROUTES.filter((r) => !r.public)) {
      const path = route.path.replace('{org_id}', 'org-acme').replace('{project_id}', 'prj-web').replace('{model_id}', 'dep-abc');
      const answer = await t.api(route.method, path, { token: null });
      expect(answer.status, route.name).toBe(401);
      expect(answer.body.code).toBe('unauthorized');
    }
  });
});
