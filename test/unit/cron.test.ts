import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { startCron, type ScheduledEventLike } from '../../local/cron';

// Fake timers: every count below is exact, whatever the machine's load.
const START = new Date('2026-01-01T00:00:00.000Z');
beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(START);
});
afterEach(() => {
  vi.useRealTimers();
});

/** Resolves after `ms` of the (fake) clock. */
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A job whose runs last `ms` and are recorded, with how many ran at once. */
const slowJob = (name: string, everyMs: number, ms: number) => {
  const state = { started: 0, finished: 0, concurrent: 0, maxConcurrent: 0, startedAt: [] as number[], events: [] as ScheduledEventLike[] };
  return {
    state,
    job: {
      name,
      everyMs,
      run: async (event: ScheduledEventLike) => {
        state.started += 1;
        state.startedAt.push(Date.now() - START.getTime());
        state.events.push(event);
        state.concurrent += 1;
        state.maxConcurrent = Math.max(state.maxConcurrent, state.concurrent);
        await sleep(ms);
        state.concurrent -= 1;
        state.finished += 1;
        return state.started;
      },
    },
  };
};

describe('the local cron', () => {
  it('fires each schedule on its interval with an EventBridge scheduled event', async () => {
    const { state, job } = slowJob('reconcile', 20, 1);
    const cron = startCron([job]);
    await vi.advanceTimersByTimeAsync(130);
    await cron.close();
    expect(state.startedAt).toEqual([20, 40, 60, 80, 100, 120]);
    expect(state.events[0]).toMatchObject({
      version: '0',
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      time: '2026-01-01T00:00:00Z', // whole seconds, as EventBridge sends it
      region: 'us-east-1',
      resources: ['arn:aws:scheduler:us-east-1:000000000000:schedule/default/reconcile'],
      detail: {},
    });
  });

  it('never overlaps two runs of one schedule: ticks during a run are skipped', async () => {
    const { state, job } = slowJob('slow', 10, 60);
    const cron = startCron([job]);
    await vi.advanceTimersByTimeAsync(200);
    const closing = cron.close();
    await vi.advanceTimersByTimeAsync(60);
    await closing;
    expect(state.maxConcurrent).toBe(1);
    // A run lasts 60 ms: the five ticks inside each one are skipped, the next tick after it runs.
    expect(state.startedAt).toEqual([10, 70, 130, 190]);
  });

  it('runs a schedule on demand after the run in progress, and returns its result', async () => {
    const { state, job } = slowJob('manual', 60_000, 30);
    const cron = startCron([job], { timer: false });
    const both = Promise.all([cron.run('manual'), cron.run('manual')]);
    await vi.advanceTimersByTimeAsync(60);
    expect(await both).toEqual([1, 2]);
    expect(state.maxConcurrent).toBe(1);
    expect(state.startedAt).toEqual([0, 30]);
    await expect(cron.run('nope')).rejects.toThrow("no schedule named 'nope' (known: manual)");
    await cron.close();
  });

  it('stops firing on close, after waiting for the run in progress', async () => {
    const { state, job } = slowJob('closing', 10, 40);
    const cron = startCron([job]);
    await vi.advanceTimersByTimeAsync(25);
    expect(state).toMatchObject({ started: 1, finished: 0 });
    let closed = false;
    const closing = cron.close().then(() => (closed = true));
    await vi.advanceTimersByTimeAsync(20);
    expect(closed).toBe(false); // the run started at 10 ms ends at 50 ms
    await vi.advanceTimersByTimeAsync(5);
    await closing;
    expect(state).toMatchObject({ started: 1, finished: 1 });
    await vi.advanceTimersByTimeAsync(100);
    expect(state.started).toBe(1);
    await expect(cron.run('closing')).rejects.toThrow('closed');
  });

  it('reports a failed timer run and keeps firing', async () => {
    const failures: string[] = [];
    let runs = 0;
    const cron = startCron(
      [{ name: 'flaky', everyMs: 10, run: async () => { runs += 1; throw new Error('boom'); } }],
      { onError: (name, error) => failures.push(`${name}: ${(error as Error).message}`) },
    );
    await vi.advanceTimersByTimeAsync(80);
    await cron.close();
    expect(runs).toBe(8);
    expect(failures).toEqual(Array.from({ length: 8 }, () => 'flaky: boom'));
  });
});
