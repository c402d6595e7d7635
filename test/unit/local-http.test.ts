/** The local HTTP kit every local server uses: body limits and the close policies. */
import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { readBody, type BodyOutcome } from '../../local/http/body';
import { serve, type Serving } from '../../local/http/serve';

const running: Serving[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.close()));
});

/** A server that answers what readBody made of the request body. */
const bodyServer = async (limit: number): Promise<Serving> => {
  const server = await serve({
    host: '127.0.0.1',
    closeGraceMs: 0,
    handler: (req, res) =>
      void readBody(req, limit).then((outcome: BodyOutcome) => {
        res.end(outcome.kind === 'complete' ? `complete ${outcome.bytes.toString('utf8')}` : outcome.kind);
      }),
  });
  running.push(server);
  return server;
};

const post = async (url: string, body: string | ReadableStream, init: RequestInit = {}): Promise<string> =>
  (await fetch(url, { method: 'POST', body, ...init })).text();

describe('the local HTTP kit', () => {
  it('reads a body up to the limit, and refuses one over it, declared or chunked', async () => {
    const { url } = await bodyServer(8);
    expect(await post(url, '12345678')).toBe('complete 12345678');
    expect(await post(url, '')).toBe('complete ');
    expect(await post(url, '123456789')).toBe('too_large');
    const chunked = new Blob(['123456789']).stream();
    expect(await post(url, chunked, { duplex: 'half' } as RequestInit)).toBe('too_large');
  });

  it('names its URL, and a port in use is an error', async () => {
    const first = await bodyServer(1);
    expect(first.url).toBe(`http://127.0.0.1:${first.port}`);
    await expect(serve({ host: '127.0.0.1', port: first.port, handler: () => {} })).rejects.toThrow(/EADDRINUSE/);
  });

  it('closes at once with no grace, and lets a request finish within its grace', async () => {
    /** A server whose one answer comes 150 ms after the request arrives; `arrived` says it has. */
    const slow = async (closeGraceMs: number) => {
      let arrive = () => {};
      const arrived = new Promise<void>((resolve) => (arrive = resolve));
      const server = await serve({ host: '127.0.0.1', closeGraceMs, handler: (_req, res) => (arrive(), void setTimeout(() => res.end('late'), 150)) });
      return { server, arrived };
    };
    const answer = (url: string) =>
      new Promise<string>((resolve) => {
        request(url, (res) => {
          let text = '';
          res.on('data', (chunk: Buffer) => (text += chunk.toString()));
          res.on('end', () => resolve(text));
        })
          .on('error', (error) => resolve(`error ${(error as NodeJS.ErrnoException).code}`))
          .end();
      });

    const cut = await slow(0);
    const cutAnswer = answer(cut.server.url);
    await cut.arrived;
    await cut.server.close();
    expect(await cutAnswer).toBe('error ECONNRESET');

    const graceful = await slow(1_000);
    const gracefulAnswer = answer(graceful.server.url);
    await graceful.arrived;
    await graceful.server.close();
    expect(await gracefulAnswer).toBe('late');
  });
});
