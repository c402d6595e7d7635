import { createHash, randomBytes, randomUUID } from 'node:crypto';

/** The alphabet Kubernetes uses for generated name suffixes (no vowels, no look-alikes). */
const SAFE_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

export const uuid = (): string => randomUUID();

export const randomSuffix = (length = 5): string =>
  Array.from(randomBytes(length), (b) => SAFE_ALPHABET[b % SAFE_ALPHABET.length]).join('');

/** A stable short hash in the safe alphabet, as used for `pod-template-hash`. */
export const safeHash = (text: string, length = 10): string => {
  const digest = createHash('sha256').update(text).digest();
  return Array.from(digest.subarray(0, length), (b) => SAFE_ALPHABET[b % SAFE_ALPHABET.length]).join('');
};

export const instanceId = (): string => `i-0${randomBytes(8).toString('hex')}`;

export const requestId = (): string => randomUUID();

/** Deterministic UUID-shaped id derived from a seed (stable ASG names across restarts). */
export const seededUuid = (seed: string): string => {
  const hex = createHash('sha256').update(seed).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
};

export const nowIso = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** JSON with object keys sorted, so equal values always serialise (and hash) the same. */
export const canonicalJson = (value: unknown): string =>
  JSON.stringify(value, (_key, v: unknown) =>
    typeof v === 'object' && v !== null && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)))
      : v,
  );
