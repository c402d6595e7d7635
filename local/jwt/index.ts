/**
 * The local cloud's stand-in for an identity provider and for the API Gateway JWT authorizer:
 * one ES256 dev key kept under DATA_DIR, tokens signed with it, and verification with the
 * same rules the authorizer applies in AWS (signature, alg, kid, iss, aud, exp/nbf/iat), plus
 * the one claim every route needs (`org_id`).
 */

export { DEV_ISSUER, DEV_AUDIENCE, DEV_KEY_FILE, ROLES, loadOrCreateDevKey, devJwks, type Role, type DevKey } from './key';
export { signDevToken, type DevTokenClaims } from './sign';
export { verifyBearer, toAuthorizerClaims, type VerifyFailureReason, type VerifyResult } from './verify';
