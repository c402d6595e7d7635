/**
 * One tenant's pods cannot reach another tenant's model (issue 13, M8): the model's objects as
 * the functions render them (functions/domain/manifests.ts), in the model namespace of the
 * cluster bootstrap (default-deny, Pod Security restricted), on the simulated Service network.
 * Only the inference gateway's pods get through; a pod of another namespace does not, even one
 * that wears the gateway's pod labels, and neither does another model's pod next to it.
 */
import http from 'node:http';
import { AppsV1Api, CoreV1Api, KubeConfig, NetworkingV1Api } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findCatalogModel, findGpuConfig } from '../../contract/catalog';
import { apiKeySecretName, MODEL_SERVER_KEY_ENV, renderModelWorkload, VLLM_IMAGE } from '../../functions/domain/manifests';
import { INFERENCE_GATEWAY_NAMESPACE, INFERENCE_GATEWAY_POD_LABELS } from '../../functions/domain/model-policies';
import { newDeploymentRecord } from '../../functions/domain/new-deployment';
import { applyClusterBootstrap } from '../../local/cluster-bootstrap';
import { startSimulator, type RunningSimulator } from '../../local/sim/index.js';
import { resolveOnBuiltInCatalog } from '../support/built-in-catalog';

const NS = 'models';
const TENANT_B = 'tenant-b';
const SOURCES = { gateway: '127.0.0.2', otherTenant: '127.0.0.3', otherModel: '127.0.0.4', outside: '127.0.0.1' } as const;

let sim: RunningSimulator;
let service: string;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** GET /health on the model's Service from `localAddress`: the status, or the socket error the client sees. */
const probe = (localAddress: string): Promise<string> =>
  new Promise((done) => {
    const network = sim.serviceNetwork!;
    const request = http.request({ agent: false, host: network.host, port: network.port, localAddress, path: '/health', headers: { host: `${service}.${NS}.svc.cluster.local:8000` } });
    request.on('response', (r) => {
      r.resume();
      done(`answered ${r.statusCode}`);
    });
    request.on('error', (error: NodeJS.ErrnoException) => done(error.code ?? 'error'));
    request.end();
  });

beforeAll(async () => {
  sim = await startSimulator({
    clusterName: 'gpu-models',
    timeScale: 0.005,
    nodeGroups: [{ name: 'gpu-l4-24gb', configId: 'l4-24gb', instanceType: 'g6.12xlarge', gpusPerNode: 4, gpuMemoryGiB: 24, gpuType: 'NVIDIA L4', minSize: 1, maxSize: 1, desiredSize: 1 }],
    serviceNetwork: {
      sources: {
        [SOURCES.gateway]: { namespace: INFERENCE_GATEWAY_NAMESPACE, labels: { ...INFERENCE_GATEWAY_POD_LABELS } },
        // Another tenant's pod, labelled like the gateway's pods: its namespace is still not the gateway's.
        [SOURCES.otherTenant]: { namespace: TENANT_B, labels: { ...INFERENCE_GATEWAY_POD_LABELS } },
        [SOURCES.otherModel]: { namespace: NS, labels: { 'gpudeploy.io/deployment-id': 'dep-other', 'app.kubernetes.io/managed-by': 'gpu-control-plane' } },
      },
    },
  });
  await applyClusterBootstrap(sim.url, NS);
  const kc = new KubeConfig();
  kc.loadFromOptions(sim.kubeConfig({ tls: false }));
  const core = kc.makeApiClient(CoreV1Api);
  const apps = kc.makeApiClient(AppsV1Api);
  const networking = kc.makeApiClient(NetworkingV1Api);
  for (const name of [INFERENCE_GATEWAY_NAMESPACE, TENANT_B]) await core.createNamespace({ body: { metadata: { name } } });

  const body = { name: 'qwen', catalog_id: 'Qwen-Qwen2.5-0.5B-Instruct', region: 'us-east-1', gpu_config_id: 'l4-24gb', gpu_count: 1, plan_id: 'plan-l4-24gb-ondemand' };
  const record = newDeploymentRecord({ org_id: 'org-a', project_id: 'prj-a' }, resolveOnBuiltInCatalog(body), { id: 'dep-isolated', executionArn: 'arn:x' }, new Date());
  const workload = renderModelWorkload(record, findCatalogModel(body.catalog_id), findGpuConfig(body.gpu_config_id)!, NS, { apiServerCidrs: ['10.0.0.0/16'] }, VLLM_IMAGE);
  service = workload.service.metadata!.name!;
  await core.createNamespacedSecret({ namespace: NS, body: { metadata: { name: apiKeySecretName(record.id) }, stringData: { [MODEL_SERVER_KEY_ENV]: 'server-key' } } });
  // As rendered, in wire JSON (client-node's typed models would drop the policy's `from`, which they call `_from`).
  for (const [path, object] of [
    [`/apis/apps/v1/namespaces/${NS}/deployments`, workload.deployment],
    [`/api/v1/namespaces/${NS}/services`, workload.service],
    [`/apis/networking.k8s.io/v1/namespaces/${NS}/networkpolicies`, workload.networkPolicy],
  ] as const) {
    const created = await fetch(`${sim.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(object) });
    if (created.status !== 201) throw new Error(`${path}: ${created.status} ${await created.text()}`);
  }
  const policy = await networking.readNamespacedNetworkPolicy({ name: service, namespace: NS });
  if (!policy.spec?.ingress?.[0]?._from?.length) throw new Error('the model NetworkPolicy lost its peers');
  const deadline = Date.now() + 10_000;
  while ((await apps.readNamespacedDeployment({ name: service, namespace: NS })).status?.readyReplicas !== 1) {
    if (Date.now() > deadline) {
      const pods = await core.listNamespacedPod({ namespace: NS });
      const events = await core.listNamespacedEvent({ namespace: NS });
      throw new Error(`the model did not become Ready: ${JSON.stringify(pods.items.map((p) => p.status))} ${JSON.stringify(events.items.map((e) => [e.reason, e.message]))}`);
    }
    await sleep(20);
  }
});
afterAll(async () => {
  await sim?.close();
});

describe('a model Service on the cluster network (M8)', () => {
  it('answers the inference gateway pods', async () => {
    expect(await probe(SOURCES.gateway)).toBe('answered 200');
  });

  it('drops a pod of another tenant namespace, even one with the gateway pods\' labels', async () => {
    expect(await probe(SOURCES.otherTenant)).toBe('ECONNRESET');
  });

  it('drops another model\'s pod of the same namespace, and a host outside the API server range', async () => {
    expect(await probe(SOURCES.otherModel)).toBe('ECONNRESET');
    expect(await probe(SOURCES.outside)).toBe('ECONNRESET');
  });
});
