/**
 * Starts a private local cloud for one test file (its own data dir and ports) and gives the
 * test real clients for what it needs to check: the HTTP API with a signed token, EKS and
 * Kubernetes through the same SDKs production uses.
 */
import { DescribeNodegroupCommand, EKSClient } from '@aws-sdk/client-eks';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startLocalCloud, type LocalCloud } from '../../local/cloud';
import { loadOrCreateDevKey, signDevToken } from '../../local/jwt';

export interface TestCloud {
  cloud: LocalCloud;
  token(claims?: { org_id?: string; project_ids?: string; role?: 'admin' | 'editor' | 'viewer' }): Promise<string>;
  api(method: string, path: string, options?: { token?: string | null; body?: unknown; rawBody?: string; headers?: Record<string, string> }): Promise<{ status: number; body: any }>;
  nodeGroupDesiredSize(name: string): Promise<number>;
  pods(labelSelector: string): Promise<number>;
  close(): Promise<void>;
}

export const ORG = 'org-acme';
export const PROJECT = 'prj-web';
export const BASE = `/api/v1beta1/orgs/${ORG}/projects/${PROJECT}/aimodels`;

export const startTestCloud = async (timeScale = 0.01): Promise<TestCloud> => {
  const dataDir = mkdtempSync(join(tmpdir(), 'gpu-cp-test-'));
  const cloud = await startLocalCloud({ dataDir, timeScale, port: 0 });
  const key = await loadOrCreateDevKey(dataDir);
  const defaultToken = await signDevToken(key, { org_id: ORG, project_ids: PROJECT });
  const eks = new EKSClient({ region: 'us-east-1', endpoint: cloud.simulator.url, credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  const kc = new KubeConfig();
  kc.loadFromOptions(cloud.simulator.kubeConfig({ tls: true }));
  const core = kc.makeApiClient(CoreV1Api);
  return {
    cloud,
    token: (claims = {}) => signDevToken(key, { org_id: claims.org_id ?? ORG, project_ids: claims.project_ids ?? PROJECT, role: claims.role }),
    api: async (method, path, options = {}) => {
      const headers: Record<string, string> = { ...options.headers };
      const token = options.token === undefined ? defaultToken : options.token;
      if (token !== null) headers.authorization = `Bearer ${token}`;
      let body: string | undefined = options.rawBody;
      if (options.body !== undefined) {
        body = JSON.stringify(options.body);
        headers['content-type'] ??= 'application/json';
      }
      const response = await fetch(`${cloud.apiUrl}${path}`, { method, headers, body });
      const text = await response.text();
      return { status: response.status, body: text ? JSON.parse(text) : undefined };
    },
    nodeGroupDesiredSize: async (name) =>
      (await eks.send(new DescribeNodegroupCommand({ clusterName: 'gpu-models', nodegroupName: name }))).nodegroup?.scalingConfig?.desiredSize ?? -1,
    pods: async (labelSelector) => (await core.listNamespacedPod({ namespace: 'models', labelSelector })).items.length,
    close: async () => {
      await cloud.close();
      eks.destroy();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
};

/** Polls `probe` until `done` holds or the deadline passes (then throws with the last value). */
export const waitFor = async <T>(probe: () => Promise<T>, done: (value: T) => boolean, what: string, timeoutMs = 30_000): Promise<T> => {
  const deadline = Date.now() + timeoutMs;
  let last: T = await probe();
  while (!done(last)) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last value: ${JSON.stringify(last)}`);
    await sleep(100);
    last = await probe();
  }
  return last;
};
