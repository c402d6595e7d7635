/**
 * The inference gateway against the local cloud (issue 15): every error status in OpenAI's shape,
 * revocation within the key cache's TTL, the key's limits, 503 while a deployment cannot answer,
 * 502/504 when its model server fails, SSE keep-alives and a client's disconnect reaching vLLM,
 * token metering equal to vLLM's own /metrics (estimated on a cut stream), and the key's secret
 * found nowhere it is stored or logged. The key cache TTLs are shortened (injectable) so that
 * revocation is observed in seconds; the default 30 s bound is tested with a fake clock in
 * test/unit/gateway/auth.test.ts.
 */
import { GetExecutionHistoryCommand, ListExecutionsCommand, SFNClient } from '@aws-sdk/client-sfn';
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { CoreV1Api, KubeConfig, NetworkingV1Api } from '@kubernetes/client-node';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import http from 'node:http';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGateway, type RunningGateway } from '../../gateway/server';
import { createInferenceKey, revokeInferenceKey, tokenUsageOfKey, type TestKey } from '../support/inference-keys';
import { BASE, basePath, deployBody, NAMESPACE, ORG, PROJECT, startTestCloud, waitFor, type TestCloud } from '../support/local-cloud';
import { runGpuctl } from '../support/gpuctl';

const OTHER = 'prj-other';
const VALID_TTL_MS = 1_500;
const MAX_BODY = 64 * 1024;
const A = { org_id: ORG, project_id: PROJECT };
const B = { org_id: ORG, project_id: OTHER };

let t: TestCloud;
let depA: string;
let depB: string;
let keyA: TestKey;
let keyB: TestKey;
const gatewayLog: string[] = [];
const issued: TestKey[] = [];

const ready = async (base: string, token: string, id: string) =>
  waitFor(() => t.api('GET', `${base}/${id}`, { token }), (r) => r.body.status === 'ready', `${id} ready`, 60_000);

const key = async (tenant: { org_id: string; project_id: string }, options: Parameters<typeof createInferenceKey>[1] = {}): Promise<TestKey> => {
  const created = await createInferenceKey(tenant, options);
  issued.push(created);
  return created;
};

const route = (tenant: { org_id: string; project_id: string }, id: string) => `${t.cloud.gatewayUrl}/orgs/${tenant.org_id}/projects/${tenant.project_id}/aimodels/${id}/v1`;

const call = async (url: string, options: { key?: string; body?: unknown; raw?: string; method?: string } = {}) => {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (options.key) headers.authorization = `Bearer ${options.key}`;
  const response = await fetch(url, {
    method: options.method ?? (options.body !== undefined || options.raw !== undefined ? 'POST' : 'GET'),
    headers,
    ...(options.raw !== undefined ? { body: options.raw } : options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
  });
  const text = await response.text();
  let body: any;
  try {
    body = JSON.parse(text);
  } catch {
    body = text;
  }
  return { status: response.status, retryAfter: response.headers.get('retry-after'), body };
};

const chat = (content: string, extra: Record<string, unknown> = {}) => ({ model: 'gw-a', messages: [{ role: 'user', content }], max_tokens: 8, ...extra });

const serviceOf = (id: string) => `model-${id.replace(/^dep-/, '')}`;
const metrics = async (id: string): Promise<string> =>
  (await fetch(`${t.cloud.simulator.url}/api/v1/namespaces/${NAMESPACE}/services/${serviceOf(id)}:http/proxy/metrics`)).text();
const sample = (text: string, name: string, labels = ''): number =>
  [...text.matchAll(new RegExp(`^${name}\\{[^}]*${labels}[^}]*\\} ([\\d.e+-]+)$`, 'gm'))].reduce((sum, m) => sum + Number(m[1]), 0);

beforeAll(async () => {
  t = await startTestCloud(0.02, {
    gateway: {
      keyCache: { validTtlMs: VALID_TTL_MS, rejectedTtlMs: 300 },
      maxBodyBytes: MAX_BODY,
      keepAliveMs: 100,
      deploymentCacheMs: 200,
      log: (line) => gatewayLog.push(JSON.stringify(line)),
    },
  });
  const other = await t.tenant(OTHER);
  const [a, b] = await Promise.all([
    t.api('POST', BASE, { body: deployBody('gw-a', { config: { max_num_seqs: 1 } }) }),
    t.api('POST', basePath(OTHER), { token: other.token, body: deployBody('gw-b') }),
  ]);
  expect(a.status, JSON.stringify(a.body)).toBe(201);
  expect(b.status, JSON.stringify(b.body)).toBe(201);
  depA = a.body.id;
  depB = b.body.id;
  await Promise.all([ready(BASE, t.defaultToken, depA), ready(basePath(OTHER), other.token, depB)]);
  [keyA, keyB] = await Promise.all([key(A), key(B)]);
}, 120_000);

afterAll(async () => {
  await t?.close();
});

describe('errors in OpenAI shape, with the statuses of issue 15', () => {
  it('401 for a missing, malformed, unknown, wrong or expired key', async () => {
    const url = `${route(A, depA)}/chat/completions`;
    const expired = await key(A, { expires_at: new Date(Date.now() - 1000).toISOString() });
    const unknownId = `sk-ik${'a'.repeat(18)}.${'A'.repeat(43)}`;
    const wrongSecret = `${keyA.key.slice(0, keyA.key.indexOf('.') + 1)}${'B'.repeat(43)}`;
    for (const presented of [undefined, 'sk-garbage', unknownId, wrongSecret, expired.key]) {
      const answer = await call(url, { ...(presented ? { key: presented } : {}), body: chat('hi') });
      expect(answer.status, String(presented)).toBe(401);
      expect(answer.body).toEqual({ error: { message: expect.any(String), type: 'authentication_error', code: 'invalid_api_key' } });
    }
  });

  it('403 for a key of another project, the same whether the deployment exists or not; 403 outside the key\'s deployment_ids', async () => {
    const existing = await call(`${route(A, depA)}/chat/completions`, { key: keyB.key, body: chat('hi') });
    const missing = await call(`${route(A, 'dep-doesnotexist')}/chat/completions`, { key: keyB.key, body: chat('hi') });
    expect(existing.status).toBe(403);
    expect(missing).toEqual(existing);
    expect(existing.body).toEqual({ error: { message: 'this key may not call this deployment', type: 'permission_error', code: 'forbidden' } });
    const scoped = await key(A, { deployment_ids: ['dep-someotherone'] });
    expect((await call(`${route(A, depA)}/models`, { key: scoped.key })).status).toBe(403);
    const covering = await key(A, { deployment_ids: [depA] });
    expect((await call(`${route(A, depA)}/models`, { key: covering.key })).status).toBe(200);
  });

  it('404 for an unknown deployment of the key\'s own project, and for a path that is no route', async () => {
    const unknown = await call(`${route(A, 'dep-doesnotexist')}/models`, { key: keyA.key });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error).toMatchObject({ type: 'not_found_error', code: 'not_found' });
    expect((await call(`${t.cloud.gatewayUrl}/v1/models`, { key: keyA.key })).status).toBe(404);
    expect((await call(`${t.cloud.gatewayUrl}/orgs/${ORG}/projects/${PROJECT}/aimodels/${depA}/metrics`, { key: keyA.key })).status).toBe(404);
  });

  it('413 for a body over the limit, 400 for one that is not JSON; the model server\'s own 4xx pass through', async () => {
    const big = await call(`${route(A, depA)}/chat/completions`, { key: keyA.key, body: chat('x'.repeat(MAX_BODY)) });
    expect(big.status).toBe(413);
    expect(big.body.error).toMatchObject({ type: 'invalid_request_error', code: 'request_too_large' });
    const bad = await call(`${route(A, depA)}/chat/completions`, { key: keyA.key, raw: '{"model":' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.type).toBe('invalid_request_error');
    const wrongModel = await call(`${route(A, depA)}/chat/completions`, { key: keyA.key, body: chat('hi', { model: 'gpt-4o' }) });
    expect(wrongModel.status).toBe(404);
    expect(wrongModel.body.error.message).toBe('The model `gpt-4o` does not exist.');
  });

  it('503 with Retry-After while a deployment initializes and while it is paused', async () => {
    const created = await t.api('POST', BASE, { body: deployBody('gw-pause') });
    expect(created.status).toBe(201);
    const id: string = created.body.id;
    const starting = await call(`${route(A, id)}/models`, { key: keyA.key });
    expect(starting.status).toBe(503);
    expect(Number(starting.retryAfter)).toBeGreaterThan(0);
    expect(starting.body.error).toMatchObject({ type: 'server_error', code: 'deployment_initializing' });
    await ready(BASE, t.defaultToken, id);
    await waitFor(() => call(`${route(A, id)}/models`, { key: keyA.key }), (r) => r.status === 200, 'served once ready', 5_000);
    expect((await t.api('PUT', `${BASE}/${id}/scale`, { body: { replicas: 0 } })).status).toBe(200);
    await waitFor(() => t.api('GET', `${BASE}/${id}`), (r) => r.body.phase === 'paused', 'paused', 30_000);
    const paused = await waitFor(() => call(`${route(A, id)}/models`, { key: keyA.key }), (r) => r.status === 503, '503 once paused', 5_000);
    expect(Number(paused.retryAfter)).toBeGreaterThan(0);
    expect(paused.body.error.code).toBe('deployment_paused');
  });

  it('502 when the network drops the gateway (NetworkPolicy), which admits nothing else; 504 when the model server is too slow', async () => {
    const kc = new KubeConfig();
    kc.loadFromOptions(t.cloud.simulator.kubeConfig({ tls: true }));
    const networking = kc.makeApiClient(NetworkingV1Api);
    const name = serviceOf(depA);
    const policy = await networking.readNamespacedNetworkPolicy({ name, namespace: NAMESPACE });
    // Only the gateway's source is admitted: the same request from 127.0.0.1 is dropped.
    const direct = await new Promise<string>((done) => {
      const sn = t.cloud.simulator.serviceNetwork!;
      const request = http.request({ host: sn.host, port: sn.port, path: '/v1/models', headers: { host: `${name}.${NAMESPACE}.svc.cluster.local:8000` } });
      request.on('response', (r) => done(`answered ${r.statusCode}`));
      request.on('error', (error: NodeJS.ErrnoException) => done(error.code ?? 'error'));
      request.end();
    });
    expect(direct).toBe('ECONNRESET');
    const narrowed = structuredClone(policy);
    narrowed.spec!.ingress = [{ _from: [{ ipBlock: { cidr: '10.0.0.0/16' } }], ports: [{ protocol: 'TCP', port: 8000 as never }] }];
    await networking.replaceNamespacedNetworkPolicy({ name, namespace: NAMESPACE, body: narrowed });
    try {
      const dropped = await call(`${route(A, depA)}/models`, { key: keyA.key });
      expect(dropped.status).toBe(502);
      expect(dropped.body.error).toMatchObject({ type: 'server_error', code: 'model_server_error' });
    } finally {
      const current = await networking.readNamespacedNetworkPolicy({ name, namespace: NAMESPACE });
      await networking.replaceNamespacedNetworkPolicy({ name, namespace: NAMESPACE, body: { ...policy, metadata: { ...policy.metadata, resourceVersion: current.metadata?.resourceVersion } } });
    }
    expect((await call(`${route(A, depA)}/models`, { key: keyA.key })).status).toBe(200);

    // A second gateway on the same ports and network, with a 30 ms upstream budget.
    const [{ deploymentStore }, { inferenceKeyStore }, { tokenUsageStore }, { gatewaySecrets }] = await Promise.all([
      import('../../functions/wiring/deployment-store'),
      import('../../functions/wiring/inference-keys'),
      import('../../functions/wiring/token-usage'),
      import('../../functions/wiring/gateway-secrets'),
    ]);
    const impatient: RunningGateway = await createGateway(
      { deployments: deploymentStore, inferenceKeys: inferenceKeyStore, tokenUsage: tokenUsageStore, gatewaySecrets },
      {
        namespace: NAMESPACE,
        upstreamTemplate: 'http://{service}.{namespace}.svc.cluster.local:8000',
        connectTo: t.cloud.simulator.serviceNetwork!.resolve,
        localAddress: '127.0.0.2',
        upstreamTimeoutMs: 30,
      },
    ).listen(0);
    try {
      const slow = await call(`${impatient.url}/orgs/${ORG}/projects/${PROJECT}/aimodels/${depA}/v1/chat/completions`, {
        key: keyA.key,
        body: chat('take your time', { max_tokens: 600, ignore_eos: true }),
      });
      expect(slow.status).toBe(504);
      expect(slow.body.error).toMatchObject({ type: 'server_error', code: 'model_server_timeout' });
    } finally {
      await impatient.close();
    }
  });

  it('503 no_ready_replica with Retry-After when the ready deployment\'s pod is not Ready: kube-proxy refuses the connection', async () => {
    const created = await t.api('POST', BASE, { body: deployBody('gw-unready') });
    expect(created.status).toBe(201);
    const id: string = created.body.id;
    await ready(BASE, t.defaultToken, id);
    expect((await call(`${route(A, id)}/models`, { key: keyA.key })).status).toBe(200);
    // Its replacement never becomes Ready: the Service is left without a Ready endpoint while the record still says ready.
    t.cloud.simulator.addFault({ match: { label: `gpudeploy.io/deployment-id=${id}` }, fault: 'never_ready' });
    try {
      const kc = new KubeConfig();
      kc.loadFromOptions(t.cloud.simulator.kubeConfig({ tls: true }));
      const core = kc.makeApiClient(CoreV1Api);
      const [pod] = (await core.listNamespacedPod({ namespace: NAMESPACE, labelSelector: `gpudeploy.io/deployment-id=${id}` })).items;
      await core.deleteNamespacedPod({ name: pod!.metadata!.name!, namespace: NAMESPACE });
      const refused = await waitFor(() => call(`${route(A, id)}/models`, { key: keyA.key }), (r) => r.status !== 200, 'the Service to lose its Ready endpoint', 10_000);
      expect((await t.api('GET', `${BASE}/${id}`)).body.status).toBe('ready');
      expect(refused.status).toBe(503);
      expect(Number(refused.retryAfter)).toBeGreaterThan(0);
      expect(refused.body.error).toMatchObject({ type: 'server_error', code: 'no_ready_replica' });
    } finally {
      t.cloud.simulator.clearFaults();
    }
    expect((await t.api('DELETE', `${BASE}/${id}`)).status).toBe(204);
  });
});

describe('revocation and limits', () => {
  it(`a revoked key stops working within the key cache's valid TTL (${VALID_TTL_MS} ms here)`, async () => {
    const k = await key(A);
    const url = `${route(A, depA)}/models`;
    expect((await call(url, { key: k.key })).status).toBe(200);
    await revokeInferenceKey(k.id);
    const revokedAt = Date.now();
    const refused = await waitFor(() => call(url, { key: k.key }), (r) => r.status === 401, 'revoked key refused', 10_000, 50);
    expect(Date.now() - revokedAt).toBeLessThanOrEqual(VALID_TTL_MS + 500);
    expect(refused.body.error.message).toBe('API key revoked');
  });

  it('429 with Retry-After over requests per minute, concurrent requests and tokens per minute', async () => {
    const rpm = await key(A, { limits: { requests_per_minute: 2 } });
    const url = `${route(A, depA)}/models`;
    expect((await call(url, { key: rpm.key })).status).toBe(200);
    expect((await call(url, { key: rpm.key })).status).toBe(200);
    const third = await call(url, { key: rpm.key });
    expect(third.status).toBe(429);
    expect(Number(third.retryAfter)).toBeGreaterThanOrEqual(1);
    expect(third.body.error).toMatchObject({ type: 'rate_limit_error', code: 'requests_per_minute_exceeded' });

    const one = await key(A, { limits: { concurrent_requests: 1 } });
    const client = new OpenAI({ baseURL: route(A, depA), apiKey: one.key, maxRetries: 0 });
    const long = client.chat.completions.create(chat('a long one', { max_tokens: 1500, ignore_eos: true }) as never);
    await new Promise((r) => setTimeout(r, 50));
    const second = await call(`${route(A, depA)}/chat/completions`, { key: one.key, body: chat('another') });
    expect(second.status).toBe(429);
    expect(second.body.error.code).toBe('concurrent_requests_exceeded');
    expect(Number(second.retryAfter)).toBeGreaterThanOrEqual(1);
    await long;
    expect((await call(`${route(A, depA)}/chat/completions`, { key: one.key, body: chat('after') })).status).toBe(200);

    const tpm = await key(A, { limits: { tokens_per_minute: 50 } });
    expect((await call(`${route(A, depA)}/chat/completions`, { key: tpm.key, body: chat('spend', { max_tokens: 60, ignore_eos: true }) })).status).toBe(200);
    const over = await call(`${route(A, depA)}/chat/completions`, { key: tpm.key, body: chat('more') });
    expect(over.status).toBe(429);
    expect(over.body.error.code).toBe('tokens_per_minute_exceeded');
    expect(Number(over.retryAfter)).toBeGreaterThanOrEqual(1);
  });
});

describe('streams and metering', () => {
  it('sends SSE keep-alive comments while a stream waits in the model server\'s queue, then its events', async () => {
    const blocker = call(`${route(A, depA)}/completions`, { key: keyA.key, body: { model: 'gw-a', prompt: 'hold the only slot', max_tokens: 2500, ignore_eos: true } });
    await new Promise((r) => setTimeout(r, 30));
    const response = await fetch(`${route(A, depA)}/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${keyA.key}`, 'content-type': 'application/json' },
      body: JSON.stringify(chat('queued', { stream: true })),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const text = await response.text();
    await blocker;
    // Comments between events while the request waits, before its first token.
    const firstToken = text.search(/"delta":\{"content":"[^"]/);
    expect(firstToken).toBeGreaterThan(0);
    expect(text.slice(0, firstToken)).toMatch(/(^|\n\n): keep-alive\n\n/);
    expect(text.trimEnd().endsWith('data: [DONE]')).toBe(true);
    // The client did not ask for usage: it sees none, although the gateway asked vLLM for it.
    expect(text).not.toContain('"usage"');
  });

  it('meters exactly what vLLM counts: plain, streamed with and without usage, chat and text', async () => {
    const k = await key(B);
    const client = new OpenAI({ baseURL: route(B, depB), apiKey: k.key, maxRetries: 0 });
    const before = await metrics(depB);
    const model = 'gw-b';
    await client.chat.completions.create({ model, messages: [{ role: 'user', content: 'count these words please' }], max_tokens: 12 });
    await client.completions.create({ model, prompt: 'Once upon a time', max_tokens: 9 });
    for await (const _ of await client.chat.completions.create({ model, messages: [{ role: 'user', content: 'stream me' }], max_tokens: 20, stream: true })) void _;
    const chunks: OpenAI.Chat.ChatCompletionChunk[] = [];
    for await (const c of await client.chat.completions.create({ model, messages: [{ role: 'user', content: 'with usage' }], max_tokens: 15, stream: true, stream_options: { include_usage: true } })) chunks.push(c);
    expect(chunks.at(-1)?.usage?.completion_tokens).toBe(15);
    expect(chunks.slice(0, -1).every((c) => c.usage === undefined)).toBe(true);
    for await (const _ of await client.completions.create({ model, prompt: 'stream text', max_tokens: 11, stream: true })) void _;
    await t.cloud.gateway.flushUsage();
    const after = await metrics(depB);
    const [usage] = await tokenUsageOfKey(k.id);
    expect(usage).toEqual({
      day: new Date().toISOString().slice(0, 10),
      deploymentId: depB,
      requests: 5,
      promptTokens: sample(after, 'vllm:prompt_tokens_total') - sample(before, 'vllm:prompt_tokens_total'),
      completionTokens: sample(after, 'vllm:generation_tokens_total') - sample(before, 'vllm:generation_tokens_total'),
      estimatedRequests: 0,
    });
    expect(usage?.completionTokens).toBeGreaterThan(20);
  });

  it('a client that disconnects cancels the model\'s work; the cut stream is metered from vLLM\'s counts and marked estimated', async () => {
    const k = await key(B);
    const client = new OpenAI({ baseURL: route(B, depB), apiKey: k.key, maxRetries: 0 });
    const before = await metrics(depB);
    const controller = new AbortController();
    const stream = await client.chat.completions.create(
      { model: 'gw-b', messages: [{ role: 'user', content: 'a very long story' }], max_tokens: 3000, ignore_eos: true, stream: true } as never as OpenAI.Chat.ChatCompletionCreateParamsStreaming,
      { signal: controller.signal },
    );
    let received = 0;
    // The SDK ends the iteration quietly on its own abort.
    for await (const _ of stream) {
      received += 1;
      if (received === 30) controller.abort();
    }
    expect(received).toBeGreaterThanOrEqual(30);
    const after = await waitFor(() => metrics(depB), (m) => sample(m, 'vllm:request_success_total', 'finished_reason="abort"') > sample(before, 'vllm:request_success_total', 'finished_reason="abort"'), 'vLLM aborted the request', 5_000, 20);
    expect(sample(after, 'vllm:num_requests_running')).toBe(0);
    const generated = sample(after, 'vllm:generation_tokens_total') - sample(before, 'vllm:generation_tokens_total');
    expect(generated).toBeLessThan(3000);
    await t.cloud.gateway.flushUsage();
    const [usage] = await tokenUsageOfKey(k.id);
    expect(usage).toMatchObject({ requests: 1, estimatedRequests: 1, promptTokens: sample(after, 'vllm:prompt_tokens_total') - sample(before, 'vllm:prompt_tokens_total') });
    // What the client received (its role chunk is no token) up to what vLLM produced before it saw the disconnect.
    expect(usage!.completionTokens).toBeGreaterThanOrEqual(received - 1);
    expect(usage!.completionTokens).toBeLessThanOrEqual(generated);
  });
});

describe('gpuctl chat', () => {
  const gpuctl = (args: string[], env: Record<string, string>) => {
    const home = mkdtempSync(join(tmpdir(), 'gpuctl-chat-'));
    return runGpuctl(['--api-url', t.cloud.apiUrl, '--token', t.defaultToken, ...args], { home, config: join(home, 'gpuctl.json') }, '', env).finally(() =>
      rmSync(home, { recursive: true, force: true }),
    );
  };

  it('streams the answer of a ready deployment to stdout with the key from GPUCTL_INFERENCE_KEY; a refused key is exit 1, none exit 2', async () => {
    const plain = await call(`${route(A, depA)}/chat/completions`, { key: keyA.key, body: chat('Say hello to the terminal', { max_tokens: 12 }) });
    const run = await gpuctl(['chat', depA, 'Say hello to the terminal', '--max-tokens', '12'], { GPUCTL_INFERENCE_KEY: keyA.key });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toBe(`${plain.body.choices[0].message.content}\n`);
    expect(run.stderr).toMatch(/^\(finish (stop|length), \d+\+\d+ tokens\)\n$/);
    const refused = await gpuctl(['chat', depA, 'hi', '--key', keyB.key], {});
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('this key may not call this deployment');
    expect((await gpuctl(['chat', depA, 'hi'], {})).code).toBe(2);
  });
});

describe('the key\'s secret', () => {
  it('is found nowhere: table, data files, execution histories, the gateway\'s log', async () => {
    const secrets = issued.map((k) => k.key.slice(k.key.indexOf('.') + 1));
    expect(secrets.length).toBeGreaterThan(5);
    const dynamo = new DynamoDBClient({ region: 'us-east-1', endpoint: t.cloud.dynamoUrl, credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
    const sfn = new SFNClient({ region: 'us-east-1', endpoint: t.cloud.sfnUrl, credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
    try {
      const table = JSON.stringify((await dynamo.send(new ScanCommand({ TableName: 'gpu-control-plane-deployments' }))).Items);
      expect(table).toContain(issued[0]!.id);
      const histories: string[] = [];
      for (const arn of Object.values(t.cloud.stateMachineArns)) {
        for (const execution of (await sfn.send(new ListExecutionsCommand({ stateMachineArn: arn }))).executions ?? []) {
          histories.push(JSON.stringify((await sfn.send(new GetExecutionHistoryCommand({ executionArn: execution.executionArn }))).events));
        }
      }
      const files: string[] = [];
      const walk = (dir: string) => {
        for (const entry of readdirSync(dir)) {
          const path = join(dir, entry);
          if (statSync(path).isDirectory()) walk(path);
          else files.push(readFileSync(path).toString('latin1'));
        }
      };
      walk(t.cloud.dataDir);
      const log = gatewayLog.join('\n');
      expect(log).toContain(issued[0]!.id);
      for (const secret of secrets) {
        for (const [where, text] of [['table', table], ['histories', histories.join('\n')], ['gateway log', log], ['data files', files.join('\n')]] as const) {
          expect(text.includes(secret), `${where} holds a key's secret`).toBe(false);
        }
      }
    } finally {
      dynamo.destroy();
      sfn.destroy();
    }
  });
});
