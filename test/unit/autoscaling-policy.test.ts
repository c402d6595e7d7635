import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decide, wantedReplicas, type DecideInput, type LoadSample, type PolicyState } from '../../functions/domain/autoscaling-policy';
import { LOAD_SCALING_DEFAULTS, type LoadScaling } from '../../contract/requests/scale';

const T0 = Date.parse('2026-12-01T10:00:00Z');
const at = (seconds: number) => new Date(T0 + seconds * 1000);

const sample = (over: Partial<LoadSample> & { running?: number; waiting?: number; kv?: number } = {}): LoadSample => {
  const { running = 0, waiting = 0, kv = 0, ...rest } = over;
  return { gatewayInstances: 1, inFlight: 0, held: 0, completed: 0, vllm: { pods: 1, running, waiting, kvCacheUsage: kv }, ...rest };
};

const input = (over: Partial<DecideInput> = {}): DecideInput => ({
  now: at(0),
  timeScale: 1,
  replicas: 1,
  range: { min_replicas: 1, max_replicas: 8 },
  floor: 0,
  settings: LOAD_SCALING_DEFAULTS,
  maxNumSeqs: 64,
  sample: sample(),
  state: {},
  ...over,
});

/** Runs the policy over a load trace, one sweep a minute, applying each change at once; returns replicas per sweep and the changes. */
const run = (loads: number[], over: Partial<DecideInput> = {}, every = 60) => {
  let replicas = over.replicas ?? 1;
  let state: PolicyState = {};
  const changes: { t: number; from: number; to: number }[] = [];
  const path: number[] = [];
  loads.forEach((inFlight, i) => {
    const t = i * every;
    const { decision, state: next } = decide(input({ ...over, replicas, state, now: at(t), sample: sample({ inFlight, running: Math.min(inFlight, 64 * replicas) }) }));
    state = next;
    if (decision.desired !== replicas) changes.push({ t, from: replicas, to: decision.desired });
    replicas = decision.desired;
    path.push(replicas);
  });
  return { path, changes, state };
};

describe('wantedReplicas', () => {
  const target = { metric: 'concurrency' as const, value: 8 };
  it('asks for demand over the concurrency target, counting held requests once', () => {
    expect(wantedReplicas(sample({ inFlight: 17 }), 1, target, 64)).toBe(3);
    expect(wantedReplicas(sample({ inFlight: 0, held: 9, vllm: null }), 0, target, 64)).toBe(2);
    // vLLM sees requests that bypass the gateway: the larger of the two counts
    expect(wantedReplicas(sample({ inFlight: 4, running: 20, waiting: 4 }), 2, target, 64)).toBe(3);
  });
  it('adds a replica per 5 queued requests and one when the KV cache is nearly full', () => {
    expect(wantedReplicas(sample({ inFlight: 8, running: 3, waiting: 10 }), 1, target, 64)).toBe(3);
    expect(wantedReplicas(sample({ inFlight: 8, running: 8, kv: 0.85 }), 2, target, 64)).toBe(3);
    expect(wantedReplicas(sample({ inFlight: 8, running: 8, kv: 0.8 }), 2, target, 64)).toBe(1);
  });
  it('with a queue target, scales on the queue and counts a replica full at 80 % of its batch', () => {
    const queue = { metric: 'queue' as const, value: 10 };
    expect(wantedReplicas(sample({ inFlight: 60, running: 50, waiting: 9 }), 1, queue, 64)).toBe(2);
    expect(wantedReplicas(sample({ inFlight: 60, running: 50, waiting: 20 }), 1, queue, 64)).toBe(3);
    expect(wantedReplicas(sample({ inFlight: 10, running: 10 }), 3, queue, 64)).toBe(1);
  });
});

describe('decide', () => {
  it('scales up only after the load lasted the scale-up delay, at most x2 per step, up to max', () => {
    const { changes, path } = run([40, 40, 40, 40, 40, 40], { range: { min_replicas: 1, max_replicas: 4 } });
    // first look at 0 s starts the streak; 60 s later it has lasted 30 s: x2, then x2 again (after its own delay), capped at 4
    expect(changes).toEqual([
      { t: 60, from: 1, to: 2 },
      { t: 180, from: 2, to: 4 },
    ]);
    expect(path.at(-1)).toBe(4);
  });

  it('holds while waiting for the delay and says why', () => {
    const { decision, state } = decide(input({ sample: sample({ inFlight: 30 }) }));
    expect(decision).toMatchObject({ desired: 1, direction: 'none', reason: expect.stringContaining('scales up after 30 s') });
    expect(decision.inputs).toMatchObject({ replicas: 1, in_flight: 30, wanted: 4, target: { metric: 'concurrency', value: 8 }, min_replicas: 1, max_replicas: 8 });
    expect(state.above_since).toBe(at(0).toISOString());
  });

  it('scales down one replica per quiet delay, back to min, never below it', () => {
    const loads = [...Array<number>(40).fill(0)];
    const { changes, path } = run(loads, { replicas: 4, range: { min_replicas: 2, max_replicas: 8 } });
    expect(changes).toEqual([
      { t: 600, from: 4, to: 3 },
      { t: 1260, from: 3, to: 2 },
    ]);
    expect(Math.min(...path)).toBe(2);
  });

  it('scales to zero only when min is 0, after the idle delay, and wakes at once on a held request', () => {
    const settings: LoadScaling = { ...LOAD_SCALING_DEFAULTS, scale_to_zero_delay_seconds: 3600 };
    const quiet = run(Array<number>(70).fill(0), { replicas: 1, range: { min_replicas: 0, max_replicas: 4 }, settings });
    expect(quiet.changes).toEqual([{ t: 3600, from: 1, to: 0 }]);
    expect(run(Array<number>(70).fill(0), { replicas: 1, range: { min_replicas: 1, max_replicas: 4 }, settings }).changes).toEqual([]);
    const wake = decide(input({ replicas: 0, range: { min_replicas: 0, max_replicas: 4 }, sample: sample({ held: 20, vllm: null }), state: quiet.state }));
    // 20 held requests are a queue: one replica per 5 (above the 3 their concurrency asks for)
    expect(wake.decision).toMatchObject({ desired: 4, direction: 'up', reason: expect.stringContaining('wake') });
    expect(decide(input({ replicas: 0, range: { min_replicas: 0, max_replicas: 4 }, sample: sample({ vllm: null }) })).decision.desired).toBe(0);
  });

  it('never changes direction inside the stabilization window', () => {
    const settings: LoadScaling = { ...LOAD_SCALING_DEFAULTS, scale_down_delay_seconds: 60, scale_up_delay_seconds: 0, stabilization_window_seconds: 300 };
    // down at 60 s; load returns at once but the next scale-up waits until 300 s after it
    const { changes } = run([0, 0, 40, 40, 40, 40, 40, 40], { replicas: 2, settings });
    expect(changes[0]).toEqual({ t: 60, from: 2, to: 1 });
    expect(changes[1]).toEqual({ t: 360, from: 1, to: 2 });
  });

  it('moves into the range or up to the window floor at once', () => {
    expect(decide(input({ replicas: 6, range: { min_replicas: 1, max_replicas: 4 } })).decision).toMatchObject({ desired: 4, direction: 'down' });
    expect(decide(input({ replicas: 1, floor: 3 })).decision).toMatchObject({ desired: 3, direction: 'up', reason: expect.stringContaining('floor 3') });
    // a floor above max is clamped to it
    expect(decide(input({ replicas: 1, floor: 12, range: { min_replicas: 1, max_replicas: 4 } })).decision.desired).toBe(4);
  });

  it('changes nothing without any signal', () => {
    expect(decide(input({ replicas: 3, sample: { gatewayInstances: 0, inFlight: 0, held: 0, completed: 0, vllm: null } })).decision).toMatchObject({ desired: 3, reason: expect.stringContaining('no load signal') });
  });

  it('counts cluster seconds: in the local cloud (time scale 0.1) the delays pass ten times faster', () => {
    const first = decide(input({ timeScale: 0.1, sample: sample({ inFlight: 40 }) }));
    const later = decide(input({ timeScale: 0.1, now: at(3), state: first.state, sample: sample({ inFlight: 40 }) }));
    expect(later.decision.desired).toBe(2);
  });
});

describe('decide, properties', () => {
  const settingsArb = fc.record({
    target: fc.record({ metric: fc.constantFrom('concurrency' as const, 'queue' as const), value: fc.integer({ min: 1, max: 64 }) }),
    scale_up_delay_seconds: fc.integer({ min: 0, max: 120 }),
    scale_down_delay_seconds: fc.integer({ min: 120, max: 1200 }),
    scale_to_zero_delay_seconds: fc.integer({ min: 60, max: 7200 }),
    stabilization_window_seconds: fc.integer({ min: 0, max: 900 }),
  });
  const rangeArb = fc.integer({ min: 0, max: 8 }).chain((min) => fc.record({ min_replicas: fc.constant(min), max_replicas: fc.integer({ min: Math.max(1, min), max: 16 }) }));
  const traceArb = fc.array(
    fc.record({
      gap: fc.integer({ min: 10, max: 120 }),
      inFlight: fc.integer({ min: 0, max: 400 }),
      held: fc.integer({ min: 0, max: 50 }),
      waiting: fc.integer({ min: 0, max: 60 }),
      kv: fc.double({ min: 0, max: 1, noNaN: true }),
      completed: fc.integer({ min: 0, max: 5 }),
    }),
    { minLength: 1, maxLength: 60 },
  );

  type Step = { gap: number; inFlight: number; held: number; waiting: number; kv: number; completed: number };
  const simulate = (settings: LoadScaling, range: { min_replicas: number; max_replicas: number }, start: number, trace: Step[]) => {
    let replicas = start;
    let state: PolicyState = {};
    let t = 0;
    const steps: { t: number; from: number; to: number; wake: boolean; inRange: boolean }[] = [];
    for (const s of trace) {
      t += s.gap;
      const wasInRange = replicas >= range.min_replicas && replicas <= range.max_replicas;
      const vllm = replicas > 0 ? { pods: replicas, running: Math.min(s.inFlight, 64 * replicas), waiting: s.waiting, kvCacheUsage: s.kv } : null;
      const { decision, state: next } = decide(
        input({ now: at(t), replicas, range, settings, state, sample: { gatewayInstances: 1, inFlight: s.inFlight, held: s.held, completed: s.completed, vllm } }),
      );
      steps.push({ t, from: replicas, to: decision.desired, wake: replicas === 0, inRange: wasInRange });
      state = next;
      replicas = decision.desired;
    }
    return steps;
  };

  it('never leaves the range once inside it, and never decides outside it', () => {
    fc.assert(
      fc.property(settingsArb, rangeArb, traceArb, (settings, range, trace) => {
        for (const step of simulate(settings, range, Math.max(1, range.min_replicas), trace)) {
          expect(step.to).toBeGreaterThanOrEqual(range.min_replicas);
          expect(step.to).toBeLessThanOrEqual(range.max_replicas);
        }
      }),
    );
  });

  it('steps at most x2 up and one down, and reaches 0 only when min is 0', () => {
    fc.assert(
      fc.property(settingsArb, rangeArb, traceArb, (settings, range, trace) => {
        for (const step of simulate(settings, range, Math.max(1, range.min_replicas), trace)) {
          if (step.to > step.from && !step.wake) expect(step.to).toBeLessThanOrEqual(step.from * 2);
          if (step.to < step.from) expect(step.to).toBe(step.from - 1);
          if (step.to === 0) expect(range.min_replicas).toBe(0);
        }
      }),
    );
  });

  it('never changes direction inside the stabilization window (waking from zero aside)', () => {
    fc.assert(
      fc.property(settingsArb, rangeArb, traceArb, (settings, range, trace) => {
        let last: { t: number; up: boolean } | undefined;
        for (const step of simulate(settings, range, Math.max(1, range.min_replicas), trace)) {
          if (step.to === step.from) continue;
          const up = step.to > step.from;
          if (last && last.up !== up && !step.wake) expect(step.t - last.t).toBeGreaterThanOrEqual(settings.stabilization_window_seconds);
          last = { t: step.t, up };
        }
      }),
    );
  });

  it('never scales up without the load having lasted the scale-up delay, nor down without the quiet delay', () => {
    fc.assert(
      fc.property(settingsArb, rangeArb, traceArb, (settings, range, trace) => {
        const steps = simulate(settings, range, Math.max(1, range.min_replicas), trace);
        let lastChange = 0;
        for (const step of steps) {
          if (step.to === step.from) continue;
          if (step.to > step.from && !step.wake) expect(step.t - lastChange).toBeGreaterThanOrEqual(settings.scale_up_delay_seconds);
          if (step.to < step.from && step.to > 0) expect(step.t - lastChange).toBeGreaterThanOrEqual(settings.scale_down_delay_seconds);
          lastChange = step.t;
        }
      }),
    );
  });
});
