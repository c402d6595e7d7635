/**
 * The middy chain every API handler shares: tracing and metrics (./observability.ts), request
 * logging, the caller's identity, and the one place that maps errors to `{code, message}` responses.
 */
import middy, { type MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEventV2WithJWTAuthorizer, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import * as z from 'zod';
import type { Tenant } from '../domain/deployment';
import { ApiError, ForbiddenError, NotFoundError, ServiceUnavailableError, UnauthorizedError, ValidationError } from '../domain/errors';
import { isAwsUnavailable } from './aws-retry';
import { logger } from './logger';
import { apiObservability } from './observability';

export type ApiEvent = APIGatewayProxyEventV2WithJWTAuthorizer;
export type ApiResult = APIGatewayProxyStructuredResultV2;

const JSON_HEADERS = { 'content-type': 'application/json' };

export const json = (statusCode: number, body: unknown): ApiResult => ({
  statusCode,
  headers: JSON_HEADERS,
  body: JSON.stringify(body),
});
export const noContent = (): ApiResult => ({ statusCode: 204 });

/** How long a client should wait before retrying a 503: the throttling or overload behind it is short-lived. */
export const RETRY_AFTER_SECONDS = 2;

const errorResponse = (error: ApiError): ApiResult => {
  const response = json(error.statusCode, { code: error.code, message: error.message });
  return error.statusCode === 503 ? { ...response, headers: { ...JSON_HEADERS, 'retry-after': String(RETRY_AFTER_SECONDS) } } : response;
};

const errorMapper = (): MiddlewareObj<ApiEvent, ApiResult> => ({
  onError: async (request) => {
    const { error } = request;
    if (error instanceof ApiError) {
      if (error.statusCode >= 500) logger.error('request failed', { error });
      request.response = errorResponse(error);
      return;
    }
    if (isAwsUnavailable(error)) {
      // Throttling or a 5xx that outlasted the SDK's bounded retries (./aws-retry.ts). The use
      // cases undo their earlier writes when a later step fails, so the same request may be retried.
      logger.error('an AWS service stayed unavailable through the retries', { error: error as Error });
      request.response = errorResponse(new ServiceUnavailableError('a backing service is throttling or unavailable; retry shortly'));
      return;
    }
    logger.error('unhandled error', { error: error as Error });
    request.response = json(500, { code: 'internal_error', message: 'internal error; the request id is in the logs' });
  },
});

const requestLogging = (): MiddlewareObj<ApiEvent, ApiResult> => ({
  before: async (request) => {
    logger.resetKeys();
    logger.addContext(request.context);
    logger.appendKeys({ routeKey: request.event.routeKey });
  },
  after: async (request) => {
    logger.debug('request completed', { statusCode: request.response?.statusCode });
  },
});

export interface RequestScope {
  now: Date;
  context: Context;
}

/** Wraps a route implementation in the shared chain. Export the bare function too, for tests. */
export const apiHandler = (fn: (event: ApiEvent, scope: RequestScope) => Promise<ApiResult>) =>
  middy<ApiEvent, ApiResult>()
    .use(apiObservability<ApiEvent, ApiResult>())
    .use(errorMapper())
    .use(requestLogging())
    .handler((event, context) => fn(event, { now: new Date(), context }));

export type Role = 'admin' | 'editor' | 'viewer';
export interface Caller {
  sub: string;
  org_id: string;
  project_ids: '*' | string[];
  role: Role;
}

const claimsSchema = z.object({
  sub: z.string().default('unknown'),
  org_id: z.string().min(1),
  project_ids: z.string().default(''),
  role: z.enum(['admin', 'editor', 'viewer']).default('editor'),
});

/** Claims that may also arrive as Cognito custom attributes (`custom:org_id`, …) in a Cognito ID token. */
const TENANT_CLAIMS = ['org_id', 'project_ids', 'role'] as const;

/** The claims with `custom:<name>` read as `<name>` where the plain claim is absent. */
const tenantClaims = (claims: Record<string, unknown>): Record<string, unknown> => {
  const aliased = TENANT_CLAIMS.filter((name) => claims[name] === undefined && claims[`custom:${name}`] !== undefined);
  return { ...claims, ...Object.fromEntries(aliased.map((name) => [name, claims[`custom:${name}`]])) };
};

/** The caller as the JWT authorizer (API Gateway, or the local gateway) verified it. */
export const callerOf = (event: ApiEvent): Caller => {
  const parsed = claimsSchema.safeParse(tenantClaims(event.requestContext.authorizer?.jwt?.claims ?? {}));
  if (!parsed.success) throw new UnauthorizedError('the token carries no valid org_id/role claims');
  const projects = parsed.data.project_ids.trim();
  return {
    ...parsed.data,
    project_ids: projects === '*' ? '*' : projects.split(/[\s,]+/).filter(Boolean),
  };
};

const PATH_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;

const pathParam = (event: ApiEvent, name: string): string => {
  const value = event.pathParameters?.[name];
  if (value === undefined || !PATH_ID.test(value)) {
    throw new ValidationError(`${name} in the path must be 1-63 letters, digits, '_', '-' or '.'`, name);
  }
  return value;
};

/**
 * The tenant named by the path, if the caller may act on it. Another org's or project's
 * resources answer 404, so their existence is not revealed; a read-only caller gets 403 on writes.
 */
export const authorizeTenant = (event: ApiEvent, access: 'read' | 'write'): Tenant => {
  const caller = callerOf(event);
  const tenant = { org_id: pathParam(event, 'org_id'), project_id: pathParam(event, 'project_id') };
  const allowed =
    caller.org_id === tenant.org_id && (caller.project_ids === '*' || caller.project_ids.includes(tenant.project_id));
  if (!allowed) throw new NotFoundError(`project '${tenant.project_id}' of org '${tenant.org_id}' was not found`);
  if (access === 'write' && caller.role === 'viewer') {
    throw new ForbiddenError('the token\'s role is viewer: it may list and read deployments, not change them');
  }
  return tenant;
};

/** Catalog changes are for platform admins (token claim role=admin), whatever their org. */
export const authorizeAdmin = (event: ApiEvent): Caller => {
  const caller = callerOf(event);
  if (caller.role !== 'admin') {
    throw new ForbiddenError(`the token's role is ${caller.role}: only role admin may change the model catalog`);
  }
  return caller;
};

/** The `{catalog_id}` path parameter. */
export const catalogIdOf = (event: ApiEvent): string => pathParam(event, 'catalog_id');

const DEPLOYMENT_ID = /^dep-[a-z0-9]{1,40}$/;

export const deploymentIdOf = (event: ApiEvent): string => {
  const id = event.pathParameters?.model_id ?? '';
  if (!DEPLOYMENT_ID.test(id)) throw new ValidationError(`model_id '${id.slice(0, 64)}' is not a deployment id (dep-...)`, 'model_id');
  return id;
};

export const headerOf = (event: ApiEvent, name: string): string | undefined => event.headers?.[name.toLowerCase()];
