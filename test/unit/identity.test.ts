/**
 * The local Lambda runtime's identity: every request a handler makes, through node:http (the
 * AWS SDK) or undici (@kubernetes/client-node), names the function it runs as; a request
 * made outside an invocation names nobody.
 */
import { createServer, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { request as undiciRequest } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CALLER_HEADER, callerOf, installCallerHeader, runAsFunction } from '../../local/identity';

let url = '';
const seen: IncomingHttpHeaders[] = [];
const server = createServer((req, res) => {
  seen.push(req.headers);
  res.end('ok');
});

beforeAll(async () => {
  installCallerHeader();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const viaHttp = () =>
  new Promise<void>((resolve, reject) => {
    const req = httpRequest(url, { headers: { 'x-other': '1' } }, (res) => {
      res.resume();
      res.on('end', resolve);
    });
    req.on('error', reject);
    req.end();
  });
const viaUndici = async () => {
  const res = await undiciRequest(url);
  await res.body.text();
};

describe('local Lambda identity', () => {
  it('names the function on node:http and undici requests made inside an invocation', async () => {
    seen.length = 0;
    await runAsFunction('gpu-control-plane-check-nodes', async () => {
      await viaHttp();
      await viaUndici();
    });
    expect(seen.map(callerOf)).toEqual(['gpu-control-plane-check-nodes', 'gpu-control-plane-check-nodes']);
    expect(seen[0]!['x-other']).toBe('1');
  });

  it('keeps concurrent invocations apart', async () => {
    seen.length = 0;
    await Promise.all([
      runAsFunction('fn-a', async () => {
        await new Promise((r) => setTimeout(r, 5));
        await viaUndici();
      }),
      runAsFunction('fn-b', viaHttp),
    ]);
    expect(seen.map(callerOf).sort()).toEqual(['fn-a', 'fn-b']);
  });

  it('names nobody outside an invocation (an operator with kubectl or the AWS CLI)', async () => {
    seen.length = 0;
    await viaHttp();
    await viaUndici();
    expect(seen.map((h) => h[CALLER_HEADER])).toEqual([undefined, undefined]);
  });
});
