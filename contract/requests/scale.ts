/**
 * How many replicas a deployment runs: PUT …/scale, PUT …/autoscaling, and the scale range a
 * deploy may carry, with the load autoscaler's settings. functions/domain/autoscaling.ts reconciles
 * the range's spellings and checks them against the node group.
 */
import * as z from 'zod';
import { integer, MAX_REPLICAS, replicaBound } from './fields';

/** A scale range under one of its three spellings (ours, DeepInfra's, Jan's); domain/autoscaling.ts reconciles them. */
const rangeSchema = <Min extends string, Max extends string>(prefix: string, minKey: Min, maxKey: Max) =>
  z.object(
    {
      [minKey]: replicaBound(`${prefix}.${minKey}`, 0),
      [maxKey]: replicaBound(`${prefix}.${maxKey}`, 1),
    } as Record<Min | Max, ReturnType<typeof replicaBound>>,
    { error: `${prefix} must be an object with ${minKey} and ${maxKey}` },
  );

export const TARGET_METRICS = ['concurrency', 'queue'] as const;

/** What the load autoscaler keeps per replica: concurrent requests (gateway in flight + held, or vLLM running + waiting), or queued ones. */
const targetSchema = (prefix: string) =>
  z.strictObject(
    {
      metric: z.enum(TARGET_METRICS, { error: `${prefix}.metric must be 'concurrency' or 'queue'` }),
      value: integer(`${prefix}.value`)
        .min(1, { error: `${prefix}.value must be between 1 and 1024` })
        .max(1024, { error: `${prefix}.value must be between 1 and 1024` }),
    },
    { error: `${prefix} must be an object with metric ('concurrency' or 'queue') and value` },
  );

const seconds = (field: string, min: number, max: number) =>
  integer(field)
    .min(min, { error: `${field} must be between ${min} and ${max} seconds` })
    .max(max, { error: `${field} must be between ${min} and ${max} seconds` });

/** The load autoscaler's settings as stored (every field filled: defaults below). */
export interface LoadScaling {
  target: { metric: (typeof TARGET_METRICS)[number]; value: number };
  scale_up_delay_seconds: number;
  scale_down_delay_seconds: number;
  scale_to_zero_delay_seconds: number;
  stabilization_window_seconds: number;
}
export type AutoscalingTarget = LoadScaling['target'];

/**
 * Defaults for LLM serving (docs/autoscaling.md says why): up after 30 s of sustained load and
 * down after 10 minutes (Fireworks), no direction change within 5 minutes (the HPA's scale-down
 * stabilization), to zero after an hour without requests (Fireworks), 8 concurrent requests per replica.
 */
export const LOAD_SCALING_DEFAULTS: LoadScaling = {
  target: { metric: 'concurrency', value: 8 },
  scale_up_delay_seconds: 30,
  scale_down_delay_seconds: 600,
  scale_to_zero_delay_seconds: 3600,
  stabilization_window_seconds: 300,
};

/** The load-scaling fields beside min/max (names prefixed for messages: `autoscaling.` on deploy, none on PUT …/autoscaling). */
const loadFields = (prefix: string) => ({
  enabled: z.boolean({ error: `${prefix}enabled must be true or false` }).optional(),
  target: targetSchema(`${prefix}target`).optional(),
  scale_up_delay_seconds: seconds(`${prefix}scale_up_delay_seconds`, 0, 3600).optional(),
  scale_down_delay_seconds: seconds(`${prefix}scale_down_delay_seconds`, 0, 86_400).optional(),
  scale_to_zero_delay_seconds: seconds(`${prefix}scale_to_zero_delay_seconds`, 60, 604_800).optional(),
  stabilization_window_seconds: seconds(`${prefix}stabilization_window_seconds`, 0, 86_400).optional(),
});

export type LoadFields = Partial<Omit<LoadScaling, 'target'>> & { enabled?: boolean; target?: AutoscalingTarget };

export const autoscalingFields = {
  autoscaling: rangeSchema('autoscaling', 'min_replicas', 'max_replicas').extend(loadFields('autoscaling.')).optional(),
  settings: rangeSchema('settings', 'min_instances', 'max_instances').optional(),
  autoscaling_config: rangeSchema('autoscaling_config', 'min_replicas', 'max_replicas')
    .extend({
      // Jan's target per replica (a number, or its string form): our concurrency target.
      target_value: z
        .union([z.number(), z.string().regex(/^\d+(\.\d+)?$/)], { error: 'autoscaling_config.target_value must be a positive number' })
        .transform(Number)
        .pipe(z.number().min(1, { error: 'autoscaling_config.target_value must be between 1 and 1024' }).max(1024, { error: 'autoscaling_config.target_value must be between 1 and 1024' }))
        .optional(),
    })
    .optional(),
  // Jan: turns the load autoscaler on for autoscaling_config's range.
  enable_autoscaling: z.boolean({ error: 'enable_autoscaling must be true or false' }).optional(),
};

/**
 * PUT …/aimodels/{id}/autoscaling: the new range, in our spelling, and the load autoscaler's
 * settings (given fields replace the stored ones; `enabled: false` turns it off).
 */
export const scaleRangeSchema = z.strictObject({
  min_replicas: replicaBound('min_replicas', 0),
  max_replicas: replicaBound('max_replicas', 1),
  ...loadFields(''),
});

export const scaleDeploymentSchema = z.object({
  // 0 pauses: the pods go, and after the release delay the GPUs and nodes too.
  replicas: integer('replicas')
    .min(0, { error: 'replicas must be at least 0 (0 pauses the deployment)' })
    .max(MAX_REPLICAS, { error: `replicas must be at most ${MAX_REPLICAS}` }),
});
