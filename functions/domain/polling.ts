/**
 * Adaptive readiness polling. While the expected duration has not passed, wait half of
 * what remains (few polls during a long cold start); around and after it, poll every few
 * seconds, slowly backing off, so the lag between "ready" and noticing it stays small.
 */
export const MIN_POLL_SECONDS = 2;
export const MAX_POLL_SECONDS = 120;

const clamp = (value: number, min: number, max: number) => Math.min(max, Math.max(min, value));

export const nextPollSeconds = (elapsedSeconds: number, expectedSeconds: number): number => {
  const remaining = expectedSeconds - elapsedSeconds;
  if (remaining > 2 * MIN_POLL_SECONDS) return clamp(Math.round(remaining / 2), MIN_POLL_SECONDS, MAX_POLL_SECONDS);
  return clamp(Math.round(MIN_POLL_SECONDS + (elapsedSeconds - expectedSeconds) / 30), MIN_POLL_SECONDS, 15);
};
