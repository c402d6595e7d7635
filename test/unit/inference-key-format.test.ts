/**
 * The inference key format and its hashing (functions/domain/inference-keys.ts): what the gateway
 * accepts, what is stored, and that the stored hash alone never verifies a guess.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  bearerKey,
  deriveKey,
  hashSecret,
  keyCovers,
  keyState,
  modelServerKey,
  newInferenceKey,
  parseInferenceKey,
  secretMatches,
  usageDay,
} from '../../functions/domain/inference-keys';

const master = Buffer.from('00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff', 'hex');

describe('inference key format', () => {
  it('has sk-, an id the routes name, and a 256-bit secret; parsing gives them back', () => {
    const k = newInferenceKey();
    expect(k.key).toMatch(/^sk-ik[a-z2-7]{18}\.[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(k.secret, 'base64url')).toHaveLength(32);
    expect(k.keyPrefix).toBe(k.key.slice(0, 12));
    expect(parseInferenceKey(k.key)).toEqual({ keyId: k.keyId, secret: k.secret });
  });

  it('never repeats an id or a secret over 2,000 keys', () => {
    const keys = Array.from({ length: 2000 }, () => newInferenceKey());
    expect(new Set(keys.map((k) => k.keyId)).size).toBe(2000);
    expect(new Set(keys.map((k) => k.secret)).size).toBe(2000);
  });

  it('rejects anything that is not exactly a key', () => {
    const k = newInferenceKey().key;
    for (const bad of ['', 'sk-', k.slice(0, -1), `${k}x`, k.toUpperCase(), k.replace('.', '_'), ` ${k}`, `Bearer ${k}`, k.replace('sk-', 'pk-')]) {
      expect(parseInferenceKey(bad), bad).toBeUndefined();
    }
    fc.assert(fc.property(fc.string(), (s) => parseInferenceKey(s) === undefined || /^sk-ik/.test(s)));
  });

  it('reads the bearer scheme case-insensitively and nothing else', () => {
    expect(bearerKey('Bearer sk-abc')).toBe('sk-abc');
    expect(bearerKey('bearer   sk-abc ')).toBe('sk-abc');
    expect(bearerKey('Basic c2stYWJj')).toBeUndefined();
    expect(bearerKey('Bearer a b')).toBeUndefined();
    expect(bearerKey(undefined)).toBeUndefined();
  });
});

describe('stored hash', () => {
  const pepper = deriveKey(master, 'inference-key-hash');

  it('verifies the secret it was made from and no other', () => {
    const k = newInferenceKey();
    const stored = hashSecret(pepper, k.secret);
    expect(stored).not.toContain(k.secret);
    expect(secretMatches(pepper, k.secret, stored)).toBe(true);
    expect(secretMatches(pepper, newInferenceKey().secret, stored)).toBe(false);
    expect(secretMatches(deriveKey(Buffer.alloc(32, 1), 'inference-key-hash'), k.secret, stored)).toBe(false);
    expect(secretMatches(pepper, k.secret, 'not-hex')).toBe(false);
  });

  it('derives independent keys per purpose, and model server keys per deployment', () => {
    expect(deriveKey(master, 'inference-key-hash').equals(deriveKey(master, 'model-server-key'))).toBe(false);
    const serverSecret = deriveKey(master, 'model-server-key');
    expect(modelServerKey(serverSecret, 'dep-a')).toBe(modelServerKey(serverSecret, 'dep-a'));
    expect(modelServerKey(serverSecret, 'dep-a')).not.toBe(modelServerKey(serverSecret, 'dep-b'));
    expect(Buffer.from(modelServerKey(serverSecret, 'dep-a'), 'base64url')).toHaveLength(32);
  });
});

describe('key state and scope', () => {
  const now = new Date('2026-12-07T00:00:00Z');
  it('is revoked over expired over active', () => {
    expect(keyState({ expires_at: null, revoked_at: null }, now)).toBe('active');
    expect(keyState({ expires_at: '2026-12-07T00:00:01Z', revoked_at: null }, now)).toBe('active');
    expect(keyState({ expires_at: '2026-12-07T00:00:00Z', revoked_at: null }, now)).toBe('expired');
    expect(keyState({ expires_at: '2026-12-06T00:00:00Z', revoked_at: '2026-12-05T00:00:00Z' }, now)).toBe('revoked');
  });
  it('covers every deployment of its project unless it names some', () => {
    expect(keyCovers({ deployment_ids: null }, 'dep-x')).toBe(true);
    expect(keyCovers({ deployment_ids: ['dep-a'] }, 'dep-a')).toBe(true);
    expect(keyCovers({ deployment_ids: ['dep-a'] }, 'dep-x')).toBe(false);
    expect(keyCovers({ deployment_ids: [] }, 'dep-a')).toBe(false);
  });
  it('counts usage in UTC days', () => {
    expect(usageDay(new Date('2026-12-06T23:59:59.999Z'))).toBe('2026-12-06');
    expect(usageDay(new Date('2026-12-07T00:00:00+01:00'))).toBe('2026-12-06');
  });
});
