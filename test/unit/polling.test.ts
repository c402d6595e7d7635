import { describe, expect, it } from 'vitest';
import { MAX_POLL_SECONDS, MIN_POLL_SECONDS, nextPollSeconds } from '../../functions/domain/polling';

/** Simulates polling until `actual` seconds and returns (polls, lag after ready). */
const simulate = (expected: number, actual: number) => {
  let t = 0;
  let polls = 0;
  while (t < actual) {
    t += nextPollSeconds(t, expected);
    polls++;
  }
  return { polls, lag: t - actual };
};

describe('nextPollSeconds', () => {
  it('returns whole seconds within bounds', () => {
    for (const [elapsed, expected] of [[0, 600], [599, 600], [5000, 600], [0, 5], [3, 2]] as const) {
      const wait = nextPollSeconds(elapsed, expected);
      expect(Number.isInteger(wait)).toBe(true);
      expect(wait).toBeGreaterThanOrEqual(MIN_POLL_SECONDS);
      expect(wait).toBeLessThanOrEqual(MAX_POLL_SECONDS);
    }
  });

  it('needs far fewer polls than a fixed 10 s interval for a 10-minute start, with no more lag', () => {
    const adaptive = simulate(600, 600);
    const fixed = { polls: 60, lag: 0 };
    expect(adaptive.polls).toBeLessThanOrEqual(fixed.polls / 4);
    expect(adaptive.lag).toBeLessThanOrEqual(10);
  });

  it('keeps the lag small when the start takes much longer than expected', () => {
    expect(simulate(120, 900).lag).toBeLessThanOrEqual(15);
  });
});
