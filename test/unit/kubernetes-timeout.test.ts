/**
 * Every Kubernetes call is bounded (issue 13 m11): an API server that accepts the connection and
 * never answers makes the call fail after the timeout, so the task fails fast and the state
 * machine retries, instead of hanging to the Lambda timeout. Real client, real socket.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The adapter module reads its configuration when imported; nothing here calls EKS.
process.env.EKS_CLUSTER_NAME ??= 'unit-test';
process.env.AWS_REGION ??= 'us-east-1';
const { KUBERNETES_REQUEST_TIMEOUT_MS, makeClients } = await import('../../functions/adapters/kubernetes-client');

let server: Server;
let url: string;
beforeAll(async () => {
  // Reads the request, never answers.
  server = createServer(() => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const configFor = (server: string): KubeConfig => {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'hung', server, skipTLSVerify: true }],
    users: [{ name: 'u', token: 'token' }],
    contexts: [{ name: 'hung', cluster: 'hung', user: 'u' }],
    currentContext: 'hung',
  });
  return kc;
};

describe('Kubernetes request timeout (m11)', () => {
  it('is bounded well inside the 60 s task timeout', () => {
    expect(KUBERNETES_REQUEST_TIMEOUT_MS).toBeGreaterThanOrEqual(5_000);
    expect(KUBERNETES_REQUEST_TIMEOUT_MS).toBeLessThanOrEqual(20_000);
  });

  it('a hung API server fails every client the adapter builds, after the timeout', async () => {
    const clients = makeClients(configFor(url), 300);
    for (const call of [
      () => clients.core.listNamespacedPod({ namespace: 'models' }),
      () => clients.apps.readNamespacedDeployment({ name: 'x', namespace: 'models' }),
      () => clients.policy.listNamespacedPodDisruptionBudget({ namespace: 'models' }),
      () => clients.networking.listNamespacedNetworkPolicy({ namespace: 'models' }),
    ]) {
      const started = performance.now();
      await expect(call()).rejects.toThrow(/abort|timeout/i);
      const elapsed = performance.now() - started;
      expect(elapsed).toBeGreaterThanOrEqual(250);
      expect(elapsed).toBeLessThan(3_000);
    }
  });
});
