/**
 * Which errors of the Kubernetes and AWS clients are transient: the same call is likely to
 * succeed a little later. Kubernetes: 429 (API Priority and Fairness), 500/502/503/504, a
 * dropped or refused connection, and our own request timeout. AWS: throttling and 5xx that are
 * left after the SDK's own retries.
 */
import { ApiException } from '@kubernetes/client-node';
import { AWS_UNAVAILABLE_NAMES } from '../commons/aws-retry';

const TRANSIENT_HTTP = new Set([429, 500, 502, 503, 504]);
const TRANSIENT_NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT']);

const networkCodeOf = (error: unknown): string | undefined => {
  for (let current = error, depth = 0; current instanceof Error && depth < 4; current = current.cause, depth += 1) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && TRANSIENT_NETWORK_CODES.has(code)) return code;
  }
  return undefined;
};

export const isTransientApiError = (error: unknown): boolean => {
  if (error instanceof ApiException) return TRANSIENT_HTTP.has(error.code);
  if (!(error instanceof Error)) return false;
  // AbortSignal.timeout (the Kubernetes client's bound), or a fetch that lost its connection.
  if (error.name === 'TimeoutError' || error.name === 'AbortError') return true;
  if (error.message === 'fetch failed' || networkCodeOf(error)) return true;
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  return AWS_UNAVAILABLE_NAMES.has(error.name) || (status !== undefined && status >= 500);
};
