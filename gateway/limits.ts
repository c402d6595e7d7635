/**
 * A key's limits (issue 15): requests per minute and concurrent requests before a request,
 * tokens per minute after it (a request's tokens are known only once it is answered, so the
 * limit lags by one request, as in OpenAI's and LiteLLM's gateways). Per gateway instance: with
 * N instances behind the load balancer a key gets at most N times its limits, which the docs say.
 */
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import type { InferenceKeyRecord } from '../functions/domain/inference-keys';
import { rateLimited, type GatewayError } from './errors';

const WINDOW_SECONDS = 60;

export class KeyLimits {
  private readonly rpm = new Map<number, RateLimiterMemory>();
  private readonly tpm = new Map<number, RateLimiterMemory>();
  private readonly inFlight = new Map<string, number>();

  private limiter(pool: Map<number, RateLimiterMemory>, points: number): RateLimiterMemory {
    let limiter = pool.get(points);
    if (!limiter) {
      limiter = new RateLimiterMemory({ points, duration: WINDOW_SECONDS });
      pool.set(points, limiter);
    }
    return limiter;
  }

  /** Takes a request slot, or says why not (429 with Retry-After). Call `release` once the request ends. */
  async admit(key: InferenceKeyRecord): Promise<GatewayError | undefined> {
    const { requests_per_minute: rpm, tokens_per_minute: tpm, concurrent_requests: concurrent } = key.limits;
    if (concurrent !== undefined && (this.inFlight.get(key.id) ?? 0) >= concurrent) {
      return rateLimited('concurrent_requests_exceeded', `this key may have ${concurrent} requests in flight`, 1);
    }
    if (tpm !== undefined) {
      const used = await this.limiter(this.tpm, tpm).get(key.id);
      if (used && used.consumedPoints >= tpm) {
        return rateLimited('tokens_per_minute_exceeded', `this key may use ${tpm} tokens per minute`, used.msBeforeNext / 1000);
      }
    }
    if (rpm !== undefined) {
      try {
        await this.limiter(this.rpm, rpm).consume(key.id, 1);
      } catch (rejection) {
        if (!(rejection instanceof RateLimiterRes)) throw rejection;
        return rateLimited('requests_per_minute_exceeded', `this key may send ${rpm} requests per minute`, rejection.msBeforeNext / 1000);
      }
    }
    this.inFlight.set(key.id, (this.inFlight.get(key.id) ?? 0) + 1);
    return undefined;
  }

  /** Ends a request admitted by `admit`, charging its tokens to the key's minute. */
  async release(key: InferenceKeyRecord, tokens: number): Promise<void> {
    const left = (this.inFlight.get(key.id) ?? 1) - 1;
    if (left <= 0) this.inFlight.delete(key.id);
    else this.inFlight.set(key.id, left);
    const tpm = key.limits.tokens_per_minute;
    if (tpm !== undefined && tokens > 0) await this.limiter(this.tpm, tpm).penalty(key.id, tokens);
  }
}
