/**
 * The Cognito user pool (infra/constructs/auth.ts) carries the tenant claims as custom
 * attributes, which a Cognito ID token spells `custom:<name>`. The handlers must authorise such
 * a token exactly as one with the plain claims (functions/commons/http.ts), and a plain claim,
 * when present, wins.
 */
import { describe, expect, it } from 'vitest';
import { TENANT_ATTRIBUTES } from '../../infra/constructs/auth';
import { callerOf, type ApiEvent } from '../../functions/commons/http';

const eventWithClaims = (claims: Record<string, string>): ApiEvent =>
  ({ requestContext: { authorizer: { jwt: { claims, scopes: [] } } } }) as unknown as ApiEvent;

describe('Cognito ID token claims', () => {
  it('names exactly the claims the handlers authorise with', () => {
    expect(Object.keys(TENANT_ATTRIBUTES).sort()).toEqual(['org_id', 'project_ids', 'role']);
  });

  it('authorises custom:org_id, custom:project_ids and custom:role like the plain claims', () => {
    const caller = callerOf(
      eventWithClaims({ sub: 'u-1', 'custom:org_id': 'acme', 'custom:project_ids': 'chat search', 'custom:role': 'viewer', 'cognito:username': 'ada' }),
    );
    expect(caller).toMatchObject({ sub: 'u-1', org_id: 'acme', project_ids: ['chat', 'search'], role: 'viewer' });
    expect(callerOf(eventWithClaims({ 'custom:org_id': 'acme', 'custom:project_ids': '*' })).project_ids).toBe('*');
  });

  it('prefers a plain claim to its custom: twin', () => {
    expect(callerOf(eventWithClaims({ org_id: 'acme', 'custom:org_id': 'other' })).org_id).toBe('acme');
  });

  it('rejects a Cognito token without the org attribute (an access token, or a user no administrator set up)', () => {
    expect(() => callerOf(eventWithClaims({ sub: 'u-1', client_id: 'abc', token_use: 'access' }))).toThrow(/org_id/);
  });
});
