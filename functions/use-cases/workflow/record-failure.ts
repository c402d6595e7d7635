/**
 * Records why a workflow failed, from the error Step Functions caught (typed by
 * `failureOfCaught`). A deploy or scale failure marks the deployment failed (lifecycle
 * `markFailed`) and gives its GPUs back to the ledger (exactly once); a failed delete stays
 * `terminating` so it can be retried (`markDeleteFailed`).
 */
import { logger } from '../../commons/logger';
import { recordWorkflowFailure } from '../../commons/observability';
import { failureOfCaught, type CaughtError } from '../../domain/errors';
import { failureClass } from '../../domain/failure-class';
import { markDeleteFailed, markFailed } from '../../domain/lifecycle';
import { isStaleWrite, type Ports } from '../../ports';
import type { TaskInput } from '../../../contract/execution-state';

export interface RecordFailureInput extends TaskInput {
  error: CaughtError;
  operation: 'deploy' | 'scale' | 'delete';
}

export const recordFailure = async (ports: Pick<Ports, 'deployments' | 'ledger' | 'clock'>, input: RecordFailureInput) => {
  const { deployments } = ports;
  const failure = failureOfCaught(input.error);
  const at = ports.clock.now();
  const record = input.operation === 'delete' ? undefined : await deployments.get(input.deployment, input.deployment.id);
  const failed = input.operation === 'delete' ? markDeleteFailed(failure) : markFailed(record ?? {}, at, failure);
  const failReason = failed.changes.fail_reason;
  // The alarms page on the platform's failures only (infra/constructs/monitoring.ts).
  recordWorkflowFailure(input.operation, failureClass(failure.reason, { customImage: typeof record?.custom?.image === 'string' }));
  try {
    await deployments.update(input.deployment, input.deployment.id, failed.changes, { executionArn: input.execution }, { now: at, event: failed.event });
  } catch (error) {
    if (!isStaleWrite(error)) throw error;
    logger.info('failure not recorded: the deployment belongs to a newer operation', { reason: failReason });
    return { fail_reason: failReason, released_gpus: 0 };
  }
  let released = 0;
  if (input.operation !== 'delete') {
    const taken = await deployments.takeReservation(input.deployment, input.deployment.id, input.execution);
    await ports.ledger.release(input.deployment.gpu_config_id, taken.gpus);
    released = taken.gpus;
  }
  return { fail_reason: failReason, released_gpus: released };
};
