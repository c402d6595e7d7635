/**
 * aws-review B1: every EKS node runs DaemonSet pods (aws-node, kube-proxy, ...), so a rule
 * that counts every pod never finds a GPU node idle and never gives one back. On the local
 * cloud, whose nodes now carry those pods, delete, scale-in and pause must still return the
 * GPU node group to its starting size with no instance left.
 */
import { CoreV1Api, KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { liveInstances } from '../support/leaks';
import { BASE, startTestCloud, waitFor, type TestCloud } from '../support/local-cloud';

const CONFIG = 'l4-24gb';
const GROUP = 'gpu-l4-24gb';
const EKS_DAEMONSETS = ['aws-node', 'ebs-csi-node', 'eks-pod-identity-agent', 'kube-proxy'];

let t: TestCloud;
let core: CoreV1Api;
let startingSize: number;
beforeAll(async () => {
  // The reconcile also releases idle GPU nodes (test/integration/reconcile.test.ts); with it off,
  // only the workflows' release-idle-nodes can bring the group back, which is what this file tests.
  t = await startTestCloud(0.01, { cron: false });
  const kc = new KubeConfig();
  kc.loadFromOptions(t.cloud.simulator.kubeConfig({ tls: true }));
  core = kc.makeApiClient(CoreV1Api);
  startingSize = await t.nodeGroupDesiredSize(GROUP);
});
afterAll(async () => {
  await t?.close();
});

// A whole L4 node per replica: Qwen2.5-14B splits over 4 GPUs (40 heads, 8 KV heads); the 0.5B cannot.
const body = (name: string, replicas: number) => ({
  name,
  catalog_id: 'Qwen-Qwen2.5-14B-Instruct',
  region: 'us-east-1',
  gpu_config_id: CONFIG,
  gpu_count: 4,
  replicas,
  plan_id: 'plan-l4-24gb-ondemand',
});
const get = (id: string) => t.api('GET', `${BASE}/${id}`);
const untilPhase = (id: string, phase: string, replicas?: number) =>
  waitFor(() => get(id), (r) => r.body.phase === phase && (replicas === undefined || r.body.replicas === replicas), `${id} ${phase}`, 30_000);
const scale = (id: string, replicas: number) => t.api('PUT', `${BASE}/${id}/scale`, { body: { replicas } });

/** The nodes of a node group and the pods bound to each, read as a cluster admin would. */
const groupNodes = async (group = GROUP): Promise<{ name: string; unschedulable: boolean; pods: V1Pod[] }[]> => {
  const nodes = (await core.listNode({ labelSelector: `eks.amazonaws.com/nodegroup=${group}` })).items;
  return Promise.all(
    nodes.map(async (n) => ({
      name: n.metadata?.name ?? '',
      unschedulable: n.spec?.unschedulable === true,
      pods: (await core.listPodForAllNamespaces({ fieldSelector: `spec.nodeName=${n.metadata?.name ?? ''}` })).items,
    })),
  );
};
const daemonOwners = (pods: V1Pod[]): string[] =>
  pods
    .filter((p) => p.metadata?.ownerReferences?.some((r) => r.kind === 'DaemonSet' && r.controller))
    .map((p) => p.metadata?.ownerReferences?.[0]?.name ?? '')
    .sort();

/** Every node of the group runs a Running pod of each EKS DaemonSet. */
const carryDaemonPods = async (count: number, group = GROUP) =>
  waitFor(
    () => groupNodes(group),
    (nodes) =>
      nodes.length === count &&
      nodes.every((n) => JSON.stringify(daemonOwners(n.pods.filter((p) => p.status?.phase === 'Running'))) === JSON.stringify(EKS_DAEMONSETS)),
    `${count} nodes of ${group} carrying the EKS DaemonSet pods`,
    10_000,
  );

const backToStart = async (): Promise<void> => {
  await waitFor(() => t.nodeGroupDesiredSize(GROUP), (n) => n === startingSize, 'desired size back to its start', 30_000);
  await waitFor(async () => t.cloud.simulator.instances(GROUP).length, (n) => n === startingSize, 'every GPU instance gone', 30_000);
  expect(await groupNodes()).toEqual([]);
};

describe('GPU nodes running DaemonSet pods are released', () => {
  it('the system nodes carry the EKS DaemonSet pods too, and no model pod', async () => {
    const nodes = await carryDaemonPods(2, 'system');
    for (const node of nodes) {
      expect(node.pods.filter((p) => p.metadata?.namespace !== 'kube-system')).toEqual([]);
    }
  });

  it('by delete', async () => {
    expect(startingSize).toBe(0);
    const created = await t.api('POST', BASE, { body: body('ds-delete', 2) });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const id: string = created.body.id;
    await untilPhase(id, 'ready', 2);
    const nodes = await carryDaemonPods(2);
    for (const node of nodes) {
      expect(node.pods.filter((p) => p.metadata?.labels?.['gpudeploy.io/deployment-id'] === id)).toHaveLength(1);
    }

    expect((await t.api('DELETE', `${BASE}/${id}`)).status).toBe(204);
    await waitFor(() => get(id), (r) => r.status === 404, 'deleted', 30_000);
    await backToStart();
  });

  it('by scale-in, keeping the serving node schedulable, and by pause', async () => {
    const created = await t.api('POST', BASE, { body: body('ds-scale', 2) });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const id: string = created.body.id;
    await untilPhase(id, 'ready', 2);
    await carryDaemonPods(2);

    expect((await scale(id, 1)).status).toBe(200);
    await untilPhase(id, 'ready', 1);
    await waitFor(async () => liveInstances(t, GROUP).length, (n) => n === 1, 'one GPU node left', 30_000);
    expect(await t.nodeGroupDesiredSize(GROUP)).toBe(1);
    const [serving] = await carryDaemonPods(1);
    expect(serving?.unschedulable).toBe(false);
    expect(serving?.pods.filter((p) => p.metadata?.labels?.['gpudeploy.io/deployment-id'] === id)).toHaveLength(1);

    const pause = await scale(id, 0);
    expect(pause.status, JSON.stringify(pause.body)).toBe(200);
    await untilPhase(id, 'paused');
    await backToStart();
    await waitFor(() => t.ledger(CONFIG), (n) => n === 0, 'GPUs back in the ledger', 30_000);

    expect((await t.api('DELETE', `${BASE}/${id}`)).status).toBe(204);
    await waitFor(() => get(id), (r) => r.status === 404, 'deleted', 30_000);
  });
});
