/**
 * One replica's scheduler, after vLLM's V1 engine: up to max_num_seqs sequences run, the rest
 * wait in FIFO order (the head blocks: a later, smaller request does not overtake it); a
 * sequence is admitted only when the KV cache has blocks for its prompt; when a running
 * sequence needs a block and none is free, the newest running sequence is preempted (its KV
 * freed, back to the head of the queue, recomputed from prompt + tokens so far).
 *
 * Time is model time scaled by `timeScale` (real ms = model s × 1000 × timeScale). Each
 * sequence keeps its own next-token deadline and emits every token that is due when its timer
 * fires, so timer granularity does not slow the modelled rate at small time scales.
 */
import { BLOCK_TOKENS, type EngineConfig } from './hardware.js';
import type { HistogramName } from './metrics.js';

export type FinishReason = 'stop' | 'length' | 'abort';

/** Where the engine's counters and histogram observations go (the pod's persisted traffic record). */
export interface EngineStats {
  promptTokens(n: number): void;
  generationTokens(n: number): void;
  preempted(): void;
  finished(reason: FinishReason): void;
  observe(name: HistogramName, seconds: number): void;
}

export interface SequenceSpec {
  promptTokens: number;
  /** Tokens this sequence will produce before it stops (already bounded by max_tokens / max_model_len). */
  outputTokens: number;
  /** Why it stops after outputTokens: 'length' when cut by a limit, 'stop' at end of text. */
  finishReason: 'stop' | 'length';
  /** Whether its prompt tokens count in vllm:prompt_tokens (once per request, not per choice). */
  countPrompt: boolean;
  /** Called with how many tokens were produced so far, each time some are (batched when due together). */
  onTokens(produced: number): void;
  onFinish(reason: FinishReason): void;
  /** The process died under it (container crashed, restarted or removed): no reply will come. */
  onKilled?(): void;
}

export interface Sequence {
  readonly spec: SequenceSpec;
  abort(): void;
}

interface Seq {
  spec: SequenceSpec;
  arrivedAt: number;
  admittedAt?: number;
  firstTokenAt?: number;
  lastTokenAt?: number;
  nextAt: number;
  produced: number;
  promptCounted: boolean;
  timer?: NodeJS.Timeout;
  done: boolean;
}

export interface Clock {
  now(): number;
}

export class Engine {
  private readonly running: Seq[] = [];
  private readonly waiting: Seq[] = [];
  private closed = false;

  constructor(
    readonly config: EngineConfig,
    private readonly timeScale: number,
    readonly stats: EngineStats,
    private readonly clock: Clock = { now: () => performance.now() },
    /** Whether the process still runs; checked at every step, so a dead container drops its streams. */
    private readonly alive: () => boolean = () => true,
  ) {}

  get numRunning(): number {
    return this.running.length;
  }

  get numWaiting(): number {
    return this.waiting.length;
  }

  /** Fraction of KV-cache blocks held by running sequences. */
  get kvUsage(): number {
    const used = this.running.reduce((sum, s) => sum + this.blocksOf(s), 0);
    return used / (this.config.kvCapacityTokens / BLOCK_TOKENS);
  }

  submit(spec: SequenceSpec): Sequence {
    const seq: Seq = { spec, arrivedAt: this.clock.now(), nextAt: 0, produced: 0, promptCounted: false, done: false };
    this.waiting.push(seq);
    this.schedule();
    return { spec, abort: () => this.finish(seq, 'abort') };
  }

  /** The container stopped: every sequence ends without a reply (the connection drops). */
  close(): void {
    this.closed = true;
    for (const seq of [...this.running, ...this.waiting]) {
      clearTimeout(seq.timer);
      seq.done = true;
      seq.spec.onKilled?.();
    }
    this.running.length = 0;
    this.waiting.length = 0;
  }

  private ms(seconds: number): number {
    return seconds * 1000 * this.timeScale;
  }

  private seconds(ms: number): number {
    return ms / 1000 / this.timeScale;
  }

  private blocksOf(seq: Seq): number {
    return Math.ceil((seq.spec.promptTokens + seq.produced) / BLOCK_TOKENS);
  }

  private freeBlocks(): number {
    return this.config.kvCapacityTokens / BLOCK_TOKENS - this.running.reduce((sum, s) => sum + this.blocksOf(s), 0);
  }

  private schedule(): void {
    if (this.closed) return;
    while (this.waiting.length > 0 && this.running.length < this.config.maxNumSeqs) {
      const head = this.waiting[0] as Seq;
      // A resumed (preempted) sequence needs blocks for what it had produced too, plus the next token.
      if (Math.ceil((head.spec.promptTokens + head.produced + 1) / BLOCK_TOKENS) > this.freeBlocks()) break;
      this.waiting.shift();
      this.admit(head);
    }
  }

  private admit(seq: Seq): void {
    const now = this.clock.now();
    seq.admittedAt ??= now;
    this.running.push(seq);
    // Recompute after preemption re-reads the tokens already produced as part of the prompt.
    seq.nextAt = now + this.ms(this.config.prefillSeconds(seq.spec.promptTokens + seq.produced));
    this.arm(seq);
  }

  private arm(seq: Seq): void {
    clearTimeout(seq.timer);
    seq.timer = setTimeout(() => this.step(seq), Math.max(0, seq.nextAt - this.clock.now()));
    seq.timer.unref?.();
  }

  private step(seq: Seq): void {
    if (seq.done) return;
    if (!this.alive()) {
      this.close();
      return;
    }
    const now = this.clock.now();
    const before = seq.produced;
    const stats = this.stats;
    while (seq.nextAt <= now && seq.produced < seq.spec.outputTokens) {
      if (this.blocksOf(seq) < Math.ceil((seq.spec.promptTokens + seq.produced + 1) / BLOCK_TOKENS) && this.freeBlocks() < 1) {
        if (!this.preemptFor(seq)) break;
      }
      if (seq.produced === 0 && seq.firstTokenAt === undefined) {
        seq.firstTokenAt = seq.nextAt;
        if (seq.spec.countPrompt && !seq.promptCounted) stats.promptTokens(seq.spec.promptTokens);
        seq.promptCounted = true;
        this.record('ttft', this.seconds(seq.firstTokenAt - seq.arrivedAt));
      } else if (seq.lastTokenAt !== undefined) {
        this.record('itl', this.seconds(seq.nextAt - seq.lastTokenAt));
      }
      seq.lastTokenAt = seq.nextAt;
      seq.produced += 1;
      stats.generationTokens(1);
      seq.nextAt += this.ms(this.config.interTokenSeconds(this.running.length));
    }
    if (seq.done) return;
    if (seq.produced > before) seq.spec.onTokens(seq.produced);
    if (seq.done) return;
    if (seq.produced >= seq.spec.outputTokens) {
      this.finish(seq, seq.spec.finishReason);
      return;
    }
    if (this.running.includes(seq)) this.arm(seq);
  }

  /** Frees blocks by preempting the newest running sequence; false when `seq` itself was that one. */
  private preemptFor(seq: Seq): boolean {
    const victim = this.running.at(-1) as Seq;
    this.running.pop();
    clearTimeout(victim.timer);
    this.waiting.unshift(victim);
    this.stats.preempted();
    return victim !== seq;
  }

  private record(name: HistogramName, value: number): void {
    this.stats.observe(name, value);
  }

  private finish(seq: Seq, reason: FinishReason): void {
    if (seq.done) return;
    seq.done = true;
    clearTimeout(seq.timer);
    const r = this.running.indexOf(seq);
    if (r >= 0) this.running.splice(r, 1);
    const w = this.waiting.indexOf(seq);
    if (w >= 0) this.waiting.splice(w, 1);
    const now = this.clock.now();
    this.stats.finished(reason);
    this.record('e2e', this.seconds(now - seq.arrivedAt));
    if (seq.admittedAt !== undefined) {
      this.record('queue', this.seconds(seq.admittedAt - seq.arrivedAt));
      const first = seq.firstTokenAt ?? now;
      this.record('prefill', this.seconds(first - seq.admittedAt));
      this.record('decode', this.seconds((seq.lastTokenAt ?? first) - first));
    }
    seq.spec.onFinish(reason);
    this.schedule();
  }
}
