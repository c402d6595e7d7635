/**
 * Token metering: what vLLM reports in `usage` (the JSON answer, or the final chunk of a stream
 * the gateway asked to include it), summed per key, deployment and UTC day in memory and added
 * to the counters in one batch every 10 s and on close. A stream cut before its usage chunk is
 * counted from what was seen (the last continuous usage, else one token per streamed chunk) and
 * marked estimated.
 */
import { usageDay } from '../functions/domain/inference-keys';
import type { Tenant } from '../functions/domain/deployment';
import type { TokenUsageStore, UsageIncrement } from '../functions/ports';

export interface MeteredRequest {
  promptTokens: number;
  completionTokens: number;
  estimated: boolean;
}

export interface Usage {
  prompt_tokens?: unknown;
  completion_tokens?: unknown;
}

const count = (value: unknown): number => (typeof value === 'number' && Number.isFinite(value) && value >= 0 ? Math.floor(value) : 0);

export const fromUsage = (usage: Usage | null | undefined, estimated = false): MeteredRequest => ({
  promptTokens: count(usage?.prompt_tokens),
  completionTokens: count(usage?.completion_tokens),
  estimated,
});

export class Meter {
  private pending = new Map<string, UsageIncrement>();
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: Pick<TokenUsageStore, 'add'>,
    private readonly now: () => Date = () => new Date(),
    private readonly onError: (error: unknown) => void = () => undefined,
  ) {}

  /** Flushes every `intervalMs` (10 s in the gateway); the timer does not hold the process open. */
  start(intervalMs: number): void {
    this.timer = setInterval(() => void this.flush(), intervalMs);
    this.timer.unref();
  }

  record(tenant: Tenant, keyId: string, deploymentId: string, request: MeteredRequest): void {
    const day = usageDay(this.now());
    const id = `${keyId}#${deploymentId}#${day}`;
    const row = this.pending.get(id) ?? { ...tenant, keyId, deploymentId, day, requests: 0, promptTokens: 0, completionTokens: 0, estimatedRequests: 0 };
    row.requests += 1;
    row.promptTokens += request.promptTokens;
    row.completionTokens += request.completionTokens;
    if (request.estimated) row.estimatedRequests += 1;
    this.pending.set(id, row);
  }

  /** Writes what was metered since the last flush; a failed batch is kept and retried with the next. */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(async () => {
      if (this.pending.size === 0) return;
      const batch = [...this.pending.values()];
      this.pending = new Map();
      try {
        await this.store.add(batch);
      } catch (error) {
        for (const row of batch) {
          const id = `${row.keyId}#${row.deploymentId}#${row.day}`;
          const later = this.pending.get(id);
          if (later) {
            later.requests += row.requests;
            later.promptTokens += row.promptTokens;
            later.completionTokens += row.completionTokens;
            later.estimatedRequests += row.estimatedRequests;
          } else {
            this.pending.set(id, row);
          }
        }
        this.onError(error);
      }
    });
    return this.flushing;
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.flush();
  }
}
