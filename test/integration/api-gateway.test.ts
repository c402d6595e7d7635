/**
 * The local API Gateway against a tiny inline route table and fake handlers that echo what
 * they receive, so these tests prove the gateway alone (routing, JWT, body, event, response).
 */
import { request } from 'node:http';
import { connect } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { APIGatewayProxyEventV2WithJWTAuthorizer } from 'aws-lambda';
import { SignJWT } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { RouteDefinition } from '../../contract/routes';
import { startApiGateway, type LambdaHandler } from '../../local/gateway';
import { DEV_AUDIENCE, DEV_ISSUER, loadOrCreateDevKey, signDevToken, type DevKey } from '../../local/jwt';

const BASE = '/api/v1beta1';
const route = (name: string, method: RouteDefinition['method'], path: string): RouteDefinition => ({
  name,
  method,
  path: `${BASE}${path}`,
  entry: `inline/${name}.ts`,
  access: { table: 'R' },
});
const ROUTES: readonly RouteDefinition[] = [
  route('list-things', 'GET', '/orgs/{org_id}/things'),
  route('create-thing', 'POST', '/orgs/{org_id}/things'),
  route('get-thing', 'GET', '/orgs/{org_id}/things/{thing_id}'),
  route('delete-thing', 'DELETE', '/orgs/{org_id}/things/{thing_id}'),
  route('special-thing', 'GET', '/orgs/{org_id}/things/special'),
  route('explode', 'GET', '/explode'),
  route('malformed', 'GET', '/malformed'),
  route('binary', 'GET', '/binary'),
  route('slow', 'GET', '/slow'),
  route('ping', 'GET', '/ping'),
];

interface Echo {
  event: APIGatewayProxyEventV2WithJWTAuthorizer;
  context: { functionName: string; awsRequestId: string; remainingMs: number };
}

const echo: LambdaHandler = async (event, context) => ({
  statusCode: 200,
  headers: { 'x-function': context.functionName },
  cookies: ['seen=1; Path=/'],
  body: JSON.stringify({
    event,
    context: {
      functionName: context.functionName,
      awsRequestId: context.awsRequestId,
      remainingMs: context.getRemainingTimeInMillis(),
    },
  } satisfies Echo),
});

const SPECIAL_HANDLERS: Record<string, LambdaHandler> = {
  explode: async () => {
    throw new Error('database password is hunter2');
  },
  malformed: async () => ({ body: 'no status code' }),
  binary: async () => ({
    statusCode: 200,
    headers: { 'content-type': 'image/png' },
    body: Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0xff]).toString('base64'),
    isBase64Encoded: true,
  }),
  slow: () => new Promise(() => {}),
};

const invocations: string[] = [];
const loads: string[] = [];
const accessLog: string[] = [];
let gatewayUrl: string;
let closeGateway: () => Promise<void>;
let key: DevKey;
let token: string;
let dataDir: string;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'api-gateway-test-'));
  key = await loadOrCreateDevKey(dataDir);
  token = await signDevToken(key, { sub: 'u-1', org_id: 'org-1', project_ids: ['p-1', 'p-2'], role: 'viewer' });
  const gateway = await startApiGateway({
    routes: ROUTES,
    key,
    handlerTimeoutMs: 300,
    log: (line) => accessLog.push(line),
    loadHandler: async (r) => {
      loads.push(r.name);
      const handler = SPECIAL_HANDLERS[r.name] ?? echo;
      return (event, context) => {
        invocations.push(r.name);
        return handler(event, context);
      };
    },
  });
  gatewayUrl = gateway.url;
  closeGateway = gateway.close;
});

afterAll(async () => {
  await closeGateway();
  await rm(dataDir, { recursive: true, force: true });
});

afterEach(() => {
  vi.restoreAllMocks();
});

const auth = (bearer = token) => ({ authorization: `Bearer ${bearer}` });

async function call(path: string, init: RequestInit = {}): Promise<Response> {
  return fetch(`${gatewayUrl}${path}`, { ...init, headers: { ...auth(), ...(init.headers as Record<string, string>) } });
}

async function callEcho(path: string, init: RequestInit = {}): Promise<Echo> {
  const response = await call(path, init);
  expect(response.status).toBe(200);
  return (await response.json()) as Echo;
}

interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A node:http request whose body we write ourselves (fetch would buffer or refuse). */
function rawRequest(path: string, headers: Record<string, string>, write: (req: ReturnType<typeof request>) => void) {
  return new Promise<RawResponse>((resolve, reject) => {
    const req = request(`${gatewayUrl}${path}`, { method: 'POST', headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    write(req);
  });
}

describe('routing', () => {
  it('routes by method and template and decodes path parameters', async () => {
    const { event, context } = await callEcho(`${BASE}/orgs/org-1/things/a%20b%2Fc`);

    expect(event.routeKey).toBe(`GET ${BASE}/orgs/{org_id}/things/{thing_id}`);
    expect(event.pathParameters).toEqual({ org_id: 'org-1', thing_id: 'a b/c' });
    expect(event.rawPath).toBe(`${BASE}/orgs/org-1/things/a%20b%2Fc`);
    expect(context.functionName).toBe('gpu-control-plane-get-thing');
  });

  it('prefers a literal segment over a parameter', async () => {
    const { event } = await callEcho(`${BASE}/orgs/org-1/things/special`);
    expect(event.routeKey).toBe(`GET ${BASE}/orgs/{org_id}/things/special`);
  });

  it('answers 404 naming an unknown path, and treats a trailing slash as another path', async () => {
    for (const path of [`${BASE}/nothing-here`, `${BASE}/orgs/org-1/things/`]) {
      const response = await call(path);
      expect(response.status).toBe(404);
      expect(response.headers.get('content-type')).toBe('application/json');
      expect(await response.json()).toEqual({ code: 'not_found', message: `no route for path ${path}` });
    }
  });

  it('answers 405 with an Allow header for a known path and another method', async () => {
    const response = await call(`${BASE}/orgs/org-1/things/t-1`, { method: 'PUT', body: '{}' });

    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('DELETE, GET');
    expect(await response.json()).toMatchObject({ code: 'method_not_allowed' });
  });

  it('answers 400 for a path parameter that is not valid percent-encoding', async () => {
    const response = await call(`${BASE}/orgs/org-1/things/%E0%A4%A`);

    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({
      code: 'invalid_request',
      message: 'path parameter thing_id is not valid percent-encoding',
    });
  });

  it('imports each route handler once and reuses it', async () => {
    await callEcho(`${BASE}/orgs/org-1/things`);
    await callEcho(`${BASE}/orgs/org-1/things`);
    expect(loads.filter((name) => name === 'list-things')).toHaveLength(1);
  });
});

describe('authorization', () => {
  const path = `${BASE}/orgs/org-1/things`;
  const foreignKeyToken = async () => {
    const dir = await mkdtemp(join(tmpdir(), 'api-gateway-foreign-'));
    try {
      return await signDevToken(await loadOrCreateDevKey(dir), { org_id: 'org-1', project_ids: '*' });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  };
  const expiredToken = () =>
    new SignJWT({ org_id: 'org-1', project_ids: '*' })
      .setProtectedHeader({ alg: 'ES256', kid: key.kid })
      .setIssuer(DEV_ISSUER)
      .setAudience(DEV_AUDIENCE)
      .setIssuedAt(Math.floor(Date.now() / 1000) - 3600)
      .setExpirationTime(Math.floor(Date.now() / 1000) - 60)
      .sign(key.privateKey);
  const unsignedToken = () => {
    const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    return `${part({ alg: 'none' })}.${part({ org_id: 'org-1', iss: DEV_ISSUER, aud: DEV_AUDIENCE })}.`;
  };

  it('answers 401 with a plain Bearer challenge when there is no token', async () => {
    const before = invocations.length;

    const response = await fetch(`${gatewayUrl}${path}`);

    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Bearer');
    expect(await response.json()).toEqual({ code: 'unauthorized', message: 'the Authorization header is missing' });
    expect(invocations.length).toBe(before);
  });

  it.each([
    ['a Basic header', async () => 'Basic dXNlcjpzZWNyZXQ=', /Bearer/],
    ['garbage', async () => 'Bearer this.is.garbage', /well-formed/],
    ['an expired token', async () => `Bearer ${await expiredToken()}`, /expired/],
    ['a token from another key', async () => `Bearer ${await foreignKeyToken()}`, /known key/],
    ['an unsigned token', async () => `Bearer ${unsignedToken()}`, /algorithm/],
  ])('answers 401 for %s, saying why without echoing the credentials', async (_, header, why) => {
    const authorization = await header();
    const before = invocations.length;

    const response = await fetch(`${gatewayUrl}${path}`, { method: 'POST', headers: { authorization }, body: '{"x":1}' });
    const body = await response.text();

    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toMatch(/^Bearer error="invalid_token"/);
    expect(JSON.parse(body)).toMatchObject({ code: 'unauthorized', message: expect.stringMatching(why) });
    const credentials = authorization.split(' ')[1] ?? '';
    expect(body).not.toContain(credentials);
    expect(response.headers.get('www-authenticate')).not.toContain(credentials);
    expect(invocations.length).toBe(before);
  });

  it('never writes the token or the body to the access log', async () => {
    await callEcho(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"secret":"s3cr3t"}' });

    const line = accessLog.findLast((entry) => entry.startsWith(`POST ${path} 200`));
    expect(line).toMatch(new RegExp(`^POST ${path} 200 \\d+ms$`));
    expect(accessLog.join('\n')).not.toContain(token);
    expect(accessLog.join('\n')).not.toContain('s3cr3t');
  });
});

describe('the event handed to the handler', () => {
  it('has the payload 2.0 shape with flattened claims', async () => {
    const { event, context } = await callEcho(`${BASE}/orgs/org-1/things?page=2&tag=a&tag=b&q=x%20y`, {
      headers: { 'X-Custom': 'One', cookie: 'a=1; b=2', 'user-agent': 'gateway-test' },
    });

    expect(event).toMatchObject({
      version: '2.0',
      routeKey: `GET ${BASE}/orgs/{org_id}/things`,
      rawPath: `${BASE}/orgs/org-1/things`,
      rawQueryString: 'page=2&tag=a&tag=b&q=x%20y',
      queryStringParameters: { page: '2', tag: 'a,b', q: 'x y' },
      cookies: ['a=1', 'b=2'],
      isBase64Encoded: false,
      requestContext: {
        accountId: '000000000000',
        apiId: 'local',
        domainName: '127.0.0.1',
        stage: '$default',
        routeKey: `GET ${BASE}/orgs/{org_id}/things`,
        http: { method: 'GET', path: `${BASE}/orgs/org-1/things`, protocol: 'HTTP/1.1', userAgent: 'gateway-test' },
        authorizer: {
          jwt: {
            claims: { sub: 'u-1', org_id: 'org-1', project_ids: 'p-1 p-2', role: 'viewer', iss: DEV_ISSUER, aud: DEV_AUDIENCE },
            scopes: null,
          },
        },
      },
    });
    expect(event.headers['x-custom']).toBe('One');
    expect(event.headers.cookie).toBeUndefined();
    expect(event.body).toBeUndefined();
    expect(event.requestContext.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(event.requestContext.time).toMatch(/^\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2} \+0000$/);
    expect(Object.values(event.requestContext.authorizer.jwt.claims).every((v) => typeof v === 'string')).toBe(true);
    expect(context.remainingMs).toBeGreaterThan(0);
    expect(context.remainingMs).toBeLessThanOrEqual(300);
  });

  it('leaves queryStringParameters and pathParameters out when there are none', async () => {
    const { event } = await callEcho(`${BASE}/ping`);

    expect(event.rawQueryString).toBe('');
    expect(event).not.toHaveProperty('queryStringParameters');
    expect(event).not.toHaveProperty('pathParameters');
    expect(event).not.toHaveProperty('cookies');
  });

  it('passes a JSON body as text', async () => {
    const { event } = await callEcho(`${BASE}/orgs/org-1/things`, {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8' },
      body: '{"name":"ü"}',
    });
    expect(event).toMatchObject({ body: '{"name":"ü"}', isBase64Encoded: false });
  });

  it('passes a binary body base64-encoded', async () => {
    const bytes = Buffer.from([0, 1, 2, 0xfe, 0xff]);
    const { event } = await callEcho(`${BASE}/orgs/org-1/things`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream' },
      body: bytes,
    });
    expect(event).toMatchObject({ body: bytes.toString('base64'), isBase64Encoded: true });
  });

  it('passes invalid UTF-8 in a JSON body base64-encoded rather than mangled', async () => {
    const bytes = Buffer.from([0x7b, 0x22, 0xc3, 0x28, 0x22, 0x7d]);
    const { event } = await callEcho(`${BASE}/orgs/org-1/things`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: bytes,
    });
    expect(event).toMatchObject({ body: bytes.toString('base64'), isBase64Encoded: true });
  });
});

describe('the response', () => {
  it('honours status, headers and cookies, defaulting to JSON', async () => {
    const response = await call(`${BASE}/orgs/org-1/things`);

    expect(response.headers.get('x-function')).toBe('gpu-control-plane-list-things');
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(response.headers.getSetCookie()).toEqual(['seen=1; Path=/']);
    expect(response.headers.get('apigw-requestid')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('decodes a base64 result into bytes', async () => {
    const response = await call(`${BASE}/binary`);

    expect(response.headers.get('content-type')).toBe('image/png');
    expect([...new Uint8Array(await response.arrayBuffer())]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x00, 0xff]);
  });

  it('turns a throwing handler into a bare 500, logs it with the request id, and keeps serving', async () => {
    const stderr = vi.spyOn(console, 'error').mockImplementation(() => {});

    const response = await call(`${BASE}/explode`);
    const body = await response.text();

    expect(response.status).toBe(500);
    expect(JSON.parse(body)).toEqual({ code: 'internal_error', message: 'internal error' });
    expect(body).not.toMatch(/hunter2|at /);
    const requestId = response.headers.get('apigw-requestid') ?? 'missing';
    expect(stderr).toHaveBeenCalledWith(expect.stringContaining(requestId));
    expect(stderr).toHaveBeenCalledWith(expect.stringContaining('hunter2'));
    expect((await call(`${BASE}/orgs/org-1/things`)).status).toBe(200);
  });

  it('answers 500 for a malformed result and for a handler past its timeout', async () => {
    vi.spyOn(console, 'error').mockImplementation(() => {});

    for (const path of [`${BASE}/malformed`, `${BASE}/slow`]) {
      const response = await call(path);
      expect(response.status).toBe(500);
      expect(await response.json()).toEqual({ code: 'internal_error', message: 'internal error' });
    }
  });
});

describe('hostile and broken clients', () => {
  const path = `${BASE}/orgs/org-1/things`;
  const twoMegabytes = Buffer.alloc(2 * 1024 * 1024, 'a');

  it('answers 413 to a declared 2 MB body, and the client receives it', async () => {
    const response = await rawRequest(path, { ...auth(), 'content-type': 'application/json' }, (req) => req.end(twoMegabytes));

    expect(response.status).toBe(413);
    expect(JSON.parse(response.body)).toMatchObject({ code: 'payload_too_large' });
  });

  it('answers 413 to a chunked 2 MB body, and the client receives it', async () => {
    const response = await rawRequest(path, { ...auth(), 'content-type': 'application/json' }, (req) => {
      for (let offset = 0; offset < twoMegabytes.length; offset += 64 * 1024) {
        req.write(twoMegabytes.subarray(offset, offset + 64 * 1024));
      }
      req.end();
    });

    expect(response.status).toBe(413);
    expect((await call(path)).status).toBe(200);
  });

  it('keeps serving after a client aborts halfway through its body', async () => {
    await new Promise<void>((resolve) => {
      const socket = connect(Number(new URL(gatewayUrl).port), '127.0.0.1', () => {
        socket.write(`POST ${path} HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${token}\r\ncontent-length: 1000\r\n\r\n{"half":`);
        setTimeout(() => {
          socket.destroy();
          resolve();
        }, 50);
      });
    });

    expect((await call(path)).status).toBe(200);
  });

  it('survives random bodies under random content types', async () => {
    const contentTypes = ['application/json', 'text/plain; charset=latin1', 'application/x-www-form-urlencoded', 'image/png'];
    const responses = await Promise.all(
      Array.from({ length: 40 }, (_, i) => {
        const body = Buffer.from(Array.from({ length: 1 + ((i * 97) % 500) }, () => Math.floor(Math.random() * 256)));
        return callEcho(path, { method: 'POST', headers: { 'content-type': contentTypes[i % 4] ?? '' }, body });
      }),
    );

    for (const { event } of responses) {
      expect(typeof event.body).toBe('string');
    }
    expect((await call(path)).status).toBe(200);
  });
});
