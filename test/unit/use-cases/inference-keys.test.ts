import { describe, expect, it } from 'vitest';
import { createInferenceKeySchema } from '../../../contract/requests/inference-keys';
import { keyUsageView, toInferenceKeyView } from '../../../functions/domain/inference-key-views';
import { NotFoundError, ValidationError } from '../../../functions/domain/errors';
import { parseInferenceKey, secretMatches } from '../../../functions/domain/inference-keys';
import { checkKeyId, createInferenceKey, findInferenceKey, inferenceKeyUsage, listInferenceKeys, revokeInferenceKey } from '../../../functions/use-cases/inference-keys';
import { parseOrThrow } from '../../../functions/domain/requests';
import { inMemoryPorts } from '../../support/in-memory';
import { aDeployment, TENANT } from '../../support/in-memory/records';

const OTHER = { org_id: TENANT.org_id, project_id: 'proj-other' };
const NOW = new Date('2026-12-01T10:00:00Z');
const parse = (body: unknown) => parseOrThrow(createInferenceKeySchema, body);
const rejection = async (promise: Promise<unknown>) => promise.then(() => undefined, (error: unknown) => error);

describe('inference key use cases', () => {
  it('stores only the HMAC of a new key, which verifies against the pepper', async () => {
    const ports = inMemoryPorts({ start: NOW });
    const { record, key } = await createInferenceKey(ports, TENANT, parse({ name: 'ci', limits: { requests_per_minute: 60 } }), 'user-1', NOW);
    const parsed = parseInferenceKey(key);
    expect(parsed?.keyId).toBe(record.id);
    expect(key.startsWith(record.key_prefix)).toBe(true);
    expect(secretMatches(await ports.gatewaySecrets.keyHashPepper(), parsed!.secret, record.hash)).toBe(true);
    const stored = ports.inferenceKeys.records.get(record.id)!;
    expect(JSON.stringify(stored)).not.toContain(parsed!.secret);
    expect(stored).toMatchObject({ ...TENANT, name: 'ci', created_by: 'user-1', created_at: NOW.toISOString(), expires_at: null, revoked_at: null, deployment_ids: null, limits: { requests_per_minute: 60 } });
    expect(toInferenceKeyView(stored, NOW)).not.toHaveProperty('hash');
  });

  it('takes deployment_ids of this project only, naming the one it cannot find', async () => {
    const ports = inMemoryPorts({ start: NOW });
    ports.deployments.seed(aDeployment({ id: 'dep-0001' }));
    ports.deployments.seed(aDeployment({ ...OTHER, id: 'dep-0002' }));
    const { record } = await createInferenceKey(ports, TENANT, parse({ name: 'one', deployment_ids: ['dep-0001'] }), 'u', NOW);
    expect(record.deployment_ids).toEqual(['dep-0001']);
    const error = await rejection(createInferenceKey(ports, TENANT, parse({ name: 'two', deployment_ids: ['dep-0001', 'dep-0002'] }), 'u', NOW));
    expect(error).toBeInstanceOf(ValidationError);
    expect(error).toMatchObject({ field: 'deployment_ids.1', message: expect.stringContaining("'dep-0002'") });
  });

  it('refuses an expiry that is not in the future, and stores a given one in UTC', async () => {
    const ports = inMemoryPorts({ start: NOW });
    expect(await rejection(createInferenceKey(ports, TENANT, parse({ name: 'x', expires_at: '2026-12-01T10:00:00Z' }), 'u', NOW))).toMatchObject({ field: 'expires_at' });
    const { record } = await createInferenceKey(ports, TENANT, parse({ name: 'x', expires_at: '2027-01-01T01:00:00+01:00' }), 'u', NOW);
    expect(record.expires_at).toBe('2027-01-01T00:00:00.000Z');
    expect(toInferenceKeyView(record, new Date('2027-01-01T00:00:00Z')).state).toBe('expired');
  });

  it('answers 404 for another project\'s key on every read and on revoke', async () => {
    const ports = inMemoryPorts({ start: NOW });
    const { record } = await createInferenceKey(ports, TENANT, parse({ name: 'mine' }), 'u', NOW);
    await expect(findInferenceKey(ports, OTHER, record.id)).rejects.toBeInstanceOf(NotFoundError);
    await expect(revokeInferenceKey(ports, OTHER, record.id, NOW)).rejects.toBeInstanceOf(NotFoundError);
    await expect(inferenceKeyUsage(ports, OTHER, record.id)).rejects.toBeInstanceOf(NotFoundError);
    expect((await listInferenceKeys(ports, OTHER, 1, 20)).total).toBe(0);
    expect(ports.inferenceKeys.records.get(record.id)?.revoked_at).toBeNull();
  });

  it('revokes idempotently, keeping the first revocation time; the key stays listed', async () => {
    const ports = inMemoryPorts({ start: NOW });
    const { record } = await createInferenceKey(ports, TENANT, parse({ name: 'old' }), 'u', NOW);
    const later = new Date('2026-12-01T11:00:00Z');
    const { record: newer } = await createInferenceKey(ports, TENANT, parse({ name: 'new' }), 'u', later);
    expect((await revokeInferenceKey(ports, TENANT, record.id, later)).revoked_at).toBe(later.toISOString());
    expect((await revokeInferenceKey(ports, TENANT, record.id, new Date('2026-12-02T00:00:00Z'))).revoked_at).toBe(later.toISOString());
    const page = await listInferenceKeys(ports, TENANT, 1, 20);
    expect(page.items.map((k) => [k.id, toInferenceKeyView(k, later).state])).toEqual([
      [newer.id, 'active'],
      [record.id, 'revoked'],
    ]);
    await expect(revokeInferenceKey(ports, TENANT, 'ikaaaaaaaaaaaaaaaaaa', NOW)).rejects.toBeInstanceOf(NotFoundError);
  });

  it('shows a key\'s usage per day and deployment with its total', async () => {
    const ports = inMemoryPorts({ start: NOW });
    const { record } = await createInferenceKey(ports, TENANT, parse({ name: 'metered' }), 'u', NOW);
    const inc = { ...TENANT, keyId: record.id, requests: 1, promptTokens: 10, completionTokens: 5, estimatedRequests: 0 };
    await ports.tokenUsage.add([{ ...inc, deploymentId: 'dep-b', day: '2026-12-01' }, { ...inc, deploymentId: 'dep-a', day: '2026-12-01', estimatedRequests: 1 }]);
    const view = keyUsageView(record.id, await inferenceKeyUsage(ports, TENANT, record.id), NOW);
    expect(view).toEqual({
      key_id: record.id,
      as_of: NOW.toISOString(),
      total: { requests: 2, prompt_tokens: 20, completion_tokens: 10, estimated_requests: 1 },
      days: [
        { date: '2026-12-01', deployment_id: 'dep-a', requests: 1, prompt_tokens: 10, completion_tokens: 5, estimated_requests: 1 },
        { date: '2026-12-01', deployment_id: 'dep-b', requests: 1, prompt_tokens: 10, completion_tokens: 5, estimated_requests: 0 },
      ],
    });
  });

  it('checks the key id of a path before reading', () => {
    expect(checkKeyId('ikaaaaaaaaaaaaaaaaaa')).toBe('ikaaaaaaaaaaaaaaaaaa');
    for (const bad of [undefined, '', 'ik', 'IKAAAAAAAAAAAAAAAAAA', 'dep-0001', `ik${'a'.repeat(19)}`]) {
      expect(() => checkKeyId(bad)).toThrow(expect.objectContaining({ field: 'key_id' }));
    }
  });
});

describe('the create request', () => {
  const field = (body: unknown) => {
    try {
      parse(body);
    } catch (error) {
      return (error as ValidationError).field ?? (error as Error).message;
    }
    return 'accepted';
  };

  it('names the field it refuses', () => {
    expect(field({ name: 'ok' })).toBe('accepted');
    expect(field({})).toBe('name');
    expect(field({ name: '' })).toBe('name');
    expect(field({ name: 'x'.repeat(65) })).toBe('name');
    expect(field({ name: 'a\nb' })).toBe('name');
    expect(field({ name: 'ok', expires_at: 'tomorrow' })).toBe('expires_at');
    expect(field({ name: 'ok', deployment_ids: [] })).toBe('deployment_ids');
    expect(field({ name: 'ok', deployment_ids: ['dep-1', 'dep-1'] })).toBe('deployment_ids');
    expect(field({ name: 'ok', deployment_ids: ['nope'] })).toBe('deployment_ids.0');
    expect(field({ name: 'ok', deployment_ids: Array.from({ length: 21 }, (_, i) => `dep-${i}`) })).toBe('deployment_ids');
    expect(field({ name: 'ok', limits: { requests_per_minute: 0 } })).toBe('limits.requests_per_minute');
    expect(field({ name: 'ok', limits: { tokens_per_minute: 1.5 } })).toBe('limits.tokens_per_minute');
    expect(field({ name: 'ok', limits: { concurrent_requests: 1001 } })).toBe('limits.concurrent_requests');
    expect(field({ name: 'ok', limits: { burst: 1 } })).toMatch(/unknown fields: burst/);
    expect(field({ name: 'ok', key: 'sk-mine' })).toMatch(/unknown fields: key/);
  });
});
