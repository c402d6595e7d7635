import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { startCron, type ScheduledEventLike } from '../../local/cron';

/** A job whose runs last `ms` and are recorded, with how many ran at once. */
const slowJob = (name: string, everyMs: number, ms: number) => {
  const state = { started: 0, finished: 0, concurrent: 0, maxConcurrent: 0, events: [] as ScheduledEventLike[] };
  return {
    state,
    job: {
      name,
      everyMs,
      run: async (event: ScheduledEventLike) => {
        state.started += 1;
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
    await sleep(130);
    await cron.close();
    expect(state.started).toBeGreaterThanOrEqual(3);
    expect(state.events[0]).toMatchObject({
      version: '0',
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      region: 'us-east-1',
      resources: ['arn:aws:scheduler:us-east-1:000000000000:schedule/default/reconcile'],
      detail: {},
    });
  });

  it('never overlaps two runs of one schedule: ticks during a run are skipped', async () => {
    const { state, job } = slowJob('slow', 10, 60);
    const cron = startCron([job]);
    await sleep(200);
    await cron.close();
    expect(state.maxConcurrent).toBe(1);
    expect(state.started).toBeLessThanOrEqual(4);
  });

  it('runs a schedule on demand after the run in progress, and returns its result', async () => {
    const { state, job } = slowJob('manual', 60_000, 30);
    const cron = startCron([job], { timer: false });
    const [first, second] = await Promise.all([cron.run('manual'), cron.run('manual')]);
    expect([first, second]).toEqual([1, 2]);
    expect(state.maxConcurrent).toBe(1);
    await expect(cron.run('nope')).rejects.toThrow("no schedule named 'nope' (known: manual)");
    await cron.close();
  });

  it('stops firing on close, after waiting for the run in progress', async () => {
    const { state, job } = slowJob('closing', 10, 40);
    const cron = startCron([job]);
    await sleep(25);
    await cron.close();
    expect(state.finished).toBe(state.started);
    const after = state.started;
    await sleep(60);
    expect(state.started).toBe(after);
    await expect(cron.run('closing')).rejects.toThrow('closed');
  });

  it('reports a failed timer run and keeps firing', async () => {
    const failures: string[] = [];
    let runs = 0;
    const cron = startCron(
      [{ name: 'flaky', everyMs: 10, run: async () => { runs += 1; throw new Error('boom'); } }],
      { onError: (name, error) => failures.push(`${name}: ${(error as Error).message}`) },
    );
    await sleep(80);
    await cron.close();
    expect(runs).toBeGreaterThanOrEqual(2);
    expect(failures[0]).toBe('flaky: boom');
  });
});
