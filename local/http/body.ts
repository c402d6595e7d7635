/** Reading a request body under a size limit, for the local cloud's HTTP servers. */
import type { IncomingMessage } from 'node:http';

export type BodyOutcome =
  | { readonly kind: 'complete'; readonly bytes: Buffer }
  | { readonly kind: 'too_large' }
  | { readonly kind: 'aborted' };

/**
 * Reads the body up to `limit` bytes; stops listening (without answering) once it is over, or
 * at once when content-length says it will be. The caller answers: a 413 in its own words.
 */
export function readBody(req: IncomingMessage, limit: number): Promise<BodyOutcome> {
  if (req.destroyed) return Promise.resolve({ kind: 'aborted' });
  if (Number(req.headers['content-length'] ?? 0) > limit) return Promise.resolve({ kind: 'too_large' });

  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const settle = (outcome: BodyOutcome) => {
      req.off('data', onData).off('end', onEnd).off('error', onAbort).off('close', onAbort);
      resolve(outcome);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) settle({ kind: 'too_large' });
      else chunks.push(chunk);
    };
    const onEnd = () => settle({ kind: 'complete', bytes: Buffer.concat(chunks, size) });
    const onAbort = () => settle({ kind: 'aborted' });
    req.on('data', onData).once('end', onEnd).once('error', onAbort).once('close', onAbort);
  });
}

/** After answering early (401, 413, ...) we read and discard at most this much more body. */
const MAX_DISCARDED_BYTES = 16 * 1024 * 1024;

/**
 * Called before answering: whatever body is still unread is read and thrown away, so the client
 * sees the answer (a 413 rather than a connection reset) and the connection can be reused. A
 * client that keeps sending past MAX_DISCARDED_BYTES is cut off.
 */
export function discardUnreadBody(req: IncomingMessage): void {
  if (req.readableEnded || req.destroyed) return;
  let discarded = 0;
  req.on('data', (chunk: Buffer) => {
    discarded += chunk.length;
    if (discarded > MAX_DISCARDED_BYTES) req.socket.destroy();
  });
  req.on('error', () => {}); // an abort while discarding is nobody's problem
  req.resume();
}
