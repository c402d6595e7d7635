/**
 * How long a workflow waits for a model's pods to go, and when it stops waiting. Pure.
 *
 * A pod normally goes within its 30 s grace period. One on a node whose kubelet stopped
 * answering (NotReady, or its node object gone) stays Terminating until something deletes it
 * with grace period 0: nobody else will confirm its end. One held by a finalizer stays until the
 * finalizer is removed, whatever we do. So: poll with a growing wait, force-delete the pods on
 * lost nodes once their grace period is over, and after MAX_REMOVAL_POLLS stop waiting; the
 * reconcile's leak audit deals with what is left. The bound keeps every workflow far below
 * Step Functions' 25,000-event history limit (test/unit/pod-removal.test.ts counts it).
 */

/** Polls before the workflow stops waiting (with the waits below: about 12 minutes). */
export const MAX_REMOVAL_POLLS = 20;
const FIRST_WAIT_SECONDS = 2;
const MAX_WAIT_SECONDS = 60;

/** Seconds to wait after poll `attempt` (1-based): 2, 3, 5, 7, 10, 15, 23, 34, 51, then 60. */
export const removalWaitSeconds = (attempt: number): number =>
  Math.min(MAX_WAIT_SECONDS, Math.round(FIRST_WAIT_SECONDS * 1.5 ** Math.max(0, attempt - 1)));

/** Total seconds the workflow waits before it gives up (the sum of the waits between polls). */
export const maxRemovalWaitSeconds = (): number =>
  Array.from({ length: MAX_REMOVAL_POLLS - 1 }, (_, i) => removalWaitSeconds(i + 1)).reduce((a, b) => a + b, 0);

export interface RemainingPod {
  name: string;
  nodeName: string | undefined;
  /** When the pod was asked to stop (metadata.deletionTimestamp), if it was. */
  deletionTimestamp: Date | undefined;
  gracePeriodSeconds: number;
}

/**
 * The pods to delete with grace period 0: asked to stop, past their grace period, and on a node
 * that cannot confirm it (NotReady, unknown or gone). A pod on a Ready node is left to its kubelet.
 */
export const podsToForceDelete = (pods: readonly RemainingPod[], lostNodes: ReadonlySet<string>, now: Date): string[] =>
  pods
    .filter((pod) => pod.deletionTimestamp !== undefined && pod.nodeName !== undefined && lostNodes.has(pod.nodeName))
    .filter((pod) => now.getTime() - (pod.deletionTimestamp?.getTime() ?? now.getTime()) >= pod.gracePeriodSeconds * 1000)
    .map((pod) => pod.name);
