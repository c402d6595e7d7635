/**
 * Adaptive readiness polling, in two modes.
 *
 * - Far from the expected ready time, a check returns a wait of half of what remains
 *   (at most two minutes, so a wrong estimate costs bounded lag). Each such poll costs three
 *   state transitions (Wait, Task, Choice).
 * - Within `RETRY_WINDOW_SECONDS` of it, or past it, the check throws `NotReadyYet` and the
 *   state machine's Retry polls again after 2 s, backing off by 1.3 up to 10 s. Each such
 *   poll costs one transition, and the 10 s cap keeps the lag no worse than fixed 10 s polling.
 */
export const MIN_POLL_SECONDS = 2;
export const MAX_WAIT_SECONDS = 120;
export const RETRY_WINDOW_SECONDS = 20;

export type PollPlan = { kind: 'wait'; seconds: number } | { kind: 'retry' };

const clamp = (value: number, min: number, max: number) => Math.min(max, Math.max(min, value));

export const planNextPoll = (elapsedSeconds: number, expectedSeconds: number): PollPlan => {
  const remaining = expectedSeconds - elapsedSeconds;
  if (remaining <= RETRY_WINDOW_SECONDS) return { kind: 'retry' };
  return { kind: 'wait', seconds: clamp(Math.round(remaining / 2), MIN_POLL_SECONDS, MAX_WAIT_SECONDS) };
};

/** The retry schedule the state machines use for `NotReadyYet` (keep in sync with the ASL). */
export const RETRY_POLL = { intervalSeconds: 2, backoffRate: 1.3, maxDelaySeconds: 10, maxAttempts: 60 } as const;

/** Thrown by a readiness check that wants the state machine's cheap Retry poll. */
export class NotReadyYetError extends Error {
  override name = 'NotReadyYet';
}

/** Applies a plan: returns the wait in seconds, or throws for the Retry mode. */
export const waitOrRetry = (plan: PollPlan, what: string): number => {
  if (plan.kind === 'retry') throw new NotReadyYetError(`${what} not ready yet`);
  return plan.seconds;
};

/** How long to wait before re-planning when EKS refuses a node group update because another runs (409). */
export const NODE_GROUP_BUSY_WAIT_SECONDS = 10;
