/** The scale workflow (and pause, with 0 replicas): statemachines/scale.asl.json. */
import { path, RECORD_FAILURE, failWithError, task, type Machine } from './builder';
import { awaitModel, failurePath, growNodeGroup } from './shared';

/** A failed release after a pause does not fail the pause (see its Fail state). */
const PAUSED_RELEASE_FAILED = 'PausedReleaseFailed';

export const scale: Machine = {
  Comment:
    'Scale a model: grow the node group if needed, apply the new replica count, wait until all replicas are Ready, then give back nodes left empty (one by one, never a serving one). Replicas 0 pauses: once the pods are gone it records paused, keeps the GPUs for the release delay, then gives them back to the ledger and releases the nodes.',
  StartAt: 'GrowNodeGroup',
  States: {
    ...growNodeGroup('ApplyReplicas'),
    ApplyReplicas: task(
      { comment: 'Server-side apply the Deployment with the new replica count.', fn: 'apply-workload', result: 'workload', onFailure: RECORD_FAILURE },
      { next: 'WaitForModel' },
    ),
    ...awaitModel('Pausing?'),
    'Pausing?': {
      Comment: 'Replicas 0: settle as paused instead of ready.',
      Type: 'Choice',
      Choices: [{ Variable: `${path('workload')}.replicas`, NumericEquals: 0, Next: 'MarkPaused' }],
      Default: 'ReleaseIdleNodes',
    },
    ReleaseIdleNodes: task(
      { comment: 'Cordon and terminate empty GPU nodes beyond what live deployments need.', fn: 'release-idle-nodes', result: 'released', onFailure: RECORD_FAILURE },
      { next: 'MarkReady' },
    ),
    MarkReady: task({ fn: 'mark-ready', result: 'result', onFailure: RECORD_FAILURE }, { end: true }),
    MarkPaused: task(
      { comment: 'Record paused (not serving: status initializing, no endpoint) and the release delay.', fn: 'mark-paused', result: 'result', onFailure: RECORD_FAILURE },
      { next: 'WaitReleaseDelay' },
    ),
    WaitReleaseDelay: {
      Comment: 'Keep GPUs and nodes for the release delay: a resume in this time supersedes this execution and finds them.',
      Type: 'Wait',
      SecondsPath: `${path('result')}.release_after_seconds`,
      Next: 'ReleasePausedReservation',
    },
    ReleasePausedReservation: task(
      {
        comment: "Give the GPUs back to the capacity ledger, exactly once (the record's reservation is taken by this execution only).",
        fn: 'release-reservation',
        result: 'capacity_released',
        onFailure: PAUSED_RELEASE_FAILED,
      },
      { next: 'ReleasePausedNodes' },
    ),
    ReleasePausedNodes: task(
      {
        comment: 'Safe scale-in of the nodes no deployment needs now (never lowers the desired size blindly).',
        fn: 'release-idle-nodes',
        result: 'released',
        onFailure: PAUSED_RELEASE_FAILED,
      },
      { end: true },
    ),
    [PAUSED_RELEASE_FAILED]: failWithError(
      'The deployment stays paused (its pods are gone); what was not given back the reconcile finds (ledger drift, idle nodes).',
    ),
    ...failurePath('scale'),
  },
};
