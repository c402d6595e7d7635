/**
 * The simulated vLLM process's HTTP surface on its own port (no API server in front, as the
 * coming gateway will reach it): --api-key on /v1 only, X-Request-Id, the SSE wire format,
 * continuous usage stats, a client disconnect aborting its sequence, a dying process dropping streams.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { readBody } from '../../local/sim/http';
import { Engine, type EngineStats } from '../../local/sim/kubelet/vllm/engine';
import { GPU_PROFILES, engineConfig } from '../../local/sim/kubelet/vllm/hardware';
import { renderMetrics } from '../../local/sim/kubelet/vllm/metrics';
import { servePod, type PodServer } from '../../local/sim/kubelet/vllm/serve';

const servers: http.Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

const start = async (options: { apiKeys?: string[]; requestIdHeaders?: boolean; forceIncludeUsage?: boolean; alive?: () => boolean } = {}) => {
  const finished: string[] = [];
  const stats: EngineStats = { promptTokens: () => {}, generationTokens: () => {}, preempted: () => {}, finished: (r) => void finished.push(r), observe: () => {} };
  const config = engineConfig({ gpu: GPU_PROFILES['NVIDIA H100']!, tensorParallel: 1, weightsGiB: 1, maxModelLen: 4096, maxNumSeqs: 4 });
  // Time scale 0.1: a token every ~0.6 ms of real time.
  const engine = new Engine(config, 0.1, stats, undefined, options.alive);
  const pod: PodServer = {
    servedModelName: 'm',
    model: 'org/m',
    maxModelLen: 4096,
    startedAt: 1,
    apiKeys: options.apiKeys ?? [],
    requestIdHeaders: options.requestIdHeaders ?? false,
    forceIncludeUsage: options.forceIncludeUsage ?? false,
    engine,
    metrics: () => ({ modelName: 'm', running: engine.numRunning, waiting: engine.numWaiting, kvUsage: engine.kvUsage, showHidden010: false, promptTokens: 0, generationTokens: 0, preemptions: 0, finished: { stop: 0, length: 0, abort: 0 }, histograms: {} }),
  };
  const server = http.createServer(async (req, res) => {
    const body = await readBody(req);
    const url = new URL(req.url ?? '/', 'http://x');
    const answer = servePod(pod, { method: req.method ?? 'GET', url, headers: req.headers, body }, url.pathname);
    if (answer.respond) return answer.respond(res);
    res.writeHead(answer.status, answer.headers).end(answer.body);
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { base, engine, finished };
};

const post = (base: string, path: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

describe('simulated vLLM HTTP server', () => {
  it('--api-key guards /v1 paths only, with vLLM 401 body', async () => {
    const { base } = await start({ apiKeys: ['sk-test'] });
    const denied = await fetch(`${base}/v1/models`);
    expect(denied.status).toBe(401);
    expect(await denied.json()).toEqual({ error: 'Unauthorized' });
    expect((await fetch(`${base}/v1/models`, { headers: { authorization: 'Bearer sk-wrong' } })).status).toBe(401);
    expect((await fetch(`${base}/v1/models`, { headers: { authorization: 'Bearer sk-test' } })).status).toBe(200);
    expect((await fetch(`${base}/health`)).status).toBe(200);
    expect((await fetch(`${base}/metrics`)).status).toBe(200);
    expect(await (await fetch(`${base}/version`)).json()).toEqual({ version: '0.11.0' });
  });

  it('echoes X-Request-Id into the header and the completion id with --enable-request-id-headers', async () => {
    const { base } = await start({ requestIdHeaders: true });
    const answer = await post(base, '/v1/completions', { prompt: 'hi', max_tokens: 2 }, { 'x-request-id': 'abc123' });
    expect(answer.headers.get('x-request-id')).toBe('abc123');
    expect(((await answer.json()) as { id: string }).id).toBe('cmpl-abc123');
    const none = await start();
    expect((await post(none.base, '/v1/completions', { prompt: 'hi', max_tokens: 2 })).headers.get('x-request-id')).toBeNull();
  });

  it('writes SSE frames as vLLM does, with continuous usage on every chunk when asked', async () => {
    const { base } = await start();
    const response = await post(base, '/v1/chat/completions', {
      messages: [{ role: 'user', content: 'hi' }],
      max_tokens: 3,
      stream: true,
      stream_options: { include_usage: true, continuous_usage_stats: true },
    });
    expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    const text = await response.text();
    const frames = text.split('\n\n').filter(Boolean);
    expect(frames.every((f) => f.startsWith('data: '))).toBe(true);
    expect(frames.at(-1)).toBe('data: [DONE]');
    const chunks = frames.slice(0, -1).map((f) => JSON.parse(f.slice(6)));
    expect(chunks).toHaveLength(1 + 3 + 1);
    expect(chunks.slice(0, -1).map((c) => c.usage.completion_tokens)).toEqual([0, 1, 2, 3]);
    expect(chunks.at(-1)).toMatchObject({ choices: [], usage: { completion_tokens: 3, total_tokens: chunks.at(-1).usage.prompt_tokens + 3 } });
    expect((await post(base, '/v1/completions', { prompt: 'x', stream_options: { include_usage: true } })).status).toBe(400);
  });

  it('--enable-force-include-usage ends every stream with a usage chunk, even when the client did not ask', async () => {
    const lastChunk = async (base: string) => {
      const text = await (await post(base, '/v1/completions', { prompt: 'hi', max_tokens: 2, stream: true })).text();
      const frames = text.split('\n\n').filter(Boolean);
      return JSON.parse(frames.at(-2)!.slice(6)) as { choices: unknown[]; usage?: { completion_tokens: number } };
    };
    const forced = await start({ forceIncludeUsage: true });
    expect(await lastChunk(forced.base)).toMatchObject({ choices: [], usage: { completion_tokens: 2 } });
    const plain = await start();
    expect((await lastChunk(plain.base)).usage).toBeUndefined();
  });

  it('a client that disconnects aborts its sequence and frees the slot', async () => {
    const { base, engine, finished } = await start();
    const controller = new AbortController();
    const long = fetch(`${base}/v1/completions`, { method: 'POST', signal: controller.signal, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ prompt: 'go', max_tokens: 3000, ignore_eos: true }) }).catch((e: Error) => e);
    await new Promise((r) => setTimeout(r, 50));
    expect(engine.numRunning).toBeGreaterThanOrEqual(1);
    controller.abort();
    await long;
    await new Promise((r) => setTimeout(r, 50));
    expect(finished).toEqual(['abort']);
    expect(engine.numRunning).toBe(0);
  });

  it('drops the streams of a process that died', async () => {
    let alive = true;
    const { base, engine } = await start({ alive: () => alive });
    const stream = await post(base, '/v1/completions', { prompt: 'go', max_tokens: 3000, ignore_eos: true, stream: true });
    const reading = stream.text().then(() => 'ended', (e: Error) => `failed: ${e.message}`);
    await new Promise((r) => setTimeout(r, 30));
    alive = false;
    expect(await reading).toMatch(/^failed/);
    expect(engine.numRunning).toBe(0);
  });

  it('prints the 0.11 metric names with model_name and engine labels and the TTFT buckets', () => {
    const text = renderMetrics({ modelName: 'm', running: 1, waiting: 2, kvUsage: 0.25, showHidden010: false, promptTokens: 3, generationTokens: 4, preemptions: 0, finished: { stop: 1, length: 2, abort: 3 }, histograms: {} });
    expect(text).toContain('vllm:num_requests_waiting{model_name="m",engine="0"} 2.0');
    expect(text).toContain('vllm:kv_cache_usage_perc{model_name="m",engine="0"} 0.25');
    expect(text).not.toContain('vllm:gpu_cache_usage_perc');
    expect(text).toContain('vllm:request_success_total{model_name="m",engine="0",finished_reason="length"} 2.0');
    expect(text).toContain('vllm:time_to_first_token_seconds_bucket{model_name="m",engine="0",le="2560.0"} 0.0');
    expect(text).toContain('vllm:inter_token_latency_seconds_count{model_name="m",engine="0"} 0.0');
  });
});
