/**
 * The retries of every AWS SDK client the functions build, and what is left when they run out.
 *
 * The SDK's standard strategy waits `random() * 1000 ms * 2^n` after the n-th throttle
 * (@smithy/core/retry: `Retry.throttlingDelay()`, full jitter, 20 s cap), so five attempts on
 * one call can sleep up to 15 s: more than an API handler's whole 10 s Lambda budget, and the
 * create path makes about ten calls in a row. Here each retry waits at most
 * {@link MAX_RETRY_DELAY_MS} and a call's back-off adds up to at most {@link maxTotalRetryDelayMs}
 * (750 ms for five attempts), so even a create whose every call is throttled four times answers
 * inside its budget. A call that still fails is left to the caller: a workflow task to the ASL
 * Retry, an API request to a 503 with Retry-After ({@link isAwsUnavailable}, functions/commons/http.ts).
 */
import type { RetryErrorInfo, RetryStrategyV2, StandardRetryToken } from '@smithy/types';

/** The first retry's delay ceiling; each next one doubles, up to {@link MAX_RETRY_DELAY_MS}. */
const FIRST_RETRY_DELAY_MS = 50;
const MAX_RETRY_DELAY_MS = 400;

/** The n-th retry (1-based) waits between half of its ceiling and all of it: spread, never zero. */
export const retryDelayCeilingMs = (retry: number): number => Math.min(MAX_RETRY_DELAY_MS, FIRST_RETRY_DELAY_MS * 2 ** (retry - 1));

/** The longest a call with `maxAttempts` attempts can spend waiting between them. */
export const maxTotalRetryDelayMs = (maxAttempts: number): number =>
  Array.from({ length: maxAttempts - 1 }, (_, i) => retryDelayCeilingMs(i + 1)).reduce((sum, delay) => sum + delay, 0);

const token = (count: number, delay: number): StandardRetryToken => ({
  getRetryCount: () => count,
  getRetryDelay: () => delay,
  getRetryCost: () => undefined,
});

/**
 * Retries what the SDK classifies as throttling or transient (5xx, timeouts, dropped
 * connections), as its standard strategy does, with the bounded back-off above. It keeps no
 * retry quota: a Lambda container serves one request at a time, and the bound is per call.
 */
export class BoundedRetryStrategy implements RetryStrategyV2 {
  constructor(readonly maxAttempts: number) {}

  async acquireInitialRetryToken(): Promise<StandardRetryToken> {
    return token(0, 0);
  }

  async refreshRetryTokenForRetry(previous: StandardRetryToken, error: RetryErrorInfo): Promise<StandardRetryToken> {
    const retry = previous.getRetryCount() + 1;
    const retryable = error.errorType === 'THROTTLING' || error.errorType === 'TRANSIENT';
    if (!retryable || retry >= this.maxAttempts) throw new Error('No retry token available');
    const ceiling = retryDelayCeilingMs(retry);
    return token(retry, Math.round(ceiling * (0.5 + Math.random() / 2)));
  }

  recordSuccess(): void {}
}

/** The client options every AWS client of the functions takes: `maxAttempts` attempts, bounded back-off. */
export const awsRetry = (maxAttempts: number) => ({ maxAttempts, retryStrategy: new BoundedRetryStrategy(maxAttempts) });

/** AWS error names that mean "try again later": throttling and the services' own unavailability. */
export const AWS_UNAVAILABLE_NAMES: ReadonlySet<string> = new Set([
  'ThrottlingException',
  'Throttling',
  'TooManyRequestsException',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'InternalServerError',
  'InternalFailure',
]);

/**
 * An AWS call that ran out of retries on throttling or a 5xx, found through `cause` (Powertools
 * idempotency wraps its store's errors): the same request is likely to succeed a little later.
 */
export const isAwsUnavailable = (error: unknown): boolean => {
  for (let current = error, depth = 0; current instanceof Error && depth < 5; current = current.cause, depth += 1) {
    const status = (current as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    const fromAws = status !== undefined;
    if (fromAws && (AWS_UNAVAILABLE_NAMES.has(current.name) || status === 429 || status >= 500)) return true;
  }
  return false;
};
