/** Records that a pause settled with no pods, and how long its GPUs are kept (use-cases/workflow/settle.ts). */
import * as z from 'zod';
import { readEnv } from '../commons/env';
import { workflowTask, type TaskInput } from '../commons/workflow';
import { markPaused as settle } from '../use-cases/workflow/settle';
import { clock } from '../wiring/clock';
import { deploymentStore } from '../wiring/deployment-store';

const env = readEnv({
  /** Cluster seconds a paused deployment keeps its GPUs and nodes (a quick resume finds them). */
  PAUSE_RELEASE_DELAY_SECONDS: z.coerce.number().int().min(0).max(86_400).default(600),
});

const ports = { deployments: deploymentStore, clock };

export const markPaused = (input: TaskInput) => settle(ports, input, env.PAUSE_RELEASE_DELAY_SECONDS);

export const handler = workflowTask('mark-paused', markPaused);
