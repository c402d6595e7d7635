/**
 * `Idempotency-Key` on a write route (POST …/aimodels), with Powertools idempotency on our
 * table (the entry passes the store: functions/wiring/idempotency-store.ts). Decisions (docs/reliability.md):
 *
 * - The key is scoped to the tenant: the record is found by the caller's org, the path's org
 *   and project and the header's value, and the caller is authorised (404/403) before any
 *   record is read, so another tenant (or a viewer) never receives a stored response.
 * - A retry with the same key and the same body bytes gets the first response again (status,
 *   headers, body), with `idempotency-replayed: true`; nothing is created again.
 * - The same key with another body: 422 invalid_request. The same key while the first
 *   request still runs: 409 conflict (retry later). A malformed key: 400 naming the header.
 * - Only success is stored. A request that fails (any 4xx or 5xx thrown by the handler)
 *   deletes its in-progress record, so a corrected retry with the same key runs. A success
 *   whose record cannot be completed (the table stays throttled) is still answered; its record
 *   stays in progress until it expires, so a retry meanwhile gets 409, not a second write.
 * - `?dry_run=true` neither reads nor consumes the key: a plan is not a deployment.
 * - Records expire after 24 h (DynamoDB TTL on `expires_at`); then the key can be used anew.
 */
import { IdempotencyConfig } from '@aws-lambda-powertools/idempotency';
import type { BasePersistenceLayer } from '@aws-lambda-powertools/idempotency/persistence';
import { makeHandlerIdempotent } from '@aws-lambda-powertools/idempotency/middleware';
import type { MiddlewareObj, Request } from '@middy/core';
import { ApiError, ConflictError, ValidationError } from '../domain/errors';
import { IDEMPOTENCY_HEADER as HEADER_NAME, IDEMPOTENCY_KEY_PATTERN, IDEMPOTENCY_TTL_SECONDS } from '../../contract/requests/idempotency-key';
import { authorizeTenant, headerOf, type ApiEvent, type ApiResult } from './http';
import { logger } from './logger';

/** The header as API Gateway (and the local gateway) deliver it: lower case. */
const IDEMPOTENCY_HEADER = HEADER_NAME.toLowerCase();

/** The tenant-scoped key: the caller's org, the path's org and project, the header. */
const KEY_EXPRESSION = `[requestContext.authorizer.jwt.claims.org_id, pathParameters.org_id, pathParameters.project_id, headers."${IDEMPOTENCY_HEADER}"]`;


/** The Powertools errors a client can cause, as API errors; anything else stays a 500. */
const toApiError = (error: unknown): unknown => {
  const name = (error as Error | undefined)?.name;
  if (name === 'IdempotencyValidationError') {
    return new ApiError('invalid_request', 422, 'Idempotency-Key was already used with a different request body; use a new key for a new request');
  }
  if (name === 'IdempotencyAlreadyInProgressError') {
    return new ConflictError('a request with this Idempotency-Key is still in progress; retry it in a moment');
  }
  return error;
};

/**
 * The middleware for a write route of a tenant's path. Register it last (innermost), so its
 * `after` stores the handler's own response and the error mapper still maps its errors.
 * `persistenceStore` keeps the records of this route.
 */
export const idempotentTenantWrite = (route: string, persistenceStore: BasePersistenceLayer): MiddlewareObj<ApiEvent, ApiResult> => {
  const powertools = makeHandlerIdempotent({
    persistenceStore,
    keyPrefix: route,
    config: new IdempotencyConfig({
      eventKeyJmesPath: KEY_EXPRESSION,
      payloadValidationJmesPath: 'body',
      expiresAfterSeconds: IDEMPOTENCY_TTL_SECONDS,
      hashFunction: 'sha256',
      responseHook: (response) => {
        const stored = response as ApiResult;
        return { ...stored, headers: { ...(typeof stored === 'object' ? stored.headers : {}), 'idempotency-replayed': 'true' } };
      },
    }),
  });
  const before = powertools.before!;
  const after = powertools.after!;
  const onError = powertools.onError!;
  /** Requests that wrote their in-progress record (the only ones that may complete or delete it). */
  const owners = new WeakSet<Request<ApiEvent, ApiResult>>();
  return {
    before: async (request: Request<ApiEvent, ApiResult>) => {
      const key = headerOf(request.event, IDEMPOTENCY_HEADER);
      if (key === undefined || request.event.queryStringParameters?.dry_run === 'true') return;
      if (!IDEMPOTENCY_KEY_PATTERN.test(key)) {
        throw new ValidationError('the Idempotency-Key header must be 1-255 printable ASCII characters', 'Idempotency-Key');
      }
      authorizeTenant(request.event, 'write');
      try {
        const replay = await before(request);
        if (replay === undefined) owners.add(request);
        return replay;
      } catch (error) {
        throw toApiError(error);
      }
    },
    after: async (request) => {
      if (!owners.has(request)) return;
      try {
        await after(request);
      } catch (error) {
        // The write happened: answering it as failed would invite a retry that, once the
        // in-progress record expires, does it twice. The client gets its answer; only the replay is lost.
        logger.error('could not store the response of an idempotent request', { error: error as Error });
      }
    },
    // Powertools deletes "its" record on any error; only the request that wrote it may.
    onError: async (request) => {
      if (owners.has(request)) await onError(request);
    },
  };
};
