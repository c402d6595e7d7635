/** Minimal request/response types shared by the protocol handlers. */
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { readBody as readLimited } from '../http/body.js';

export interface SimRequest {
  method: string;
  url: URL;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** Where a streaming response writes: chunks until `end`, and a hook for the client going away. */
export interface StreamSink {
  write(chunk: string): void;
  end(): void;
  onClose(listener: () => void): void;
  readonly closed: boolean;
}

export interface SimResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** A long-lived response (watch, `logs -f`): sent chunked after the headers, `body` is ignored. */
  stream?: (sink: StreamSink) => void;
  /**
   * An answer that writes itself (the model server's SSE, or one that completes later): the
   * server hands it the Node response to write and end, and ignores status, headers and body.
   */
  respond?: (res: ServerResponse) => void;
  /** Injected timeout: write nothing, hold the request this long, then drop the connection. */
  dropAfterMs?: number;
}

const MAX_BODY_BYTES = 16 * 1024 * 1024;

/** The whole body; over the limit or cut off, it throws (the server answers 500). */
export const readBody = async (req: IncomingMessage): Promise<Buffer> => {
  const body = await readLimited(req, MAX_BODY_BYTES);
  if (body.kind === 'too_large') throw new Error('request body too large');
  if (body.kind === 'aborted') throw new Error('the client closed the request');
  return body.bytes;
};

export const jsonResponse = (status: number, value: unknown, headers: Record<string, string> = {}): SimResponse => ({
  status,
  headers: { 'content-type': 'application/json', ...headers },
  body: JSON.stringify(value),
});

export const textResponse = (status: number, text: string, contentType = 'text/plain; charset=utf-8'): SimResponse => ({
  status,
  headers: { 'content-type': contentType },
  body: text,
});

/** The media type without parameters, lower-cased: `application/json; charset=utf-8` -> `application/json`. */
export const mediaType = (headers: IncomingHttpHeaders): string =>
  (headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';

export class BodyParseError extends Error {}

export const parseJsonBody = (req: SimRequest): unknown => {
  if (req.body.length === 0) return undefined;
  try {
    return JSON.parse(req.body.toString('utf8')) as unknown;
  } catch (error) {
    throw new BodyParseError((error as Error).message);
  }
};
