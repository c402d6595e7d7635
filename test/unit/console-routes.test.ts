/**
 * The console's API calls (console/src/paths.ts) against the contract's route table, so a
 * renamed or removed route fails here rather than in a browser; and how an API message is
 * matched to the form field it names.
 */
import { describe, expect, it } from 'vitest';
import { ROUTES } from '../../contract/routes';
import { fieldOfMessage } from '../../console/src/api';
import { CONSOLE_ROUTES, KEY_ROUTES, route } from '../../console/src/paths';

const served = new Set(ROUTES.map((r) => `${r.method} ${r.path}`));

describe('console paths', () => {
  it.each(Object.entries(CONSOLE_ROUTES))('%s is a route of contract/routes.ts', (_name, [method, path]) => {
    expect(served.has(`${method} ${path}`)).toBe(true);
  });

  it.each(Object.entries(KEY_ROUTES))('%s (inference keys) is a route of contract/routes.ts', (_name, [method, path]) => {
    expect(served.has(`${method} ${path}`)).toBe(true);
  });

  it('fills in and percent-encodes the parameters, and refuses a missing one', () => {
    expect(route('getDeployment', { org_id: 'org-a', project_id: 'p 1', model_id: 'dep-1' })).toEqual({
      method: 'GET',
      path: '/api/v1beta1/orgs/org-a/projects/p%201/aimodels/dep-1',
    });
    expect(() => route('getDeployment', { org_id: 'org-a', project_id: 'p' })).toThrow(/missing model_id/);
  });
});

describe('fieldOfMessage', () => {
  const fields = ['name', 'replicas', 'config.max_model_len', 'max_model_len', 'autoscaling.min_replicas', 'min_replicas'];
  it.each([
    ['name must be a DNS-1123 label: lowercase letters', 'name'],
    ['config.max_model_len must be between 512 and 32768 for this model', 'config.max_model_len'],
    ['replicas must be at most 16', 'replicas'],
    ['autoscaling.min_replicas must not exceed autoscaling.max_replicas', 'autoscaling.min_replicas'],
    ['the request body must be JSON', undefined],
    ['deployment_name is taken', undefined],
  ])('%s -> %s', (message, field) => {
    expect(fieldOfMessage(message, fields)).toBe(field);
  });
});
