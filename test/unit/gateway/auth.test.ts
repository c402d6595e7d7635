/** The gateway's key cache: a revoked key stops working within the valid TTL (30 s by default), a rejected one is retried after 5 s. */
import { describe, expect, it } from 'vitest';
import { hashSecret, newInferenceKey, type InferenceKeyRecord } from '../../../functions/domain/inference-keys';
import { CONTROL_PLANE_KEY_ID, DEFAULT_REJECTED_TTL_MS, DEFAULT_VALID_TTL_MS, KeyAuthenticator } from '../../../gateway/auth';
import { GatewayError } from '../../../gateway/errors';
import { InMemoryGatewaySecrets, InMemoryInferenceKeyStore } from '../../support/in-memory/data-plane';

const setup = async (overrides: Partial<InferenceKeyRecord> = {}) => {
  let now = Date.parse('2026-12-07T00:00:00Z');
  const clock = { now: () => now, advance: (ms: number) => (now += ms) };
  const keys = new InMemoryInferenceKeyStore();
  const secrets = new InMemoryGatewaySecrets();
  const fresh = newInferenceKey();
  const record: InferenceKeyRecord = {
    id: fresh.keyId,
    org_id: 'org-a',
    project_id: 'prj-a',
    name: 'k',
    key_prefix: fresh.keyPrefix,
    hash: hashSecret(await secrets.keyHashPepper(), fresh.secret),
    created_at: new Date(now).toISOString(),
    expires_at: null,
    revoked_at: null,
    deployment_ids: null,
    limits: {},
    ...overrides,
  };
  let reads = 0;
  const counted = { get: async (id: string) => ((reads += 1), keys.get(id)) };
  const auth = new KeyAuthenticator(counted, secrets, { now: clock.now });
  return { auth, keys, secrets, record, key: fresh.key, clock, reads: () => reads };
};

const statusOf = (result: unknown): number | 'ok' => (result instanceof GatewayError ? result.status : 'ok');

describe('KeyAuthenticator', () => {
  it('accepts a stored key once per TTL from the store, and refuses anything else with a 401', async () => {
    const { auth, keys, record, key, reads } = await setup();
    await keys.create(record);
    expect(statusOf(await auth.authenticate(`Bearer ${key}`))).toBe('ok');
    expect(statusOf(await auth.authenticate(`bearer ${key}`))).toBe('ok');
    expect(reads()).toBe(1);
    expect(statusOf(await auth.authenticate(undefined))).toBe(401);
    expect(statusOf(await auth.authenticate('Bearer sk-nope'))).toBe(401);
    expect(statusOf(await auth.authenticate(`Bearer ${key.slice(0, -1)}${key.endsWith('A') ? 'B' : 'A'}`))).toBe(401);
  });

  it(`a key revoked while cached stops working within the default ${DEFAULT_VALID_TTL_MS / 1000} s, not before the store says so`, async () => {
    const { auth, keys, record, key, clock } = await setup();
    await keys.create(record);
    expect(statusOf(await auth.authenticate(`Bearer ${key}`))).toBe('ok');
    await keys.revoke(record.id, new Date(clock.now()));
    clock.advance(DEFAULT_VALID_TTL_MS - 1);
    expect(statusOf(await auth.authenticate(`Bearer ${key}`))).toBe('ok');
    clock.advance(2);
    const refused = await auth.authenticate(`Bearer ${key}`);
    expect(refused).toBeInstanceOf(GatewayError);
    expect((refused as GatewayError).body()).toEqual({ error: { message: 'API key revoked', type: 'authentication_error', code: 'invalid_api_key' } });
  });

  it(`a key unknown at first works once the rejection expires (${DEFAULT_REJECTED_TTL_MS / 1000} s)`, async () => {
    const { auth, keys, record, key, clock } = await setup();
    expect(statusOf(await auth.authenticate(`Bearer ${key}`))).toBe(401);
    await keys.create(record);
    clock.advance(DEFAULT_REJECTED_TTL_MS - 1);
    expect(statusOf(await auth.authenticate(`Bearer ${key}`))).toBe(401);
    clock.advance(2);
    expect(statusOf(await auth.authenticate(`Bearer ${key}`))).toBe('ok');
  });

  it('an expiry is checked on every request, even while the key is cached', async () => {
    const { auth, keys, record, key, clock } = await setup({ expires_at: new Date(Date.parse('2026-12-07T00:00:10Z')).toISOString() });
    await keys.create(record);
    expect(statusOf(await auth.authenticate(`Bearer ${key}`))).toBe('ok');
    clock.advance(10_000);
    expect(((await auth.authenticate(`Bearer ${key}`)) as GatewayError).message).toBe('API key expired');
  });

  it('many requests on a cold key read its record once', async () => {
    const { auth, keys, record, key, reads } = await setup();
    await keys.create(record);
    const results = await Promise.all(Array.from({ length: 20 }, () => auth.authenticate(`Bearer ${key}`)));
    expect(results.every((r) => statusOf(r) === 'ok')).toBe(true);
    expect(reads()).toBe(1);
  });

  it("takes the control plane's credential for the one deployment the path names, as a key without limits, reading no key record", async () => {
    const { auth, secrets, reads } = await setup();
    const target = { org_id: 'org-a', project_id: 'prj-a', deploymentId: 'dep-1' };
    const credential = await secrets.controlPlaneKey('dep-1');
    const record = await auth.authenticate(`Bearer ${credential}`, target);
    expect(record).toMatchObject({ id: CONTROL_PLANE_KEY_ID, org_id: 'org-a', project_id: 'prj-a', deployment_ids: ['dep-1'], limits: {} });
    expect(reads()).toBe(0);
    // Another deployment's path, no path (host routing), a forged or truncated credential, the model server's own key: 401.
    expect(statusOf(await auth.authenticate(`Bearer ${credential}`, { ...target, deploymentId: 'dep-2' }))).toBe(401);
    expect(statusOf(await auth.authenticate(`Bearer ${credential}`))).toBe(401);
    expect(statusOf(await auth.authenticate(`Bearer ${credential.slice(0, -2)}`, target))).toBe(401);
    expect(statusOf(await auth.authenticate('Bearer cp-forged', target))).toBe(401);
    expect(statusOf(await auth.authenticate(`Bearer ${await secrets.modelServerKey('dep-1')}`, target))).toBe(401);
  });
});
