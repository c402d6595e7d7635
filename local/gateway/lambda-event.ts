/** The Lambda side: the payload 2.0 event, the context, one loaded handler per route, the timeout. */
import type { IncomingMessage } from 'node:http';
import type { APIGatewayProxyEventV2WithJWTAuthorizer, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import type { RouteDefinition } from '../../contract/routes';
import { lambdaContext } from '../lambda-context';
import type { EncodedBody } from './body';
import type { CompiledRoute, RequestInfo } from './routing';

export type LambdaHandler = (
  event: APIGatewayProxyEventV2WithJWTAuthorizer,
  context: Context,
) => Promise<APIGatewayProxyStructuredResultV2>;

const ACCOUNT_ID = '000000000000';
const FUNCTION_PREFIX = 'gpu-control-plane-';

interface EventInput {
  readonly req: IncomingMessage;
  readonly info: RequestInfo;
  readonly route: CompiledRoute;
  readonly pathParameters: Record<string, string> | undefined;
  readonly body: EncodedBody;
  readonly claims: Record<string, string> | undefined;
}

export function buildEvent({ req, info, route, pathParameters, body, claims }: EventInput): APIGatewayProxyEventV2WithJWTAuthorizer {
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

export function createLambdaContext(route: RouteDefinition, timeoutMs: number): Context {
  return lambdaContext(`${FUNCTION_PREFIX}${route.name}`, timeoutMs);
}

/** One promise per route: the first request imports the module, later ones reuse it. */
export class HandlerCache {
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

export async function withTimeout<T>(run: () => Promise<T>, timeoutMs: number): Promise<T> {
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
