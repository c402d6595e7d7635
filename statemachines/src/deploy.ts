/** The deploy workflow: statemachines/deploy.asl.json. */
import type { AslEvent } from '../../functions/domain/lifecycle';
import { RECORD_FAILURE, task, type Machine } from './builder';
import { awaitModel, failurePath, growNodeGroup } from './shared';

export const deploy: Machine = {
  Comment:
    'Deploy a model: grow the GPU node group, wait for nodes, apply the vLLM workload, wait until every replica is Ready. Any failure records fail_reason and removes what was created.',
  StartAt: 'RecordProvisioning',
  States: {
    RecordProvisioning: task(
      { fn: 'record-phase', parameters: { event: 'provisioning_started' satisfies AslEvent }, result: null, onFailure: RECORD_FAILURE },
      { next: 'GrowNodeGroup' },
    ),
    ...growNodeGroup('ApplyWorkload'),
    ApplyWorkload: task(
      { comment: 'Server-side apply the Deployment and Service.', fn: 'apply-workload', result: 'workload', onFailure: RECORD_FAILURE },
      { next: 'WaitForModel' },
    ),
    ...awaitModel('MarkReady'),
    MarkReady: task({ comment: 'status ready, endpoint_url, ready_since.', fn: 'mark-ready', result: 'result', onFailure: RECORD_FAILURE }, { end: true }),
    ...failurePath('deploy'),
  },
};
