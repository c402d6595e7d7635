/**
 * The official `openai` npm client against a ready deployment's endpoint_url (the inference
 * gateway, in front of the simulated vLLM 0.11 server) with an inference key: models,
 * chat and text completions, streamed and not, usage, finish_reason, n, errors as the SDK
 * surfaces them, and queueing beyond max_num_seqs seen in vLLM's own /metrics.
 */
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInferenceKey } from '../support/inference-keys';
import { BASE, NAMESPACE, ORG, PROJECT, startTestCloud, waitFor, type TestCloud } from '../support/local-cloud';

let t: TestCloud;
let client: OpenAI;
let endpoint: string;
let metricsUrl: string;
const MODEL = 'oai-client';
const MAX_NUM_SEQS = 2;

beforeAll(async () => {
  t = await startTestCloud(0.02);
  const created = await t.api('POST', BASE, {
    body: {
      name: MODEL,
      catalog_id: 'Qwen-Qwen2.5-0.5B-Instruct',
      region: 'us-east-1',
      gpu_config_id: 'l4-24gb',
      gpu_count: 1,
      plan_id: 'plan-l4-24gb-ondemand',
      config: { max_num_seqs: MAX_NUM_SEQS, extra_args: ['--enable-request-id-headers'] },
    },
  });
  expect(created.status).toBe(201);
  const ready = await waitFor(() => t.api('GET', `${BASE}/${created.body.id}`), (r) => r.body.status === 'ready', 'ready', 60_000);
  endpoint = ready.body.endpoint_url;
  expect(endpoint).toBe(`${t.cloud.gatewayUrl}/orgs/${ORG}/projects/${PROJECT}/aimodels/${created.body.id}/v1`);
  const { key } = await createInferenceKey({ org_id: ORG, project_id: PROJECT });
  client = new OpenAI({ baseURL: endpoint, apiKey: key, maxRetries: 0 });
  // vLLM's own /metrics, read as an operator through the API server's service proxy (the gateway serves /v1 only).
  metricsUrl = `${t.cloud.simulator.url}/api/v1/namespaces/${NAMESPACE}/services/model-${String(created.body.id).replace(/^dep-/, '')}:http/proxy/metrics`;
}, 90_000);
afterAll(async () => {
  await t?.close();
});

const metrics = async (): Promise<string> => (await fetch(metricsUrl)).text();
const sample = (text: string, name: string): number =>
  [...text.matchAll(new RegExp(`^${name}\\{[^}]*\\} ([\\d.e+-]+)$`, 'gm'))].reduce((sum, m) => sum + Number(m[1]), 0);

describe('the openai client against the simulated vLLM', () => {
  it('lists the served model; a model by id is a 404 as vLLM has no such route', async () => {
    const models = await client.models.list();
    expect(models.data).toEqual([expect.objectContaining({ id: MODEL, object: 'model', owned_by: 'vllm', root: 'Qwen/Qwen2.5-0.5B-Instruct' })]);
    await expect(client.models.retrieve(MODEL)).rejects.toMatchObject({ status: 404 });
  });

  it('completes chat and text prompts, with usage and an x-request-id', async () => {
    const { data, response } = await client.chat.completions
      .create({ model: MODEL, messages: [{ role: 'user', content: 'Say hello to the tester' }] })
      .withResponse();
    expect(data.object).toBe('chat.completion');
    expect(data.choices[0]).toMatchObject({ index: 0, finish_reason: 'stop', message: { role: 'assistant' } });
    expect(data.choices[0]?.message.content).toContain('Say hello to the tester');
    expect(data.usage!.total_tokens).toBe(data.usage!.prompt_tokens + data.usage!.completion_tokens);
    expect(response.headers.get('x-request-id')).toMatch(/^[0-9a-f]{32}$/);
    expect(data.id).toBe(`chatcmpl-${response.headers.get('x-request-id')}`);

    const text = await client.completions.create({ model: MODEL, prompt: 'Once upon a time', max_tokens: 5 });
    expect(text).toMatchObject({ object: 'text_completion', choices: [{ index: 0, finish_reason: 'length' }], usage: { completion_tokens: 5 } });
  });

  it('streams chat token by token with a role delta first and a final usage chunk equal to the non-streamed usage', async () => {
    const messages = [{ role: 'user' as const, content: 'Stream a long answer please' }];
    const plain = await client.chat.completions.create({ model: MODEL, messages, max_tokens: 400, ignore_eos: true } as never);
    const stream = await client.chat.completions.create({
      model: MODEL,
      messages,
      max_tokens: 400,
      stream: true,
      stream_options: { include_usage: true },
      ignore_eos: true,
    } as never as OpenAI.Chat.ChatCompletionCreateParamsStreaming);
    const arrivals: number[] = [];
    const chunks: OpenAI.Chat.ChatCompletionChunk[] = [];
    for await (const chunk of stream) {
      arrivals.push(performance.now());
      chunks.push(chunk);
    }
    expect(chunks[0]?.object).toBe('chat.completion.chunk');
    expect(chunks[0]?.choices[0]?.delta).toEqual({ role: 'assistant', content: '' });
    const content = chunks.slice(1, -1);
    expect(content).toHaveLength(400);
    expect(content.at(-1)?.choices[0]?.finish_reason).toBe('length');
    expect(content.map((c) => c.choices[0]?.delta.content).join('')).toBe(plain.choices[0]?.message.content);
    const last = chunks.at(-1)!;
    expect(last.choices).toEqual([]);
    expect(last.usage).toEqual({ prompt_tokens: plain.usage!.prompt_tokens, completion_tokens: 400, total_tokens: plain.usage!.prompt_tokens + 400 });
    // Incremental: the tokens arrive spread over the generation (~400 × 9 ms × 0.02), not in one piece.
    expect(new Set(arrivals.map((a) => Math.floor(a))).size).toBeGreaterThan(5);
    expect(arrivals.at(-1)! - arrivals[0]!).toBeGreaterThan(20);
  });

  it('streams text completions, and cuts by max_tokens with finish_reason length', async () => {
    const stream = await client.completions.create({ model: MODEL, prompt: 'Count with me', max_tokens: 7, stream: true, stream_options: { include_usage: true } });
    const chunks: OpenAI.Completions.Completion[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks.slice(0, -1).every((c) => c.object === 'text_completion')).toBe(true);
    expect(chunks.at(-2)?.choices[0]?.finish_reason).toBe('length');
    expect(chunks.at(-1)?.usage?.completion_tokens).toBe(7);
    const chat = await client.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'a long question to answer' }], max_completion_tokens: 3 });
    expect(chat.choices[0]?.finish_reason).toBe('length');
    expect(chat.usage?.completion_tokens).toBe(3);
  });

  it('n=2 returns two choices; logprobs come back per token', async () => {
    const two = await client.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'pick' }], n: 2, max_tokens: 6, logprobs: true, top_logprobs: 2 });
    expect(two.choices.map((c) => c.index)).toEqual([0, 1]);
    expect(two.usage?.completion_tokens).toBe(12);
    const lp = two.choices[0]?.logprobs?.content ?? [];
    expect(lp).toHaveLength(6);
    expect(lp[0]?.top_logprobs).toHaveLength(2);
    expect(lp.map((x) => x.token).join('')).toBe(two.choices[0]?.message.content);
  });

  it('answers errors as vLLM does, surfaced by the SDK with status and message', async () => {
    await expect(client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }] })).rejects.toMatchObject({
      status: 404,
      message: '404 The model `gpt-4o` does not exist.',
    });
    const tools = [{ type: 'function' as const, function: { name: 'now', parameters: { type: 'object', properties: {} } } }];
    await expect(client.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'x' }], tools })).rejects.toMatchObject({
      status: 400,
      message: '400 "auto" tool choice requires --enable-auto-tool-choice and --tool-call-parser to be set',
    });
    await expect(client.embeddings.create({ model: MODEL, input: 'x' })).rejects.toMatchObject({ status: 400, message: '400 The model does not support Embeddings API' });
    await expect(client.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'x' }], max_tokens: 100_000 })).rejects.toMatchObject({ status: 400 });
  });

  it(`queues requests beyond max_num_seqs=${MAX_NUM_SEQS}: /metrics shows them waiting, and all complete`, async () => {
    const before = await metrics();
    const requests = Array.from({ length: 5 }, (_, i) =>
      client.completions.create({ model: MODEL, prompt: `request ${i}`, max_tokens: 1500, ignore_eos: true } as never),
    );
    let maxWaiting = 0;
    let maxRunning = 0;
    let done = false;
    const all = Promise.all(requests).finally(() => {
      done = true;
    });
    while (!done) {
      const m = await metrics();
      maxWaiting = Math.max(maxWaiting, sample(m, 'vllm:num_requests_waiting'));
      maxRunning = Math.max(maxRunning, sample(m, 'vllm:num_requests_running'));
      await new Promise((r) => setTimeout(r, 10));
    }
    const answers = (await all) as unknown as OpenAI.Completions.Completion[];
    expect(answers.every((a) => a.usage?.completion_tokens === 1500)).toBe(true);
    expect(maxRunning).toBe(MAX_NUM_SEQS);
    expect(maxWaiting).toBeGreaterThan(0);
    const after = await metrics();
    expect(sample(after, 'vllm:num_requests_waiting')).toBe(0);
    expect(sample(after, 'vllm:generation_tokens_total') - sample(before, 'vllm:generation_tokens_total')).toBe(5 * 1500);
    // The prompt tokens /metrics counts are the ones `usage` reported.
    const promptTokens = answers.reduce((sum, a) => sum + (a.usage?.prompt_tokens ?? 0), 0);
    expect(sample(after, 'vllm:prompt_tokens_total') - sample(before, 'vllm:prompt_tokens_total')).toBe(promptTokens);
    expect(sample(after, 'vllm:time_to_first_token_seconds_count') - sample(before, 'vllm:time_to_first_token_seconds_count')).toBe(5);
    expect(after).toMatch(/^vllm:kv_cache_usage_perc\{model_name="oai-client",engine="0"\} 0\.0$/m);
  });
});
