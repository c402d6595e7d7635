/**
 * The simulated vLLM replica's throughput model: admission up to max_num_seqs, FIFO queueing,
 * time to first token = queue wait + prefill, inter-token latency by GPU and batch size, KV-cache
 * accounting with preemption, cancellation; and the tokenizer approximation behind `usage`.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Engine, type EngineStats, type FinishReason } from '../../local/sim/kubelet/vllm/engine';
import { BLOCK_TOKENS, GPU_PROFILES, defaultMaxNumSeqs, engineConfig, type EngineConfig } from '../../local/sim/kubelet/vllm/hardware';
import type { HistogramName } from '../../local/sim/kubelet/vllm/metrics';
import { OpenAiError, planRequest } from '../../local/sim/kubelet/vllm/requests';
import { chatPromptTokens, countTokens, pieces } from '../../local/sim/kubelet/vllm/tokenizer';

const gpu = (name: string) => GPU_PROFILES[name]!;

const recorder = () => {
  const seen = { prompt: 0, generated: 0, preempted: 0, finished: [] as FinishReason[], observed: {} as Record<string, number[]> };
  const stats: EngineStats = {
    promptTokens: (n) => void (seen.prompt += n),
    generationTokens: (n) => void (seen.generated += n),
    preempted: () => void (seen.preempted += 1),
    finished: (r) => void seen.finished.push(r),
    observe: (name: HistogramName, s) => void (seen.observed[name] ??= []).push(s),
  };
  return { seen, stats };
};

describe('engine configuration from the GPU', () => {
  const cfg = (name: string, weights = 16) => engineConfig({ gpu: gpu(name), tensorParallel: 1, weightsGiB: weights, maxModelLen: 8192 });

  it('decodes slower on an L4 than an L40S, and slower on an L40S than an H100 or H200', () => {
    const itl = ['NVIDIA L4', 'NVIDIA L40S', 'NVIDIA H100', 'NVIDIA H200'].map((g) => cfg(g).interTokenSeconds(1));
    expect(itl[0]).toBeGreaterThan(itl[1]!);
    expect(itl[1]).toBeGreaterThan(itl[2]!);
    expect(itl[2]).toBeGreaterThan(itl[3]!);
    // An 8B bf16 model: tens of ms a token on an L4, about ten on an H100.
    expect(itl[0]).toBeGreaterThan(0.05);
    expect(itl[2]).toBeLessThan(0.015);
  });

  it('slows modestly as the batch grows, and prefill grows with the prompt', () => {
    const c = cfg('NVIDIA H100');
    expect(c.interTokenSeconds(64) / c.interTokenSeconds(1)).toBeGreaterThan(1.1);
    expect(c.interTokenSeconds(64) / c.interTokenSeconds(1)).toBeLessThan(1.5);
    expect(c.prefillSeconds(4000)).toBeGreaterThan(c.prefillSeconds(100) * 5);
  });

  it('sizes the KV cache from GPU memory, weights and tensor parallelism, in whole blocks, never below max_model_len', () => {
    const l4 = cfg('NVIDIA L4');
    const h200 = cfg('NVIDIA H200');
    expect(l4.kvCapacityTokens % BLOCK_TOKENS).toBe(0);
    expect(h200.kvCapacityTokens).toBeGreaterThan(l4.kvCapacityTokens * 5);
    const tp2 = engineConfig({ gpu: gpu('NVIDIA L4'), tensorParallel: 2, weightsGiB: 16, maxModelLen: 8192 });
    expect(tp2.kvCapacityTokens).toBeGreaterThan(l4.kvCapacityTokens);
    const tight = engineConfig({ gpu: gpu('NVIDIA L4'), tensorParallel: 1, weightsGiB: 20, maxModelLen: 32768 });
    expect(tight.kvCapacityTokens).toBeGreaterThanOrEqual(32768);
  });

  it("uses vLLM 0.11's default max_num_seqs unless --max-num-seqs is given", () => {
    expect(defaultMaxNumSeqs(gpu('NVIDIA L4'))).toBe(256);
    expect(defaultMaxNumSeqs(gpu('NVIDIA A100'))).toBe(256);
    expect(defaultMaxNumSeqs(gpu('NVIDIA H100'))).toBe(1024);
    expect(engineConfig({ gpu: gpu('NVIDIA H100'), tensorParallel: 1, weightsGiB: 2, maxModelLen: 4096, maxNumSeqs: 8 }).maxNumSeqs).toBe(8);
  });
});

describe('engine scheduling', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  /** A config with round numbers: 1 s prefill a 100 tokens, 0.1 s a token. */
  const config = (over: Partial<EngineConfig> = {}): EngineConfig => ({
    gpu: gpu('NVIDIA L4'),
    tensorParallel: 1,
    weightsGiB: 2,
    maxNumSeqs: 2,
    maxModelLen: 1024,
    kvCapacityTokens: 4096,
    interTokenSeconds: () => 0.1,
    prefillSeconds: (t) => t / 100,
    ...over,
  });

  const start = (c: EngineConfig) => {
    const { seen, stats } = recorder();
    const engine = new Engine(c, 1, stats, { now: () => Date.now() });
    const submit = (promptTokens: number, outputTokens: number) => {
      const state = { produced: 0, reason: undefined as FinishReason | undefined, firstAt: undefined as number | undefined };
      const t0 = Date.now();
      const seq = engine.submit({
        promptTokens,
        outputTokens,
        finishReason: 'length',
        countPrompt: true,
        onTokens: (n) => {
          state.firstAt ??= Date.now() - t0;
          state.produced = n;
        },
        onFinish: (r) => void (state.reason = r),
      });
      return { state, seq };
    };
    return { engine, seen, submit };
  };

  it('gives the first token after the prefill, then one a decode step, and finishes with the planned reason', async () => {
    const { seen, submit } = start(config());
    const { state } = submit(100, 5);
    await vi.advanceTimersByTimeAsync(999);
    expect(state.produced).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(state.produced).toBe(1);
    expect(state.firstAt).toBe(1000);
    await vi.advanceTimersByTimeAsync(400);
    expect(state.produced).toBe(5);
    expect(state.reason).toBe('length');
    expect(seen).toMatchObject({ prompt: 100, generated: 5, finished: ['length'] });
    expect(seen.observed.ttft).toEqual([1]);
    expect(seen.observed.itl?.map((x) => Math.round(x * 1000))).toEqual([100, 100, 100, 100]);
  });

  it('queues beyond max_num_seqs in FIFO order: the third waits for a slot, its TTFT includes the wait', async () => {
    const { engine, seen, submit } = start(config());
    const a = submit(100, 10);
    submit(100, 30);
    const c = submit(100, 1);
    expect([engine.numRunning, engine.numWaiting]).toEqual([2, 1]);
    await vi.advanceTimersByTimeAsync(1000 + 900);
    expect(a.state.reason).toBe('length');
    expect([engine.numRunning, engine.numWaiting]).toEqual([2, 0]);
    await vi.advanceTimersByTimeAsync(1000);
    expect(c.state.firstAt).toBe(2900);
    expect(seen.observed.queue?.at(-1)).toBeCloseTo(1.9);
  });

  it('counts KV-cache blocks of running sequences, admits only what fits, and preempts the newest when decode runs out', async () => {
    const { engine, seen, submit } = start(config({ kvCapacityTokens: 64, maxNumSeqs: 10 }));
    const a = submit(24, 20);
    const b = submit(24, 20);
    expect(engine.numRunning).toBe(2);
    expect(engine.kvUsage).toBeCloseTo(4 / 4);
    const c = submit(8, 2);
    expect(engine.numWaiting).toBe(1);
    await vi.advanceTimersByTimeAsync(240 + 800);
    // a grew past its second block: b, the newest, was preempted and waits at the head of the queue.
    expect(seen.preempted).toBeGreaterThanOrEqual(1);
    await vi.advanceTimersByTimeAsync(20_000);
    expect([a.state.reason, b.state.reason, c.state.reason]).toEqual(['length', 'length', 'length']);
    expect(b.state.produced).toBe(20);
    expect(engine.kvUsage).toBe(0);
  });

  it('a cancelled sequence frees its slot for the next one and counts as aborted', async () => {
    const { engine, seen, submit } = start(config({ maxNumSeqs: 1 }));
    const a = submit(100, 100);
    const b = submit(100, 1);
    await vi.advanceTimersByTimeAsync(1500);
    a.seq.abort();
    expect(a.state.reason).toBe('abort');
    expect([engine.numRunning, engine.numWaiting]).toEqual([1, 0]);
    await vi.advanceTimersByTimeAsync(1000);
    expect(b.state.reason).toBe('length');
    expect(seen.finished).toEqual(['abort', 'length']);
  });
});

describe('tokenizer approximation', () => {
  it('cuts text into pieces that join back to it, about four characters a token', () => {
    const text = 'Hello, world! Tokenization is deterministic:   yes.\n';
    expect(pieces(text).join('')).toBe(text);
    expect(countTokens(text)).toBe(pieces(text).length);
    expect(countTokens('a')).toBe(1);
    expect(countTokens('token')).toBe(2);
    expect(countTokens('hello world')).toBe(4);
    expect(countTokens('')).toBe(0);
    const prose = 'The quick brown fox jumps over the lazy dog near the riverbank every morning.';
    expect(countTokens(prose)).toBeGreaterThan(prose.length / 6);
    expect(countTokens(prose)).toBeLessThan(prose.length / 3);
  });

  it('counts a chat prompt with its template tokens', () => {
    const one = chatPromptTokens([{ role: 'user', content: 'hi' }]);
    expect(one).toBe(5 + 1 + 3);
    expect(chatPromptTokens([{ role: 'system', content: 'be brief' }, { role: 'user', content: 'hi' }])).toBe(one + 5 + countTokens('be brief'));
  });
});

describe('request planning (vLLM 0.11 limits)', () => {
  const chat = (content: string, extra: Record<string, unknown> = {}, maxModelLen = 64) =>
    planRequest({ model: 'm', messages: [{ role: 'user', content }], ...extra }, true, 'm', maxModelLen);

  it('without max_tokens, chat may use what is left of max_model_len and is cut there with finish_reason length', () => {
    const plan = chat('please answer at length', { ignore_eos: true });
    const [prompt] = plan.prompts;
    expect(prompt!.choices[0]!.tokens).toHaveLength(64 - prompt!.promptTokens);
    expect(prompt!.choices[0]!.finishReason).toBe('length');
    const natural = chat('hi', {}, 4096).prompts[0]!.choices[0]!;
    expect(natural.finishReason).toBe('stop');
    expect(natural.tokens.join('')).toBe('This is m, simulated. You said: hi');
  });

  it('completions default to 16 tokens; max_completion_tokens wins over max_tokens in chat', () => {
    const text = planRequest({ prompt: 'a b c d e f g h i j k l m n o p q r s t u v w x y z' }, false, 'm', 4096);
    expect(text.prompts[0]!.choices[0]).toMatchObject({ finishReason: 'length' });
    expect(text.prompts[0]!.choices[0]!.tokens).toHaveLength(16);
    expect(chat('hello there', { max_tokens: 10, max_completion_tokens: 2 }, 4096).prompts[0]!.choices[0]!.tokens).toHaveLength(2);
  });

  it('refuses what vLLM refuses, with its messages', () => {
    const error = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return e instanceof OpenAiError ? `${e.status} ${e.message}` : String(e);
      }
      return 'no error';
    };
    expect(error(() => chat('x'.repeat(400)))).toMatch(/^400 This model's maximum context length is 64 tokens\. However, your request has \d+ input tokens/);
    expect(error(() => chat('hi', { max_tokens: 60 }))).toMatch(/^400 'max_tokens' or 'max_completion_tokens' is too large: 60\./);
    expect(error(() => chat('hi', { top_logprobs: 2 }))).toBe('400 when using `top_logprobs`, `logprobs` must be set to true.');
    expect(error(() => chat('hi', { logprobs: true, top_logprobs: 21 }))).toBe('400 Requested sample logprobs of 21, which is greater than max allowed: 20');
    expect(error(() => chat('hi', { model: 'other' }))).toBe('404 The model `other` does not exist.');
    expect(error(() => chat('hi', { tools: [{ type: 'function', function: { name: 'f' } }], tool_choice: 'none' }))).toBe('no error');
  });
});
