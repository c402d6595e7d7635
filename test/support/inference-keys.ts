/**
 * Inference keys for the gateway's tests, written through the production adapters (the same
 * record and hash the keys API writes) against a running local cloud's table and master secret.
 */
import { hashSecret, newInferenceKey, type InferenceKeyLimits, type InferenceKeyRecord } from '../../functions/domain/inference-keys';

export interface TestKey {
  id: string;
  /** The whole `sk-…` key, as the creating response returns it. */
  key: string;
}

export interface TestKeyOptions {
  deployment_ids?: string[] | null;
  limits?: InferenceKeyLimits;
  expires_at?: string | null;
  name?: string;
}

export const createInferenceKey = async (tenant: { org_id: string; project_id: string }, options: TestKeyOptions = {}): Promise<TestKey> => {
  const [{ inferenceKeyStore }, { gatewaySecrets }] = await Promise.all([import('../../functions/wiring/inference-keys'), import('../../functions/wiring/gateway-secrets')]);
  const fresh = newInferenceKey();
  const record: InferenceKeyRecord = {
    id: fresh.keyId,
    org_id: tenant.org_id,
    project_id: tenant.project_id,
    name: options.name ?? 'test key',
    key_prefix: fresh.keyPrefix,
    hash: hashSecret(await gatewaySecrets.keyHashPepper(), fresh.secret),
    created_at: new Date().toISOString(),
    expires_at: options.expires_at ?? null,
    revoked_at: null,
    deployment_ids: options.deployment_ids ?? null,
    limits: options.limits ?? {},
  };
  await inferenceKeyStore.create(record);
  return { id: fresh.keyId, key: fresh.key };
};

export const revokeInferenceKey = async (keyId: string): Promise<void> => {
  const { inferenceKeyStore } = await import('../../functions/wiring/inference-keys');
  await inferenceKeyStore.revoke(keyId, new Date());
};

export const tokenUsageOfKey = async (keyId: string) => {
  const { tokenUsageStore } = await import('../../functions/wiring/token-usage');
  return tokenUsageStore.ofKey(keyId);
};
