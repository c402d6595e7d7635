/** Wall time, scaled by WORKFLOW_TIME_SCALE in the local cloud (adapters/clock.ts). */
import { elapsedSeconds, now, timeScale } from '../adapters/clock';
import type { Clock } from '../ports';

export const clock: Clock = { now, timeScale, elapsedSeconds };
