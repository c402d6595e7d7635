/**
 * How many replicas a deployment runs: PUT …/scale, PUT …/autoscaling, and the scale range a
 * deploy may carry. functions/domain/autoscaling.ts reconciles the range's spellings and checks
 * them against the node group.
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

export const autoscalingFields = {
  autoscaling: rangeSchema('autoscaling', 'min_replicas', 'max_replicas').optional(),
  settings: rangeSchema('settings', 'min_instances', 'max_instances').optional(),
  autoscaling_config: rangeSchema('autoscaling_config', 'min_replicas', 'max_replicas')
    .extend({
      target_value: z
        .never({
          error:
            'autoscaling_config.target_value is not supported: no metric-driven autoscaler runs; replicas change through PUT …/scale within [min_replicas, max_replicas]',
        })
        .optional(),
    })
    .optional(),
};

/** PUT …/aimodels/{id}/autoscaling: the new range, in our spelling. */
export const scaleRangeSchema = z.strictObject({
  min_replicas: replicaBound('min_replicas', 0),
  max_replicas: replicaBound('max_replicas', 1),
});

export const scaleDeploymentSchema = z.object({
  // 0 pauses: the pods go, and after the release delay the GPUs and nodes too.
  replicas: integer('replicas')
    .min(0, { error: 'replicas must be at least 0 (0 pauses the deployment)' })
    .max(MAX_REPLICAS, { error: `replicas must be at most ${MAX_REPLICAS}` }),
});
