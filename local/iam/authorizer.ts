/**
 * What every local AWS endpoint asks before it serves a function's request: may this caller
 * perform each of these (action, resource, context) requests? An operator (no function header)
 * is the account's administrator and may; a function may only what its role's synthesized
 * statements allow.
 */
import { accessDeniedMessage, evaluate, type AuthorizationRequest } from './evaluate';
import type { IamPrincipal } from './principals';

export interface Denial {
  readonly action: string;
  readonly resource: string;
  /** AWS's AccessDenied message naming the caller's assumed-role session. */
  readonly message: string;
}

export interface LocalAuthorizer {
  /** The first request of `requests` the caller may not make, or undefined when all are allowed. */
  check(caller: string | undefined, requests: readonly AuthorizationRequest[]): Denial | undefined;
}

export const createAuthorizer = (principals: Readonly<Record<string, IamPrincipal>>, account: string): LocalAuthorizer => ({
  check(caller, requests) {
    if (caller === undefined) return undefined;
    const principal = principals[caller];
    for (const request of requests) {
      if (!principal) {
        // A caller the template does not know has no role: nothing is allowed (AWS would not even sign the call).
        const callerArn = `arn:aws:sts::${account}:assumed-role/unknown/${caller}`;
        return { action: request.action, resource: request.resource, message: accessDeniedMessage(callerArn, request, 'implicit-deny') };
      }
      const decision = evaluate(principal.statements, request);
      if (decision !== 'allow') {
        return { action: request.action, resource: request.resource, message: accessDeniedMessage(principal.assumedRoleArn, request, decision) };
      }
    }
    return undefined;
  },
});

/** Every request allowed: LOCAL_IAM=off, a debugging switch only (docs/local-iam.md). */
export const allowEverything: LocalAuthorizer = { check: () => undefined };
