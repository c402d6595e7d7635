/**
 * gpuctl sends a request again when the API answers its retryable 503 (`service_unavailable`:
 * an AWS service stayed throttled and nothing was written), after Retry-After, and gives up with
 * the API's message after UNAVAILABLE_ATTEMPTS; any other 5xx is not sent again.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { Client, UNAVAILABLE_ATTEMPTS, UnavailableError } from '../../cli/client';

interface Seen {
  method: string;
  body: string;
}

const servers: http.Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => new Promise((done) => server.close(done))));
});

/** An API that gives the answers in order (the last one repeats), and records what it was sent. */
const api = async (answers: { status: number; headers?: Record<string, string>; body: unknown }[]) => {
  const seen: Seen[] = [];
  const server = http.createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (chunk: Buffer) => parts.push(chunk));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', body: Buffer.concat(parts).toString('utf8') });
      const answer = answers[Math.min(seen.length - 1, answers.length - 1)]!;
      res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
      res.end(JSON.stringify(answer.body));
    });
  });
  servers.push(server);
  await new Promise<void>((ready) => server.listen(0, '127.0.0.1', ready));
  const client = new Client({ apiUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, token: 't', org: 'org-acme', project: 'prj-web' });
  return { client, seen };
};

const throttled = { status: 503, headers: { 'retry-after': '0' }, body: { code: 'service_unavailable', message: 'DynamoDB stayed throttled; nothing was written' } };

describe('gpuctl and the API 503', () => {
  it('sends the same create again after Retry-After and returns the answer that follows', async () => {
    const { client, seen } = await api([throttled, throttled, { status: 201, body: { id: 'dep-1' } }]);
    const created = await client.call('create-deployment', {}, { body: { name: 'qwen-small' } as never });
    expect(created).toEqual({ id: 'dep-1' });
    expect(seen.map((s) => s.method)).toEqual(['POST', 'POST', 'POST']);
    expect(new Set(seen.map((s) => s.body))).toEqual(new Set([JSON.stringify({ name: 'qwen-small' })]));
  });

  it('gives up after UNAVAILABLE_ATTEMPTS with the API message', async () => {
    const { client, seen } = await api([throttled]);
    const failure = client.call('list-deployments');
    await expect(failure).rejects.toBeInstanceOf(UnavailableError);
    await expect(failure).rejects.toThrow('the API answered 503: DynamoDB stayed throttled; nothing was written');
    expect(seen).toHaveLength(UNAVAILABLE_ATTEMPTS);
  });

  it('does not send again a 503 that is not the API retryable one, nor a 500', async () => {
    for (const answer of [
      { status: 503, headers: { 'retry-after': '0' }, body: { message: 'Service Unavailable' } },
      { status: 500, body: { code: 'internal_error', message: 'boom' } },
    ]) {
      const { client, seen } = await api([answer, { status: 200, body: { items: [] } }]);
      await expect(client.call('list-deployments')).rejects.toBeInstanceOf(UnavailableError);
      expect(seen).toHaveLength(1);
    }
  });
});
