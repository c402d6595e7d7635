/**
 * The local cloud's stand-in for an identity provider and for the API Gateway JWT authorizer:
 * one ES256 dev key kept under DATA_DIR, tokens signed with it, and verification with the
 * same rules the authorizer applies in AWS (signature, alg, kid, iss, aud, exp/nbf/iat), plus
 * the one claim every route needs (`org_id`).
 */
import { randomUUID } from 'node:crypto';
import { chmod, link, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  calculateJwkThumbprint,
  errors,
  exportJWK,
  generateKeyPair,
  importJWK,
  jwtVerify,
  SignJWT,
  type CryptoKey,
  type JWK,
  type JWTPayload,
  type JWTVerifyGetKey,
} from 'jose';
import * as z from 'zod';

export const DEV_ISSUER = 'https://local.gpu-control-plane.dev/';
export const DEV_AUDIENCE = 'gpu-control-plane';
export const DEV_KEY_FILE = 'dev-jwt-key.json';

const ALGORITHM = 'ES256';
const DEFAULT_TTL_SECONDS = 12 * 60 * 60;
const CLOCK_TOLERANCE_SECONDS = 5;
const DEFAULT_SUBJECT = 'local-developer';

export type Role = 'admin' | 'editor' | 'viewer';
export const ROLES: readonly Role[] = ['admin', 'editor', 'viewer'];

export interface DevKey {
  /** RFC 7638 thumbprint of the public key; every token carries it as `kid`. */
  readonly kid: string;
  readonly privateKey: CryptoKey;
  readonly publicKey: CryptoKey;
  readonly publicJwk: JWK;
}

// ---------------------------------------------------------------------------------------------
// Key file

const ecCoordinate = z.string().regex(/^[A-Za-z0-9_-]+$/);
const publicJwkSchema = z.object({ kty: z.literal('EC'), crv: z.literal('P-256'), x: ecCoordinate, y: ecCoordinate });
const keyFileSchema = z.object({
  alg: z.literal(ALGORITHM),
  privateJwk: publicJwkSchema.extend({ d: ecCoordinate }),
  publicJwk: publicJwkSchema,
});
type KeyFile = z.infer<typeof keyFileSchema>;

/**
 * Loads the dev key pair from `<dataDir>/dev-jwt-key.json`, creating it (mode 0600) on first
 * use. Safe when several processes start at once: each writes its own temp file and
 * hard-links it into place, which fails instead of clobbering when another process won; then
 * everyone reads the one file that landed.
 */
export async function loadOrCreateDevKey(dataDir: string): Promise<DevKey> {
  const file = join(dataDir, DEV_KEY_FILE);
  const existing = await readKeyFile(file);
  if (existing) return existing;

  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  await publishWithoutClobbering(file, JSON.stringify(await generateKeyFile(), null, 2) + '\n');
  const created = await readKeyFile(file);
  if (!created) throw new Error(`dev JWT key ${file} vanished right after it was created`);
  return created;
}

async function generateKeyFile(): Promise<KeyFile> {
  const { privateKey, publicKey } = await generateKeyPair(ALGORITHM, { extractable: true });
  const privateJwk = await exportJWK(privateKey);
  const publicJwk = await exportJWK(publicKey);
  return keyFileSchema.parse({ alg: ALGORITHM, privateJwk, publicJwk });
}

async function publishWithoutClobbering(file: string, contents: string): Promise<void> {
  const temp = `${file}.${process.pid}.${randomUUID()}.tmp`;
  await writeFile(temp, contents, { mode: 0o600, flag: 'wx' });
  try {
    await link(temp, file);
  } catch (error) {
    if (!isErrnoCode(error, 'EEXIST')) throw error;
    // Another process created the key first; its file is the one everybody uses.
  } finally {
    await rm(temp, { force: true });
  }
}

async function readKeyFile(file: string): Promise<DevKey | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if (isErrnoCode(error, 'ENOENT')) return undefined;
    throw error;
  }
  await restrictPermissions(file);
  const parsed = keyFileSchema.safeParse(safeJsonParse(text));
  if (!parsed.success) {
    throw new Error(`dev JWT key ${file} is not a valid ES256 key file; delete it to create a new key`);
  }
  return importDevKey(parsed.data);
}

/** A private key readable by others is tightened back to 0600 rather than used as is. */
async function restrictPermissions(file: string): Promise<void> {
  const { mode } = await stat(file);
  if ((mode & 0o077) !== 0) await chmod(file, 0o600);
}

async function importDevKey(keyFile: KeyFile): Promise<DevKey> {
  const privateKey = await importJWK(keyFile.privateJwk, ALGORITHM);
  const publicKey = await importJWK(keyFile.publicJwk, ALGORITHM);
  if (privateKey instanceof Uint8Array || publicKey instanceof Uint8Array) {
    throw new Error('dev JWT key did not import as an asymmetric key');
  }
  const kid = await calculateJwkThumbprint(keyFile.publicJwk);
  const publicJwk: JWK = { ...keyFile.publicJwk, kid, alg: ALGORITHM, use: 'sig' };
  return { kid, privateKey, publicKey, publicJwk };
}

/** The JWKS document an issuer would publish for the dev key (what the authorizer fetches). */
export function devJwks(key: DevKey): { keys: JWK[] } {
  return { keys: [key.publicJwk] };
}

// ---------------------------------------------------------------------------------------------
// Signing

export interface DevTokenClaims {
  sub?: string;
  org_id: string;
  /** Project ids the token may use, or `*` for every project of the org. */
  project_ids: string | readonly string[];
  role?: Role;
  ttlSeconds?: number;
}

/** Signs a compact JWS (ES256, with `kid`) carrying the claims contract the handlers read. */
export async function signDevToken(key: DevKey, claims: DevTokenClaims): Promise<string> {
  const projectIds = normaliseProjectIds(claims.project_ids);
  const ttlSeconds = claims.ttlSeconds ?? DEFAULT_TTL_SECONDS;
  assertValidTokenInput(claims, projectIds, ttlSeconds);
  return new SignJWT({ org_id: claims.org_id, project_ids: projectIds, role: claims.role ?? 'editor' })
    .setProtectedHeader({ alg: ALGORITHM, typ: 'JWT', kid: key.kid })
    .setSubject(claims.sub ?? DEFAULT_SUBJECT)
    .setIssuer(DEV_ISSUER)
    .setAudience(DEV_AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(`${ttlSeconds}s`)
    .sign(key.privateKey);
}

function normaliseProjectIds(projectIds: string | readonly string[]): string {
  const list = typeof projectIds === 'string' ? projectIds.split(/\s+/) : projectIds;
  return list
    .map((id) => id.trim())
    .filter((id) => id.length > 0)
    .join(' ');
}

function assertValidTokenInput(claims: DevTokenClaims, projectIds: string, ttlSeconds: number): void {
  if (claims.org_id.trim().length === 0 || /\s/.test(claims.org_id)) {
    throw new Error('org_id must be a non-empty id without spaces');
  }
  if (projectIds.length === 0) throw new Error('at least one project id (or *) is required');
  if (projectIds.includes('*') && projectIds !== '*') throw new Error('* must be the only project id');
  if (claims.role !== undefined && !ROLES.includes(claims.role)) {
    throw new Error(`role must be one of ${ROLES.join(', ')}`);
  }
  if (!Number.isSafeInteger(ttlSeconds) || ttlSeconds <= 0) throw new Error('ttl must be a positive whole number of seconds');
}

// ---------------------------------------------------------------------------------------------
// Verification

export type VerifyFailureReason =
  | 'missing_header'
  | 'not_bearer'
  | 'malformed'
  | 'alg_not_allowed'
  | 'unknown_key'
  | 'bad_signature'
  | 'expired'
  | 'not_yet_valid'
  | 'wrong_issuer'
  | 'wrong_audience'
  | 'missing_claim'
  | 'missing_org_id'
  | 'invalid_claims';

export type VerifyResult =
  | { readonly ok: true; readonly claims: JWTPayload }
  | { readonly ok: false; readonly reason: VerifyFailureReason; readonly message: string };

const FAILURE_MESSAGES: Record<VerifyFailureReason, string> = {
  missing_header: 'the Authorization header is missing',
  not_bearer: 'the Authorization header must be "Bearer <token>"',
  malformed: 'the token is not a well-formed JWT',
  alg_not_allowed: 'the token algorithm is not allowed (only ES256 is accepted)',
  unknown_key: 'the token was not signed by a known key (kid does not match)',
  bad_signature: 'the token signature is invalid',
  expired: 'the token has expired',
  not_yet_valid: 'the token is not valid yet',
  wrong_issuer: 'the token issuer is not accepted',
  wrong_audience: 'the token audience is not accepted',
  missing_claim: 'the token lacks a required claim (exp and iat are required)',
  missing_org_id: 'the token has no org_id claim',
  invalid_claims: 'the token claims org_id, project_ids and role must be strings',
};

const failure = (reason: VerifyFailureReason): VerifyResult => ({ ok: false, reason, message: FAILURE_MESSAGES[reason] });

/** RFC 6750 / RFC 7230 token68-ish: base64url segments separated by dots. */
const BEARER_PATTERN = /^Bearer +([A-Za-z0-9._~+/-]+=*) *$/i;

/**
 * Verifies an Authorization header as the API Gateway JWT authorizer would for our issuer
 * and audience. Failure messages never contain the token.
 */
export async function verifyBearer(authorization: string | undefined, key: DevKey): Promise<VerifyResult> {
  if (authorization === undefined || authorization.trim() === '') return failure('missing_header');
  if (!/^Bearer(\s|$)/i.test(authorization)) return failure('not_bearer');
  const token = BEARER_PATTERN.exec(authorization)?.[1];
  if (token === undefined) return failure('malformed');

  try {
    const { payload } = await jwtVerify(token, keyResolver(key), {
      algorithms: [ALGORITHM],
      issuer: DEV_ISSUER,
      audience: DEV_AUDIENCE,
      clockTolerance: CLOCK_TOLERANCE_SECONDS,
      requiredClaims: ['exp', 'iat'],
    });
    if (issuedInTheFuture(payload)) return failure('not_yet_valid');
    return checkContractClaims(payload);
  } catch (error) {
    return failure(classifyJoseError(error));
  }
}

/** Picks the key by `kid` like the authorizer does from its JWKS; a token without kid is rejected. */
function keyResolver(key: DevKey): JWTVerifyGetKey {
  return (header) => {
    if (header.kid !== key.kid) throw new errors.JWKSNoMatchingKey();
    return key.publicKey;
  };
}

/** The authorizer requires `iat` to be in the past; jose only checks it with maxTokenAge. */
function issuedInTheFuture(payload: JWTPayload): boolean {
  const nowSeconds = Math.floor(Date.now() / 1000);
  return typeof payload.iat === 'number' && payload.iat > nowSeconds + CLOCK_TOLERANCE_SECONDS;
}

function checkContractClaims(payload: JWTPayload): VerifyResult {
  const { org_id: orgId, project_ids: projectIds, role } = payload;
  if (orgId === undefined || orgId === '') return failure('missing_org_id');
  const optionalString = (value: unknown) => value === undefined || typeof value === 'string';
  if (typeof orgId !== 'string' || !optionalString(projectIds) || !optionalString(role)) return failure('invalid_claims');
  return { ok: true, claims: payload };
}

function classifyJoseError(error: unknown): VerifyFailureReason {
  if (error instanceof errors.JWTExpired) return 'expired';
  if (error instanceof errors.JWTClaimValidationFailed) return classifyClaimFailure(error);
  if (error instanceof errors.JOSEAlgNotAllowed || error instanceof errors.JOSENotSupported) return 'alg_not_allowed';
  if (error instanceof errors.JWKSNoMatchingKey) return 'unknown_key';
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'bad_signature';
  if (error instanceof errors.JOSEError) return 'malformed';
  throw error;
}

function classifyClaimFailure(error: InstanceType<typeof errors.JWTClaimValidationFailed>): VerifyFailureReason {
  if (error.reason === 'missing') return 'missing_claim';
  switch (error.claim) {
    case 'iss':
      return 'wrong_issuer';
    case 'aud':
      return 'wrong_audience';
    case 'nbf':
    case 'iat':
      return 'not_yet_valid';
    default:
      return 'malformed';
  }
}

// ---------------------------------------------------------------------------------------------
// Claims as API Gateway hands them to the Lambda

/**
 * API Gateway flattens JWT claims to strings: numbers and booleans are stringified, arrays
 * become `[a b c]` (its Go-style formatting), objects are serialised. Handlers may therefore
 * rely on every claim being a string.
 */
export function toAuthorizerClaims(payload: JWTPayload): Record<string, string> {
  const claims: Record<string, string> = {};
  for (const [name, value] of Object.entries(payload)) {
    if (value === undefined || value === null) continue;
    claims[name] = flattenClaim(value);
  }
  return claims;
}

function flattenClaim(value: unknown): string {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return `[${value.map(flattenClaim).join(' ')}]`;
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

// ---------------------------------------------------------------------------------------------

function isErrnoCode(error: unknown, code: string): boolean {
  return error instanceof Error && (error as NodeJS.ErrnoException).code === code;
}

function safeJsonParse(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
