/**
 * Errors in OpenAI's shape, `{"error": {"message", "type", "code"}}`, so the OpenAI SDKs raise
 * their usual exceptions (AuthenticationError, RateLimitError, …). A client's mistake is a 4xx;
 * only the model server or the gateway itself failing is a 5xx.
 */
import type { ServerResponse } from 'node:http';

export type GatewayErrorType = 'invalid_request_error' | 'authentication_error' | 'permission_error' | 'not_found_error' | 'rate_limit_error' | 'server_error';

export class GatewayError extends Error {
  constructor(
    readonly status: number,
    readonly type: GatewayErrorType,
    readonly code: string,
    message: string,
    /** Seconds, sent as Retry-After (429, 503). */
    readonly retryAfter?: number,
  ) {
    super(message);
  }

  body(): { error: { message: string; type: GatewayErrorType; code: string } } {
    return { error: { message: this.message, type: this.type, code: this.code } };
  }
}

export const unauthenticated = (message: string): GatewayError => new GatewayError(401, 'authentication_error', 'invalid_api_key', message);
/** The same answer for a deployment of another project whether it exists or not. */
export const forbidden = (): GatewayError => new GatewayError(403, 'permission_error', 'forbidden', 'this key may not call this deployment');
export const notFound = (message: string): GatewayError => new GatewayError(404, 'not_found_error', 'not_found', message);
export const tooLarge = (limit: number): GatewayError => new GatewayError(413, 'invalid_request_error', 'request_too_large', `the request body is over ${limit} bytes`);
export const badRequest = (message: string): GatewayError => new GatewayError(400, 'invalid_request_error', 'invalid_request', message);
export const rateLimited = (code: string, message: string, retryAfter: number): GatewayError => new GatewayError(429, 'rate_limit_error', code, message, retryAfter);
export const unavailable = (code: string, message: string, retryAfter?: number): GatewayError => new GatewayError(503, 'server_error', code, message, retryAfter);
export const badGateway = (message: string): GatewayError => new GatewayError(502, 'server_error', 'model_server_error', message);
export const gatewayTimeout = (message: string): GatewayError => new GatewayError(504, 'server_error', 'model_server_timeout', message);

export const sendError = (res: ServerResponse, error: GatewayError): void => {
  if (res.headersSent) {
    // A stream already answered 200: the error travels as an SSE event, as OpenAI's streams do.
    if (!res.writableEnded) res.end(`data: ${JSON.stringify(error.body())}\n\n`);
    return;
  }
  const body = JSON.stringify(error.body());
  const headers: Record<string, string | number> = { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) };
  if (error.retryAfter !== undefined) headers['retry-after'] = Math.max(1, Math.ceil(error.retryAfter));
  res.writeHead(error.status, headers);
  res.end(body);
};
