/**
 * The two kinds of handler that are plain functions, not HTTP: workflow tasks (Step Functions
 * invokes them with the execution state) and scheduled handlers (EventBridge, or the local
 * cron). Both get the same preamble: fresh logger keys for this invocation, the Lambda context,
 * and a trace subsegment with duration and outcome metrics (./observability.ts).
 */
import type { Context, ScheduledEvent } from 'aws-lambda';
import type { TaskInput } from '../../contract/execution-state';
import { DeploymentFailedError, SupersededError } from '../domain/errors';
import { NotReadyYetError } from '../domain/polling';
import { logger } from './logger';
import { observeTask, type TaskObservation } from './observability';


export type { DeploymentRef, TaskInput } from '../../contract/execution-state';

/** Runs one invocation: its own logger keys (none of the previous invocation's, or locally of another function's) inside observeTask. */
const invoke = <O>(
  keys: Record<string, unknown>,
  observation: TaskObservation,
  run: () => Promise<O>,
  classify: Parameters<typeof observeTask>[2],
): Promise<O> => {
  logger.resetKeys();
  if (observation.context) logger.addContext(observation.context);
  logger.appendKeys(keys);
  return observeTask(observation, run, classify);
};

export const workflowTask =
  <I extends TaskInput, O>(task: string, fn: (input: I) => Promise<O>) =>
  async (input: I, context?: Context): Promise<O> =>
    invoke(
      { task, deploymentId: input.deployment?.id, execution: input.execution },
      { task, deploymentId: input.deployment?.id, execution: input.execution, context },
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

/** When a scheduled event was meant to run (EventBridge's `time`), if it says; a handler falls back to its clock. */
export const scheduledTime = (event: Partial<ScheduledEvent>): Date | undefined =>
  event.time && !Number.isNaN(Date.parse(event.time)) ? new Date(event.time) : undefined;

/** A scheduled handler: `fn` gets the event (its `time` is when it was meant to run) and the context; any error is a failure. */
export const scheduledTask =
  <O>(task: string, fn: (event: Partial<ScheduledEvent>, context?: Context) => Promise<O>) =>
  async (event?: Partial<ScheduledEvent>, context?: Context): Promise<O> =>
    invoke({ task, scheduledAt: event?.time }, { task, context }, () => fn(event ?? {}, context), () => 'failed');
