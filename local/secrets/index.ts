/**
 * Secrets Manager for the local cloud: the service's JSON protocol (awsJson1.1, `X-Amz-Target:
 * secretsmanager.<Operation>`) for CreateSecret, GetSecretValue, DescribeSecret and DeleteSecret,
 * with the service's error shapes (`__type` + `message`, HTTP 400), so the production adapter
 * runs through the real @aws-sdk/client-secrets-manager unchanged. Requests are not SigV4-checked
 * (nor are they by dynalite); values are encrypted at rest (./store.ts).
 */
import type { ServerResponse } from 'node:http';
import { discardUnreadBody, readBody } from '../http/body';
import { serve } from '../http/serve';
import { callerOf } from '../identity';
import type { LocalAuthorizer } from '../iam/authorizer';
import type { AuthorizationRequest } from '../iam/evaluate';
import { createSecretRequests, existingSecretRequests, type Scope } from '../iam/secrets-requests';
import { SecretsError, SecretStore } from './store';

export interface LocalSecretsManager {
  url: string;
  /** The file holding the (encrypted) secrets, for tests that look at what is on disk. */
  stateFile: string;
  close(): Promise<void>;
}

const MAX_REQUEST_BYTES = 256 * 1024;
const CONTENT_TYPE = 'application/x-amz-json-1.1';

/** Refuses a request IAM denies: the caller's own permission first, then what KMS needs on its behalf. */
type Authorize = (requests: { secret: AuthorizationRequest[]; kms: AuthorizationRequest[] }) => void;

type Operation = (store: SecretStore, input: Record<string, unknown>, authorize: Authorize, scope: Scope) => unknown;
const onExisting =
  (name: string, run: (store: SecretStore, input: Record<string, unknown>) => unknown): Operation =>
  (store, input, authorize, scope) => {
    if (typeof input.SecretId === 'string' && input.SecretId !== '') {
      authorize(existingSecretRequests(name, input.SecretId, store.facts(input.SecretId), scope));
    }
    return run(store, input);
  };
const OPERATIONS: Record<string, Operation> = {
  CreateSecret: (store, input, authorize, scope) => store.create(input, (facts) => authorize(createSecretRequests(input, facts, scope))),
  GetSecretValue: onExisting('GetSecretValue', (store, input) => store.getValue(input)),
  DescribeSecret: onExisting('DescribeSecret', (store, input) => store.describe(input)),
  DeleteSecret: onExisting('DeleteSecret', (store, input) => store.delete(input)),
};

const authorizeFor =
  (authorizer: LocalAuthorizer | undefined, caller: string | undefined): Authorize =>
  ({ secret, kms }) => {
    const denied = authorizer?.check(caller, secret);
    if (denied) throw new SecretsError('AccessDeniedException', denied.message);
    // Secrets Manager reports a refused KMS call in its own words, not KMS's.
    if (authorizer?.check(caller, kms)) throw new SecretsError('AccessDeniedException', 'Access to KMS is not allowed');
  };

const send = (res: ServerResponse, status: number, body: unknown, errorType?: string) => {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': CONTENT_TYPE,
    'content-length': Buffer.byteLength(text),
    'x-amzn-requestid': crypto.randomUUID(),
    ...(errorType ? { 'x-amzn-errortype': errorType } : {}),
  });
  res.end(text);
};

const fail = (res: ServerResponse, status: number, type: string, message: string) => send(res, status, { __type: type, message }, type);

export const startSecretsManager = async (options: {
  host: string;
  port?: number;
  dataDir: string;
  region: string;
  accountId: string;
  /** IAM for the functions' calls (local/iam); without it every call is served. */
  authorizer?: LocalAuthorizer;
}): Promise<LocalSecretsManager> => {
  const scope: Scope = { region: options.region, account: options.accountId };
  const store = new SecretStore({ dataDir: options.dataDir, region: options.region, accountId: options.accountId });
  const { url, close } = await serve({
    host: options.host,
    port: options.port,
    closeGraceMs: 0,
    handler: (req, res) => void (async () => {
      if (req.method !== 'POST') return fail(res, 405, 'UnknownOperationException', 'only POST is supported');
      const target = String(req.headers['x-amz-target'] ?? '');
      const operation = target.startsWith('secretsmanager.') ? OPERATIONS[target.slice('secretsmanager.'.length)] : undefined;
      if (!operation) return fail(res, 400, 'UnknownOperationException', `the operation ${target || '(no X-Amz-Target)'} is not supported by this endpoint`);
      const body = await readBody(req, MAX_REQUEST_BYTES);
      if (body.kind === 'aborted') return; // the client is gone; nobody to answer
      if (body.kind === 'too_large') {
        discardUnreadBody(req);
        return fail(res, 413, 'ValidationException', `the request exceeds ${MAX_REQUEST_BYTES} bytes`);
      }
      const text = body.bytes.toString('utf8');
      let input: unknown;
      try {
        input = text === '' ? {} : JSON.parse(text);
      } catch {
        return fail(res, 400, 'SerializationException', 'the request body is not valid JSON');
      }
      if (typeof input !== 'object' || input === null || Array.isArray(input)) return fail(res, 400, 'SerializationException', 'the request body must be a JSON object');
      try {
        send(res, 200, operation(store, input as Record<string, unknown>, authorizeFor(options.authorizer, callerOf(req.headers)), scope));
      } catch (error) {
        if (error instanceof SecretsError) return fail(res, 400, error.type, error.message);
        fail(res, 500, 'InternalServiceError', 'the local Secrets Manager failed');
      }
    })(),
  });
  return { url, stateFile: store.stateFile, close };
};
