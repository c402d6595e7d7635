/** The delete workflow: statemachines/delete.asl.json. */
import { pollLoop, RECORD_FAILURE, startRemoval, task, type Machine } from './builder';
import { failurePath } from './shared';

export const del: Machine = {
  Comment:
    'Delete a model: stop counting its GPUs, remove its Kubernetes objects, wait for its pods to go, give back empty GPU nodes, then remove the record.',
  StartAt: 'ReleaseReservation',
  States: {
    ReleaseReservation: task(
      {
        comment: "Stop counting its GPUs: give the record's reservation back to the capacity ledger, exactly once.",
        fn: 'release-reservation',
        result: null,
        onFailure: RECORD_FAILURE,
      },
      { next: 'StartRemoval' },
    ),
    StartRemoval: startRemoval(
      'Count the polls for the pods to go: the wait grows and is bounded (functions/domain/pod-removal.ts), so a pod stuck Terminating never runs the execution into the 25,000-event history limit.',
      'RemoveWorkload',
    ),
    ...pollLoop({
      key: 'removal',
      check: {
        name: 'RemoveWorkload',
        comment: 'Delete the Deployment, Service, Secret, claim, disruption budget and network policy (404 counts as done); force-delete pods stuck on lost nodes.',
        fn: 'remove-workload',
        onFailure: RECORD_FAILURE,
      },
      choice: { name: 'PodsGone?', field: 'gone', then: 'ReleaseIdleNodes' },
      wait: { name: 'WaitForPodsToStop', comment: 'A growing wait (2 s up to 60 s) between polls; the poll count is bounded.' },
      retryNotReady: false,
      entry: 'check',
    }),
    ReleaseIdleNodes: task(
      { comment: 'Cordon and terminate empty GPU nodes beyond what live deployments need.', fn: 'release-idle-nodes', result: 'released', onFailure: RECORD_FAILURE },
      { next: 'FinishDelete' },
    ),
    FinishDelete: task(
      { comment: 'Remove the record: the API answers 404 from now on.', fn: 'finish-delete', result: 'result', onFailure: RECORD_FAILURE },
      { end: true },
    ),
    ...failurePath('delete'),
  },
};
