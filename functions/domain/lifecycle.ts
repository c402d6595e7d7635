/**
 * The deployment lifecycle: how a record changes on an event, as pure functions of the record
 * and the time. Each returns the changes to write and the history event to append; the caller
 * writes them with its own condition (version, owning execution).
 *
 * Starts with `markFailed`, which had two copies (the workflow's failure path and the reconcile)
 * that drifted apart: the reconcile's left the usage segment open and the instance counts
 * standing, so a failed deployment kept accruing serving time and cost.
 */
import type { DeploymentRecord } from './deployment';
import { closeSegment } from './usage';

export interface LifecycleEvent {
  readonly type: string;
  readonly message: string;
  readonly reason?: string;
}

/** A failure as Kubernetes conditions carry it: a machine-readable reason and a human message. */
export interface Failure {
  readonly reason: string;
  readonly message: string;
}

/**
 * A deploy or scale failed: nothing serves or starts any more (its workload is being removed),
 * so the deployment stops being ready, its usage segment ends at `at`, and no instance counts.
 * `fail_reason` keeps the API's `Reason: message` form.
 */
export const markFailed = (record: Pick<DeploymentRecord, 'usage'>, at: Date, failure: Failure) => {
  const failReason = failure.message.startsWith(`${failure.reason}:`) ? failure.message : `${failure.reason}: ${failure.message}`;
  return {
    changes: {
      status: 'failed' as const,
      phase: 'failed' as const,
      fail_reason: failReason.slice(0, 2000),
      ready_since: null,
      endpoint_url: null,
      usage: closeSegment(record.usage, at),
      instances: { running: 0, pending: 0, observed_at: at.toISOString() },
    },
    event: { type: 'failed', message: failReason.slice(0, 2000), reason: failure.reason } satisfies LifecycleEvent,
  };
};
