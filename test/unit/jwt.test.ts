import { chmod, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeProtectedHeader, SignJWT, type JWTPayload } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DEV_AUDIENCE,
  DEV_ISSUER,
  DEV_KEY_FILE,
  loadOrCreateDevKey,
  signDevToken,
  toAuthorizerClaims,
  verifyBearer,
  type DevKey,
  type VerifyFailureReason,
} from '../../local/jwt';

const tempDirs: string[] = [];
const freshDir = async () => {
  const dir = await mkdtemp(join(tmpdir(), 'jwt-test-'));
  tempDirs.push(dir);
  return dir;
};

let key: DevKey;
let otherKey: DevKey;

beforeAll(async () => {
  key = await loadOrCreateDevKey(await freshDir());
  otherKey = await loadOrCreateDevKey(await freshDir());
});
afterAll(async () => {
  await Promise.all(tempDirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

const nowSeconds = () => Math.floor(Date.now() / 1000);
const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** A token signed with `signingKey` whose claims and header we fully control. */
async function craftToken(claims: JWTPayload, signingKey: DevKey = key, kid: string = signingKey.kid): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg: 'ES256', kid }).sign(signingKey.privateKey);
}

const validClaims = (): JWTPayload => ({
  sub: 'u-1',
  org_id: 'org-1',
  project_ids: 'p-1',
  iss: DEV_ISSUER,
  aud: DEV_AUDIENCE,
  iat: nowSeconds(),
  exp: nowSeconds() + 60,
});

async function expectFailure(header: string | undefined, reason: VerifyFailureReason): Promise<void> {
  const result = await verifyBearer(header, key);
  expect(result).toMatchObject({ ok: false, reason });
  const token = header?.split(' ')[1];
  if (!result.ok && token) expect(result.message).not.toContain(token);
}

describe('signDevToken and verifyBearer', () => {
  it('round-trips the claims contract with the key id in the header', async () => {
    const token = await signDevToken(key, { sub: 'u-7', org_id: 'org-1', project_ids: ['p-1', 'p-2'], role: 'viewer' });

    const result = await verifyBearer(`Bearer ${token}`, key);

    expect(decodeProtectedHeader(token)).toMatchObject({ alg: 'ES256', kid: key.kid });
    expect(result).toMatchObject({
      ok: true,
      claims: { sub: 'u-7', org_id: 'org-1', project_ids: 'p-1 p-2', role: 'viewer', iss: DEV_ISSUER, aud: DEV_AUDIENCE },
    });
  });

  it('defaults to a 12 hour token for an editor', async () => {
    const token = await signDevToken(key, { org_id: 'org-1', project_ids: '*' });

    const result = await verifyBearer(`bearer ${token}`, key);

    if (!result.ok) throw new Error(result.message);
    const { iat = 0, exp = 0 } = result.claims;
    expect(exp - iat).toBe(12 * 60 * 60);
    expect(result.claims).toMatchObject({ role: 'editor', project_ids: '*' });
  });

  it('refuses to sign tokens the handlers could not interpret', async () => {
    await expect(signDevToken(key, { org_id: '', project_ids: 'p' })).rejects.toThrow(/org_id/);
    await expect(signDevToken(key, { org_id: 'o', project_ids: [] })).rejects.toThrow(/project/);
    await expect(signDevToken(key, { org_id: 'o', project_ids: ['p', '*'] })).rejects.toThrow(/\*/);
    await expect(signDevToken(key, { org_id: 'o', project_ids: 'p', ttlSeconds: 0 })).rejects.toThrow(/ttl/);
  });

  it('rejects an expired token', async () => {
    const token = await craftToken({ ...validClaims(), iat: nowSeconds() - 120, exp: nowSeconds() - 60 });
    await expectFailure(`Bearer ${token}`, 'expired');
  });

  it('tolerates a few seconds of clock skew on exp', async () => {
    const token = await craftToken({ ...validClaims(), exp: nowSeconds() - 2 });
    expect(await verifyBearer(`Bearer ${token}`, key)).toMatchObject({ ok: true });
  });

  it('rejects a token issued in the future', async () => {
    const token = await craftToken({ ...validClaims(), iat: nowSeconds() + 600, exp: nowSeconds() + 900 });
    await expectFailure(`Bearer ${token}`, 'not_yet_valid');
  });

  it('rejects a token signed by another key', async () => {
    const token = await signDevToken(otherKey, { org_id: 'org-1', project_ids: 'p-1' });
    await expectFailure(`Bearer ${token}`, 'unknown_key');
  });

  it('rejects a token claiming our kid but signed by another key', async () => {
    const token = await craftToken(validClaims(), otherKey, key.kid);
    await expectFailure(`Bearer ${token}`, 'bad_signature');
  });

  it('rejects an unsigned token (alg none)', async () => {
    const token = `${base64url({ alg: 'none', typ: 'JWT' })}.${base64url(validClaims())}.`;
    await expectFailure(`Bearer ${token}`, 'alg_not_allowed');
  });

  it('rejects an HMAC token keyed with the public key (alg confusion)', async () => {
    const secret = new TextEncoder().encode(JSON.stringify(key.publicJwk));
    const token = await new SignJWT(validClaims()).setProtectedHeader({ alg: 'HS256', kid: key.kid }).sign(secret);
    await expectFailure(`Bearer ${token}`, 'alg_not_allowed');
  });

  it('rejects a token for another audience', async () => {
    const token = await craftToken({ ...validClaims(), aud: 'someone-else' });
    await expectFailure(`Bearer ${token}`, 'wrong_audience');
  });

  it('rejects a token from another issuer', async () => {
    const token = await craftToken({ ...validClaims(), iss: 'https://evil.example/' });
    await expectFailure(`Bearer ${token}`, 'wrong_issuer');
  });

  it('rejects a token without org_id', async () => {
    const { org_id: _omitted, ...claims } = validClaims();
    await expectFailure(`Bearer ${await craftToken(claims)}`, 'missing_org_id');
  });

  it('rejects a token without exp', async () => {
    const { exp: _omitted, ...claims } = validClaims();
    await expectFailure(`Bearer ${await craftToken(claims)}`, 'missing_claim');
  });

  it('rejects non-string contract claims', async () => {
    await expectFailure(`Bearer ${await craftToken({ ...validClaims(), project_ids: ['p-1'] })}`, 'invalid_claims');
  });

  it('says what is wrong with the Authorization header itself', async () => {
    await expectFailure(undefined, 'missing_header');
    await expectFailure('', 'missing_header');
    await expectFailure('Basic dXNlcjpwYXNz', 'not_bearer');
    await expectFailure('Bearer', 'malformed');
    await expectFailure('Bearer not-a-jwt', 'malformed');
    await expectFailure('Bearer a.b c', 'malformed');
    await expectFailure(`Bearer ${base64url({ alg: 'ES256' })}.%%%.sig`, 'malformed');
  });
});

describe('toAuthorizerClaims', () => {
  it('flattens every claim to a string as API Gateway does', () => {
    expect(toAuthorizerClaims({ sub: 'u', exp: 17, admin: true, aud: ['a', 'b'], nested: { x: 1 } })).toEqual({
      sub: 'u',
      exp: '17',
      admin: 'true',
      aud: '[a b]',
      nested: '{"x":1}',
    });
  });
});

describe('loadOrCreateDevKey', () => {
  it('creates the key file once with mode 0600 and reuses it', async () => {
    const dir = await freshDir();

    const first = await loadOrCreateDevKey(dir);
    const second = await loadOrCreateDevKey(dir);

    expect(second.kid).toBe(first.kid);
    expect((await stat(join(dir, DEV_KEY_FILE))).mode & 0o777).toBe(0o600);
    const token = await signDevToken(first, { org_id: 'o', project_ids: 'p' });
    expect(await verifyBearer(`Bearer ${token}`, second)).toMatchObject({ ok: true });
  });

  it('converges on one key when processes race to create it', async () => {
    const dir = join(await freshDir(), 'nested');

    const keys = await Promise.all(Array.from({ length: 8 }, () => loadOrCreateDevKey(dir)));

    expect(new Set(keys.map((k) => k.kid)).size).toBe(1);
    expect(await readdir(dir)).toEqual([DEV_KEY_FILE]);
  });

  it('tightens a key file that others can read', async () => {
    const dir = await freshDir();
    await loadOrCreateDevKey(dir);
    await chmod(join(dir, DEV_KEY_FILE), 0o644);

    await loadOrCreateDevKey(dir);

    expect((await stat(join(dir, DEV_KEY_FILE))).mode & 0o777).toBe(0o600);
  });

  it('names the file when it is corrupt', async () => {
    const dir = await freshDir();
    await writeFile(join(dir, DEV_KEY_FILE), '{"not":"a key"}', { mode: 0o600 });

    await expect(loadOrCreateDevKey(dir)).rejects.toThrow(DEV_KEY_FILE);
  });
});
