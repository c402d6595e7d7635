/** Field shapes several request schemas share; each message names the field it checks. */
import * as z from 'zod';

/** The most replicas one deployment may run: every request, schedule and autoscaling range is bounded by it. */
export const MAX_REPLICAS = 16;

export const integer = (field: string) =>
  z.number({ error: `${field} must be an integer` }).int({ error: `${field} must be an integer` });

export const replicaBound = (field: string, min: number) =>
  integer(field)
    .min(min, { error: `${field} must be between ${min} and ${MAX_REPLICAS}` })
    .max(MAX_REPLICAS, { error: `${field} must be between ${min} and ${MAX_REPLICAS}` });

/** A true/false query parameter, false unless given. */
export const queryFlag = (field: string) =>
  z
    .enum(['true', 'false'], { error: `${field} must be true or false` })
    .transform((value) => value === 'true')
    .default(false);
