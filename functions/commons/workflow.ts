/**
 * What every workflow task shares: its input shape, loading the deployment it works on
 * (only while its execution still owns it), and logging around the task.
 */
import type { Context } from 'aws-lambda';
import * as repository from '../adapters/deployment-records';
import type { DeploymentRecord } from '../domain/deployment';
import { DeploymentFailedError, SupersededError } from '../domain/errors';
import { NotReadyYetError } from '../domain/polling';
import { logger } from './logger';
import { observeTask } from './observability';

export interface DeploymentRef {
  org_id: string;
  project_id: string;
  id: string;
  gpu_config_id: string;
}

/** Every task gets the deployment reference and its own execution ARN ($$.Execution.Id). */
export interface TaskInput {
  deployment: DeploymentRef;
  execution: string;
}

/** The record, if this execution still owns it; otherwise the workflow was superseded. */
export const ownedDeployment = async (input: TaskInput): Promise<DeploymentRecord> => {
  const record = await repository.getDeployment(input.deployment, input.deployment.id);
  if (!record || record.execution_arn !== input.execution) {
    throw new SupersededError(`deployment ${input.deployment.id} is now owned by another operation`);
  }
  return record;
};

/** A conditional write that lost to a newer operation also means superseded. */
export const asSuperseded = (error: unknown): never => {
  if (error instanceof repository.StaleWriteError) throw new SupersededError(error.message);
  throw error;
};

export const workflowTask =
  <I extends TaskInput, O>(task: string, fn: (input: I) => Promise<O>) =>
  async (input: I, context?: Context): Promise<O> => {
    logger.resetKeys(); // keys of the previous invocation (or, locally, of another function) must not leak
    if (context) logger.addContext(context);
    logger.appendKeys({ task, deploymentId: input.deployment?.id, execution: input.execution });
    const observation = { task, deploymentId: input.deployment?.id, execution: input.execution, context };
    return observeTask(
      observation,
      async () => {
        try {
          const output = await fn(input);
          logger.info('task done', { output: output as Record<string, unknown> });
          return output;
        } catch (error) {
          if (error instanceof SupersededError) logger.info('superseded', { reason: error.message });
          else if (error instanceof NotReadyYetError) logger.debug('not ready yet: the state machine polls again');
          else logger.warn('task failed', { error: error as Error });
          throw error;
        }
      },
      (error) =>
        error instanceof SupersededError ? 'superseded' : error instanceof NotReadyYetError ? 'not-ready' : error instanceof DeploymentFailedError ? 'classified' : 'failed',
    );
  };
