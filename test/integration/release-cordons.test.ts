/**
 * A cordon the node release leaves behind (its Lambda died between cordon and terminate) must
 * not hide capacity forever: check-nodes counts only schedulable nodes. The next release of the
 * group, which the reconcile runs, lifts a cordon of ours once it is stale, and leaves a fresh
 * one (a release may still be running) and anybody else's alone.
 */
import { CoreV1Api, KubeConfig, PatchStrategy, setHeaderOptions, type V1Node } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RELEASE_CORDON_ANNOTATION, STALE_CORDON_SECONDS } from '../../functions/domain/capacity';
import { BASE, startTestCloud, waitFor, type TestCloud } from '../support/local-cloud';

/** 300 cluster seconds are 15 s of wall time: room for a reconcile pass on a loaded machine. */
const TIME_SCALE = 0.05;
const GROUP = 'gpu-l4-24gb';

let t: TestCloud;
let core: CoreV1Api;
beforeAll(async () => {
  t = await startTestCloud(TIME_SCALE, { cron: false });
  const kc = new KubeConfig();
  kc.loadFromOptions(t.cloud.simulator.kubeConfig({ tls: true }));
  core = kc.makeApiClient(CoreV1Api);
});
afterAll(async () => {
  await t?.close();
});

const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
const cordon = (name: string, annotations: Record<string, string | null>) =>
  core.patchNode({ name, body: { metadata: { annotations }, spec: { unschedulable: true } } }, merge);
const reconcile = () => t.cloud.runSchedule('reconcile');
const read = (name: string): Promise<V1Node> => core.readNode({ name });

describe('cordons left by a node release', () => {
  it('are lifted by the reconcile once stale; a fresh one and a foreign one stay', async () => {
    const created = await t.api('POST', BASE, {
      body: { name: 'cordon', catalog_id: 'Qwen-Qwen2.5-0.5B-Instruct', region: 'us-east-1', gpu_config_id: 'l4-24gb', gpu_count: 1, plan_id: 'plan-l4-24gb-ondemand' },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const id: string = created.body.id;
    await waitFor(() => t.api('GET', `${BASE}/${id}`), (r) => r.body.phase === 'ready', 'ready', 60_000);
    const [node] = (await core.listNode({ labelSelector: `eks.amazonaws.com/nodegroup=${GROUP}` })).items;
    const name = node?.metadata?.name ?? '';

    const staleAt = new Date(Date.now() - (STALE_CORDON_SECONDS + 60) * 1000 * TIME_SCALE).toISOString();
    await cordon(name, { [RELEASE_CORDON_ANNOTATION]: staleAt });
    await reconcile();
    const lifted = await read(name);
    expect(lifted.spec?.unschedulable).toBeFalsy();
    expect(lifted.spec?.taints?.map((taint) => taint.key)).not.toContain('node.kubernetes.io/unschedulable');
    expect(lifted.metadata?.annotations?.[RELEASE_CORDON_ANNOTATION]).toBeUndefined();

    await cordon(name, { [RELEASE_CORDON_ANNOTATION]: new Date().toISOString() });
    await reconcile();
    expect((await read(name)).spec?.unschedulable).toBe(true);

    await cordon(name, { [RELEASE_CORDON_ANNOTATION]: null });
    await reconcile();
    expect((await read(name)).spec?.unschedulable).toBe(true);
    expect((await read(name)).metadata?.annotations?.[RELEASE_CORDON_ANNOTATION]).toBeUndefined();

    // The serving node was never released through any of it.
    expect(t.cloud.simulator.instances(GROUP).filter((i) => i.lifecycle !== 'Terminating')).toHaveLength(1);
    await core.patchNode({ name, body: { spec: { unschedulable: false } } }, merge);
    expect((await t.api('DELETE', `${BASE}/${id}`)).status).toBe(204);
    await waitFor(() => t.api('GET', `${BASE}/${id}`), (r) => r.status === 404, 'deleted', 60_000);
    await waitFor(() => t.nodeGroupDesiredSize(GROUP), (n) => n === 0, 'node released', 60_000);
  });
});
