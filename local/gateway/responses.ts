/** Responses: the handler's structured result checked and sent, the gateway's own `{code, message}` errors. */
import { validateHeaderName, validateHeaderValue, type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import * as z from 'zod';
import { discardUnreadBody } from '../http/body';
import type { VerifyFailureReason } from '../jwt';

export interface HttpResponse {
  readonly statusCode: number;
  readonly headers: OutgoingHttpHeaders;
  readonly body: Buffer;
}

const structuredResultSchema = z.object({
  statusCode: z.number().int().min(200).max(599),
  headers: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
  cookies: z.array(z.string()).optional(),
  body: z.string().optional(),
  isBase64Encoded: z.boolean().optional(),
});

/** Headers that describe one hop's connection; the gateway sets its own. */
const HOP_BY_HOP_HEADERS = new Set([
  'connection',
  'keep-alive',
  'transfer-encoding',
  'content-length',
  'upgrade',
  'te',
  'trailer',
  'proxy-authenticate',
  'proxy-authorization',
]);

/** Throws on anything API Gateway could not turn into a response. */
export function toHttpResponse(result: unknown): HttpResponse {
  const parsed = structuredResultSchema.safeParse(result);
  if (!parsed.success) throw new Error(`handler returned a malformed result: ${z.prettifyError(parsed.error)}`);
  const { statusCode, headers = {}, cookies = [], body = '', isBase64Encoded = false } = parsed.data;

  const responseHeaders: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    const lowerName = name.toLowerCase();
    if (HOP_BY_HOP_HEADERS.has(lowerName)) continue;
    validateHeaderName(lowerName);
    validateHeaderValue(lowerName, String(value));
    responseHeaders[lowerName] = String(value);
  }
  if (cookies.length > 0) {
    cookies.forEach((cookie) => validateHeaderValue('set-cookie', cookie));
    const existing = responseHeaders['set-cookie'];
    responseHeaders['set-cookie'] = [...(existing === undefined ? [] : [String(existing)]), ...cookies];
  }
  const bytes = isBase64Encoded ? Buffer.from(body, 'base64') : Buffer.from(body, 'utf8');
  if (bytes.length > 0 && responseHeaders['content-type'] === undefined) responseHeaders['content-type'] = 'application/json';
  return { statusCode, headers: responseHeaders, body: bytes };
}

export function jsonError(statusCode: number, code: string, message: string, headers: OutgoingHttpHeaders = {}): HttpResponse {
  return {
    statusCode,
    headers: { ...headers, 'content-type': 'application/json' },
    body: Buffer.from(JSON.stringify({ code, message })),
  };
}

export function sendError(
  req: IncomingMessage,
  res: ServerResponse,
  statusCode: number,
  code: string,
  message: string,
  headers: OutgoingHttpHeaders = {},
): void {
  sendResponse(req, res, jsonError(statusCode, code, message, headers));
}

/** RFC 6750: no error attribute when no credentials were sent; `invalid_token` otherwise. */
export function sendUnauthorized(req: IncomingMessage, res: ServerResponse, reason: VerifyFailureReason, message: string): void {
  const challenge =
    reason === 'missing_header' ? 'Bearer' : `Bearer error="invalid_token", error_description="${message.replace(/"/g, "'")}"`;
  sendError(req, res, 401, 'unauthorized', message, { 'www-authenticate': challenge });
}

export function sendResponse(req: IncomingMessage, res: ServerResponse, response: HttpResponse): void {
  discardUnreadBody(req);
  res.writeHead(response.statusCode, response.headers);
  res.end(response.body);
}

/**
 * A request Node's HTTP parser rejects (bad request line or header, a body without framing, too
 * many header bytes, a stalled client) gets `{code, message}` like any other error, instead of
 * Node's bare `400 Bad Request`; then the connection closes, since its framing is lost.
 */
export function answerMalformedRequest(error: NodeJS.ErrnoException, socket: Duplex): void {
  if (error.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const [status, reason, message] =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'Request Header Fields Too Large', 'the request headers are too large']
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'Request Timeout', 'the request did not arrive in time']
        : [400, 'Bad Request', 'the request is not well-formed HTTP/1.1'];
  const body = JSON.stringify({ code: status === 408 ? 'request_timeout' : 'invalid_request', message });
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
}

export function singleHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(',') : value;
}
