/**
 * The scale range and the instance counts over real HTTP on the local cloud: the three
 * spellings of the range (ours, DeepInfra's settings, Jan's autoscaling_config) are stored
 * as one, conflicting ones are a 400 that writes nothing, PUT …/scale keeps inside the range,
 * and `instances` follows the pods at ready and after a scale.
 */
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReconcileReport } from '../../functions/use-cases/reconcile';
import { BASE, deployBody, NAMESPACE, startTestCloud, waitFor, type TestCloud } from '../support/local-cloud';

let t: TestCloud;
beforeAll(async () => {
  // cron off: the reconcile runs only when a test asks, so what it refreshed is what this test caused
  t = await startTestCloud(0.01, { cron: false });
});
afterAll(async () => {
  await t?.close();
});

const get = (id: string) => t.api('GET', `${BASE}/${id}`);
const settledReady = (id: string, what: string) => waitFor(() => get(id), (r) => r.body.status === 'ready' && r.body.phase === 'ready', what);
const deleteAndWait = async (id: string) => {
  expect((await t.api('DELETE', `${BASE}/${id}`)).status).toBe(204);
  await waitFor(() => get(id), (r) => r.status === 404, `${id} deleted`);
};

describe('scale range on deploy', () => {
  it('refuses conflicting spellings with a 400 naming the field, and writes nothing', async () => {
    const before = await t.records();
    const conflict = await t.api('POST', BASE, {
      body: deployBody('qwen-conflict', { autoscaling: { min_replicas: 1, max_replicas: 3 }, settings: { min_instances: 1, max_instances: 2 } }),
    });
    expect(conflict.status).toBe(400);
    expect(conflict.body).toEqual({ code: 'invalid_request', message: expect.stringContaining('settings.max_instances (2) conflicts with autoscaling.max_replicas (3)') });
    const outside = await t.api('POST', BASE, { body: deployBody('qwen-outside', { replicas: 3, autoscaling_config: { min_replicas: 0, max_replicas: 2 } }) });
    expect(outside.status).toBe(400);
    expect(outside.body.message).toContain('replicas 3 is outside');
    const tooBig = await t.api('POST', BASE, { body: deployBody('qwen-too-big', { catalog_id: 'Qwen-Qwen2.5-14B-Instruct', gpu_count: 4, settings: { min_instances: 1, max_instances: 5 } }) });
    expect(tooBig.status).toBe(400);
    expect(tooBig.body.message).toContain('settings.max_instances 5');
    // A dry run shows the range it would store, whatever the spelling, and writes nothing either.
    const planned = await t.api('POST', `${BASE}?dry_run=true`, { body: deployBody('qwen-plan', { autoscaling_config: { min_replicas: 2, max_replicas: 4 } }) });
    expect(planned.status).toBe(200);
    expect(planned.body).toMatchObject({ dry_run: true, replicas: 2, autoscaling: { min_replicas: 2, max_replicas: 4 } });
    expect(await t.records()).toHaveLength(before.length);
    expect(await t.ledger('l4-24gb')).toBe(0);
  });

  it("stores DeepInfra's settings as autoscaling, counts instances at ready and after scale, and keeps scale inside the range", async () => {
    const created = await t.api('POST', BASE, { body: deployBody('qwen-deepinfra', { settings: { min_instances: 1, max_instances: 2 } }) });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ replicas: 1, autoscaling: { min_replicas: 1, max_replicas: 2 }, instances: { running: 0, pending: 0 }, fail_reason: null });
    const id: string = created.body.id;

    const ready = await settledReady(id, 'ready');
    expect(ready.body.instances).toEqual({ running: 1, pending: 0, observed_at: expect.any(String) });
    expect(Date.parse(ready.body.instances.observed_at)).toBeGreaterThanOrEqual(Date.parse(created.body.created_at));
    const listed = await t.api('GET', BASE);
    expect(listed.body.items.find((i: { id: string }) => i.id === id)).toMatchObject({ instances: { running: 1, pending: 0 }, autoscaling: { min_replicas: 1, max_replicas: 2 } });

    const above = await t.api('PUT', `${BASE}/${id}/scale`, { body: { replicas: 3 } });
    expect(above.status).toBe(400);
    expect(above.body).toEqual({ code: 'invalid_request', message: expect.stringContaining('autoscaling range is [1, 2]') });
    expect((await get(id)).body).toMatchObject({ replicas: 1, phase: 'ready' });

    const scaled = await t.api('PUT', `${BASE}/${id}/scale`, { body: { replicas: 2 } });
    expect(scaled.status).toBe(200);
    const after = await settledReady(id, 'ready after scale');
    expect(after.body).toMatchObject({ replicas: 2, instances: { running: 2, pending: 0 } });
    expect(await t.pods(`gpudeploy.io/deployment-id=${id}`)).toBe(2);

    expect((await t.api('PUT', `${BASE}/${id}/scale`, { body: { replicas: 1 } })).status).toBe(200);
    expect((await settledReady(id, 'ready after scale-in')).body.instances).toMatchObject({ running: 1, pending: 0 });
    await deleteAndWait(id);
  });

  it("accepts Jan's autoscaling_config and starts at its minimum; PUT …/autoscaling changes the range; without one, autoscaling is null", async () => {
    const jan = await t.api('POST', BASE, { body: deployBody('qwen-jan', { autoscaling_config: { min_replicas: 2, max_replicas: 3 } }) });
    expect(jan.status).toBe(201);
    expect(jan.body).toMatchObject({ replicas: 2, autoscaling: { min_replicas: 2, max_replicas: 3 } });
    const plain = await t.api('POST', BASE, { body: deployBody('qwen-plain') });
    expect(plain.status).toBe(201);
    expect(plain.body.autoscaling).toBeNull();

    const janReady = await settledReady(jan.body.id, 'jan ready');
    expect(janReady.body.instances).toMatchObject({ running: 2, pending: 0 });
    const below = await t.api('PUT', `${BASE}/${jan.body.id}/scale`, { body: { replicas: 1 } });
    expect(below.status).toBe(400);
    expect(below.body.message).toContain('[2, 3]');

    // Widening the range lets the same scale through; a range that excludes the current replicas is refused.
    const range = (body: unknown, token?: string) => t.api('PUT', `${BASE}/${jan.body.id}/autoscaling`, { body, token });
    expect((await range({ min_replicas: 1, max_replicas: 3 }, await t.token({ role: 'viewer' }))).status).toBe(403);
    const widened = await range({ min_replicas: 1, max_replicas: 3 });
    expect(widened.status).toBe(200);
    expect(widened.body).toMatchObject({ autoscaling: { min_replicas: 1, max_replicas: 3 }, replicas: 2, phase: 'ready' });
    expect((await t.api('PUT', `${BASE}/${jan.body.id}/scale`, { body: { replicas: 1 } })).status).toBe(200);
    expect((await settledReady(jan.body.id, 'jan scaled in')).body).toMatchObject({ replicas: 1, instances: { running: 1, pending: 0 } });
    const narrowed = await range({ min_replicas: 2, max_replicas: 3 });
    expect(narrowed.status).toBe(400);
    expect(narrowed.body).toEqual({ code: 'invalid_request', message: expect.stringContaining('min_replicas 2 is above the 1 replicas') });
    expect((await range({ min_replicas: 0, max_replicas: 17 })).status).toBe(400);
    const history = await t.api('GET', `${BASE}/${jan.body.id}/events?limit=100`);
    expect(history.body.items.map((e: { type: string }) => e.type)).toContain('autoscaling_changed');

    await settledReady(plain.body.id, 'plain ready');
    await Promise.all([deleteAndWait(jan.body.id), deleteAndWait(plain.body.id)]);
    expect(await t.ledger('l4-24gb')).toBe(0);
  });
});

describe('scale range, pause and schedules', () => {
  it('a pause needs min_replicas 0; a schedule window asking for 0 keeps min_replicas serving', async () => {
    const created = await t.api('POST', BASE, { body: deployBody('qwen-office', { replicas: 2, autoscaling: { min_replicas: 1, max_replicas: 2 } }) });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const id: string = created.body.id;
    await settledReady(id, 'ready with 2');

    const pause = await t.api('PUT', `${BASE}/${id}/scale`, { body: { replicas: 0 } });
    expect(pause.status).toBe(400);
    expect(pause.body).toEqual({ code: 'invalid_request', message: expect.stringContaining('autoscaling range is [1, 2]') });
    expect((await get(id)).body).toMatchObject({ replicas: 2, phase: 'ready' });

    const put = await t.api('PUT', `${BASE}/${id}/schedule`, { body: { time_zone: 'UTC', windows: [{ cron: '0 20 * * *', replicas: 0 }] } });
    expect(put.status, JSON.stringify(put.body)).toBe(200);
    const window: { at: string } = put.body.next_windows[0];
    const sweep = (await t.cloud.runSchedule('schedule-sweep', { time: new Date(Date.parse(window.at) + 60_000) })) as { scaled: unknown[]; errors: unknown[] };
    expect(sweep).toMatchObject({ scaled: [expect.objectContaining({ id, replicas: 1 })], errors: [] });
    expect((await waitFor(() => get(id), (r) => r.body.phase === 'ready' && r.body.replicas === 1, 'scaled to min_replicas')).body).toMatchObject({
      status: 'ready',
      instances: { running: 1, pending: 0 },
    });

    // Lowering min_replicas to 0 makes it pausable.
    expect((await t.api('PUT', `${BASE}/${id}/autoscaling`, { body: { min_replicas: 0, max_replicas: 2 } })).status).toBe(200);
    expect((await t.api('PUT', `${BASE}/${id}/scale`, { body: { replicas: 0 } })).status).toBe(200);
    await waitFor(() => get(id), (r) => r.body.phase === 'paused', 'paused');
    expect(await t.pods(`gpudeploy.io/deployment-id=${id}`)).toBe(0);
    await deleteAndWait(id);
  });
});

describe('instance counts while a deploy polls', () => {
  it('show the replica as pending while its model loads', async () => {
    const created = await t.api('POST', BASE, { body: deployBody('qwen-loading') });
    const id: string = created.body.id;
    // Added before the pod starts (the node still boots), so the model server never turns Ready.
    await t.addFault({ match: { label: `gpudeploy.io/deployment-id=${id}` }, fault: 'never_ready' });
    const loading = await waitFor(() => get(id), (r) => r.body.instances.pending === 1, 'the replica to be pending');
    expect(loading.body).toMatchObject({ status: 'initializing', instances: { running: 0, pending: 1 } });
    await deleteAndWait(id);
  });
});

describe('instance counts between operations', () => {
  it('are refreshed by the reconcile when a ready deployment loses or regains a replica', async () => {
    const created = await t.api('POST', BASE, { body: deployBody('qwen-watched') });
    const id: string = created.body.id;
    expect((await settledReady(id, 'ready')).body.instances).toMatchObject({ running: 1, pending: 0 });
    const kc = new KubeConfig();
    kc.loadFromOptions(t.cloud.simulator.kubeConfig({ tls: true }));
    const core = kc.makeApiClient(CoreV1Api);
    const selector = `gpudeploy.io/deployment-id=${id}`;

    // The replica crashes and its replacement keeps crashing: nothing serves, one pod is on its way.
    const fault = await t.addFault({ match: { label: selector }, fault: 'crash_loop' });
    const [pod] = (await core.listNamespacedPod({ namespace: NAMESPACE, labelSelector: selector })).items;
    await core.deleteNamespacedPod({ name: pod!.metadata!.name!, namespace: NAMESPACE });
    await waitFor(
      async () => (await core.listNamespacedPod({ namespace: NAMESPACE, labelSelector: selector })).items.filter((p) => !p.metadata?.deletionTimestamp).map((p) => p.metadata?.name),
      (names) => names.length === 1 && names[0] !== pod!.metadata!.name,
      'the replacement pod',
    );
    const report = (await t.cloud.runSchedule('reconcile')) as ReconcileReport;
    expect(report.instances_refreshed).toEqual([{ id, from: { running: 1, pending: 0 }, to: { running: 0, pending: 1 } }]);
    const down = await get(id);
    expect(down.body).toMatchObject({ status: 'ready', instances: { running: 0, pending: 1 } });
    expect(Date.parse(down.body.instances.observed_at)).toBeGreaterThan(Date.parse(created.body.created_at));

    await t.removeFault(fault.id);
    const readyPods = async () =>
      (await core.listNamespacedPod({ namespace: NAMESPACE, labelSelector: selector })).items.filter((p) =>
        p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
      ).length;
    await waitFor(readyPods, (n) => n === 1, 'the replica to be Ready again', 60_000, 250);
    const again = (await t.cloud.runSchedule('reconcile')) as ReconcileReport;
    expect(again.instances_refreshed).toEqual([{ id, from: { running: 0, pending: 1 }, to: { running: 1, pending: 0 } }]);
    expect((await get(id)).body.instances).toMatchObject({ running: 1, pending: 0 });
    expect(((await t.cloud.runSchedule('reconcile')) as ReconcileReport).instances_refreshed).toEqual([]);
    await deleteAndWait(id);
  });
});
