/**
 * Who is calling: the local Lambda runtime's part of IAM.
 *
 * In AWS each function runs with its own execution role, and every AWS or Kubernetes call it
 * makes is signed with that role's credentials. The local cloud runs every handler in one
 * process, so it cannot give each one its own environment credentials. Instead the local
 * Lambda runtime (the API gateway, the Step Functions task invoker and the cron, all wired in
 * local/cloud.ts) runs each invocation inside `runAsFunction(name, …)`, and every HTTP request
 * made inside it, through node:http or undici (which @kubernetes/client-node uses), carries
 * the function's name in CALLER_HEADER. The local endpoints turn that name into the role the
 * synthesized template gives the function, and authorize the call as AWS (IAM) or EKS (access
 * entries, RBAC) would.
 *
 * A request without the header comes from outside any function: an operator's AWS CLI or
 * kubectl, which the local cloud treats as the account's administrator / cluster creator.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { subscribe } from 'node:diagnostics_channel';
import type { ClientRequest, IncomingHttpHeaders } from 'node:http';

export const CALLER_HEADER = 'x-local-lambda-function';

const invocation = new AsyncLocalStorage<string>();

/** Runs `fn` (and every request it makes) as the Lambda function `functionName`. */
export const runAsFunction = <T>(functionName: string, fn: () => T): T => invocation.run(functionName, fn);

/** The function whose invocation the current async context belongs to, if any. */
export const currentFunction = (): string | undefined => invocation.getStore();

/** The calling function a local endpoint sees on a request, or undefined for an operator. */
export const callerOf = (headers: IncomingHttpHeaders): string | undefined => {
  const value = headers[CALLER_HEADER];
  return typeof value === 'string' && value !== '' ? value : undefined;
};

/**
 * The principal the far side resolves a caller to. `roleArn` is the function's execution role
 * (from the synthesized template); an operator has none.
 */
export interface LocalPrincipal {
  readonly functionName: string;
  readonly roleArn: string;
}

/** An EKS access entry as the synthesized template declares it, intrinsics resolved. */
export interface AccessEntrySpec {
  readonly principalArn: string;
  readonly username?: string;
  readonly kubernetesGroups: readonly string[];
  readonly accessPolicies: readonly {
    readonly policyArn: string;
    readonly scope: { readonly type: 'cluster' } | { readonly type: 'namespace'; readonly namespaces: readonly string[] };
  }[];
}

let installed = false;

/**
 * Makes every outgoing HTTP request carry the current function's name. Idempotent; a request
 * made outside an invocation is left alone.
 */
export const installCallerHeader = (): void => {
  if (installed) return;
  installed = true;
  // 'created' fires before any header is rendered (Node >= 22.12); 'start' would be too late.
  subscribe('http.client.request.created', (message) => {
    const caller = currentFunction();
    const request = (message as { request: ClientRequest }).request;
    if (caller && !request.headersSent && !request.hasHeader(CALLER_HEADER)) request.setHeader(CALLER_HEADER, caller);
  });
  subscribe('undici:request:create', (message) => {
    const caller = currentFunction();
    const request = (message as { request: { addHeader(name: string, value: string): unknown } }).request;
    if (caller) request.addHeader(CALLER_HEADER, caller);
  });
};
