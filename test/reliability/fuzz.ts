/**
 * API fuzzing with fast-check against a running local API gateway: every route of ROUTES
 * (contract/routes.ts), with random and malformed paths, methods, query strings,
 * headers, tokens and bodies (schema-shaped deploy and scale bodies with mutated fields,
 * arbitrary JSON, truncated JSON, deep nesting, invalid UTF-8, bodies just under and over
 * 1 MB, wrong content types).
 *
 * The property: the server never answers 5xx; every 4xx is `{code, message}`; a deploy body
 * the zod schema rejects is a 400 (the schema is the oracle); whatever succeeded is recorded,
 * so the caller can delete it and check the store afterwards. Requests are sent with
 * node:http, byte for byte (fetch would normalise paths and refuse some bodies).
 */
import fc from 'fast-check';
import { request } from 'node:http';
import { connect } from 'node:net';
import { MAX_JSON_BODY_BYTES } from '../../functions/commons/json-body';
import { CATALOG, INVENTORY } from '../../contract/catalog';
import { createDeploymentSchema } from '../../contract/requests/deploy';
import { createInferenceKeySchema } from '../../contract/requests/inference-keys';
import { scaleDeploymentSchema } from '../../contract/requests/scale';
import { API_BASE_PATH, ROUTES, type RouteDefinition } from '../../contract/routes';

export interface FuzzTokens {
  /** editor of the fuzzed tenant (org, project) */
  editor: string;
  viewer: string;
  otherOrg: string;
  otherProject: string;
  expired: string;
  foreignKey: string;
  /** editor of every project of the org (the store's cleanup uses it too) */
  orgWide: string;
}

export interface FuzzTarget {
  apiUrl: string;
  org: string;
  project: string;
  tokens: FuzzTokens;
  /** ids of deployments that exist, so routes with {model_id} reach their handlers */
  deploymentIds: () => readonly string[];
  /** ids of inference keys that exist, so routes with {key_id} reach their handlers */
  keyIds?: () => readonly string[];
}

export interface FuzzRequest {
  route: string;
  method: string;
  path: string;
  /** the caller (see authArb); the Authorization header is set from it when sending */
  auth: string;
  headers: Record<string, string>;
  body?: Buffer;
  /** what the body was made of, for the report */
  bodyKind: string;
  /** the deploy or scale body as JSON, when there was one */
  json?: unknown;
}

export interface FuzzResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

export interface FuzzStats {
  requests: number;
  /** requests node:http refused to send (invalid header bytes): not counted as tried */
  refusedByClient: number;
  byStatus: Record<string, number>;
  byRoute: Record<string, number>;
  byBodyKind: Record<string, number>;
  serverErrors: { request: string; status: number; body: string }[];
  contractViolations: { request: string; status: number; body: string; why: string }[];
  /** 201s of POST deploy (deployments the fuzzer created), with the tenant path they live under */
  created: { id: string; base: string }[];
  /** 201s of POST inference-keys: the ids of the keys the fuzzer created */
  keys: string[];
  /** 200s of PUT scale */
  scaled: string[];
  /** 204s of DELETE */
  deleted: string[];
}

export const emptyStats = (): FuzzStats => ({
  requests: 0,
  refusedByClient: 0,
  byStatus: {},
  byRoute: {},
  byBodyKind: {},
  serverErrors: [],
  contractViolations: [],
  created: [],
  keys: [],
  scaled: [],
  deleted: [],
});

const count = (map: Record<string, number>, key: string) => {
  map[key] = (map[key] ?? 0) + 1;
};

// ---------------------------------------------------------------------------------------------
// Arbitraries

const printable = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 40 });
const anyText = fc.string({ unit: 'grapheme', maxLength: 80 });
const badPercent = fc.constantFrom('%', '%z', '%zz', '%C3%28', '%ED%A0%80', '%FF', '%00', '%E0%A4%A', '%2F', '%2e%2e', '%25');

/** One path segment: valid, unicode (encoded), raw reserved characters, bad escapes, huge. */
const segment = (valid: fc.Arbitrary<string>) =>
  fc.oneof(
    { arbitrary: valid, weight: 24 },
    { arbitrary: anyText.map(encodeURIComponent), weight: 2 },
    { arbitrary: fc.stringMatching(/^[A-Za-z0-9._~!$&'()*+,;=:@-]{0,70}$/), weight: 2 },
    { arbitrary: badPercent, weight: 1 },
    { arbitrary: fc.constantFrom('', '.', '..', 'DROP%20TABLE', 'dep-', `dep-${'a'.repeat(41)}`, 'x'.repeat(300)), weight: 1 },
  );

const pathFor = (route: RouteDefinition, target: FuzzTarget): fc.Arbitrary<string> => {
  const parts = route.path.split('/').map((part): fc.Arbitrary<string> => {
    if (part === '{org_id}') return segment(fc.constantFrom(target.org, target.org, target.org, 'org-other'));
    if (part === '{project_id}') return segment(fc.constantFrom(target.project, target.project, target.project, 'prj-fuzz-other'));
    if (part === '{model_id}') {
      const ids = fc.nat().map((i) => {
        const known = target.deploymentIds();
        return known.length > 0 ? known[i % known.length]! : 'dep-doesnotexist';
      });
      return segment(fc.oneof(ids, fc.stringMatching(/^dep-[a-z0-9]{1,40}$/)));
    }
    if (part === '{key_id}') {
      const ids = fc.nat().map((i) => {
        const known = target.keyIds?.() ?? [];
        return known.length > 0 ? known[i % known.length]! : 'ikaaaaaaaaaaaaaaaaaa';
      });
      return segment(fc.oneof(ids, fc.stringMatching(/^ik[a-z2-7]{18}$/)));
    }
    // A built-in model, one that does not exist: the catalog admin routes (403 for every fuzz token, none is an admin).
    if (part === '{catalog_id}') return segment(fc.constantFrom('Qwen-Qwen2.5-0.5B-Instruct', 'no-such-model'));
    return fc.constant(part);
  });
  const base = fc.tuple(...parts).map((segments) => segments.join('/'));
  return fc.oneof(
    { arbitrary: base, weight: 12 },
    { arbitrary: base.map((p) => `${p}/`), weight: 1 },
    { arbitrary: base.map((p) => `${p}/extra`), weight: 1 },
    { arbitrary: base.map((p) => p.replace(/\//g, '//')), weight: 1 },
    { arbitrary: segment(fc.constant('nothing-here')).map((s) => `${API_BASE_PATH}/${s}`), weight: 1 },
  );
};

const queryValue = fc.oneof(printable.map(encodeURIComponent), badPercent, fc.integer().map(String), fc.constantFrom('true', 'false', 'TRUE', '', '-1', '0', '1e9', '99999999999'));
const queryKey = fc.constantFrom('page', 'limit', 'dry_run', 'cursor', 'tail_lines', 'replica', 'previous', 'x', '__proto__', 'page[]');
const queryString = fc.oneof(
  { arbitrary: fc.constant(''), weight: 3 },
  { arbitrary: fc.array(fc.tuple(queryKey, queryValue), { maxLength: 4 }).map((pairs) => pairs.map(([k, v]) => `${k}=${v}`).join('&')), weight: 5 },
  { arbitrary: fc.stringMatching(/^[A-Za-z0-9%&=+._~-]{0,60}$/), weight: 1 },
);

const gpuConfig = fc.constantFrom(...INVENTORY.gpu_configs);
/** A deploy body the schema accepts, from catalog and inventory. */
const deployBody = fc
  .record({
    name: fc.stringMatching(/^[a-z][a-z0-9-]{1,20}[a-z0-9]$/),
    catalog_id: fc.constantFrom(...CATALOG.map((m) => m.id)),
    config: gpuConfig,
    gpu_count: fc.oneof({ arbitrary: fc.constant(1), weight: 4 }, { arbitrary: fc.integer({ min: 1, max: 8 }), weight: 1 }),
    replicas: fc.option(fc.integer({ min: 1, max: 3 }), { nil: undefined }),
  })
  .map(({ config, replicas, ...rest }) => ({
    ...rest,
    region: config.region,
    gpu_config_id: config.config_id,
    plan_id: config.plans[0]!.plan_id,
    ...(replicas === undefined ? {} : { replicas }),
  }));

const mutated = <T extends Record<string, unknown>>(body: fc.Arbitrary<T>) =>
  fc.tuple(body, fc.constantFrom(...Object.keys(createDeploymentSchema.shape), 'replicas', 'config', 'unknown_field'), fc.oneof(fc.jsonValue(), fc.constant(undefined), fc.constant(-0), fc.constant(1e308))).map(
    ([value, field, replacement]) => ({ ...value, [field]: replacement }),
  );

/** A create-key body the schema accepts (its expiry in the future, its deployments left out: they would have to exist). */
const keyBody = fc
  .record({
    name: fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), minLength: 1, maxLength: 64 }),
    expires_at: fc.option(fc.integer({ min: 1, max: 1000 }).map((days) => new Date(Date.now() + days * 86_400_000).toISOString()), { nil: undefined }),
    limits: fc.option(fc.record({ requests_per_minute: fc.integer({ min: 1, max: 100_000 }), concurrent_requests: fc.integer({ min: 1, max: 1000 }) }, { requiredKeys: [] }), { nil: undefined }),
  })
  .map((body) => Object.fromEntries(Object.entries(body).filter(([, v]) => v !== undefined)));

const mutatedKey = fc
  .tuple(keyBody, fc.constantFrom(...Object.keys(createInferenceKeySchema.shape), 'key', 'unknown_field'), fc.oneof(fc.jsonValue(), fc.constant(undefined), fc.constant('1999-01-01T00:00:00Z'), fc.constant([]), fc.constant({ tokens_per_minute: 0 })))
  .map(([value, field, replacement]) => ({ ...value, [field]: replacement }));

const nested = fc.record({ depth: fc.integer({ min: 20, max: 200_000 }), kind: fc.constantFrom('[', '{"a":') }).map(({ depth, kind }) => {
  const open = kind.repeat(depth);
  const close = (kind === '[' ? ']' : '}').repeat(depth);
  return `${open}1${close}`;
});

interface Body {
  kind: string;
  bytes?: Buffer;
  json?: unknown;
}
const json = (kind: string) => (value: unknown): Body => ({ kind, bytes: Buffer.from(JSON.stringify(value) ?? 'null'), json: value });

const bodyArb: fc.Arbitrary<Body> = fc.oneof(
  { arbitrary: fc.constant<Body>({ kind: 'none' }), weight: 4 },
  { arbitrary: deployBody.map(json('valid deploy')), weight: 6 },
  { arbitrary: mutated(deployBody).map(json('mutated deploy')), weight: 8 },
  { arbitrary: fc.record({ replicas: fc.oneof(fc.integer({ min: -3, max: 20 }), fc.jsonValue()) }).map(json('scale')), weight: 4 },
  { arbitrary: keyBody.map(json('inference key')), weight: 3 },
  { arbitrary: mutatedKey.map(json('mutated inference key')), weight: 3 },
  { arbitrary: fc.jsonValue({ maxDepth: 6 }).map(json('arbitrary JSON')), weight: 4 },
  { arbitrary: deployBody.chain((b) => fc.integer({ min: 0, max: JSON.stringify(b).length - 1 }).map((cut) => ({ kind: 'truncated JSON', bytes: Buffer.from(JSON.stringify(b).slice(0, cut)) }))), weight: 2 },
  { arbitrary: nested.map((text) => ({ kind: 'deep nesting', bytes: Buffer.from(text) })), weight: 1 },
  { arbitrary: fc.uint8Array({ minLength: 1, maxLength: 200 }).map((bytes) => ({ kind: 'random bytes', bytes: Buffer.from(bytes) })), weight: 2 },
  {
    arbitrary: deployBody.map((b) => ({ kind: 'invalid UTF-8 in JSON', bytes: Buffer.concat([Buffer.from(`{"name":"`), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from(`","x":${JSON.stringify(b)}}`)]) })),
    weight: 1,
  },
  {
    arbitrary: fc.tuple(deployBody, fc.integer({ min: 300_000, max: 1_040_000 })).map(([b, size]) => json('large JSON under 1 MB')({ ...b, config: { pad: 'x'.repeat(size) } })),
    weight: 1,
  },
  { arbitrary: fc.integer({ min: 1_048_577, max: 1_300_000 }).map((size) => ({ kind: 'over 1 MB', bytes: Buffer.alloc(size, 0x61) })), weight: 1 },
  { arbitrary: fc.constantFrom('{"__proto__":{"admin":true},"name":"x"}', '{"constructor":{"prototype":{}}}', '{"a":1e400}', '{"replicas":1.5}', '"string"', 'null', '[]', '{}', '{"name":"a","name":"b"}').map((text) => ({ kind: 'tricky JSON', bytes: Buffer.from(text) })), weight: 2 },
);

const contentType = fc.oneof(
  { arbitrary: fc.constant('application/json'), weight: 10 },
  { arbitrary: fc.constantFrom(undefined, 'application/json; charset=utf-8', 'application/json; charset=latin1', 'application/merge-patch+json', 'text/plain', 'application/xml', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/octet-stream', 'APPLICATION/JSON', 'json', ''), weight: 4 },
  { arbitrary: printable, weight: 1 },
);

/**
 * Who calls, as a label (`token:<name>` of FuzzTokens, or a literal header): counterexamples
 * print labels, never a real bearer token.
 */
const authArb = fc.oneof(
  { arbitrary: fc.constant('token:editor'), weight: 14 },
  { arbitrary: fc.constantFrom('token:viewer', 'token:otherOrg', 'token:otherProject', 'token:expired', 'token:foreignKey', 'token:orgWide'), weight: 5 },
  {
    arbitrary: fc.constantFrom('none', 'header:', 'header:Bearer', 'header:Bearer ', 'header:Basic dXNlcjpwYXNz', 'lowercase:editor', 'tampered:editor', 'unsigned:editor'),
    weight: 2,
  },
  { arbitrary: printable.map((s) => `header:Bearer ${s}`), weight: 1 },
);

export const authorizationHeader = (label: string, tokens: FuzzTokens): string | undefined => {
  const [kind, rest = ''] = [label.slice(0, label.indexOf(':')), label.slice(label.indexOf(':') + 1)];
  const token = tokens[rest as keyof FuzzTokens];
  if (label === 'none') return undefined;
  if (kind === 'header') return rest;
  if (kind === 'token') return `Bearer ${token}`;
  if (kind === 'lowercase') return `bearer ${token}`;
  if (kind === 'tampered') return `Bearer ${token}x`;
  if (kind === 'unsigned') return `Bearer ${token.split('.').slice(0, 2).join('.')}.`;
  throw new Error(`unknown auth label ${label}`);
};

const extraHeaders = fc.dictionary(fc.stringMatching(/^x-[a-z0-9-]{1,20}$/), printable, { maxKeys: 3 });
const idempotencyKey = fc.option(fc.oneof(printable, fc.constantFrom('', ' ', 'k'.repeat(300), 'same-key')), { nil: undefined, freq: 3 });

export const requestArbitrary = (target: FuzzTarget): fc.Arbitrary<FuzzRequest> =>
  fc.oneof(...ROUTES.map((route) => ({ arbitrary: fc.constant(route), weight: route.method === 'GET' ? 1 : 2 }))).chain((route) =>
    fc
      .record({
        path: pathFor(route, target),
        method: fc.oneof({ arbitrary: fc.constant(route.method), weight: 12 }, { arbitrary: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'), weight: 1 }),
        query: queryString,
        body: bodyArb,
        contentType,
        auth: authArb,
        idempotencyKey,
        extra: extraHeaders,
      })
      .map(({ path, method, query, body, contentType: type, auth, idempotencyKey: key, extra }): FuzzRequest => {
        const headers: Record<string, string> = { ...extra };
        if (type !== undefined && body.bytes !== undefined) headers['content-type'] = type;
        if (key !== undefined) headers['idempotency-key'] = key;
        return {
          route: route.name,
          auth,
          method,
          path: query === '' ? path : `${path}?${query}`,
          headers,
          ...(body.bytes === undefined ? {} : { body: body.bytes }),
          bodyKind: body.kind,
          ...(body.json === undefined ? {} : { json: body.json }),
        };
      }),
  );

// ---------------------------------------------------------------------------------------------
// Sending and judging

export const send = (apiUrl: string, r: Pick<FuzzRequest, 'method' | 'path' | 'headers' | 'body'>, timeoutMs = 20_000): Promise<FuzzResponse> =>
  new Promise((resolve, reject) => {
    const url = new URL(apiUrl);
    const req = request(
      { host: url.hostname, port: url.port, method: r.method, path: r.path, headers: r.headers, agent: false, timeout: timeoutMs },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(r.body);
  });

const describeRequest = (r: FuzzRequest) =>
  `${r.method} ${r.path.slice(0, 200)} as ${r.auth} [${r.bodyKind}${r.body ? `, ${r.body.length} B` : ''}] ${JSON.stringify(r.headers).slice(0, 300)}`;

/** The headers on the wire: the caller's Authorization and a Content-Length for any body. */
const wireHeaders = (r: FuzzRequest, tokens: FuzzTokens): Record<string, string> => {
  const authorization = authorizationHeader(r.auth, tokens);
  return {
    ...r.headers,
    ...(authorization === undefined ? {} : { authorization }),
    ...(r.body === undefined ? {} : { 'content-length': String(r.body.length) }),
  };
};

/** Codes of the contract (contract/errors.ts), the handlers' and the gateway's alike. */
const ERROR_BODY = /^[a-z_]+$/;

/** Why a response breaks the contract, or undefined when it keeps it. */
export const contractViolation = (r: FuzzRequest, response: FuzzResponse, target: FuzzTarget): string | undefined => {
  if (response.status >= 500) return `server error ${response.status}`;
  if (response.status >= 400) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(response.text);
    } catch {
      return 'a 4xx without a JSON body';
    }
    const { code, message } = (parsed ?? {}) as { code?: unknown; message?: unknown };
    if (typeof code !== 'string' || !ERROR_BODY.test(code) || typeof message !== 'string' || message.length === 0) return 'a 4xx that is not {code, message}';
    if (Object.keys(parsed as object).some((k) => k !== 'code' && k !== 'message')) return 'a 4xx with fields beyond {code, message}';
  }
  // The zod schema is the oracle: a well-addressed, authorised deploy whose body it rejects is a 400.
  const authorised = r.auth === 'token:editor' || r.auth === 'token:orgWide';
  const wellAddressed = r.method === 'POST' && r.path.split('?')[0] === `${API_BASE_PATH}/orgs/${target.org}/projects/${target.project}/aimodels`;
  const jsonType = r.headers['content-type'] === undefined || r.headers['content-type'] === 'application/json';
  const key = r.headers['idempotency-key'];
  const keyOk = key === undefined || /^[\x21-\x7e][\x20-\x7e]{0,254}$/.test(key);
  if (authorised && wellAddressed && jsonType && keyOk && r.json !== undefined && r.body !== undefined && r.body.length <= MAX_JSON_BODY_BYTES) {
    const accepted = createDeploymentSchema.safeParse(r.json).success;
    // with a key, a reused key (422, another body) or one in progress (409) answers before the body is read
    const allowed = key === undefined ? [400] : [400, 409, 422];
    if (!accepted && typeof r.json === 'object' && r.json !== null && !Array.isArray(r.json) && !allowed.includes(response.status)) {
      return `the schema rejects this deploy body, yet the answer was ${response.status}`;
    }
  }
  const keysPath = `${API_BASE_PATH}/orgs/${target.org}/projects/${target.project}/inference-keys`;
  if (authorised && jsonType && r.method === 'POST' && r.path.split('?')[0] === keysPath && r.json !== undefined && r.body !== undefined && r.body.length <= MAX_JSON_BODY_BYTES) {
    if (!createInferenceKeySchema.safeParse(r.json).success && typeof r.json === 'object' && r.json !== null && !Array.isArray(r.json) && response.status !== 400) {
      return `the schema rejects this inference key body, yet the answer was ${response.status}`;
    }
  }
  if (r.route === 'scale-deployment' && r.method === 'PUT' && response.status === 200 && !scaleDeploymentSchema.safeParse(r.json).success) {
    return 'a scale body the schema rejects was accepted';
  }
  return undefined;
};

/** What a success created or changed, so the caller can undo it and check the store. */
const recordOutcome = (stats: FuzzStats, r: FuzzRequest, response: FuzzResponse) => {
  const path = r.path.split('?')[0]!;
  if (r.method === 'POST' && response.status === 201) {
    const id = (JSON.parse(response.text) as { id: string }).id;
    if (path.endsWith('/inference-keys')) {
      if (!stats.keys.includes(id)) stats.keys.push(id);
    } else if (!stats.created.some((c) => c.id === id)) stats.created.push({ id, base: path });
  }
  if (r.method === 'PUT' && response.status === 200) stats.scaled.push(path);
  if (r.method === 'DELETE' && response.status === 204) stats.deleted.push(path);
};

export interface FuzzOptions {
  runs: number;
  seed?: number;
  /** called after every request that created something (e.g. to delete it at once) */
  onCreated?: (created: { id: string; base: string }) => Promise<void>;
}

/** Runs the property; throws (with fast-check's shrunk counterexample) on the first violation. */
export const fuzzApi = async (target: FuzzTarget, stats: FuzzStats, options: FuzzOptions): Promise<void> => {
  await fc.assert(
    fc.asyncProperty(requestArbitrary(target), async (r) => {
      let response: FuzzResponse;
      try {
        response = await send(target.apiUrl, { ...r, headers: wireHeaders(r, target.tokens) });
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code ?? '';
        if (code.startsWith('ERR_INVALID') || code === 'ERR_UNESCAPED_CHARACTERS' || code === 'ERR_HTTP_INVALID_HEADER_VALUE') {
          stats.refusedByClient += 1;
          return;
        }
        stats.requests += 1;
        stats.serverErrors.push({ request: describeRequest(r), status: 0, body: `no answer: ${(error as Error).message}` });
        throw new Error(`the server did not answer ${describeRequest(r)}: ${(error as Error).message}`, { cause: error });
      }
      stats.requests += 1;
      count(stats.byStatus, String(response.status));
      count(stats.byRoute, r.route);
      count(stats.byBodyKind, r.bodyKind);
      const why = contractViolation(r, response, target);
      if (why !== undefined) {
        const entry = { request: describeRequest(r), status: response.status, body: response.text.slice(0, 300) };
        if (response.status >= 500) stats.serverErrors.push(entry);
        else stats.contractViolations.push({ ...entry, why });
        throw new Error(`${why}: ${entry.request} -> ${response.status} ${entry.body}`);
      }
      const createdBefore = stats.created.length;
      recordOutcome(stats, r, response);
      if (options.onCreated && stats.created.length > createdBefore) await options.onCreated(stats.created.at(-1)!);
    }),
    { numRuns: options.runs, ...(options.seed === undefined ? {} : { seed: options.seed }) },
  );
};

// ---------------------------------------------------------------------------------------------
// Below HTTP: messages Node's parser rejects

const rawMessage = (host: string): fc.Arbitrary<{ kind: string; bytes: Buffer }> => {
  const path = `${API_BASE_PATH}/inventory`;
  const text = (kind: string) => (value: string) => ({ kind, bytes: Buffer.from(value, 'latin1') });
  return fc.oneof(
    fc.uint8Array({ minLength: 1, maxLength: 300 }).map((bytes) => ({ kind: 'random bytes', bytes: Buffer.concat([Buffer.from(bytes), Buffer.from('\r\n\r\n')]) })),
    fc.constantFrom('HTTP/9.9', 'HTTP/1.1x', 'HTTX/1.1', '').map((version) => text('bad request line')(`GET ${path} ${version}\r\nhost: ${host}\r\n\r\n`)),
    fc.stringMatching(/^[ -~]{1,30}$/).map((name) => text('bad header name')(`GET ${path} HTTP/1.1\r\nhost: ${host}\r\n${name} x: y\r\n\r\n`)),
    fc.integer({ min: 20_000, max: 100_000 }).map((size) => text('header overflow')(`GET ${path} HTTP/1.1\r\nhost: ${host}\r\nx-big: ${'a'.repeat(size)}\r\n\r\n`)),
    fc.constantFrom('zz', '-1', 'fffffffffffffffffff', '5;\x00').map((chunk) => text('bad chunked body')(`POST ${path} HTTP/1.1\r\nhost: ${host}\r\ntransfer-encoding: chunked\r\n\r\n${chunk}\r\nabc\r\n0\r\n\r\n`)),
    fc.constantFrom('abc', '-5', '1, 2', '99999999999999999999').map((length) => text('bad content-length')(`POST ${path} HTTP/1.1\r\nhost: ${host}\r\ncontent-length: ${length}\r\n\r\n{}`)),
    fc.constant(text('length and chunked')(`POST ${path} HTTP/1.1\r\nhost: ${host}\r\ncontent-length: 2\r\ntransfer-encoding: chunked\r\n\r\n0\r\n\r\n`)),
  );
};

const sendRaw = (apiUrl: string, bytes: Buffer, timeoutMs = 15_000): Promise<Buffer> =>
  new Promise((resolve, reject) => {
    const url = new URL(apiUrl);
    const chunks: Buffer[] = [];
    const socket = connect(Number(url.port), url.hostname, () => socket.write(bytes));
    socket.setTimeout(timeoutMs, () => socket.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('close', () => resolve(Buffer.concat(chunks)));
    socket.on('error', (error: NodeJS.ErrnoException) => (error.code === 'ECONNRESET' || error.code === 'EPIPE' ? resolve(Buffer.concat(chunks)) : reject(error)));
  });

/** Status and body of the first HTTP/1.1 response in `raw` (Content-Length or chunked). */
export const firstResponse = (raw: string): { status: number; body: string } => {
  const status = Number(/^HTTP\/1\.1 (\d{3}) /.exec(raw)?.[1] ?? 0);
  const headerEnd = raw.indexOf('\r\n\r\n');
  if (status === 0 || headerEnd < 0) return { status, body: '' };
  const head = raw.slice(0, headerEnd).toLowerCase();
  let rest = raw.slice(headerEnd + 4);
  const length = /\r\ncontent-length: *(\d+)/.exec(head)?.[1];
  if (length !== undefined) return { status, body: rest.slice(0, Number(length)) };
  if (!/\r\ntransfer-encoding: *chunked/.test(head)) return { status, body: rest };
  let body = '';
  for (;;) {
    const lineEnd = rest.indexOf('\r\n');
    const size = parseInt(rest.slice(0, lineEnd), 16);
    if (lineEnd < 0 || !Number.isFinite(size) || size === 0) return { status, body };
    body += rest.slice(lineEnd + 2, lineEnd + 2 + size);
    rest = rest.slice(lineEnd + 2 + size + 2);
  }
};

/** Every malformed message gets one 4xx `{code, message}` and a closed connection. */
export const fuzzRawHttp = async (apiUrl: string, stats: FuzzStats, options: { runs: number; seed?: number }): Promise<void> => {
  const host = new URL(apiUrl).host;
  await fc.assert(
    fc.asyncProperty(rawMessage(host), async ({ kind, bytes }) => {
      const answer = (await sendRaw(apiUrl, bytes)).toString('latin1');
      stats.requests += 1;
      count(stats.byRoute, 'raw HTTP');
      count(stats.byBodyKind, `raw: ${kind}`);
      const { status, body } = firstResponse(answer);
      count(stats.byStatus, String(status));
      let why: string | undefined;
      if (status >= 500 || status === 0) why = status === 0 ? 'no HTTP answer' : `server error ${status}`;
      else if (status < 400) why = `a malformed message was accepted (${status})`;
      else {
        try {
          const parsed = JSON.parse(body) as { code?: unknown; message?: unknown };
          if (typeof parsed.code !== 'string' || typeof parsed.message !== 'string') why = 'a 4xx that is not {code, message}';
        } catch {
          why = 'a 4xx without a JSON body';
        }
      }
      if (why !== undefined) {
        const entry = { request: `raw ${kind}: ${JSON.stringify(bytes.toString('latin1').slice(0, 120))}`, status, body: answer.slice(0, 300) };
        if (status >= 500 || status === 0) stats.serverErrors.push(entry);
        else stats.contractViolations.push({ ...entry, why });
        throw new Error(`${why}: ${entry.request} -> ${entry.body}`);
      }
    }),
    { numRuns: options.runs, ...(options.seed === undefined ? {} : { seed: options.seed }) },
  );
};

/** The inference gateway's fuzz target: a ready deployment of (org, project), and keys of that project and of others. */
export interface GatewayFuzzTarget {
  gatewayUrl: string;
  org: string;
  project: string;
  deploymentId: string;
  keys: { own: string; otherProject: string; otherOrg: string };
}

export interface GatewayFuzzStats {
  requests: number;
  byStatus: Record<string, number>;
  serverErrors: { request: string; status: number; body: string }[];
  /** A 4xx not in OpenAI's shape, or another project's key answered 2xx. */
  violations: { request: string; status: number; body: string; why: string }[];
}

export const emptyGatewayStats = (): GatewayFuzzStats => ({ requests: 0, byStatus: {}, serverErrors: [], violations: [] });

const GATEWAY_AUTHS = ['own', 'otherProject', 'otherOrg', 'none', 'garbage', 'basic', 'truncated'] as const;

/**
 * Random and malformed requests to the gateway: tenant paths of the key's own project and of
 * others, known and unknown deployment ids, OpenAI and non-OpenAI paths, any method, keys of
 * every kind, and bodies from a valid chat request to arbitrary or truncated JSON and streams
 * with odd `stream_options`. The property: never a 5xx (the deployment is ready; every mistake is
 * the client's), every 4xx in OpenAI's shape, and a key of another project never a 2xx.
 */
export const fuzzGateway = async (target: GatewayFuzzTarget, stats: GatewayFuzzStats, options: { runs: number; seed: number }): Promise<void> => {
  // The fixture's own tenant, id, key and method weigh more, so that requests also reach the model server.
  const own = { org: target.org, project: target.project };
  const tenant = fc.constantFrom(
    own,
    own,
    own,
    { org: target.org, project: target.project },
    { org: target.org, project: 'prj-other' },
    { org: 'org-other', project: target.project },
    { org: 'x', project: '..' },
  );
  const id = fc.oneof({ arbitrary: fc.constant(target.deploymentId), weight: 4 }, fc.constant('dep-doesnotexist'), fc.stringMatching(/^[a-z0-9-]{1,24}$/));
  const rest = fc.oneof(
    fc.constantFrom('/v1/models', '/v1/chat/completions', '/v1/completions', '/v1/embeddings', '/v1', '/v1/', '/v1/chat/completions?stream=true', '/metrics', '/v1/../metrics', '/v1/models/x'),
    fc.stringMatching(/^\/v1\/[a-zA-Z0-9/_.%-]{0,40}$/),
  );
  const chat = (extra: Record<string, unknown>) => ({ model: 'fuzz-fixture', messages: [{ role: 'user', content: 'hi' }], max_tokens: 3, ...extra });
  const body = fc.oneof(
    fc.constant(undefined),
    fc.record({ stream: fc.boolean(), stream_options: fc.oneof(fc.constant(undefined), fc.anything(), fc.record({ include_usage: fc.anything(), continuous_usage_stats: fc.anything() })) }).map((extra) => JSON.stringify(chat(extra))),
    fc.json({ maxDepth: 3 }),
    fc.json().map((text) => text.slice(0, Math.max(1, Math.floor(text.length / 2)))),
    fc.string({ maxLength: 200 }),
  );
  const arbitrary = fc.record({
    tenant,
    id,
    rest,
    method: fc.constantFrom('GET', 'POST', 'POST', 'GET', 'PUT', 'DELETE', 'PATCH'),
    auth: fc.constantFrom('own', 'own', 'own', 'own', ...GATEWAY_AUTHS),
    body,
  });
  const keyOf = (auth: (typeof GATEWAY_AUTHS)[number]): string | undefined => {
    if (auth === 'own' || auth === 'otherProject' || auth === 'otherOrg') return `Bearer ${target.keys[auth]}`;
    if (auth === 'garbage') return 'Bearer sk-nope';
    if (auth === 'basic') return 'Basic dXNlcjpwYXNz';
    if (auth === 'truncated') return `Bearer ${target.keys.own.slice(0, -3)}`;
    return undefined;
  };
  await fc.assert(
    fc.asyncProperty(arbitrary, async (r) => {
      const path = `/orgs/${r.tenant.org}/projects/${r.tenant.project}/aimodels/${r.id}${r.rest}`;
      const authorization = keyOf(r.auth);
      const headers: Record<string, string> = { ...(authorization ? { authorization } : {}), ...(r.body === undefined ? {} : { 'content-type': 'application/json' }) };
      const payload = r.body === undefined ? undefined : Buffer.from(r.body);
      let response: FuzzResponse;
      try {
        response = await send(target.gatewayUrl, { method: r.method, path, headers: { ...headers, ...(payload ? { 'content-length': String(payload.length) } : {}) }, ...(payload ? { body: payload } : {}) });
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code ?? '';
        if (code.startsWith('ERR_INVALID') || code === 'ERR_UNESCAPED_CHARACTERS') return;
        throw error;
      }
      stats.requests += 1;
      stats.byStatus[response.status] = (stats.byStatus[response.status] ?? 0) + 1;
      const described = `${r.method} ${path} as ${r.auth} body ${r.body?.slice(0, 80) ?? '-'}`;
      const excerpt = response.text.slice(0, 300);
      if (response.status >= 500) stats.serverErrors.push({ request: described, status: response.status, body: excerpt });
      if ((r.auth === 'otherProject' || r.auth === 'otherOrg') && response.status < 300) {
        stats.violations.push({ request: described, status: response.status, body: excerpt, why: "another project's key was answered" });
      }
      if (response.status >= 400 && response.status < 500) {
        let shaped = false;
        try {
          const parsed = JSON.parse(response.text) as { error?: { message?: unknown; type?: unknown; code?: unknown } };
          shaped = typeof parsed.error?.message === 'string' && typeof parsed.error.type === 'string' && parsed.error.code !== undefined;
        } catch {
          shaped = false;
        }
        if (!shaped) stats.violations.push({ request: described, status: response.status, body: excerpt, why: "not OpenAI's error shape" });
      }
    }),
    { numRuns: options.runs, seed: options.seed, endOnFailure: true },
  );
};
