
describe('the contract check the api() helper runs on every answer', async () => {
  const { contractViolation } = await import('../support/openapi-contract');
  const base = '/api/v1beta1/orgs/org-acme/projects/prj-web/aimodels';
  const error = { code: 'not_found', message: 'no such deployment' };

  it('accepts documented answers, by method, path template and status', () => {
    expect(contractViolation('GET', `${base}/dep-abc/events?limit=2`, 200, 'application/json', { items: [], next_cursor: null })).toBeUndefined();
    expect(contractViolation('GET', `${base}/dep-abc`, 404, 'application/json', error)).toBeUndefined();
    expect(contractViolation('DELETE', `${base}/dep-abc`, 204, null, undefined)).toBeUndefined();
    expect(contractViolation('GET', '/api/v1beta1/nowhere', 404, 'application/json', error)).toBeUndefined();
    expect(contractViolation('PATCH', `${base}/dep-abc`, 405, 'application/json', { code: 'method_not_allowed', message: 'PATCH is not allowed' })).toBeUndefined();
  });

  it('rejects an undocumented status, a body missing a field or with an unknown one, and an unknown error code', () => {
    expect(contractViolation('GET', '/api/v1beta1/inventory', 404, 'application/json', error)).toMatch(/status 404 is not documented/);
    expect(contractViolation('GET', `${base}/dep-abc/events`, 200, 'application/json', { items: [] })).toMatch(/must have required property 'next_cursor'/);
    expect(contractViolation('GET', `${base}/dep-abc/events`, 200, 'application/json', { items: [], next_cursor: null, extra: 1 })).toMatch(/additional properties \(extra\)/);
    expect(contractViolation('GET', `${base}/dep-abc`, 404, 'application/json', { code: 'gone', message: 'x' })).toMatch(/\/code must be equal to one of the allowed values/);
    expect(contractViolation('DELETE', `${base}/dep-abc`, 204, 'application/json', {})).toMatch(/documented without a body/);
    expect(contractViolation('GET', '/api/v1beta1/nowhere', 500, 'application/json', error)).toMatch(/must be 404/);
  });
});
