/** The local API Gateway's server and request pipeline (./README.md: what it does and its decisions). */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { APIGatewayProxyEventV2WithJWTAuthorizer, Context } from 'aws-lambda';
import type { RouteDefinition } from '../../contract/routes';
import { readBody } from '../http/body';
import { serve } from '../http/serve';
import { type DevKey, toAuthorizerClaims, verifyBearer } from '../jwt';
import { encodeRequestBody } from './body';
import type { ConsoleSite } from './console';
import { buildEvent, createLambdaContext, HandlerCache, withTimeout, type LambdaHandler } from './lambda-event';
import { answerMalformedRequest, jsonError, sendError, sendResponse, sendUnauthorized, singleHeader, toHttpResponse, type HttpResponse } from './responses';
import { compileRoutes, matchRoute, splitRequestTarget, type CompiledRoute, type RequestInfo } from './routing';

export type { LambdaHandler } from './lambda-event';

export interface ApiGatewayOptions {
  /** Interface to listen on; 127.0.0.1 by default. */
  host?: string;
  /** 0 (the default) picks a free port. */
  port?: number;
  routes: readonly RouteDefinition[];
  /** Imports the route's entry lazily; called once per route (a Lambda "container"), retried after a failure. */
  loadHandler: (route: RouteDefinition) => Promise<LambdaHandler>;
  key: DevKey;
  /** Access log, one line per request: method, path, status, duration. Silent by default. */
  log?: (line: string) => void;
  /** The Lambda timeout; 10 s by default. */
  handlerTimeoutMs?: number;
  /** The web console at `/` and `/console/*` (./console.ts); none by default. */
  site?: ConsoleSite;
}

export interface RunningApiGateway {
  readonly url: string;
  close(): Promise<void>;
}

export const MAX_BODY_BYTES = 1024 * 1024;
const DEFAULT_HANDLER_TIMEOUT_MS = 10_000;
const HEADERS_TIMEOUT_MS = 10_000;
/** API Gateway's own integration timeout: a whole request (headers + body) must arrive by then. */
const REQUEST_TIMEOUT_MS = 30_000;
const KEEP_ALIVE_TIMEOUT_MS = 5_000;
const TIMEOUT_CHECK_INTERVAL_MS = 1_000;
const CLOSE_GRACE_MS = 2_000;

export async function startApiGateway(o: ApiGatewayOptions): Promise<RunningApiGateway> {
  const gateway: Gateway = {
    routes: compileRoutes(o.routes),
    handlers: new HandlerCache(o.loadHandler),
    key: o.key,
    log: o.log ?? (() => {}),
    handlerTimeoutMs: o.handlerTimeoutMs ?? DEFAULT_HANDLER_TIMEOUT_MS,
    site: o.site,
  };
  // Slow or stalled clients (slowloris) are cut off by the header and request deadlines.
  const server = createServer(
    {
      headersTimeout: HEADERS_TIMEOUT_MS,
      requestTimeout: REQUEST_TIMEOUT_MS,
      keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
      connectionsCheckingInterval: TIMEOUT_CHECK_INTERVAL_MS,
    },
    (req, res) => void serveRequest(gateway, req, res),
  );
  server.on('clientError', answerMalformedRequest);

  const { url, close } = await serve({ host: o.host ?? '127.0.0.1', port: o.port, server, closeGraceMs: CLOSE_GRACE_MS });
  return { url, close };
}

interface Gateway {
  readonly routes: readonly CompiledRoute[];
  readonly handlers: HandlerCache;
  readonly key: DevKey;
  readonly log: (line: string) => void;
  readonly handlerTimeoutMs: number;
  readonly site: ConsoleSite | undefined;
}

/** The pipeline: target -> console site -> route (404/405/400) -> JWT (401) -> body (413) -> handler -> response. */
async function serveRequest(gateway: Gateway, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const started = performance.now();
  const requestId = randomUUID();
  const method = req.method ?? 'GET';
  const target = splitRequestTarget(req.url);
  res.setHeader('apigw-requestid', requestId);
  res.once('close', () => {
    const status = res.writableFinished ? String(res.statusCode) : 'aborted';
    gateway.log(`${method} ${target?.rawPath ?? '-'} ${status} ${Math.round(performance.now() - started)}ms`);
  });

  try {
    if (!target) {
      sendError(req, res, 400, 'invalid_request', 'the request target is not a valid path');
      return;
    }
    // The console's static files and local sign-in sit outside the API's base path and its authorizer.
    if (gateway.site && (await gateway.site.handle(req, res, method, target.rawPath))) return;
    await routeAndInvoke(gateway, req, res, { requestId, method, ...target });
  } catch (error) {
    reportError(requestId, undefined, error);
    if (!res.headersSent) sendError(req, res, 500, 'internal_error', 'internal error');
    else res.destroy();
  }
}

async function routeAndInvoke(gateway: Gateway, req: IncomingMessage, res: ServerResponse, info: RequestInfo): Promise<void> {
  const match = matchRoute(gateway.routes, info.method, info.rawPath);
  if (match.kind === 'not_found') return sendError(req, res, 404, 'not_found', `no route for path ${info.rawPath}`);
  if (match.kind === 'method_not_allowed') {
    const allow = match.allow.join(', ');
    return sendError(req, res, 405, 'method_not_allowed', `${info.method} is not allowed on ${info.rawPath}; allowed: ${allow}`, {
      allow,
    });
  }
  if (match.kind === 'bad_parameter') {
    return sendError(req, res, 400, 'invalid_request', `path parameter ${match.name} is not valid percent-encoding`);
  }

  // A public route (the API's own description) has no authorizer, as in infra/constructs/api.ts.
  const auth = match.route.definition.public
    ? ({ ok: true, claims: undefined } as const)
    : await verifyBearer(singleHeader(req.headers.authorization), gateway.key);
  if (!auth.ok) return sendUnauthorized(req, res, auth.reason, auth.message);

  const body = await readBody(req, MAX_BODY_BYTES);
  if (body.kind === 'aborted') return; // the client is gone; nobody to answer
  if (body.kind === 'too_large') {
    return sendError(req, res, 413, 'payload_too_large', `the request body exceeds ${MAX_BODY_BYTES} bytes`);
  }

  const event = buildEvent({
    req,
    info,
    route: match.route,
    pathParameters: match.pathParameters,
    body: encodeRequestBody(body.bytes, singleHeader(req.headers['content-type'])),
    claims: auth.claims === undefined ? undefined : toAuthorizerClaims(auth.claims),
  });
  const response = await invokeRoute(gateway, match.route.definition, event, info.requestId);
  sendResponse(req, res, response);
}

async function invokeRoute(
  gateway: Gateway,
  route: RouteDefinition,
  event: APIGatewayProxyEventV2WithJWTAuthorizer,
  requestId: string,
): Promise<HttpResponse> {
  const context = createLambdaContext(route, gateway.handlerTimeoutMs);
  try {
    const handler = await gateway.handlers.get(route);
    const result = await withTimeout(() => handler(event, context), gateway.handlerTimeoutMs);
    return toHttpResponse(result);
  } catch (error) {
    reportError(requestId, context, error);
    return jsonError(500, 'internal_error', 'internal error');
  }
}

function reportError(requestId: string, context: Context | undefined, error: unknown): void {
  const where = context ? ` ${context.functionName} awsRequestId=${context.awsRequestId}` : '';
  const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
  console.error(`[api-gateway] requestId=${requestId}${where} failed: ${detail}`);
}
