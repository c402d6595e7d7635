import { describe, expect, it } from 'vitest';
import { findGpuConfig } from '../../../contract/catalog';
import { LOAD_SCALING_DEFAULTS } from '../../../contract/requests/scale';
import { nodeGroupGpuLimit } from '../../../functions/domain/capacity';
import { toDeploymentView, type DeploymentRecord } from '../../../functions/domain/deployment';
import type { LoadSignals } from '../../../functions/ports';
import { changeScaleRange } from '../../../functions/use-cases/scale-range';
import { sweepSchedules } from '../../../functions/use-cases/schedule-sweep';
import { wakeDeployment } from '../../../functions/use-cases/wake';
import { inMemoryPorts, type InMemoryPorts } from '../../support/in-memory';
import { aDeployment, TENANT } from '../../support/in-memory/records';

const key = { ...TENANT, id: 'dep-0001' };
const START = new Date('2026-12-01T10:00:00Z');
const LIMIT = nodeGroupGpuLimit(findGpuConfig('l4-24gb')!);

/** A load-scaled deployment as its deploy leaves it: due for the sweeper from its creation. */
const loadScaled = (overrides: Partial<DeploymentRecord> = {}) => {
  const ports = inMemoryPorts({ start: START });
  const record = aDeployment({ autoscaling: { min_replicas: 1, max_replicas: 4 }, load_scaling: LOAD_SCALING_DEFAULTS, ...overrides });
  ports.deployments.seed(record, { dueAt: START.toISOString() });
  return ports;
};

/** The gateway's view of the load right now, as one instance publishes it. */
const publish = (ports: InMemoryPorts, inFlight: number, held = 0) =>
  ports.loadSignals.publish('gw-1', [{ deploymentId: 'dep-0001', inFlight, held, completed: inFlight, at: ports.clock.now().toISOString() }]);

/** One minute later, a sweep at that time. */
const sweepIn = async (ports: InMemoryPorts, seconds = 60) => {
  ports.clock.advance(seconds);
  return sweepSchedules(ports, ports.clock.now());
};

/** The scale workflow finished: ready again with what was asked. */
const settle = (ports: InMemoryPorts) => ports.deployments.update(TENANT, 'dep-0001', { phase: 'ready' }, {}, { now: ports.clock.now() });

const eventsOf = async (ports: InMemoryPorts) => (await ports.events.list(TENANT, 'dep-0001', { limit: 100 })).items;

describe('the load autoscaler in the schedule sweep', () => {
  it('scales up after sustained load through the scale workflow, with an event carrying the inputs, and shows its decision', async () => {
    const ports = loadScaled();
    ports.servingMetrics.readings.set('dep-0001', { counter: 10, running: 20, pods: 1, waiting: 4, kvCacheUsage: 0.5 });
    await publish(ports, 24);
    const first = await sweepSchedules(ports, ports.clock.now());
    expect(first).toMatchObject({ claimed: 1, scaled: [] });
    expect(ports.deployments.peek(key)?.schedule_state?.autoscaler).toMatchObject({ desired: 1, above_since: START.toISOString(), last_decision: { outcome: 'unchanged' } });
    // due again half a sweep later, so every sweep looks
    expect(await ports.deployments.scheduleDueAt(TENANT, 'dep-0001')).toBe('2026-12-01T10:00:30.000Z');

    await publish(ports, 24);
    // ... publish happened at 10:00:00; the sweep a minute later must still see it fresh: publish again at sweep time
    ports.clock.advance(60);
    await publish(ports, 24);
    const second = await sweepSchedules(ports, ports.clock.now());
    expect(second.scaled).toEqual([{ id: 'dep-0001', replicas: 2, why: expect.stringContaining('in flight 24, held 0; running 20, waiting 4, KV cache 50 %') }]);
    expect(ports.deployments.peek(key)).toMatchObject({ phase: 'scaling', replicas: 2 });
    expect(ports.workflows.started('scale')).toHaveLength(1);
    expect((await eventsOf(ports)).at(-1)).toMatchObject({ type: 'scale_requested', message: expect.stringContaining('by the autoscaler: sustained load asks for 3 replicas') });
    const view = toDeploymentView(ports.deployments.peek(key)!, ports.clock.now());
    expect(view.autoscaling).toMatchObject({
      min_replicas: 1,
      max_replicas: 4,
      enabled: true,
      target: { metric: 'concurrency', value: 8 },
      desired_replicas: 2,
      last_decision: { desired: 2, direction: 'up', outcome: 'scale started', inputs: { in_flight: 24, running: 20, waiting: 4, kv_cache_usage: 0.5, wanted: 3 } },
    });

    // while the scale runs the autoscaler only watches; once ready it may go on
    await publish(ports, 24);
    expect((await sweepIn(ports)).scaled).toEqual([]);
    await settle(ports);
    ports.clock.advance(60);
    await publish(ports, 24);
    expect((await sweepSchedules(ports, ports.clock.now())).scaled).toEqual([]); // a new streak starts
    ports.clock.advance(60);
    await publish(ports, 24);
    expect((await sweepSchedules(ports, ports.clock.now())).scaled).toEqual([expect.objectContaining({ replicas: 3 })]);
  });

  it('records a scale-up blocked by GPU capacity once, keeps serving, and retries until it starts', async () => {
    const ports = loadScaled({ load_scaling: { ...LOAD_SCALING_DEFAULTS, scale_up_delay_seconds: 0 } });
    await ports.ledger.reserve('l4-24gb', LIMIT, LIMIT, 'gpu-l4-24gb');
    await publish(ports, 24);
    const blocked = await sweepSchedules(ports, ports.clock.now());
    expect(blocked.deferred).toEqual([{ id: 'dep-0001', reason: expect.stringContaining('no GPU capacity left') }]);
    expect(ports.deployments.peek(key)).toMatchObject({ phase: 'ready', status: 'ready', replicas: 1 });
    ports.clock.advance(60);
    await publish(ports, 24);
    expect((await sweepSchedules(ports, ports.clock.now())).deferred).toHaveLength(1);
    const deferred = (await eventsOf(ports)).filter((e) => e.type === 'autoscaling_deferred');
    expect(deferred).toEqual([expect.objectContaining({ status: 'ready', reason: expect.stringContaining('no GPU capacity left'), message: expect.stringContaining('scale from 1 to 2 replicas by the autoscaler') })]);
    expect(toDeploymentView(ports.deployments.peek(key)!, ports.clock.now()).autoscaling).toMatchObject({ last_decision: { outcome: expect.stringContaining('not started, retried next sweep') } });

    await ports.ledger.release('l4-24gb', LIMIT);
    ports.clock.advance(60);
    await publish(ports, 24);
    expect((await sweepSchedules(ports, ports.clock.now())).scaled).toEqual([expect.objectContaining({ replicas: 2 })]);
    expect(ports.workflows.started('scale')).toHaveLength(1);
  });

  it('starts one scale however many sweeps run at once', async () => {
    const ports = loadScaled({ load_scaling: { ...LOAD_SCALING_DEFAULTS, scale_up_delay_seconds: 0 } });
    await publish(ports, 30);
    const reports = await Promise.all(Array.from({ length: 5 }, () => sweepSchedules(ports, ports.clock.now())));
    expect(reports.flatMap((r) => r.scaled)).toHaveLength(1);
    expect(ports.workflows.started('scale')).toHaveLength(1);
  });

  it('lets a schedule window move the floor: load may take it higher, never lower', async () => {
    const schedule = { time_zone: 'UTC', windows: [{ cron: '0 8 * * *', replicas: 3 }], idle_timeout_minutes: null };
    const ports = inMemoryPorts({ start: new Date('2026-12-01T08:00:30Z') });
    ports.deployments.seed(
      aDeployment({ autoscaling: { min_replicas: 1, max_replicas: 4 }, load_scaling: LOAD_SCALING_DEFAULTS, schedule, schedule_state: { windows_checked_at: '2026-12-01T07:59:00.000Z' } }),
      { dueAt: '2026-12-01T08:00:00.000Z' },
    );
    const report = await sweepSchedules(ports, ports.clock.now());
    expect(report.scaled).toEqual([{ id: 'dep-0001', replicas: 3, why: expect.stringContaining("below the schedule window's floor 3") }]);
    await settle(ports);
    // no load for long: it stays at the floor
    for (let i = 0; i < 20; i++) expect((await sweepIn(ports)).scaled).toEqual([]);
    expect(ports.deployments.peek(key)).toMatchObject({ replicas: 3, schedule_state: { autoscaler: { floor: 3 } } });
  });

  it('stops looking at a failed deployment', async () => {
    const ports = loadScaled({ status: 'failed', phase: 'failed', fail_reason: 'ModelLoadFailed: x' });
    await publish(ports, 30);
    expect(await sweepSchedules(ports, ports.clock.now())).toMatchObject({ claimed: 1, scaled: [], deferred: [] });
    expect(await ports.deployments.scheduleDueAt(TENANT, 'dep-0001')).toBeNull();
  });

  it('costs a deployment without load scaling nothing more: its signals are never read', async () => {
    const ports = inMemoryPorts({ start: START });
    ports.deployments.seed(aDeployment({ autoscaling: { min_replicas: 0, max_replicas: 2 } }));
    let reads = 0;
    const counting: LoadSignals = { publish: (i, s) => ports.loadSignals.publish(i, s), read: (id, since) => (reads++, ports.loadSignals.read(id, since)) };
    const report = await sweepSchedules({ ...ports, loadSignals: counting }, ports.clock.now());
    expect(report).toMatchObject({ items_read: 0, claimed: 0 });
    expect(reads).toBe(0);
  });

  it('turns on through PUT …/autoscaling: due at once, with the defaults filling in', async () => {
    const ports = inMemoryPorts({ start: START });
    ports.deployments.seed(aDeployment({ autoscaling: { min_replicas: 1, max_replicas: 2 } }));
    const updated = await changeScaleRange(ports, TENANT, 'dep-0001', { min_replicas: 1, max_replicas: 3, target: { metric: 'queue', value: 10 } }, START);
    expect(updated.load_scaling).toEqual({ ...LOAD_SCALING_DEFAULTS, target: { metric: 'queue', value: 10 } });
    expect(await ports.deployments.scheduleDueAt(TENANT, 'dep-0001')).toBe(START.toISOString());
    // a body with the range only keeps it; enabled false turns it off
    expect((await changeScaleRange(ports, TENANT, 'dep-0001', { min_replicas: 1, max_replicas: 4 }, START)).load_scaling).toEqual(updated.load_scaling);
    expect((await changeScaleRange(ports, TENANT, 'dep-0001', { min_replicas: 1, max_replicas: 4, enabled: false }, START)).load_scaling).toBeNull();
    await expect(changeScaleRange(ports, TENANT, 'dep-0001', { min_replicas: 1, max_replicas: 4, scale_to_zero_delay_seconds: 600 }, START)).rejects.toMatchObject({
      field: 'scale_to_zero_delay_seconds',
    });
  });
});

describe('wakeDeployment', () => {
  const paused = (overrides: Partial<DeploymentRecord> = {}) =>
    loadScaled({
      autoscaling: { min_replicas: 0, max_replicas: 4 },
      replicas: 0,
      status: 'initializing',
      phase: 'paused',
      endpoint_url: null,
      ready_since: null,
      operation: 'scale',
      ...overrides,
    });

  it('resumes a paused deployment exactly once under 50 concurrent calls, and tells every caller when it should be ready', async () => {
    const ports = paused();
    // it kept its GPU while paused (the release delay has not passed): the resume reserves nothing more
    await ports.ledger.reserve('l4-24gb', 1, LIMIT, 'gpu-l4-24gb');
    const results = await Promise.all(Array.from({ length: 50 }, () => wakeDeployment(ports, TENANT, 'dep-0001')));
    expect(ports.workflows.started('scale')).toHaveLength(1);
    expect(results.filter((r) => r.state === 'waking' && r.started)).toHaveLength(1);
    expect(results.every((r) => r.state === 'waking' && r.retry_after_seconds >= 1 && Date.parse(r.expected_ready_at) > START.getTime())).toBe(true);
    expect(ports.deployments.peek(key)).toMatchObject({ phase: 'scaling', replicas: 1 });
    expect((await eventsOf(ports)).filter((e) => e.type === 'resume_requested')).toEqual([expect.objectContaining({ message: 'resume with 1 replicas to wake on a request' })]);
    expect(await ports.ledger.reserved('l4-24gb')).toBe(1);
  });

  it('resumes also after the paused GPUs were given back, reserving them once', async () => {
    const ports = paused({ reserved_gpus: 0 });
    await Promise.all(Array.from({ length: 50 }, () => wakeDeployment(ports, TENANT, 'dep-0001')));
    expect(ports.workflows.started('scale')).toHaveLength(1);
    expect(await ports.ledger.reserved('l4-24gb')).toBe(1);
  });

  it('answers ready for a serving deployment, and unavailable for what a request must not wake', async () => {
    expect(await wakeDeployment(loadScaled(), TENANT, 'dep-0001')).toEqual({ state: 'ready', endpoint_url: expect.stringContaining('model-0001') });
    const byHand = paused({ load_scaling: null, autoscaling: null });
    expect(await wakeDeployment(byHand, TENANT, 'dep-0001')).toMatchObject({ state: 'unavailable', retry_after_seconds: null });
    expect(byHand.workflows.started()).toHaveLength(0);
    const failed = paused({ status: 'failed', phase: 'failed', fail_reason: 'ImagePullFailed: x' });
    expect(await wakeDeployment(failed, TENANT, 'dep-0001')).toMatchObject({ state: 'unavailable', reason: expect.stringContaining('ImagePullFailed') });
  });

  it('says so when no GPU is free, without starting anything', async () => {
    const ports = paused({ reserved_gpus: 0 });
    await ports.ledger.reserve('l4-24gb', LIMIT, LIMIT, 'gpu-l4-24gb');
    expect(await wakeDeployment(ports, TENANT, 'dep-0001')).toMatchObject({ state: 'unavailable', reason: expect.stringContaining('no GPU capacity left'), retry_after_seconds: 60 });
    expect(ports.workflows.started()).toHaveLength(0);
  });
});
