/**
 * Records why a workflow failed (`fail_reason`), from the error Step Functions caught.
 * A deploy or scale failure marks the deployment failed and gives its GPUs back to the
 * ledger (exactly once); a failed delete stays `terminating` so it can be retried.
 */
import { now } from '../adapters/clock';
import { releaseGpus } from '../adapters/capacity-ledger';
import { takeReservation } from '../adapters/deployment-indexes';
import { getDeployment, StaleWriteError, updateDeployment } from '../adapters/deployment-records';
import { markFailed } from '../domain/lifecycle';
import { logger } from '../commons/logger';
import { recordWorkflowFailure } from '../commons/observability';
import { failureClass } from '../domain/failure-class';
import { workflowTask, type TaskInput } from '../commons/workflow';

export interface CaughtError {
  Error: string;
  Cause?: string;
}

/** Lambda errors arrive as `{Error: name, Cause: '{"errorType","errorMessage",...}'}`. */
export const failReason = (caught: CaughtError): string => {
  let message = caught.Cause ?? '';
  try {
    const cause = JSON.parse(caught.Cause ?? '') as { errorMessage?: unknown };
    if (typeof cause.errorMessage === 'string') message = cause.errorMessage;
  } catch {
    // Cause is plain text (States.* errors)
  }
  if (caught.Error === 'DeploymentFailed') return message.slice(0, 2000);
  return `${caught.Error}: ${message}`.slice(0, 2000);
};

export const recordFailure = async (input: TaskInput & { error: CaughtError; operation: 'deploy' | 'scale' | 'delete' }) => {
  const reason = failReason(input.error);
  const at = now();
  const record = input.operation === 'delete' ? undefined : await getDeployment(input.deployment, input.deployment.id);
  const code = reason.includes(':') ? reason.slice(0, reason.indexOf(':')) : 'Failed';
  // A failed delete stays `deleting` so it can be retried; a failed deploy or scale no longer serves.
  const failed =
    input.operation === 'delete'
      ? { changes: { phase: 'deleting' as const, fail_reason: reason }, event: { type: 'delete_failed', message: reason, reason: code } }
      : markFailed(record ?? {}, at, { reason: code, message: reason });
  // The alarms page on the platform's failures only (infra/constructs/monitoring.ts).
  recordWorkflowFailure(input.operation, failureClass(code, { customImage: typeof record?.custom?.image === 'string' }));
  try {
    await updateDeployment(input.deployment, input.deployment.id, failed.changes, { executionArn: input.execution }, { now: at, event: failed.event });
  } catch (error) {
    if (!(error instanceof StaleWriteError)) throw error;
    logger.info('failure not recorded: the deployment belongs to a newer operation', { reason });
    return { fail_reason: reason, released_gpus: 0 };
  }
  let released = 0;
  if (input.operation !== 'delete') {
    const taken = await takeReservation(input.deployment, input.deployment.id, input.execution);
    await releaseGpus(input.deployment.gpu_config_id, taken.gpus);
    released = taken.gpus;
  }
  return { fail_reason: reason, released_gpus: released };
};

export const handler = workflowTask('record-failure', recordFailure);
