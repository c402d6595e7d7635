/**
 * Records that a pause settled with no pods (lifecycle `markPaused`): not serving, its usage
 * segment closed. It returns how long the workflow keeps the GPUs and nodes before giving them
 * back, so a quick resume finds them.
 */
import * as z from 'zod';
import { now } from '../adapters/clock';
import { updateDeployment } from '../adapters/deployment-records';
import { readEnv } from '../commons/env';
import { asSuperseded, ownedDeployment, workflowTask, type TaskInput } from '../commons/workflow';
import * as lifecycle from '../domain/lifecycle';

const env = readEnv({
  /** Cluster seconds a paused deployment keeps its GPUs and nodes (a quick resume finds them). */
  PAUSE_RELEASE_DELAY_SECONDS: z.coerce.number().int().min(0).max(86_400).default(600),
});

export const markPaused = async (input: TaskInput) => {
  const record = await ownedDeployment(input);
  const at = now();
  const settled = lifecycle.markPaused(record, at, env.PAUSE_RELEASE_DELAY_SECONDS);
  const updated = await updateDeployment(record, record.id, settled.changes, { executionArn: input.execution }, { now: at, event: settled.event }).catch(asSuperseded);
  return { status: updated.status, replicas: 0, ready_since: null, paused: true, release_after_seconds: env.PAUSE_RELEASE_DELAY_SECONDS };
};

export const handler = workflowTask('mark-paused', markPaused);
