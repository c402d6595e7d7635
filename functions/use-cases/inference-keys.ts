/**
 * Inference keys of a project (issue 15): created with a fresh secret of which only the HMAC
 * with the gateway's pepper is stored, listed and read without it, revoked (never deleted: its
 * usage stays readable), and their token counters. Another project's key answers 404, as an
 * unknown one does, so key ids reveal nothing across tenants.
 */
import type { CreateInferenceKeyRequest } from '../../contract/requests/inference-keys';
import type { Tenant } from '../domain/deployment';
import { NotFoundError, ValidationError } from '../domain/errors';
import { hashSecret, KEY_ID_PATTERN, newInferenceKey, type InferenceKeyRecord } from '../domain/inference-keys';
import { isStaleWrite, type Page, type Ports, type TokenUsageDay } from '../ports';

type KeyPorts = Pick<Ports, 'inferenceKeys'>;

/** Key ids are 90 random bits: a collision is all but impossible, and then a new id is drawn. */
const CREATE_ATTEMPTS = 3;

/** The `{key_id}` path parameter, checked before any read. */
export const checkKeyId = (keyId: string | undefined): string => {
  if (keyId === undefined || !KEY_ID_PATTERN.test(keyId)) throw new ValidationError(`key_id '${(keyId ?? '').slice(0, 64)}' is not an inference key id (ik...)`, 'key_id');
  return keyId;
};

/** The key, or 404: also for a key of another project. */
export const findInferenceKey = async ({ inferenceKeys }: KeyPorts, tenant: Tenant, keyId: string): Promise<InferenceKeyRecord> => {
  const record = await inferenceKeys.get(keyId);
  if (!record || record.org_id !== tenant.org_id || record.project_id !== tenant.project_id) {
    throw new NotFoundError(`inference key '${keyId}' was not found in project '${tenant.project_id}'`);
  }
  return record;
};

/**
 * Creates a key; the answer is the only place the key itself ever appears. `deployment_ids`
 * must name deployments of this project that exist now: a typo is caught at once instead of
 * surfacing as 403s at the gateway (a deployment deleted later simply stops being callable).
 */
export const createInferenceKey = async (
  ports: Pick<Ports, 'inferenceKeys' | 'gatewaySecrets' | 'deployments'>,
  tenant: Tenant,
  request: CreateInferenceKeyRequest,
  createdBy: string,
  now: Date,
): Promise<{ record: InferenceKeyRecord; key: string }> => {
  const expiresAt = request.expires_at === undefined ? null : new Date(request.expires_at);
  if (expiresAt && expiresAt.getTime() <= now.getTime()) throw new ValidationError('expires_at must be in the future', 'expires_at');
  const deploymentIds = request.deployment_ids ?? null;
  for (const [i, id] of (deploymentIds ?? []).entries()) {
    if (!(await ports.deployments.get(tenant, id))) {
      throw new ValidationError(`deployment_ids.${i}: deployment '${id}' was not found in project '${tenant.project_id}'`, `deployment_ids.${i}`);
    }
  }
  const pepper = await ports.gatewaySecrets.keyHashPepper();
  for (let attempt = 1; ; attempt++) {
    const fresh = newInferenceKey();
    const record: InferenceKeyRecord = {
      id: fresh.keyId,
      ...tenant,
      name: request.name,
      key_prefix: fresh.keyPrefix,
      hash: hashSecret(pepper, fresh.secret),
      created_at: now.toISOString(),
      created_by: createdBy,
      expires_at: expiresAt?.toISOString() ?? null,
      revoked_at: null,
      deployment_ids: deploymentIds,
      limits: request.limits ?? {},
    };
    try {
      await ports.inferenceKeys.create(record);
      return { record, key: fresh.key };
    } catch (error) {
      if (!isStaleWrite(error) || attempt >= CREATE_ATTEMPTS) throw error;
    }
  }
};

export const listInferenceKeys = ({ inferenceKeys }: KeyPorts, tenant: Tenant, page: number, limit: number): Promise<Page<InferenceKeyRecord>> =>
  inferenceKeys.list(tenant, { page, limit });

/**
 * Revokes a key of this project: idempotent, like a DELETE (a second revocation answers the
 * same and keeps the first `revoked_at`). The gateway's cache holds an accepted key for at most
 * 30 s, so the key stops working everywhere within that.
 */
export const revokeInferenceKey = async (ports: KeyPorts, tenant: Tenant, keyId: string, now: Date): Promise<InferenceKeyRecord> => {
  await findInferenceKey(ports, tenant, keyId);
  const revoked = await ports.inferenceKeys.revoke(keyId, now);
  if (!revoked) throw new NotFoundError(`inference key '${keyId}' was not found in project '${tenant.project_id}'`);
  return revoked;
};

/** A key's counters per day and deployment (revoked and expired keys' too). */
export const inferenceKeyUsage = async (ports: Pick<Ports, 'inferenceKeys' | 'tokenUsage'>, tenant: Tenant, keyId: string): Promise<TokenUsageDay[]> => {
  await findInferenceKey(ports, tenant, keyId);
  return ports.tokenUsage.ofKey(keyId);
};
