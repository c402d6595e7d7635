/**
 * gpuctl's typed routes (cli/api.ts) against the route table: every route it calls exists with
 * the method it means, and its path fills from a deployment id and the token's scope.
 */
import { describe, expect, it } from 'vitest';
import { METHODS, routeOf, type RouteName } from '../../cli/api';
import { ROUTES } from '../../contract/routes';

const scope: Record<string, string> = { org_id: 'org-acme', project_id: 'prj-web', model_id: 'dep-1', catalog_id: 'Qwen-Qwen2.5-0.5B-Instruct', key_id: 'ikaaaaaaaaaaaaaaaaaa' };

describe('gpuctl routes', () => {
  it('calls only routes of the route table, with their methods, and fills every path parameter', () => {
    for (const name of Object.keys(METHODS) as RouteName[]) {
      const route = ROUTES.find((r) => r.name === name);
      expect(route?.method, name).toBe(METHODS[name]);
      const { method, path } = routeOf(name, (param) => scope[param]);
      expect(method).toBe(METHODS[name]);
      expect(path, name).toMatch(/^\/api\/v1beta1\/[^{}]+$/);
    }
  });

  it('builds paths from the route table, each parameter encoded', () => {
    expect(routeOf('list-catalog', () => undefined)).toEqual({ method: 'GET', path: '/api/v1beta1/aimodels-catalog' });
    expect(routeOf('scale-deployment', (param) => ({ ...scope, model_id: 'dep/1 x' })[param])).toEqual({
      method: 'PUT',
      path: '/api/v1beta1/orgs/org-acme/projects/prj-web/aimodels/dep%2F1%20x/scale',
    });
    expect(() => routeOf('get-deployment', (param) => (param === 'model_id' ? undefined : scope[param]))).toThrow('route get-deployment needs model_id');
  });
});
