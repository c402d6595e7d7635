/**
 * The adapter's Kubernetes clients retry an answer that asks for a retry (429, 5xx), as client-go
 * does, a bounded number of times; refusals and the model-server proxy are not retried. Real
 * client, real socket.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApiException, KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

process.env.EKS_CLUSTER_NAME ??= 'unit-test';
process.env.AWS_REGION ??= 'us-east-1';
const { makeClients } = await import('../../functions/adapters/kubernetes-client');

let server: Server;
let url: string;
/** The status of each successive answer; past the list, 200 with an empty list. */
let script: number[] = [];
let requests: string[] = [];
beforeAll(async () => {
  server = createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    const status = script[requests.length - 1] ?? 200;
    const body = status === 200 ? { kind: 'NodeList', apiVersion: 'v1', metadata: {}, items: [] } : { kind: 'Status', apiVersion: 'v1', status: 'Failure', code: status };
    res.writeHead(status, { 'content-type': 'application/json', ...(status === 429 ? { 'retry-after': '0' } : {}) });
    res.end(JSON.stringify(body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
beforeEach(() => {
  requests = [];
});

const clients = () => {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: url, skipTLSVerify: true }],
    users: [{ name: 'u', token: 'token' }],
    contexts: [{ name: 'c', cluster: 'c', user: 'u' }],
    currentContext: 'c',
  });
  return makeClients(kc);
};

describe('Kubernetes API retries', () => {
  it('tries a 429 and a 503 again, and returns the answer that follows', async () => {
    script = [429, 503];
    const nodes = await clients().core.listNode();
    expect(nodes.items).toEqual([]);
    expect(requests).toHaveLength(3);
  });

  it('gives up after three retries, with the last answer', async () => {
    script = [503, 503, 503, 503, 503];
    await expect(clients().core.listNode()).rejects.toMatchObject({ code: 503 });
    expect(requests).toHaveLength(4);
  });

  it('does not retry a refusal', async () => {
    script = [403];
    await expect(clients().core.listNode()).rejects.toBeInstanceOf(ApiException);
    expect(requests).toHaveLength(1);
  });

  it('does not retry the model server behind the service proxy', async () => {
    script = [503];
    await expect(clients().core.connectGetNamespacedServiceProxyWithPath({ name: 'm:http', namespace: 'models', path: 'v1/models' })).rejects.toMatchObject({ code: 503 });
    expect(requests).toHaveLength(1);
  });
});
