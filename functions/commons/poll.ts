/**
 * A readiness poll that survives transient API errors.
 *
 * In Step Functions a Retry's attempt count lasts for the whole state, and the poll tasks
 * allow only a few retries for errors other than NotReadyYet: spread over a 15-minute poll, a
 * handful of Kubernetes 429s or a dropped connection would fail a healthy deploy (found by the
 * chaos run, docs/reliability.md). So a transient error returns "not ready, wait a little"
 * instead of throwing; the poll loop's own Wait state carries it, with no Retry budget spent.
 * Consecutive transient failures are bounded, so an API that stays down still fails the
 * operation, through the state's Retry and Catch as before.
 */
import { logger } from './logger';

export const TRANSIENT_WAIT_SECONDS = 5;
/** About two and a half minutes of an API failing every poll. */
export const MAX_CONSECUTIVE_TRANSIENT_ERRORS = 30;

export interface PollState {
  ready: boolean;
  wait_seconds: number;
  /** Consecutive polls that met a transient API error. */
  transient_errors?: number;
}

/** `isTransient`: which errors of the clients are worth another poll (the ports' TransientErrors). */
export const pollThroughTransientErrors = async <S extends PollState>(state: S, poll: () => Promise<S>, isTransient: (error: unknown) => boolean): Promise<S> => {
  try {
    const next = await poll();
    return { ...next, transient_errors: 0 };
  } catch (error) {
    const seen = (state.transient_errors ?? 0) + 1;
    if (!isTransient(error) || seen > MAX_CONSECUTIVE_TRANSIENT_ERRORS) throw error;
    logger.info('transient API error: polling again', { attempt: seen, error: (error as Error).message.slice(0, 300) });
    return { ...state, ready: false, wait_seconds: TRANSIENT_WAIT_SECONDS, transient_errors: seen };
  }
};
