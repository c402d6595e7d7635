/**
 * The inference gateway (issue 15; docs/inference.md): the OpenAI-compatible endpoint customers
 * call with an `sk-…` key. Per request: route to the deployment the URL (or Host) names,
 * authenticate the key, check it covers that deployment, apply the key's limits, proxy to the
 * deployment's model server Service with that server's own key, stream SSE through unbuffered,
 * and meter the tokens vLLM reports. A plain node:http server: nothing between the socket and
 * the upstream agent but this file, so the added latency stays at a few hundred microseconds.
 */
import { randomUUID } from 'node:crypto';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { LRUCache } from 'lru-cache';
import { workloadName, type DeploymentRecord, type Tenant } from '../functions/domain/deployment';
import { keyCovers, type InferenceKeyRecord } from '../functions/domain/inference-keys';
import type { DeploymentStore, GatewaySecrets, InferenceKeyStore, LoadSignals, LoadSnapshot, TokenUsageStore } from '../functions/ports';
import { KeyAuthenticator, type KeyCacheOptions } from './auth';
import { badGateway, badRequest, forbidden, GatewayError, gatewayTimeout, notFound, sendError, tooLarge, unavailable } from './errors';
import { KeyLimits } from './limits';
import { fromUsage, Meter, type MeteredRequest, type Usage } from './metering';
import { routeRequest, upstreamBase, type RouteTarget } from './routing';
import { sseRelay } from './sse';
import { ColdStarts, SCALE_UP_TIMEOUT_HEADER, type ColdStartOptions, type Wake } from './cold-starts';

export interface GatewayPorts {
  deployments: Pick<DeploymentStore, 'get' | 'list'>;
  inferenceKeys: Pick<InferenceKeyStore, 'get'>;
  tokenUsage: Pick<TokenUsageStore, 'add'>;
  gatewaySecrets: GatewaySecrets;
  /** The autoscaler's input (issue 16); without it no load is published. */
  loadSignals?: Pick<LoadSignals, 'publish'>;
  /** Scale from zero (issue 16, cold-starts.ts): wakes a paused deployment; without it a paused deployment answers 503. */
  wake?: Wake;
}

export interface GatewayOptions {
  /** The model namespace (MODEL_NAMESPACE). */
  namespace: string;
  /** The model server's base URL, `{service}` and `{namespace}` filled in (AWS: `http://{service}.{namespace}.svc.cluster.local:8000`). */
  upstreamTemplate: string;
  /**
   * Where to connect for the upstream host and port instead of resolving the host (the local cloud's
   * simulated Service network, which refuses the connection for a Service without Ready endpoints,
   * as kube-proxy does); the Host header still names the Service.
   */
  connectTo?: (hostname: string, port: number) => { host: string; port: number };
  /** The source address of upstream connections (the local cloud's NetworkPolicies admit the gateway by it). */
  localAddress?: string;
  /** Host routing `<name>.<project>.<org>.<suffix>` (GATEWAY_HOST_SUFFIX); path routing always works. */
  hostSuffix?: string;
  /** Default 8 MiB: 413 above. */
  maxBodyBytes?: number;
  keyCache?: KeyCacheOptions;
  /** How long a deployment's record is reused (default 2 s). */
  deploymentCacheMs?: number;
  /** SSE comment interval while a stream waits for its first token (default 15 s). */
  keepAliveMs?: number;
  /** The model server must answer (headers, or a stream's first event) within this (default 10 min): 504 otherwise. */
  upstreamTimeoutMs?: number;
  /** Usage batch interval (default 10 s). */
  flushIntervalMs?: number;
  /** Load signal interval (default 5 s). */
  loadIntervalMs?: number;
  /** Scale from zero: poll interval, waiters per deployment, longest hold (cold-starts.ts). */
  coldStarts?: Partial<Pick<ColdStartOptions, 'pollMs' | 'maxWaiters' | 'maxHoldMs'>>;
  instanceId?: string;
  /** Runs each request and timer in a context (the local cloud: as the gateway's IAM principal). */
  around?: <T>(work: () => T) => T;
  /** One line per request (never the key). */
  log?: (line: Record<string, unknown>) => void;
  now?: () => Date;
}

const DEFAULT_MAX_BODY = 8 * 1024 * 1024;
/** What a client is told to wait while its deployment starts (a replica takes minutes). */
const STARTING_RETRY_SECONDS = 30;
const NO_REPLICA_RETRY_SECONDS = 5;
const COMPLETION_PATHS = new Set(['/v1/chat/completions', '/v1/completions']);
/** Headers that describe one hop (RFC 9110 7.6.1) or the client's identity: never sent upstream. */
const DROPPED_REQUEST_HEADERS = new Set(['authorization', 'host', 'connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'upgrade', 'trailer', 'content-length', 'cookie', 'x-forwarded-for']);
const DROPPED_RESPONSE_HEADERS = new Set(['connection', 'keep-alive', 'transfer-encoding', 'content-length', 'server', 'date']);

/**
 * A model server's 4xx in OpenAI's shape: vLLM answers its API errors as `{"error": {…}}` but an
 * unknown path or method as FastAPI's `{"detail": …}`; the client gets one shape from the gateway.
 */
const openAiShaped = (status: number, body: Buffer): Buffer => {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    parsed = undefined;
  }
  const record = typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : undefined;
  if (record && typeof record.error === 'object' && record.error !== null) return body;
  const detail = record?.detail ?? record?.message ?? body.toString('utf8').slice(0, 500);
  const message = typeof detail === 'string' && detail !== '' ? detail : `the model server answered ${status}`;
  const code = status === 404 ? 'not_found' : status === 405 ? 'method_not_allowed' : 'invalid_request';
  const type = status === 404 ? 'not_found_error' : 'invalid_request_error';
  return Buffer.from(JSON.stringify({ error: { message, type, code } }));
};

/** The body sent upstream, and what the client asked of a stream's usage. */
interface Prepared {
  body: Buffer;
  streaming: boolean;
  clientWantsUsage: boolean;
  clientWantsContinuous: boolean;
}

interface DeploymentLoad {
  inFlight: number;
  completed: number;
}

export interface RunningGateway {
  url: string;
  server: http.Server;
  /** Writes the metered usage now (tests; the timer does it every 10 s). */
  flushUsage(): Promise<void>;
  /** Publishes the load signals now. */
  publishLoad(): Promise<void>;
  close(): Promise<void>;
}

export const createGateway = (ports: GatewayPorts, options: GatewayOptions) => {
  const now = options.now ?? (() => new Date());
  const log = options.log ?? (() => undefined);
  const maxBody = options.maxBodyBytes ?? DEFAULT_MAX_BODY;
  const keepAliveMs = options.keepAliveMs ?? 15_000;
  const upstreamTimeoutMs = options.upstreamTimeoutMs ?? 600_000;
  const instanceId = options.instanceId ?? randomUUID();
  const auth = new KeyAuthenticator(ports.inferenceKeys, ports.gatewaySecrets, options.keyCache);
  const limits = new KeyLimits();
  const meter = new Meter(ports.tokenUsage, now, (error) => log({ msg: 'usage flush failed', error: String(error) }));
  const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity, maxFreeSockets: 256, scheduling: 'lifo' });
  const deploymentCache = new LRUCache<string, { record: DeploymentRecord | null }>({ max: 10_000, ttl: options.deploymentCacheMs ?? 2_000 });
  const load = new Map<string, DeploymentLoad>();

  const cachedDeployment = async (tenant: Tenant, id: string): Promise<DeploymentRecord | undefined> => {
    const key = `${tenant.org_id}/${tenant.project_id}/${id}`;
    let hit = deploymentCache.get(key);
    if (!hit) {
      hit = { record: (await ports.deployments.get(tenant, id)) ?? null };
      deploymentCache.set(key, hit);
    }
    return hit.record ?? undefined;
  };

  /** Host routing names the deployment, not its id: the project's deployments, scanned and cached like a record. */
  const deploymentNamed = async (tenant: Tenant, name: string): Promise<DeploymentRecord | undefined> => {
    const key = `${tenant.org_id}/${tenant.project_id}/name:${name}`;
    let hit = deploymentCache.get(key);
    if (!hit) {
      let found: DeploymentRecord | undefined;
      for (let page = 1; !found; page += 1) {
        const { items, total } = await ports.deployments.list(tenant, page, 100);
        found = items.find((d) => d.name === name);
        if (items.length === 0 || page * 100 >= total) break;
      }
      hit = { record: found ?? null };
      deploymentCache.set(key, hit);
    }
    return hit.record ?? undefined;
  };

  /** The key may call the deployment the route names, and the deployment can answer now. */
  const resolve = async (route: RouteTarget, key: InferenceKeyRecord): Promise<DeploymentRecord> => {
    // Decided before any read, so a key of another project learns nothing about the deployment.
    if (key.org_id !== route.org_id || key.project_id !== route.project_id) throw forbidden();
    if ('deploymentId' in route && !keyCovers(key, route.deploymentId)) throw forbidden();
    const record = 'deploymentId' in route ? await cachedDeployment(route, route.deploymentId) : await deploymentNamed(route, route.deploymentName);
    if (!record || record.status === 'terminating') throw notFound(`no deployment ${'deploymentId' in route ? route.deploymentId : route.deploymentName} in this project`);
    if (!keyCovers(key, record.id)) throw forbidden();
    // Paused or being resumed, with scale from zero on: the request waits for it (handle, coldStarts.hold).
    if (coldStarts?.applies(record)) return record;
    // Paused first: a deployment scaled to zero is `initializing` again, but nothing is starting it.
    if (record.phase === 'paused' || record.replicas === 0) throw unavailable('deployment_paused', `deployment ${record.id} is paused (0 replicas); scale it up to call it`, STARTING_RETRY_SECONDS);
    if (record.status === 'initializing') throw unavailable('deployment_initializing', `deployment ${record.id} is starting (${record.phase})`, STARTING_RETRY_SECONDS);
    if (record.status === 'failed') throw unavailable('deployment_failed', `deployment ${record.id} failed; see its events`);
    return record;
  };

  const readBody = (req: IncomingMessage): Promise<Buffer> =>
    new Promise((done, fail) => {
      const declared = Number(req.headers['content-length'] ?? 0);
      if (declared > maxBody) {
        fail(tooLarge(maxBody));
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      req.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > maxBody) {
          req.pause();
          fail(tooLarge(maxBody));
          return;
        }
        chunks.push(chunk);
      });
      req.on('end', () => done(Buffer.concat(chunks)));
      req.on('error', fail);
    });

  /** Forces usage into streamed completions (metering); says whether the client asked for it itself. */
  const prepareBody = (path: string, body: Buffer): Prepared => {
    const plain = { body, streaming: false, clientWantsUsage: false, clientWantsContinuous: false };
    if (!COMPLETION_PATHS.has(path.split('?')[0] ?? '') || body.length === 0) return plain;
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch {
      throw badRequest('the request body is not valid JSON');
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw badRequest('the request body must be a JSON object');
    const request = parsed as Record<string, unknown>;
    if (request.stream !== true) return plain;
    const given = typeof request.stream_options === 'object' && request.stream_options !== null ? (request.stream_options as Record<string, unknown>) : {};
    const clientWantsUsage = given.include_usage === true;
    const clientWantsContinuous = clientWantsUsage && given.continuous_usage_stats === true;
    // Continuous usage too: a stream cut by the client is then metered from vLLM's own counts up to the cut.
    request.stream_options = { ...given, include_usage: true, continuous_usage_stats: true };
    return { body: Buffer.from(JSON.stringify(request)), streaming: true, clientWantsUsage, clientWantsContinuous };
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const started = performance.now();
    const url = req.url ?? '/';
    if (url === '/healthz' || url === '/readyz') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
      return;
    }
    let key: InferenceKeyRecord | undefined;
    let record: DeploymentRecord | undefined;
    let admitted = false;
    let metered: MeteredRequest | undefined;
    try {
      const route = routeRequest(url, req.headers.host, options.hostSuffix);
      if (!route) throw notFound(`no route for ${req.method ?? 'GET'} ${url.split('?')[0] ?? ''}: use the deployment's endpoint_url as the base URL`);
      const authenticated = await auth.authenticate(req.headers.authorization, 'deploymentId' in route ? route : undefined);
      if (authenticated instanceof GatewayError) throw authenticated;
      key = authenticated;
      record = await resolve(route, key);
      const body = await readBody(req);
      const prepared = prepareBody(route.upstreamPath, body);
      if (coldStarts?.applies(record)) record = await coldStarts.hold(record, record, { streaming: prepared.streaming, scaleUpTimeout: req.headers[SCALE_UP_TIMEOUT_HEADER] }, res);
      const refusal = await limits.admit(key);
      if (refusal) throw refusal;
      admitted = true;
      const dep = load.get(record.id) ?? { inFlight: 0, completed: 0 };
      load.set(record.id, dep);
      dep.inFlight += 1;
      try {
        metered = await forward(req, res, record, route.upstreamPath, prepared);
      } finally {
        dep.inFlight -= 1;
        dep.completed += 1;
      }
      if (metered) meter.record(key, key.id, record.id, metered);
    } catch (error) {
      const failure = error instanceof GatewayError ? error : badGateway('the gateway could not complete the request');
      if (!(error instanceof GatewayError)) log({ msg: 'gateway error', error: String(error) });
      sendError(res, failure);
    } finally {
      if (admitted && key) await limits.release(key, metered ? metered.promptTokens + metered.completionTokens : 0);
      log({ method: req.method, path: url.split('?')[0], status: res.statusCode, key_id: key?.id, deployment_id: record?.id, ms: Math.round(performance.now() - started) });
    }
  };

  /** Proxies one request; resolves with what to meter (completions answered by the model server), or undefined. */
  const forward = (
    req: IncomingMessage,
    res: ServerResponse,
    record: DeploymentRecord,
    path: string,
    prepared: Prepared,
  ): Promise<MeteredRequest | undefined> =>
    new Promise((done, fail) => {
      void (async () => {
        const base = upstreamBase(options.upstreamTemplate, workloadName(record.id), options.namespace);
        const headers: http.OutgoingHttpHeaders = {};
        for (const [name, value] of Object.entries(req.headers)) if (!DROPPED_REQUEST_HEADERS.has(name) && value !== undefined) headers[name] = value;
        headers.host = base.host;
        headers.authorization = `Bearer ${await ports.gatewaySecrets.modelServerKey(record.id)}`;
        headers['content-length'] = prepared.body.length;
        const metering = COMPLETION_PATHS.has(path.split('?')[0] ?? '');
        let settled = false;
        const finish = (value: MeteredRequest | undefined, error?: GatewayError) => {
          if (settled) return;
          settled = true;
          clearInterval(keepAlive);
          clearTimeout(deadline);
          if (error) fail(error);
          else done(value);
        };
        const target = options.connectTo?.(base.hostname, Number(base.port || 80)) ?? { host: base.hostname, port: base.port || 80 };
        const upstream = http.request({
          agent,
          protocol: base.protocol,
          host: target.host,
          port: target.port,
          ...(options.localAddress ? { localAddress: options.localAddress } : {}),
          method: req.method,
          path: `${base.pathname.replace(/\/$/, '')}${path}`,
          headers,
          setNoDelay: true,
        } as http.RequestOptions);
        // A stream idle for keepAliveMs (queued, prefilling, or before vLLM even answers) gets an SSE comment, so
        // neither the client nor a load balancer's idle timer gives up on it; clients ignore comments.
        let firstByte = false;
        let lastWrite = performance.now();
        const send = (text: string): void => {
          lastWrite = performance.now();
          if (!res.writableEnded) res.write(text);
        };
        const keepAlive = setInterval(() => {
          if (!prepared.streaming || res.writableEnded || performance.now() - lastWrite < keepAliveMs) return;
          if (!res.headersSent) res.writeHead(200, sseHeaders);
          send(': keep-alive\n\n');
        }, Math.max(1, Math.floor(keepAliveMs / 3)));
        const deadline = setTimeout(() => {
          if (firstByte) return;
          upstream.destroy();
          finish(undefined, gatewayTimeout(`the model server did not answer within ${Math.round(upstreamTimeoutMs / 1000)} s`));
        }, upstreamTimeoutMs);
        // A client that goes away cancels the model's work (vLLM aborts the request when its connection closes).
        res.on('close', () => {
          if (!res.writableFinished) upstream.destroy();
        });
        upstream.on('error', (error: NodeJS.ErrnoException) => {
          if (settled) return;
          if (error.code === 'ECONNREFUSED') finish(undefined, unavailable('no_ready_replica', `deployment ${record.id} has no ready replica right now`, NO_REPLICA_RETRY_SECONDS));
          else finish(undefined, badGateway(`the model server of ${record.id} failed: ${error.code ?? error.message}`));
        });
        upstream.on('response', (answer) => {
          const status = answer.statusCode ?? 502;
          if (status === 401 || status === 403) {
            answer.resume();
            finish(undefined, badGateway(`the model server of ${record.id} refused the gateway`));
            return;
          }
          if (status >= 500) {
            firstByte = true;
            const parts: Buffer[] = [];
            answer.on('data', (c: Buffer) => parts.push(c));
            answer.on('end', () => finish(undefined, status === 503 ? unavailable('model_server_unavailable', `the model server of ${record.id} is unavailable`, NO_REPLICA_RETRY_SECONDS) : badGateway(`the model server of ${record.id} answered ${status}: ${Buffer.concat(parts).toString('utf8').slice(0, 300)}`)));
            answer.on('error', () => finish(undefined, badGateway(`the model server of ${record.id} failed mid-answer`)));
            return;
          }
          const eventStream = (answer.headers['content-type'] ?? '').startsWith('text/event-stream');
          if (eventStream && status === 200) {
            relayStream(answer, res, prepared, send, () => (firstByte = true), finish);
            return;
          }
          // JSON (or anything else): small; read whole to meter its usage, then answer.
          if (res.headersSent) {
            // Keep-alive comments already promised a stream: the answer becomes its one event.
            const parts: Buffer[] = [];
            answer.on('data', (c: Buffer) => parts.push(c));
            answer.on('end', () => {
              res.end(`data: ${Buffer.concat(parts).toString('utf8')}\n\n`);
              finish(undefined);
            });
            return;
          }
          const parts: Buffer[] = [];
          answer.on('data', (c: Buffer) => {
            firstByte = true;
            parts.push(c);
          });
          answer.on('error', () => finish(undefined, badGateway(`the model server of ${record.id} failed mid-answer`)));
          answer.on('end', () => {
            const payload = status >= 400 ? openAiShaped(status, Buffer.concat(parts)) : Buffer.concat(parts);
            const out: http.OutgoingHttpHeaders = { 'content-length': payload.length };
            for (const [name, value] of Object.entries(answer.headers)) if (!DROPPED_RESPONSE_HEADERS.has(name) && value !== undefined) out[name] = value;
            res.writeHead(status, out);
            res.end(payload);
            let usage: Usage | undefined;
            if (metering && status === 200) {
              try {
                usage = (JSON.parse(payload.toString('utf8')) as { usage?: Usage }).usage;
              } catch {
                usage = undefined;
              }
            }
            finish(metering && status === 200 ? fromUsage(usage) : undefined);
          });
        });
        upstream.end(prepared.body);
      })().catch((error: unknown) => fail(error));
    });

  const relayStream = (
    answer: IncomingMessage,
    res: ServerResponse,
    prepared: Prepared,
    send: (text: string) => void,
    onFirstByte: () => void,
    finish: (value: MeteredRequest | undefined, error?: GatewayError) => void,
  ): void => {
    if (!res.headersSent) res.writeHead(200, sseHeaders);
    // The events of one upstream read go out in one write (one syscall), as soon as they are parsed.
    let batch = '';
    const { parser, tally } = sseRelay(
      (text) => {
        batch += text;
      },
      prepared.clientWantsUsage,
      prepared.clientWantsContinuous,
    );
    const result = (): MeteredRequest => {
      const counted = fromUsage(tally.usage, !tally.complete);
      // No usage at all (a server that ignores stream_options): one token per streamed chunk.
      if (!tally.usage) counted.completionTokens = tally.chunks;
      return counted;
    };
    answer.setEncoding('utf8');
    answer.on('data', (chunk: string) => {
      onFirstByte();
      parser.feed(chunk);
      if (batch !== '') {
        send(batch);
        batch = '';
      }
    });
    answer.on('end', () => {
      res.end();
      finish(result());
    });
    // Cut: by the client (res closed, upstream destroyed) or by the model server.
    answer.on('close', () => {
      if (!answer.complete) {
        if (!res.writableEnded) res.end();
        finish(result());
      }
    });
  };

  const sseHeaders = { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', 'x-accel-buffering': 'no' };

  // Held requests re-read the record past the cache: they must see the moment it is ready.
  const coldStarts = ports.wake ? new ColdStarts(ports.wake, (tenant, id) => ports.deployments.get(tenant, id), { keepAliveMs, sseHeaders, ...options.coldStarts }) : undefined;

  const around = options.around ?? (<T>(work: () => T): T => work());
  const server = http.createServer({ keepAliveTimeout: 65_000, requestTimeout: 0, headersTimeout: 60_000 }, (req, res) => void around(() => handle(req, res)));

  const publishLoad = async (): Promise<void> => {
    if (!ports.loadSignals) return;
    const at = now().toISOString();
    const snapshots: LoadSnapshot[] = [];
    const held = coldStarts?.held() ?? new Map<string, number>();
    for (const [deploymentId, dep] of load) {
      snapshots.push({ deploymentId, inFlight: dep.inFlight, held: held.get(deploymentId) ?? 0, completed: dep.completed, at });
      dep.completed = 0;
      if (dep.inFlight === 0) load.delete(deploymentId);
    }
    // A paused deployment has held requests and nothing in flight: its demand is what wakes it.
    for (const [deploymentId, count] of held) if (!load.has(deploymentId) && !snapshots.some((s) => s.deploymentId === deploymentId)) snapshots.push({ deploymentId, inFlight: 0, held: count, completed: 0, at });
    if (snapshots.length > 0) await ports.loadSignals.publish(instanceId, snapshots);
  };

  return {
    server,
    meter,
    publishLoad,
    listen: async (port: number, host = '127.0.0.1'): Promise<RunningGateway> => {
      await new Promise<void>((ready, fail) => {
        server.once('error', fail);
        server.listen(port, host, () => ready());
      });
      around(() => meter.start(options.flushIntervalMs ?? 10_000));
      const loadTimer = around(() =>
        setInterval(() => void publishLoad().catch((error: unknown) => log({ msg: 'load publish failed', error: String(error) })), options.loadIntervalMs ?? 5_000),
      );
      loadTimer.unref();
      const address = server.address() as AddressInfo;
      return {
        url: `http://${host}:${address.port}`,
        server,
        flushUsage: () => around(() => meter.flush()),
        publishLoad: () => around(publishLoad),
        close: async () => {
          clearInterval(loadTimer);
          const closed = new Promise<void>((ended) => server.close(() => ended()));
          server.closeIdleConnections();
          // Streams in flight get a moment to finish (Kubernetes gives the pod its grace period first).
          setTimeout(() => server.closeAllConnections(), 1_000).unref();
          await closed;
          agent.destroy();
          await around(() => meter.close());
        },
      };
    },
  };
};
