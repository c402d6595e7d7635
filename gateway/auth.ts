/**
 * Who is calling: the `Bearer sk-…` key, checked against its stored hash (one GetItem by the key
 * id it carries) and cached, so a request costs no table read while its key is warm. A valid key
 * is cached 30 s and a rejected one 5 s: a revoked key stops working within 30 s on every
 * gateway instance without a shared cache (issue 15). Expiry is checked on every request.
 */
import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { bearerKey, keyState, parseInferenceKey, sameCredential, secretMatches, type InferenceKeyRecord } from '../functions/domain/inference-keys';
import type { Tenant } from '../functions/domain/deployment';
import type { GatewaySecrets, InferenceKeyStore } from '../functions/ports';
import { unauthenticated, type GatewayError } from './errors';

export interface KeyCacheOptions {
  /** How long a valid key is trusted without reading its record again (default 30 s: the revocation bound). */
  validTtlMs?: number;
  /** How long a rejected key stays rejected (default 5 s: a key just created works almost at once). */
  rejectedTtlMs?: number;
  max?: number;
  /** Milliseconds; a fake clock in tests. */
  now?: () => number;
}

export const DEFAULT_VALID_TTL_MS = 30_000;
export const DEFAULT_REJECTED_TTL_MS = 5_000;

/** Who the control plane is at the gateway: a key of the deployment's project, for that deployment only, metered as `control-plane`. */
export const CONTROL_PLANE_KEY_ID = 'control-plane';
const controlPlaneRecord = (target: Tenant & { deploymentId: string }): InferenceKeyRecord => ({
  id: CONTROL_PLANE_KEY_ID,
  org_id: target.org_id,
  project_id: target.project_id,
  name: 'control plane (/prompt, /models)',
  key_prefix: 'cp-',
  hash: '',
  created_at: new Date(0).toISOString(),
  expires_at: null,
  revoked_at: null,
  deployment_ids: [target.deploymentId],
  limits: {},
});

type Verdict = { ok: true; record: InferenceKeyRecord } | { ok: false; message: string };

export class KeyAuthenticator {
  private readonly cache: LRUCache<string, Verdict>;
  private readonly pending = new Map<string, Promise<Verdict>>();
  private readonly validTtlMs: number;
  private readonly rejectedTtlMs: number;
  private readonly now: () => number;

  constructor(
    private readonly keys: Pick<InferenceKeyStore, 'get'>,
    private readonly secrets: Pick<GatewaySecrets, 'keyHashPepper' | 'controlPlaneKey'>,
    options: KeyCacheOptions = {},
  ) {
    this.validTtlMs = options.validTtlMs ?? DEFAULT_VALID_TTL_MS;
    this.rejectedTtlMs = options.rejectedTtlMs ?? DEFAULT_REJECTED_TTL_MS;
    this.now = options.now ?? Date.now;
    // ttlResolution 0: staleness is judged on the clock at each read, not a now cached for a tick.
    this.cache = new LRUCache({ max: options.max ?? 10_000, ttl: this.validTtlMs, ttlResolution: 0, perf: { now: this.now } });
  }

  /**
   * The caller's key record, or a 401. Never logs or keeps the presented key: the cache is keyed by its SHA-256.
   * `target`: the deployment the path names, for the control plane's own credential (`cp-…`, valid for
   * that one deployment only: /prompt and /models), which stands for a key without limits.
   */
  async authenticate(authorization: string | undefined, target?: Tenant & { deploymentId: string }): Promise<InferenceKeyRecord | GatewayError> {
    const presented = bearerKey(authorization);
    if (!presented) return unauthenticated('missing API key: send Authorization: Bearer sk-…');
    if (presented.startsWith('cp-')) {
      if (!target || !sameCredential(presented, await this.secrets.controlPlaneKey(target.deploymentId))) return unauthenticated('invalid API key');
      return controlPlaneRecord(target);
    }
    const parsed = parseInferenceKey(presented);
    if (!parsed) return unauthenticated('invalid API key');
    const cacheKey = createHash('sha256').update(presented).digest('base64url');
    let verdict = this.cache.get(cacheKey);
    if (!verdict) {
      // One record read per key at a time, however many requests arrive while it is cold.
      let lookup = this.pending.get(cacheKey);
      if (!lookup) {
        lookup = this.verify(parsed.keyId, parsed.secret).finally(() => this.pending.delete(cacheKey));
        this.pending.set(cacheKey, lookup);
      }
      verdict = await lookup;
      this.cache.set(cacheKey, verdict, { ttl: verdict.ok ? this.validTtlMs : this.rejectedTtlMs });
    }
    if (!verdict.ok) return unauthenticated(verdict.message);
    const state = keyState(verdict.record, new Date(this.now()));
    if (state !== 'active') return unauthenticated(`API key ${state}`);
    return verdict.record;
  }

  private async verify(keyId: string, secret: string): Promise<Verdict> {
    const [record, pepper] = await Promise.all([this.keys.get(keyId), this.secrets.keyHashPepper()]);
    if (!record || !secretMatches(pepper, secret, record.hash)) return { ok: false, message: 'invalid API key' };
    const state = keyState(record, new Date(this.now()));
    if (state !== 'active') return { ok: false, message: `API key ${state}` };
    return { ok: true, record };
  }
}
