/**
 * A custom model's PVC cache is an EBS volume, which lives in one Availability Zone, while its
 * GPU node group spans several. A resume (or a node replacement) may get a node in another AZ:
 * the pod then stays Pending with the scheduler's `volume node affinity conflict`. The claim is
 * only a cache, so the workflow deletes it and applies it again, and the new volume is
 * provisioned in the new node's zone; for a Ready deployment whose node died, no workflow polls,
 * so the reconcile does the same. The simulated Auto Scaling group is steered with an
 * `insufficient_capacity` rule for the old volume's AZ, as when that AZ is short of the type.
 */
import { AutoScalingClient, TerminateInstanceInAutoScalingGroupCommand } from '@aws-sdk/client-auto-scaling';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectNothingLeaked, nodeGroupOf } from '../support/leaks';
import type { ReconcileReport } from '../../functions/use-cases/reconcile';
import { BASE, NAMESPACE, startTestCloud, waitFor, type TestCloud } from '../support/local-cloud';

let t: TestCloud;
let core: CoreV1Api;
let asg: AutoScalingClient;

beforeAll(async () => {
  t = await startTestCloud(0.01, { cron: false });
  const kc = new KubeConfig();
  kc.loadFromOptions(t.cloud.simulator.kubeConfig({ tls: true }));
  core = kc.makeApiClient(CoreV1Api);
  asg = new AutoScalingClient({ region: 'us-east-1', endpoint: t.cloud.simulator.url, credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
});
afterAll(async () => {
  asg?.destroy();
  await t?.close();
});

const ZONE_LABEL = 'topology.kubernetes.io/zone';
const GROUP = nodeGroupOf('l4-24gb');
const SELECTED_NODE = 'volume.kubernetes.io/selected-node';

/** The zone of the node the deployment's one pod runs on. */
const podZone = async (id: string): Promise<{ node: string; zone: string }> => {
  const pods = await core.listNamespacedPod({ namespace: NAMESPACE, labelSelector: `gpudeploy.io/deployment-id=${id}` });
  const live = pods.items.filter((p) => !p.metadata?.deletionTimestamp);
  expect(live).toHaveLength(1);
  const node = live[0]?.spec?.nodeName ?? '';
  const zone = (await core.readNode({ name: node })).metadata?.labels?.[ZONE_LABEL] ?? '';
  expect(zone).toMatch(/^us-east-1[abc]$/);
  return { node, zone };
};

/** A custom model with a PVC cache, Ready. */
const deployCached = async (name: string): Promise<{ id: string; path: string }> => {
  const created = await t.api('POST', BASE, {
    body: { name, huggingface_id: 'acme-research/tiny-chat-1b', region: 'us-east-1', gpu_config_id: 'l4-24gb', gpu_count: 1, plan_id: 'plan-l4-24gb-ondemand', storage_size: '20Gi', model_size_gib: 1 },
  });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  const id: string = created.body.id;
  const path = `${BASE}/${id}`;
  const ready = await waitFor(() => t.api('GET', path), (r) => r.body.status !== 'initializing', 'ready', 30_000);
  expect(ready.body, JSON.stringify(ready.body)).toMatchObject({ status: 'ready', phase: 'ready' });
  return { id, path };
};

const reprovisionedEvents = async (path: string): Promise<{ message: string }[]> =>
  (await t.api('GET', `${path}/events?limit=100`)).body.items.filter((e: { type: string }) => e.type === 'model_cache_reprovisioned');

describe('the PVC model cache across Availability Zones', () => {
  it('a resume whose node lands in another AZ re-provisions the cache there and reaches ready', async () => {
    const { id, path } = await deployCached('zoned-cache');

    const name = `model-${id.replace(/^dep-/, '')}`;
    const before = await podZone(id);
    const firstClaim = await core.readNamespacedPersistentVolumeClaim({ name, namespace: NAMESPACE });
    expect(firstClaim.status?.phase).toBe('Bound');
    expect(firstClaim.metadata?.annotations?.[SELECTED_NODE]).toBe(before.node);

    // Pause: the node is released, the claim (and its volume in before.zone) is kept.
    expect((await t.api('PUT', `${path}/scale`, { body: { replicas: 0 } })).status).toBe(200);
    await waitFor(() => t.api('GET', path), (r) => r.body.phase === 'paused' || r.body.status === 'failed', 'paused', 30_000);
    expect((await t.api('GET', path)).body).toMatchObject({ status: 'initializing', phase: 'paused' });
    await waitFor(async () => t.cloud.simulator.instances(GROUP).length, (n) => n === 0, 'the node to be gone', 30_000);
    expect((await core.readNamespacedPersistentVolumeClaim({ name, namespace: NAMESPACE })).metadata?.uid).toBe(firstClaim.metadata?.uid);

    // The volume's AZ is short of L4 capacity now: Auto Scaling launches the resumed node elsewhere.
    await t.addFault({ match: { nodeGroup: GROUP }, fault: 'insufficient_capacity', zone: before.zone, count: 1 });
    expect((await t.api('PUT', `${path}/scale`, { body: { replicas: 1 } })).status).toBe(200);
    await waitFor(() => t.api('GET', path), (r) => r.body.phase !== 'paused' && (r.body.phase === 'ready' || r.body.status === 'failed'), 'resumed', 60_000);
    const resumed = await t.api('GET', path);
    expect(resumed.body, JSON.stringify(resumed.body)).toMatchObject({ status: 'ready', phase: 'ready', replicas: 1 });

    // The pod runs in another AZ, on a fresh claim whose volume was provisioned for its node.
    const after = await podZone(id);
    expect(after.zone).not.toBe(before.zone);
    const claim = await core.readNamespacedPersistentVolumeClaim({ name, namespace: NAMESPACE });
    expect(claim.metadata?.uid).not.toBe(firstClaim.metadata?.uid);
    expect(claim.status?.phase).toBe('Bound');
    expect(claim.metadata?.annotations?.[SELECTED_NODE]).toBe(after.node);
    expect(claim.metadata?.labels?.['gpudeploy.io/deployment-id']).toBe(id);

    // The history says why the cache was started over.
    const reprovisioned = await reprovisionedEvents(path);
    expect(reprovisioned).toHaveLength(1);
    expect(reprovisioned[0]?.message).toMatch(/volume node affinity conflict/);

    expect((await t.api('DELETE', path)).status).toBe(204);
    await waitFor(() => t.api('GET', path), (r) => r.status === 404, 'deleted', 30_000);
    await expectNothingLeaked(t, id, 'l4-24gb');
  });

  it('a Ready deployment whose node dies and is replaced in another AZ gets its cache moved by the reconcile', async () => {
    const { id, path } = await deployCached('zoned-replaced');
    const name = `model-${id.replace(/^dep-/, '')}`;
    const before = await podZone(id);
    const firstClaim = await core.readNamespacedPersistentVolumeClaim({ name, namespace: NAMESPACE });

    // The node dies; Auto Scaling replaces it (desired size unchanged), away from the volume's AZ.
    await t.addFault({ match: { nodeGroup: GROUP }, fault: 'insufficient_capacity', zone: before.zone, count: 1 });
    const instance = t.cloud.simulator.instances(GROUP).find((i) => i.nodeName === before.node);
    await asg.send(new TerminateInstanceInAutoScalingGroupCommand({ InstanceId: instance?.instanceId, ShouldDecrementDesiredCapacity: false }));
    const conflict = async () => {
      const pods = await core.listNamespacedPod({ namespace: NAMESPACE, labelSelector: `gpudeploy.io/deployment-id=${id}` });
      return pods.items.some((p) => p.status?.conditions?.some((c) => c.type === 'PodScheduled' && (c.message ?? '').includes('volume node affinity conflict')));
    };
    await waitFor(conflict, Boolean, 'the replacement pod refused on the volume zone', 60_000, 250);

    // No workflow polls a Ready deployment: the reconcile moves the cache (once the old claim is gone, it is applied again).
    await waitFor(
      async () => {
        const report = (await t.cloud.runSchedule('reconcile')) as ReconcileReport;
        return report.model_caches_moved;
      },
      (moved) => moved.some((m) => m.id === id && m.done),
      'the cache moved',
      30_000,
      250,
    );
    await waitFor(() => podZone(id).catch(() => undefined), (p) => p !== undefined && p.zone !== before.zone, 'the pod on the replacement node', 60_000, 250);
    const claim = await core.readNamespacedPersistentVolumeClaim({ name, namespace: NAMESPACE });
    expect(claim.metadata?.uid).not.toBe(firstClaim.metadata?.uid);
    expect(claim.status?.phase).toBe('Bound');
    const readyPods = async () =>
      (await core.listNamespacedPod({ namespace: NAMESPACE, labelSelector: `gpudeploy.io/deployment-id=${id}` })).items.filter((p) =>
        p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
      ).length;
    await waitFor(readyPods, (n) => n === 1, 'the replica Ready again', 60_000, 250);
    expect(await reprovisionedEvents(path)).toHaveLength(1);

    expect((await t.api('DELETE', path)).status).toBe(204);
    await waitFor(() => t.api('GET', path), (r) => r.status === 404, 'deleted', 30_000);
    await expectNothingLeaked(t, id, 'l4-24gb');
  });
});
