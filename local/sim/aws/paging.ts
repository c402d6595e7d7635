/**
 * Server-side paging of the EKS and Auto Scaling list calls, as AWS does it: a page of at
 * most the caller's limit (within the operation's bounds) and an opaque token for the rest,
 * bound to the operation that issued it so a token from another call is refused.
 */
export interface Page<T> {
  items: T[];
  nextToken: string | undefined;
}

export class BadToken extends Error {}
export class BadLimit extends Error {}

const encode = (scope: string, offset: number): string => Buffer.from(JSON.stringify({ s: scope, o: offset })).toString('base64url');

const decode = (scope: string, token: string): number => {
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { s?: unknown; o?: unknown };
    if (parsed.s === scope && typeof parsed.o === 'number' && Number.isInteger(parsed.o) && parsed.o >= 0) return parsed.o;
  } catch {
    // fall through: the token is not one we issued
  }
  throw new BadToken(token);
};

/** `limitRaw` null means the default; `bounds` are the API reference's [min, max]. */
export const page = <T>(items: readonly T[], scope: string, limitRaw: string | null, tokenRaw: string | null, bounds: { min: number; max: number; default: number }): Page<T> => {
  let limit = bounds.default;
  if (limitRaw !== null) {
    limit = Number(limitRaw);
    if (!Number.isInteger(limit) || limit < bounds.min || limit > bounds.max) throw new BadLimit(limitRaw);
  }
  const offset = tokenRaw === null || tokenRaw === '' ? 0 : decode(scope, tokenRaw);
  const slice = items.slice(offset, offset + limit);
  const next = offset + slice.length;
  return { items: slice, nextToken: next < items.length ? encode(scope, next) : undefined };
};
