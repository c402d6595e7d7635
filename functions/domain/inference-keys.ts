/**
 * Inference keys: the `sk-…` secrets customers send to the gateway as `Authorization: Bearer`.
 *
 *   sk-<key id>.<secret>     key id: `ik` + 18 base32 chars (90 random bits), the route's {key_id}
 *                            secret: 32 random bytes, base64url (256 bits, 43 chars)
 *
 * The key id travels in the key so that the gateway finds the record with one GetItem; only
 * HMAC-SHA256(pepper, secret) is stored, so a copy of the table, a log line or an execution
 * history never holds a usable key. The pepper and the model servers' own keys are derived
 * (HKDF-SHA256) from one master secret the gateway and the control plane read from Secrets
 * Manager, so neither is ever stored beside what it protects.
 */
import { createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';

const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';
const KEY_ID_CHARS = 18;
const SECRET_BYTES = 32;
/** What list and get show of a key, enough to tell keys apart: `sk-` and the start of its id. */
const PREFIX_CHARS = 12;

const KEY_PATTERN = /^sk-(ik[a-z2-7]{18})\.([A-Za-z0-9_-]{43})$/;
export const KEY_ID_PATTERN = /^ik[a-z2-7]{18}$/;

export interface NewInferenceKey {
  keyId: string;
  /** The whole key, shown once. */
  key: string;
  secret: string;
  keyPrefix: string;
}

export const newInferenceKey = (): NewInferenceKey => {
  const keyId = `ik${[...randomBytes(KEY_ID_CHARS)].map((b) => BASE32[b & 31]).join('')}`;
  const secret = randomBytes(SECRET_BYTES).toString('base64url');
  const key = `sk-${keyId}.${secret}`;
  return { keyId, key, secret, keyPrefix: key.slice(0, PREFIX_CHARS) };
};

/** The key id and secret of a presented key, or undefined for anything that is not one of ours. */
export const parseInferenceKey = (presented: string): { keyId: string; secret: string } | undefined => {
  const match = KEY_PATTERN.exec(presented);
  return match ? { keyId: match[1] as string, secret: match[2] as string } : undefined;
};

/** From a request's Authorization header: `Bearer sk-…` (scheme case-insensitive, as RFC 9110 says). */
export const bearerKey = (authorization: string | undefined): string | undefined => {
  const match = /^bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
  return match?.[1];
};

export type DerivedKeyPurpose = 'inference-key-hash' | 'model-server-key' | 'control-plane-key';

/** A 32-byte key for one purpose, derived from the master secret (HKDF-SHA256, info = purpose). */
export const deriveKey = (master: Buffer, purpose: DerivedKeyPurpose): Buffer => Buffer.from(hkdfSync('sha256', master, Buffer.alloc(0), purpose, 32));

/** What is stored of a key: HMAC-SHA256(pepper, secret), hex. */
export const hashSecret = (pepper: Buffer, secret: string): string => createHmac('sha256', pepper).update(secret).digest('hex');

/** Constant-time comparison of a presented secret against the stored hash. */
export const secretMatches = (pepper: Buffer, secret: string, storedHash: string): boolean => {
  const presented = Buffer.from(hashSecret(pepper, secret), 'hex');
  const stored = Buffer.from(storedHash, 'hex');
  return stored.length === presented.length && timingSafeEqual(presented, stored);
};

/**
 * The `--api-key` of one deployment's model server (its VLLM_API_KEY): HMAC(model-server key,
 * deployment id). The workflow puts it in the deployment's Secret, the gateway computes it per
 * request; it is never stored anywhere else.
 */
export const modelServerKey = (modelServerSecret: Buffer, deploymentId: string): string =>
  createHmac('sha256', modelServerSecret).update(`model-server:${deploymentId}`).digest('base64url');

/**
 * What the control plane's own functions (/prompt, /models) present to the gateway for one
 * deployment: `cp-` + HMAC(control-plane key, deployment id). Its own purpose, not the model
 * server's key: that one sits in a Kubernetes Secret of the model namespace, and whoever can read
 * it must not get past the gateway's keys with it.
 */
export const controlPlaneKey = (controlPlaneSecret: Buffer, deploymentId: string): string =>
  `cp-${createHmac('sha256', controlPlaneSecret).update(`control-plane:${deploymentId}`).digest('base64url')}`;

/** Compares a presented credential with the expected one in constant time (for equal lengths). */
export const sameCredential = (presented: string, expected: string): boolean => {
  const given = Buffer.from(presented);
  const wanted = Buffer.from(expected);
  return given.length === wanted.length && timingSafeEqual(given, wanted);
};

export interface InferenceKeyLimits {
  requests_per_minute?: number;
  tokens_per_minute?: number;
  concurrent_requests?: number;
}

/** One key as stored: never the key, only its hash. */
export interface InferenceKeyRecord {
  id: string;
  org_id: string;
  project_id: string;
  name: string;
  key_prefix: string;
  /** HMAC-SHA256(pepper, secret), hex. */
  hash: string;
  created_at: string;
  created_by?: string;
  expires_at: string | null;
  revoked_at: string | null;
  /** The deployments the key may call; null: every deployment of its project. */
  deployment_ids: string[] | null;
  limits: InferenceKeyLimits;
}

export type KeyState = 'active' | 'expired' | 'revoked';

export const keyState = (record: Pick<InferenceKeyRecord, 'expires_at' | 'revoked_at'>, now: Date): KeyState => {
  if (record.revoked_at !== null) return 'revoked';
  if (record.expires_at !== null && Date.parse(record.expires_at) <= now.getTime()) return 'expired';
  return 'active';
};

/** Whether a key may call a deployment of its own project. */
export const keyCovers = (record: Pick<InferenceKeyRecord, 'deployment_ids'>, deploymentId: string): boolean =>
  record.deployment_ids === null || record.deployment_ids.includes(deploymentId);

/** The UTC day a usage counter falls in. */
export const usageDay = (at: Date): string => at.toISOString().slice(0, 10);
