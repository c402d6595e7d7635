/**
 * The load autoscaler on the local cloud (issue 16, docs/autoscaling.md): load published through
 * the production LoadSignals adapter (as the gateways publish it), sweeps run when the test asks,
 * scales through the real scale workflow on the simulated cluster. A sustained load scales 1 -> max
 * and stops there; once quiet it comes back to min one replica at a time; a saw-tooth load never
 * changes direction; a scale-up blocked by GPU capacity keeps serving and says why; 50 concurrent
 * wakes of a paused deployment start one scale execution.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CapacityLedger, LoadSignals } from '../../functions/ports';
import type { SweepReport } from '../../functions/use-cases/schedule-sweep';
import type { WakeResult } from '../../functions/use-cases/wake';
import { BASE, deployBody, ORG, PROJECT, startTestCloud, waitFor, type TestCloud } from '../support/local-cloud';

const TENANT = { org_id: ORG, project_id: PROJECT };
let t: TestCloud;
let loadSignals: LoadSignals;
let wake: (id: string) => Promise<WakeResult>;
let ledger: CapacityLedger;

beforeAll(async () => {
  // cron off: sweeps run when the test asks, at the time it gives
  t = await startTestCloud(0.01, { cron: false });
  // Imported after the cloud set the environment the adapters read; outside a function, calls run as the operator.
  const [{ loadSignals: signals }, { wakeDeployment }, { deploymentStore }, { capacityLedger }, { workflowEngine }, { coldStartStats }, { catalogStore }, { clock }] = await Promise.all([
    import('../../functions/wiring/load-signals'),
    import('../../functions/use-cases/wake'),
    import('../../functions/wiring/deployment-store'),
    import('../../functions/wiring/capacity-ledger'),
    import('../../functions/wiring/workflow-engine'),
    import('../../functions/wiring/cold-start-stats'),
    import('../../functions/wiring/catalog-store'),
    import('../../functions/wiring/clock'),
  ]);
  loadSignals = signals;
  ledger = capacityLedger;
  const ports = { deployments: deploymentStore, ledger: capacityLedger, workflows: workflowEngine, coldStarts: coldStartStats, catalog: catalogStore, clock };
  wake = (id) => wakeDeployment(ports, TENANT, id);
});
afterAll(async () => {
  await t?.close();
});

/** The smallest catalog deploy with these load-scaling settings. */
const autoscaledBody = (name: string, autoscaling: Record<string, unknown>) => deployBody(name, { autoscaling });

const get = (id: string) => t.api('GET', `${BASE}/${id}`);
const settled = (id: string, replicas: number, what: string) =>
  waitFor(() => get(id), (r) => r.body.status === 'ready' && r.body.phase === 'ready' && r.body.replicas === replicas, what, 60_000);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const publish = (id: string, inFlight: number) => loadSignals.publish('gw-test', [{ deploymentId: id, inFlight, held: 0, completed: inFlight, at: new Date().toISOString() }]);
/** A sweep at the current time (the local cron passes whole seconds, like EventBridge's whole minutes). */
const sweep = async () => (await t.cloud.runSchedule('schedule-sweep', { time: new Date() })) as SweepReport;
const scaledOf = (report: SweepReport, id: string) => report.scaled.filter((s) => s.id === id);
const deleteAndWait = async (id: string) => {
  expect((await t.api('DELETE', `${BASE}/${id}`)).status).toBe(204);
  await waitFor(() => get(id), (r) => r.status === 404, `${id} deleted`, 60_000);
};

describe('load autoscaling on the local cloud', () => {
  it('scales 1 -> max under sustained load, stops at max, and comes back to min after the quiet delay, one replica at a time', async () => {
    // Cluster seconds at time scale 0.01: up after 0.3 s of load, down after 0.6 s of quiet, no direction change within 0.6 s.
    const created = await t.api('POST', BASE, {
      body: autoscaledBody('qwen-load', { min_replicas: 1, max_replicas: 3, target: { metric: 'concurrency', value: 8 }, scale_down_delay_seconds: 60, stabilization_window_seconds: 60 }),
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const id: string = created.body.id;
    expect(created.body.autoscaling).toMatchObject({ min_replicas: 1, max_replicas: 3, enabled: true, scale_up_delay_seconds: 30, desired_replicas: null });
    await settled(id, 1, 'ready with 1');

    const replicasSeen: number[] = [];
    // 30 requests in flight want 4 replicas: x2 to 2, then capped at max 3
    for (let i = 0; i < 40 && replicasSeen.at(-1) !== 3; i++) {
      await publish(id, 30);
      const report = await sweep();
      expect(report.errors).toEqual([]);
      for (const s of scaledOf(report, id)) {
        replicasSeen.push(s.replicas);
        await settled(id, s.replicas, `ready with ${s.replicas}`);
      }
      await sleep(350);
    }
    expect(replicasSeen).toEqual([2, 3]);
    // at max it stays, however long the load lasts
    for (let i = 0; i < 4; i++) {
      await publish(id, 30);
      expect(scaledOf(await sweep(), id)).toEqual([]);
      await sleep(350);
    }
    const atMax = await get(id);
    expect(atMax.body.autoscaling).toMatchObject({ desired_replicas: 3, last_decision: { desired: 3, inputs: { in_flight: 30, wanted: 4, max_replicas: 3 } } });
    expect(await t.pods(`gpudeploy.io/deployment-id=${id}`)).toBe(3);
    const history = await t.api('GET', `${BASE}/${id}/events?limit=100`);
    const requested = history.body.items.filter((e: { type: string }) => e.type === 'scale_requested').map((e: { message: string }) => e.message);
    expect(requested).toEqual([expect.stringMatching(/^scale from 1 to 2 replicas by the autoscaler: .*in flight 30/), expect.stringMatching(/^scale from 2 to 3 replicas by the autoscaler/)]);

    // quiet: down one replica per quiet delay, to min, never below
    const downs: number[] = [];
    for (let i = 0; i < 40 && downs.at(-1) !== 1; i++) {
      await publish(id, 0);
      const report = await sweep();
      for (const s of scaledOf(report, id)) {
        downs.push(s.replicas);
        await settled(id, s.replicas, `ready with ${s.replicas}`);
      }
      await sleep(350);
    }
    expect(downs).toEqual([2, 1]);
    for (let i = 0; i < 3; i++) {
      await publish(id, 0);
      expect(scaledOf(await sweep(), id)).toEqual([]);
      await sleep(350);
    }
    expect((await get(id)).body).toMatchObject({ replicas: 1, instances: { running: 1 } });
    await deleteAndWait(id);
  });

  it('never changes direction under a saw-tooth load (defaults: up after 30 s, down after 10 min, window 5 min)', async () => {
    const created = await t.api('POST', BASE, { body: autoscaledBody('qwen-saw', { min_replicas: 1, max_replicas: 3, enabled: true }) });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const id: string = created.body.id;
    await settled(id, 1, 'ready with 1');
    const changes: number[] = [];
    // 12 sweeps a second (100 cluster s) apart: two loaded, two quiet, over and over (20 cluster minutes)
    for (let i = 0; i < 12; i++) {
      await publish(id, i % 4 < 2 ? 20 : 0);
      for (const s of scaledOf(await sweep(), id)) {
        changes.push(s.replicas);
        await settled(id, s.replicas, `ready with ${s.replicas}`);
      }
      await sleep(1000);
    }
    // up to what the peaks ask (20 in flight: 3 replicas), never down in between
    expect(changes.length).toBeGreaterThan(0);
    expect(changes).toEqual([...changes].sort((a, b) => a - b));
    expect(changes.at(-1)).toBe(3);
    await deleteAndWait(id);
  });

  it('keeps serving when a scale-up finds no free GPU, says why once, and scales when GPUs are free again', async () => {
    const created = await t.api('POST', BASE, { body: autoscaledBody('qwen-full', { min_replicas: 1, max_replicas: 2, scale_up_delay_seconds: 0 }) });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const id: string = created.body.id;
    await settled(id, 1, 'ready with 1');
    const { reservedGpus } = await ledger.read('l4-24gb');
    const free = 16 - reservedGpus;
    await ledger.reserve('l4-24gb', free, 16, 'gpu-l4-24gb');
    try {
      for (let i = 0; i < 3; i++) {
        await publish(id, 30);
        const report = await sweep();
        expect(report.deferred, JSON.stringify(report)).toEqual([{ id, reason: expect.stringContaining('no GPU capacity left') }]);
        // the local cron's event time has whole seconds: the next sweep must fall in a later second to find it due
        await sleep(1000);
      }
      const blocked = await get(id);
      expect(blocked.body).toMatchObject({ status: 'ready', phase: 'ready', replicas: 1, autoscaling: { desired_replicas: 2, last_decision: { outcome: expect.stringContaining('no GPU capacity left') } } });
      const history = await t.api('GET', `${BASE}/${id}/events?limit=100`);
      expect(history.body.items.filter((e: { type: string }) => e.type === 'autoscaling_deferred')).toEqual([
        expect.objectContaining({ status: 'ready', message: expect.stringContaining('scale from 1 to 2 replicas by the autoscaler') }),
      ]);
    } finally {
      await ledger.release('l4-24gb', free);
    }
    await publish(id, 30);
    expect(scaledOf(await sweep(), id)).toEqual([expect.objectContaining({ replicas: 2 })]);
    await settled(id, 2, 'ready with 2');
    await deleteAndWait(id);
  });

  it('wakes a paused deployment once under 50 concurrent calls, and it serves again', async () => {
    const created = await t.api('POST', BASE, { body: autoscaledBody('qwen-wake', { min_replicas: 0, max_replicas: 2, enabled: true }) });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const id: string = created.body.id;
    await settled(id, 1, 'ready');
    expect((await t.api('PUT', `${BASE}/${id}/scale`, { body: { replicas: 0 } })).status).toBe(200);
    await waitFor(() => get(id), (r) => r.body.phase === 'paused', 'paused', 60_000);

    const results = await Promise.all(Array.from({ length: 50 }, () => wake(id)));
    expect(results.filter((r) => r.state === 'waking' && r.started)).toHaveLength(1);
    expect(results.every((r) => r.state === 'waking')).toBe(true);
    await settled(id, 1, 'woken and ready');
    const history = await t.api('GET', `${BASE}/${id}/events?limit=100`);
    expect(history.body.items.filter((e: { type: string }) => e.type === 'resume_requested')).toHaveLength(1);
    expect(await wake(id)).toMatchObject({ state: 'ready' });
    await deleteAndWait(id);
  });
});
