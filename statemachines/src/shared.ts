/** The states deploy and scale share, and every machine's ends: Superseded and the failure path. */
import { failWithError, pollLoop, RECORD_FAILURE, startRemoval, SUPERSEDED_STATE, task, type States } from './builder';

const CHECK_POLLS = 'Near the expected time it throws NotReadyYet and Retry polls (1 transition each, 2 s x1.3 up to 10 s).';

/** Grow the node group, then poll until its nodes are Ready; `then` once they are. */
export const growNodeGroup = (then: string): States => ({
  GrowNodeGroup: task(
    { comment: 'Grow the GPU node group to what all live deployments on it need.', fn: 'ensure-node-capacity', result: 'capacity', onFailure: RECORD_FAILURE },
    { next: 'NodesReady?' },
  ),
  ...pollLoop({
    key: 'capacity',
    check: { name: 'CheckNodes', comment: `Count Ready GPU nodes; fail on node group health issues or the deadline. ${CHECK_POLLS}`, fn: 'check-nodes', onFailure: RECORD_FAILURE },
    choice: { name: 'NodesReady?', field: 'ready', then },
    wait: { name: 'WaitForNodes', comment: 'Adaptive: long while nodes boot, short near the expected join time.' },
    retryNotReady: true,
    entry: 'choice',
  }),
});

/** After the workload is applied: poll its pods until every replica is Ready; `then` once they are. Entered at WaitForModel. */
export const awaitModel = (then: string): States =>
  pollLoop({
    key: 'workload',
    check: { name: 'CheckModel', comment: `Pods Ready? Classify failures; enforce the startup budget. ${CHECK_POLLS}`, fn: 'check-workload', onFailure: RECORD_FAILURE },
    choice: { name: 'ModelReady?', field: 'ready', then },
    wait: { name: 'WaitForModel', comment: 'Adaptive: half the expected remaining start time, then short polls.' },
    retryNotReady: true,
    entry: 'wait',
  });

const superseded: States = {
  [SUPERSEDED_STATE]: { Comment: 'A newer operation (usually a delete) owns the deployment now; it cleans up.', Type: 'Succeed' },
};

/**
 * The ends every machine has: the quiet end of a superseded execution, and where every other
 * caught error goes: record fail_reason (and, for a deploy or scale, give the GPUs
 * back), then fail with the caught error. A failed deploy or scale also removes what it created
 * and gives back the nodes nothing needs; a failed delete stays `deleting`, and its retry removes.
 */
export const failurePath = (operation: 'deploy' | 'scale' | 'delete'): States => {
  const cleanup = operation !== 'delete';
  return {
    ...superseded,
    [RECORD_FAILURE]: task(
      { comment: 'Record fail_reason from the caught error.', fn: 'record-failure', reads: ['error'], parameters: { operation }, result: null },
      { next: cleanup ? 'StartFailedCleanup' : 'Failed' },
    ),
    ...(cleanup
      ? {
          StartFailedCleanup: startRemoval(
            'Count the polls for the failed pods to go (the cleanup gives up waiting after a bound; the reconcile audits what is left).',
            'RemoveFailedWorkload',
          ),
          ...pollLoop({
            key: 'removal',
            check: { name: 'RemoveFailedWorkload', comment: 'Leave no Kubernetes object behind; report how many of its pods are still terminating.', fn: 'remove-workload' },
            choice: {
              name: 'FailedPodsGone?',
              comment: 'A node is idle only once its pods are gone: releasing earlier would keep (leak) it.',
              field: 'gone',
              then: 'ReleaseFailedNodes',
            },
            wait: { name: 'WaitForFailedPods', comment: 'Pods get their termination grace period.' },
            retryNotReady: false,
            entry: 'check',
          }),
          ReleaseFailedNodes: task({ comment: 'Give back GPU nodes no deployment needs.', fn: 'release-idle-nodes', result: null }, { next: 'Failed' }),
        }
      : {}),
    Failed: failWithError(),
  };
};
