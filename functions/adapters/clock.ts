/**
 * Workflow time. In AWS the scale is 1. The local cloud runs Wait states and the simulated
 * cluster faster by WORKFLOW_TIME_SCALE, so elapsed wall time is divided by it to get the
 * cluster's seconds: deadlines and poll intervals then mean the same thing in both places.
 */
import * as z from 'zod';
import { readEnv } from '../commons/env';

const env = readEnv({ WORKFLOW_TIME_SCALE: z.coerce.number().positive().max(1).default(1) });

export const timeScale = env.WORKFLOW_TIME_SCALE;
export const now = (): Date => new Date();
/** Cluster seconds elapsed since `sinceIso`. */
export const elapsedSeconds = (sinceIso: string, at: Date = now()): number =>
  (at.getTime() - Date.parse(sinceIso)) / 1000 / timeScale;
