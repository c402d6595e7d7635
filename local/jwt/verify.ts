/** Verification with the API Gateway JWT authorizer's rules, and the claims as it hands them to the Lambda. */
import { errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { ALGORITHM, DEV_AUDIENCE, DEV_ISSUER, type DevKey } from './key';

const CLOCK_TOLERANCE_SECONDS = 5;

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
