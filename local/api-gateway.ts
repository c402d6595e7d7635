/**
 * The local API Gateway: an HTTP server built from the same route table as the CDK HTTP API.
 * Each request is routed, authorised with the JWT authorizer's rules, turned into a payload
 * format 2.0 event and handed to the route's Lambda handler; the structured result becomes the
 * HTTP response. Errors the gateway itself produces are `{code, message}` JSON like the API's.
 *
 * Decisions (where API Gateway leaves room, or where we are deliberately strict):
 * - Trailing slash: NOT tolerated. `/x/` is a different path from `/x` and answers 404, so no
 *   client comes to depend locally on a leniency the deployed API may not share.
 * - Routing: literal segments beat `{param}` segments; a param matches exactly one non-empty
 *   segment and is percent-decoded (a bad escape is a 400 invalid_request).
 * - Order: route (404/405) -> JWT (401) -> body (413) -> handler, as API Gateway does.
 * - Request body: UTF-8 text when the content type is textual (text/*, JSON, XML, form) and the
 *   bytes are valid UTF-8; anything else (binary types, no content type, invalid UTF-8 in a
 *   "JSON" body) is passed base64-encoded with isBase64Encoded true. Decoding bad bytes to a
 *   string would silently replace them with U+FFFD; base64 loses nothing and the handler's
 *   parser rejects it as an invalid request.
 * - Request headers: lower-cased, duplicates joined with ','; `cookie` moves to `cookies` (as
 *   in payload 2.0); x-forwarded-for/-proto/-port are added like API Gateway adds them.
 * - Result: a structured result with an integer statusCode is required (no inference from a
 *   bare string/object: our handlers always return structured results, so anything else is a
 *   bug worth a 500). Hop-by-hop headers from the handler are dropped; content-type defaults
 *   to application/json when there is a body.
 * - A request Node's parser rejects (malformed HTTP) is answered `{code, message}` too (400, 431
 *   for oversized headers, 408 for a stalled one) and the connection is closed.
 * - A handler gets the Lambda budget (10 s by default); past it the client gets a 500, as with
 *   a Lambda timeout. Handlers run concurrently: there is one "container" per route.
 */
import { randomUUID } from 'node:crypto';
import {
  createServer,
  validateHeaderName,
  validateHeaderValue,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { performance } from 'node:perf_hooks';
import type { APIGatewayProxyEventV2WithJWTAuthorizer, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import * as z from 'zod';
import type { RouteDefinition } from '../contract/routes';
import { type DevKey, toAuthorizerClaims, verifyBearer, type VerifyFailureReason } from './jwt';

export type LambdaHandler = (
  event: APIGatewayProxyEventV2WithJWTAuthorizer,
  context: Context,
) => Promise<APIGatewayProxyStructuredResultV2>;

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
}

export interface RunningApiGateway {
  readonly url: string;
  close(): Promise<void>;
}

export const MAX_BODY_BYTES = 1024 * 1024;
/** After answering early (401, 413, ...) we read and discard at most this much more body. */
const MAX_DISCARDED_BYTES = 16 * 1024 * 1024;
const DEFAULT_HANDLER_TIMEOUT_MS = 10_000;
const HEADERS_TIMEOUT_MS = 10_000;
/** API Gateway's own integration timeout: a whole request (headers + body) must arrive by then. */
const REQUEST_TIMEOUT_MS = 30_000;
const KEEP_ALIVE_TIMEOUT_MS = 5_000;
const TIMEOUT_CHECK_INTERVAL_MS = 1_000;
const CLOSE_GRACE_MS = 2_000;

const ACCOUNT_ID = '000000000000';
const REGION = 'us-east-1';
const FUNCTION_PREFIX = 'gpu-control-plane-';

export async function startApiGateway(o: ApiGatewayOptions): Promise<RunningApiGateway> {
  const gateway: Gateway = {
    routes: compileRoutes(o.routes),
    handlers: new HandlerCache(o.loadHandler),
    key: o.key,
    log: o.log ?? (() => {}),
    handlerTimeoutMs: o.handlerTimeoutMs ?? DEFAULT_HANDLER_TIMEOUT_MS,
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

  const host = o.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        const forceClose = setTimeout(() => server.closeAllConnections(), CLOSE_GRACE_MS).unref();
        server.close((error) => {
          clearTimeout(forceClose);
          if (error) reject(error);
          else resolve();
        });
        server.closeIdleConnections();
      }),
  };
}

interface Gateway {
  readonly routes: readonly CompiledRoute[];
  readonly handlers: HandlerCache;
  readonly key: DevKey;
  readonly log: (line: string) => void;
  readonly handlerTimeoutMs: number;
}

// ---------------------------------------------------------------------------------------------
// Request pipeline

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
    await routeAndInvoke(gateway, req, res, { requestId, method, ...target });
  } catch (error) {
    reportError(requestId, undefined, error);
    if (!res.headersSent) sendError(req, res, 500, 'internal_error', 'internal error');
    else res.destroy();
  }
}

interface RequestInfo {
  readonly requestId: string;
  readonly method: string;
  readonly rawPath: string;
  readonly rawQueryString: string;
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

// ---------------------------------------------------------------------------------------------
// Routing

type Segment = { readonly kind: 'literal'; readonly value: string } | { readonly kind: 'param'; readonly name: string };

interface CompiledRoute {
  readonly definition: RouteDefinition;
  readonly routeKey: string;
  readonly segments: readonly Segment[];
}

type RouteMatch =
  | { readonly kind: 'found'; readonly route: CompiledRoute; readonly pathParameters?: Record<string, string> }
  | { readonly kind: 'not_found' }
  | { readonly kind: 'method_not_allowed'; readonly allow: readonly string[] }
  | { readonly kind: 'bad_parameter'; readonly name: string };

function compileRoutes(routes: readonly RouteDefinition[]): CompiledRoute[] {
  const compiled = routes.map((definition) => ({
    definition,
    routeKey: `${definition.method} ${definition.path}`,
    segments: parseTemplate(definition.path),
  }));
  const keys = new Set<string>();
  for (const { routeKey } of compiled) {
    if (keys.has(routeKey)) throw new Error(`duplicate route ${routeKey}`);
    keys.add(routeKey);
  }
  return compiled.sort((a, b) => compareSpecificity(a.segments, b.segments));
}

function parseTemplate(path: string): Segment[] {
  if (!path.startsWith('/')) throw new Error(`route path ${path} must start with /`);
  return path
    .slice(1)
    .split('/')
    .map((part) => {
      const param = /^\{([A-Za-z_][A-Za-z0-9_]*)\}$/.exec(part)?.[1];
      return param === undefined ? { kind: 'literal', value: part } : { kind: 'param', name: param };
    });
}

/** Literal segments sort before params at the first difference, so `/a/list` wins over `/a/{id}`. */
function compareSpecificity(a: readonly Segment[], b: readonly Segment[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const rank = (s: Segment | undefined) => (s?.kind === 'literal' ? 0 : 1);
    const difference = rank(a[i]) - rank(b[i]);
    if (difference !== 0) return difference;
  }
  return 0;
}

function matchRoute(routes: readonly CompiledRoute[], method: string, rawPath: string): RouteMatch {
  const requestSegments = rawPath.slice(1).split('/');
  const candidates = routes.filter((route) => segmentsMatch(route.segments, requestSegments));
  if (candidates.length === 0) return { kind: 'not_found' };
  const route = candidates.find((candidate) => candidate.definition.method === method);
  if (!route) {
    const allow = [...new Set(candidates.map((candidate) => candidate.definition.method))].sort();
    return { kind: 'method_not_allowed', allow };
  }
  return extractPathParameters(route, requestSegments);
}

function segmentsMatch(template: readonly Segment[], actual: readonly string[]): boolean {
  if (template.length !== actual.length) return false;
  return template.every((segment, i) => {
    const part = actual[i] ?? '';
    return segment.kind === 'literal' ? segment.value === part : part.length > 0;
  });
}

function extractPathParameters(route: CompiledRoute, requestSegments: readonly string[]): RouteMatch {
  const pathParameters: Record<string, string> = {};
  for (const [i, segment] of route.segments.entries()) {
    if (segment.kind !== 'param') continue;
    try {
      pathParameters[segment.name] = decodeURIComponent(requestSegments[i] ?? '');
    } catch {
      return { kind: 'bad_parameter', name: segment.name };
    }
  }
  const hasParameters = Object.keys(pathParameters).length > 0;
  return { kind: 'found', route, ...(hasParameters ? { pathParameters } : {}) };
}

/** Origin-form `/path?query`; absolute-form (proxy style) is accepted too. */
function splitRequestTarget(url: string | undefined): { rawPath: string; rawQueryString: string } | undefined {
  if (url === undefined) return undefined;
  if (url.startsWith('/')) {
    const queryStart = url.indexOf('?');
    return queryStart < 0
      ? { rawPath: url, rawQueryString: '' }
      : { rawPath: url.slice(0, queryStart), rawQueryString: url.slice(queryStart + 1) };
  }
  if (!URL.canParse(url)) return undefined;
  const parsed = new URL(url);
  return { rawPath: parsed.pathname, rawQueryString: parsed.search.slice(1) };
}

// ---------------------------------------------------------------------------------------------
// Request body

type BodyOutcome =
  | { readonly kind: 'complete'; readonly bytes: Buffer }
  | { readonly kind: 'too_large' }
  | { readonly kind: 'aborted' };

/** Reads the body up to `limit` bytes; stops listening (without answering) once it is over. */
function readBody(req: IncomingMessage, limit: number): Promise<BodyOutcome> {
  if (req.destroyed) return Promise.resolve({ kind: 'aborted' });
  if (Number(req.headers['content-length'] ?? 0) > limit) return Promise.resolve({ kind: 'too_large' });

  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const settle = (outcome: BodyOutcome) => {
      req.off('data', onData).off('end', onEnd).off('error', onAbort).off('close', onAbort);
      resolve(outcome);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) settle({ kind: 'too_large' });
      else chunks.push(chunk);
    };
    const onEnd = () => settle({ kind: 'complete', bytes: Buffer.concat(chunks, size) });
    const onAbort = () => settle({ kind: 'aborted' });
    req.on('data', onData).once('end', onEnd).once('error', onAbort).once('close', onAbort);
  });
}

/**
 * Called before every response: whatever body is still unread is read and thrown away, so the
 * client sees our answer (a 413 rather than a connection reset) and the connection can be
 * reused. A client that keeps sending past MAX_DISCARDED_BYTES is cut off.
 */
function discardUnreadBody(req: IncomingMessage): void {
  if (req.readableEnded || req.destroyed) return;
  let discarded = 0;
  req.on('data', (chunk: Buffer) => {
    discarded += chunk.length;
    if (discarded > MAX_DISCARDED_BYTES) req.socket.destroy();
  });
  req.on('error', () => {}); // an abort while discarding is nobody's problem
  req.resume();
}

interface EncodedBody {
  readonly body?: string;
  readonly isBase64Encoded: boolean;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

function encodeRequestBody(bytes: Buffer, contentType: string | undefined): EncodedBody {
  if (bytes.length === 0) return { isBase64Encoded: false };
  if (isTextualContentType(contentType)) {
    try {
      return { body: strictUtf8.decode(bytes), isBase64Encoded: false };
    } catch {
      // Invalid UTF-8 despite a textual type: pass the exact bytes (see the header comment).
    }
  }
  return { body: bytes.toString('base64'), isBase64Encoded: true };
}

function isTextualContentType(contentType: string | undefined): boolean {
  if (contentType === undefined) return false;
  const [mediaType = '', ...parameters] = contentType.toLowerCase().split(';').map((part) => part.trim());
  const charset = parameters.find((p) => p.startsWith('charset='))?.slice('charset='.length).replace(/"/g, '');
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8' && charset !== 'us-ascii') return false;
  return (
    mediaType.startsWith('text/') ||
    /^application\/([a-z0-9.-]+\+)?(json|xml)$/.test(mediaType) ||
    mediaType === 'application/javascript' ||
    mediaType === 'application/x-www-form-urlencoded'
  );
}

// ---------------------------------------------------------------------------------------------
// Event and context

interface EventInput {
  readonly req: IncomingMessage;
  readonly info: RequestInfo;
  readonly route: CompiledRoute;
  readonly pathParameters: Record<string, string> | undefined;
  readonly body: EncodedBody;
  readonly claims: Record<string, string> | undefined;
}

function buildEvent({ req, info, route, pathParameters, body, claims }: EventInput): APIGatewayProxyEventV2WithJWTAuthorizer {
  const now = new Date();
  const sourceIp = clientAddress(req);
  const headers = eventHeaders(req, sourceIp);
  const domainName = domainNameOf(headers.host);
  const cookies = eventCookies(req);
  const queryStringParameters = eventQueryParameters(info.rawQueryString);
  return {
    version: '2.0',
    routeKey: route.routeKey,
    rawPath: info.rawPath,
    rawQueryString: info.rawQueryString,
    ...(cookies ? { cookies } : {}),
    headers,
    ...(queryStringParameters ? { queryStringParameters } : {}),
    ...(pathParameters ? { pathParameters } : {}),
    ...(body.body !== undefined ? { body: body.body } : {}),
    isBase64Encoded: body.isBase64Encoded,
    requestContext: {
      accountId: ACCOUNT_ID,
      apiId: 'local',
      domainName,
      domainPrefix: domainName.split('.')[0] ?? domainName,
      http: {
        method: info.method,
        path: info.rawPath,
        protocol: `HTTP/${req.httpVersion}`,
        sourceIp,
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: info.requestId,
      routeKey: route.routeKey,
      stage: '$default',
      time: formatRequestTime(now),
      timeEpoch: now.getTime(),
      ...(claims ? { authorizer: { jwt: { claims, scopes: null } } } : {}),
      // A public route's event has no `authorizer`, as API Gateway sends it for a route without one.
    } as APIGatewayProxyEventV2WithJWTAuthorizer['requestContext'],
  };
}

function eventHeaders(req: IncomingMessage, sourceIp: string): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, values] of Object.entries(req.headersDistinct)) {
    if (name === 'cookie' || values === undefined) continue;
    headers[name] = values.join(',');
  }
  const forwardedFor = headers['x-forwarded-for'];
  headers['x-forwarded-for'] = forwardedFor ? `${forwardedFor}, ${sourceIp}` : sourceIp;
  headers['x-forwarded-proto'] = 'http';
  headers['x-forwarded-port'] = String(req.socket.localPort ?? '');
  return headers;
}

function eventCookies(req: IncomingMessage): string[] | undefined {
  const cookies = (req.headersDistinct.cookie ?? [])
    .flatMap((header) => header.split(';'))
    .map((cookie) => cookie.trim())
    .filter((cookie) => cookie.length > 0);
  return cookies.length > 0 ? cookies : undefined;
}

function eventQueryParameters(rawQueryString: string): Record<string, string> | undefined {
  if (rawQueryString === '') return undefined;
  const parameters: Record<string, string> = {};
  for (const [name, value] of new URLSearchParams(rawQueryString)) {
    const previous = parameters[name];
    parameters[name] = previous === undefined ? value : `${previous},${value}`;
  }
  return Object.keys(parameters).length > 0 ? parameters : undefined;
}

function clientAddress(req: IncomingMessage): string {
  return (req.socket.remoteAddress ?? '127.0.0.1').replace(/^::ffff:/, '');
}

function domainNameOf(host: string | undefined): string {
  if (host === undefined || !URL.canParse(`http://${host}`)) return 'localhost';
  return new URL(`http://${host}`).hostname;
}

/** API Gateway's `requestContext.time`, e.g. `12/Mar/2020:19:03:58 +0000`. */
function formatRequestTime(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  const month = date.toLocaleString('en-US', { month: 'short', timeZone: 'UTC' });
  const clock = [date.getUTCHours(), date.getUTCMinutes(), date.getUTCSeconds()].map(pad).join(':');
  return `${pad(date.getUTCDate())}/${month}/${date.getUTCFullYear()}:${clock} +0000`;
}

function createLambdaContext(route: RouteDefinition, timeoutMs: number): Context {
  const functionName = `${FUNCTION_PREFIX}${route.name}`;
  const deadline = Date.now() + timeoutMs;
  const callbackStyle = () => {
    throw new Error('callback-style completion is not supported; return a promise from the handler');
  };
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${REGION}:${ACCOUNT_ID}:function:${functionName}`,
    memoryLimitInMB: '1024',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: `${new Date().toISOString().slice(0, 10).replace(/-/g, '/')}/[$LATEST]local`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: callbackStyle,
    fail: callbackStyle,
    succeed: callbackStyle,
  };
}

/** One promise per route: the first request imports the module, later ones reuse it. */
class HandlerCache {
  private readonly loaded = new Map<string, Promise<LambdaHandler>>();
  private readonly load: (route: RouteDefinition) => Promise<LambdaHandler>;

  constructor(load: (route: RouteDefinition) => Promise<LambdaHandler>) {
    this.load = load;
  }

  get(route: RouteDefinition): Promise<LambdaHandler> {
    const cached = this.loaded.get(route.name);
    if (cached) return cached;
    const loading = this.load(route).then((handler) => {
      if (typeof handler !== 'function') throw new Error(`${route.entry} does not export a handler function`);
      return handler;
    });
    // A failed init is retried by the next request, as Lambda re-initialises a failed container.
    loading.catch(() => this.loaded.delete(route.name));
    this.loaded.set(route.name, loading);
    return loading;
  }
}

async function withTimeout<T>(run: () => Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`handler timed out after ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    return await Promise.race([Promise.resolve().then(run), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

// ---------------------------------------------------------------------------------------------
// Responses

interface HttpResponse {
  readonly statusCode: number;
  readonly headers: OutgoingHttpHeaders;
  readonly body: Buffer;
}

const structuredResultSchema = z.object({
  statusCode: z.number().int().min(200).max(599),
  headers: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
  cookies: z.array(z.string()).optional(),
  body: z.string().optional(),
  isBase64Encoded: z.boolean().optional(),
});

/** Headers that describe one hop's connection; the gateway sets its own. */
const HOP_BY_HOP_HEADERS = new Set([
  'connection',
  'keep-alive',
  'transfer-encoding',
  'content-length',
  'upgrade',
  'te',
  'trailer',
  'proxy-authenticate',
  'proxy-authorization',
]);

/** Throws on anything API Gateway could not turn into a response. */
function toHttpResponse(result: unknown): HttpResponse {
  const parsed = structuredResultSchema.safeParse(result);
  if (!parsed.success) throw new Error(`handler returned a malformed result: ${z.prettifyError(parsed.error)}`);
  const { statusCode, headers = {}, cookies = [], body = '', isBase64Encoded = false } = parsed.data;

  const responseHeaders: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    const lowerName = name.toLowerCase();
    if (HOP_BY_HOP_HEADERS.has(lowerName)) continue;
    validateHeaderName(lowerName);
    validateHeaderValue(lowerName, String(value));
    responseHeaders[lowerName] = String(value);
  }
  if (cookies.length > 0) {
    cookies.forEach((cookie) => validateHeaderValue('set-cookie', cookie));
    const existing = responseHeaders['set-cookie'];
    responseHeaders['set-cookie'] = [...(existing === undefined ? [] : [String(existing)]), ...cookies];
  }
  const bytes = isBase64Encoded ? Buffer.from(body, 'base64') : Buffer.from(body, 'utf8');
  if (bytes.length > 0 && responseHeaders['content-type'] === undefined) responseHeaders['content-type'] = 'application/json';
  return { statusCode, headers: responseHeaders, body: bytes };
}

function jsonError(statusCode: number, code: string, message: string, headers: OutgoingHttpHeaders = {}): HttpResponse {
  return {
    statusCode,
    headers: { ...headers, 'content-type': 'application/json' },
    body: Buffer.from(JSON.stringify({ code, message })),
  };
}

function sendError(
  req: IncomingMessage,
  res: ServerResponse,
  statusCode: number,
  code: string,
  message: string,
  headers: OutgoingHttpHeaders = {},
): void {
  sendResponse(req, res, jsonError(statusCode, code, message, headers));
}

/** RFC 6750: no error attribute when no credentials were sent; `invalid_token` otherwise. */
function sendUnauthorized(req: IncomingMessage, res: ServerResponse, reason: VerifyFailureReason, message: string): void {
  const challenge =
    reason === 'missing_header' ? 'Bearer' : `Bearer error="invalid_token", error_description="${message.replace(/"/g, "'")}"`;
  sendError(req, res, 401, 'unauthorized', message, { 'www-authenticate': challenge });
}

function sendResponse(req: IncomingMessage, res: ServerResponse, response: HttpResponse): void {
  discardUnreadBody(req);
  res.writeHead(response.statusCode, response.headers);
  res.end(response.body);
}

/**
 * A request Node's HTTP parser rejects (bad request line or header, a body without framing, too
 * many header bytes, a stalled client) gets `{code, message}` like any other error, instead of
 * Node's bare `400 Bad Request`; then the connection closes, since its framing is lost.
 */
function answerMalformedRequest(error: NodeJS.ErrnoException, socket: Duplex): void {
  if (error.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const [status, reason, message] =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'Request Header Fields Too Large', 'the request headers are too large']
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'Request Timeout', 'the request did not arrive in time']
        : [400, 'Bad Request', 'the request is not well-formed HTTP/1.1'];
  const body = JSON.stringify({ code: status === 408 ? 'request_timeout' : 'invalid_request', message });
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
}

function singleHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(',') : value;
}
