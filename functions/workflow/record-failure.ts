/**
 * Records why a workflow failed, from the error Step Functions caught (typed by
 * `failureOfCaught`). A deploy or scale failure marks the deployment failed (lifecycle
 * `markFailed`) and gives its GPUs back to the ledger (exactly once); a failed delete stays
 * `terminating` so it can be retried (`markDeleteFailed`).
 */
import { now } from '../adapters/clock';
import { releaseGpus } from '../adapters/capacity-ledger';
import { takeReservation } from '../adapters/deployment-indexes';
import { getDeployment, StaleWriteError, updateDeployment } from '../adapters/deployment-records';
import { failureOfCaught, type CaughtError } from '../domain/errors';
import { markDeleteFailed, markFailed } from '../domain/lifecycle';
import { logger } from '../commons/logger';
import { recordWorkflowFailure } from '../commons/observability';
import { failureClass } from '../domain/failure-class';
import { workflowTask, type TaskInput } from '../commons/workflow';

export const recordFailure = async (input: TaskInput & { error: CaughtError; operation: 'deploy' | 'scale' | 'delete' }) => {
  const failure = failureOfCaught(input.error);
  const at = now();
  const record = input.operation === 'delete' ? undefined : await getDeployment(input.deployment, input.deployment.id);
  const failed = input.operation === 'delete' ? markDeleteFailed(failure) : markFailed(record ?? {}, at, failure);
  const failReason = failed.changes.fail_reason;
  // The alarms page on the platform's failures only (infra/constructs/monitoring.ts).
  recordWorkflowFailure(input.operation, failureClass(failure.reason, { customImage: typeof record?.custom?.image === 'string' }));
  try {
    await updateDeployment(input.deployment, input.deployment.id, failed.changes, { executionArn: input.execution }, { now: at, event: failed.event });
  } catch (error) {
    if (!(error instanceof StaleWriteError)) throw error;
    logger.info('failure not recorded: the deployment belongs to a newer operation', { reason: failReason });
    return { fail_reason: failReason, released_gpus: 0 };
  }
  let released = 0;
  if (input.operation !== 'delete') {
    const taken = await takeReservation(input.deployment, input.deployment.id, input.execution);
    await releaseGpus(input.deployment.gpu_config_id, taken.gpus);
    released = taken.gpus;
  }
  return { fail_reason: failReason, released_gpus: released };
};

export const handler = workflowTask('record-failure', recordFailure);
