/** Dev tokens signed with the dev key, with the claims the API reads. */
import { SignJWT } from 'jose';
import { ALGORITHM, DEV_AUDIENCE, DEV_ISSUER, ROLES, type DevKey, type Role } from './key';

const DEFAULT_TTL_SECONDS = 12 * 60 * 60;
const DEFAULT_SUBJECT = 'local-developer';

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
