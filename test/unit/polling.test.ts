import { describe, expect, it } from 'vitest';
import { MAX_WAIT_SECONDS, MIN_POLL_SECONDS, planNextPoll, RETRY_POLL, RETRY_WINDOW_SECONDS } from '../../functions/domain/polling';

/**
 * Simulates a readiness loop as the state machines run it: waits cost 3 transitions (Wait,
 * Task, Choice), retries 1. Returns transitions and the lag after `actual`.
 */
const simulate = (expected: number, actual: number) => {
  let t = 0;
  let transitions = 0;
  let retry = 0;
  for (;;) {
    if (t >= actual) return { transitions, lag: t - actual };
    const plan = planNextPoll(t, expected);
    if (plan.kind === 'wait') {
      t += plan.seconds;
      transitions += 3;
      retry = 0;
    } else {
      t += Math.min(RETRY_POLL.maxDelaySeconds, RETRY_POLL.intervalSeconds * RETRY_POLL.backoffRate ** retry);
      retry++;
      transitions += 1;
    }
  }
};

/** Fixed 10 s polling: every check is Wait, Task, Choice. */
const fixed = (actual: number) => ({ transitions: 3 * Math.ceil(actual / 10), lag: Math.ceil(actual / 10) * 10 - actual });

describe('planNextPoll', () => {
  it('waits whole seconds within bounds far from the expected time, and retries near or past it', () => {
    for (const [elapsed, expected] of [[0, 600], [0, 5000], [300, 600]] as const) {
      const plan = planNextPoll(elapsed, expected);
      expect(plan.kind).toBe('wait');
      if (plan.kind === 'wait') {
        expect(Number.isInteger(plan.seconds)).toBe(true);
        expect(plan.seconds).toBeGreaterThanOrEqual(MIN_POLL_SECONDS);
        expect(plan.seconds).toBeLessThanOrEqual(MAX_WAIT_SECONDS);
      }
    }
    expect(planNextPoll(600 - RETRY_WINDOW_SECONDS, 600)).toEqual({ kind: 'retry' });
    expect(planNextPoll(900, 600)).toEqual({ kind: 'retry' });
  });

  it('costs at most a quarter of fixed 10 s polling for a 10-minute start, with no more lag', () => {
    for (const actual of [560, 600, 640, 700]) {
      const ours = simulate(600, actual);
      const baseline = fixed(actual);
      expect(ours.transitions, `actual ${actual}`).toBeLessThanOrEqual(baseline.transitions / 4);
      expect(ours.lag, `actual ${actual}`).toBeLessThanOrEqual(10);
    }
  });

  it('bounds the lag when the estimate is far too high', () => {
    expect(simulate(3000, 100).lag).toBeLessThanOrEqual(MAX_WAIT_SECONDS);
  });
});
