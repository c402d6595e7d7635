/**
 * The scale range of a deployment: `autoscaling: {min_replicas, max_replicas}`, also accepted
 * as DeepInfra's `settings: {min_instances, max_instances}` and Jan's `autoscaling_config`.
 * Stored once, in our shape: the range bounds what PUT …/scale and the schedules may set. With
 * load scaling on (`autoscaling.enabled` or any of its settings, Jan's `enable_autoscaling` or
 * `target_value`, DeepInfra's `settings`: their platform scales between min and max), the load
 * autoscaler (autoscaling-policy.ts) moves replicas inside it. Pure.
 */
import type { GpuConfig } from '../../contract/catalog';
import type { AutoscalingRange, DeploymentRecord } from './deployment';
import { ValidationError } from './errors';
import { MAX_REPLICAS, nodeGroupGpuLimit } from './capacity';
import type { CreateDeploymentRequest } from './requests';
import { LOAD_SCALING_DEFAULTS, type LoadFields, type LoadScaling } from '../../contract/requests/scale';

type RangeFields = Pick<CreateDeploymentRequest, 'autoscaling' | 'settings' | 'autoscaling_config' | 'enable_autoscaling'>;

interface Spelling {
  /** Where the range came from, for messages: `autoscaling`, `settings` or `autoscaling_config`. */
  field: string;
  minKey: string;
  maxKey: string;
  range: AutoscalingRange;
}

const spellingsOf = (request: RangeFields): Spelling[] => {
  const given: Spelling[] = [];
  if (request.autoscaling) {
    given.push({ field: 'autoscaling', minKey: 'min_replicas', maxKey: 'max_replicas', range: request.autoscaling });
  }
  if (request.settings) {
    const { min_instances, max_instances } = request.settings;
    given.push({ field: 'settings', minKey: 'min_instances', maxKey: 'max_instances', range: { min_replicas: min_instances, max_replicas: max_instances } });
  }
  if (request.autoscaling_config) {
    const { min_replicas, max_replicas } = request.autoscaling_config;
    given.push({ field: 'autoscaling_config', minKey: 'min_replicas', maxKey: 'max_replicas', range: { min_replicas, max_replicas } });
  }
  return given;
};

export interface ResolvedAutoscaling {
  range: AutoscalingRange | null;
  /** The spelling the client used (the first one), to name it in later 400s. */
  field: string | null;
}

/**
 * The one range a deploy request asks for. Several spellings may be given if they agree;
 * a disagreement is a 400 naming the later field. min must not exceed max.
 */
export const resolveAutoscaling = (request: RangeFields): ResolvedAutoscaling => {
  const [first, ...others] = spellingsOf(request);
  if (!first) return { range: null, field: null };
  for (const other of others) {
    for (const [key, firstKey, otherKey] of [
      ['min_replicas', first.minKey, other.minKey],
      ['max_replicas', first.maxKey, other.maxKey],
    ] as const) {
      if (other.range[key] !== first.range[key]) {
        throw new ValidationError(
          `${other.field}.${otherKey} (${other.range[key]}) conflicts with ${first.field}.${firstKey} (${first.range[key]}): give the scale range once, or the same values in each spelling`,
          `${other.field}.${otherKey}`,
        );
      }
    }
  }
  if (first.range.min_replicas > first.range.max_replicas) {
    throw new ValidationError(
      `${first.field}.${first.minKey} (${first.range.min_replicas}) must not exceed ${first.field}.${first.maxKey} (${first.range.max_replicas})`,
      `${first.field}.${first.minKey}`,
    );
  }
  return { range: { ...first.range }, field: first.field };
};

/**
 * Replicas a deploy starts with: as asked (it must lie in the range), else the range's minimum
 * but at least 1 (a deploy always starts serving; 0 is a pause, done later).
 */
export const initialReplicas = (replicas: number | undefined, autoscaling: ResolvedAutoscaling): number => {
  const { range, field } = autoscaling;
  if (range === null) return replicas ?? 1;
  if (replicas === undefined) return Math.max(1, range.min_replicas);
  if (replicas < range.min_replicas || replicas > range.max_replicas) {
    throw new ValidationError(`replicas ${replicas} is outside ${field}'s range [${range.min_replicas}, ${range.max_replicas}]`, 'replicas');
  }
  return replicas;
};

/** The request field that holds the range's maximum, in the spelling the client used. */
export const rangeMaxField = ({ field }: ResolvedAutoscaling): string => `${field}.${field === 'settings' ? 'max_instances' : 'max_replicas'}`;

/** The range must be reachable: max_replicas replicas must fit the node group at its largest. */
export const checkRangeFits = (autoscaling: ResolvedAutoscaling, gpuCount: number, gpuConfig: GpuConfig): void => {
  const { range } = autoscaling;
  if (range === null) return;
  const limit = nodeGroupGpuLimit(gpuConfig);
  if (range.max_replicas * gpuCount > limit) {
    const maxField = rangeMaxField(autoscaling);
    throw new ValidationError(
      `${maxField} ${range.max_replicas} x gpu_count ${gpuCount} exceeds node group '${gpuConfig.node_group.name}' (${gpuConfig.node_group.max_size} nodes of ${gpuConfig.gpus_per_node} GPUs): at most ${Math.floor(limit / gpuCount)} replicas`,
      maxField,
    );
  }
};

export interface ReplicaBounds {
  min: number;
  max: number;
}

/** What replicas a deployment may be scaled to; without a range, anything from 0 (paused) to MAX_REPLICAS. */
export const replicaBounds = (record: Pick<DeploymentRecord, 'autoscaling'>): ReplicaBounds =>
  record.autoscaling ? { min: record.autoscaling.min_replicas, max: record.autoscaling.max_replicas } : { min: 0, max: MAX_REPLICAS };

/**
 * A requested replica count (PUT …/scale, a pause, a resume) against the deployment's range:
 * outside it is a 400 naming `replicas`. 0 (pause) is inside only when min_replicas is 0.
 */
export const checkReplicas = (record: Pick<DeploymentRecord, 'autoscaling' | 'id'>, replicas: number): void => {
  const { min, max } = replicaBounds(record);
  if (replicas >= min && replicas <= max) return;
  const why = record.autoscaling
    ? `its autoscaling range is [${min}, ${max}] (min_replicas, max_replicas set at deploy)`
    : `replicas must be between ${min} and ${max}`;
  throw new ValidationError(`replicas ${replicas} is not allowed for deployment '${record.id}': ${why}`, 'replicas');
};

/**
 * For automatic changes (scheduled scale-downs, idle scale-to-zero): the nearest allowed
 * count, so a schedule asking for 0 keeps min_replicas serving instead of failing.
 */
export const clampReplicas = (record: Pick<DeploymentRecord, 'autoscaling'>, replicas: number): number => {
  const { min, max } = replicaBounds(record);
  return Math.min(max, Math.max(min, replicas));
};

/**
 * A new range for a running deployment (PUT …/autoscaling): it must hold the replicas the
 * deployment has now (scale first, then narrow), and its maximum must fit the node group.
 */
export const checkNewRange = (
  record: Pick<DeploymentRecord, 'id' | 'replicas' | 'gpu_count'>,
  range: AutoscalingRange,
  gpuConfig: GpuConfig | undefined,
): void => {
  if (range.min_replicas > range.max_replicas) {
    throw new ValidationError(`min_replicas (${range.min_replicas}) must not exceed max_replicas (${range.max_replicas})`, 'min_replicas');
  }
  if (record.replicas < range.min_replicas) {
    throw new ValidationError(`min_replicas ${range.min_replicas} is above the ${record.replicas} replicas of deployment '${record.id}': scale up first`, 'min_replicas');
  }
  if (record.replicas > range.max_replicas) {
    throw new ValidationError(`max_replicas ${range.max_replicas} is below the ${record.replicas} replicas of deployment '${record.id}': scale down first`, 'max_replicas');
  }
  if (gpuConfig) checkRangeFits({ range, field: 'autoscaling' }, record.gpu_count, gpuConfig);
};

const LOAD_KEYS = ['target', 'scale_up_delay_seconds', 'scale_down_delay_seconds', 'scale_to_zero_delay_seconds', 'stabilization_window_seconds'] as const;

/** The checks across fields the schema cannot make; `prefix` names the fields as the client spelled them. */
const checkLoadScaling = (load: LoadScaling, range: AutoscalingRange, given: LoadFields, prefix: string): LoadScaling => {
  if (load.scale_up_delay_seconds > load.scale_down_delay_seconds) {
    throw new ValidationError(
      `${prefix}scale_up_delay_seconds (${load.scale_up_delay_seconds}) must not exceed ${prefix}scale_down_delay_seconds (${load.scale_down_delay_seconds}): a replica added under load would be removed before the load was judged`,
      `${prefix}${given.scale_up_delay_seconds !== undefined ? 'scale_up_delay_seconds' : 'scale_down_delay_seconds'}`,
    );
  }
  if (given.scale_to_zero_delay_seconds !== undefined && range.min_replicas > 0) {
    throw new ValidationError(
      `${prefix}scale_to_zero_delay_seconds applies only when ${prefix}min_replicas is 0 (it is ${range.min_replicas})`,
      `${prefix}scale_to_zero_delay_seconds`,
    );
  }
  return load;
};

/** Load settings given in our spelling, without `enabled` (undefined: none given). */
const givenLoad = (fields: LoadFields): LoadFields | undefined => {
  const given = Object.fromEntries(LOAD_KEYS.filter((key) => fields[key] !== undefined).map((key) => [key, fields[key]])) as LoadFields;
  return Object.keys(given).length > 0 ? given : undefined;
};

/**
 * The load autoscaler's settings a deploy asks for, or null (the range only bounds manual and
 * scheduled scaling, as before). On when `autoscaling.enabled` is true or any of its load
 * settings is given, when Jan's `enable_autoscaling` is true or `target_value` is given (a
 * concurrency target), and with DeepInfra's `settings` (min and max instances that their
 * platform scales between). Off when asked (`enabled: false`, `enable_autoscaling: false`);
 * settings given with it off are a 400 naming them.
 */
export const resolveLoadScaling = (request: RangeFields, resolved: ResolvedAutoscaling): LoadScaling | null => {
  const ours = request.autoscaling ? givenLoad(request.autoscaling) : undefined;
  const janTarget = request.autoscaling_config?.target_value;
  const asked =
    request.autoscaling?.enabled ?? request.enable_autoscaling ?? (ours !== undefined || janTarget !== undefined || request.settings !== undefined ? true : undefined);
  if (request.autoscaling?.enabled !== undefined && request.enable_autoscaling !== undefined && request.autoscaling.enabled !== request.enable_autoscaling) {
    throw new ValidationError(`enable_autoscaling (${request.enable_autoscaling}) conflicts with autoscaling.enabled (${request.autoscaling.enabled})`, 'enable_autoscaling');
  }
  if (asked !== true) {
    if (ours) throw new ValidationError(`autoscaling.${Object.keys(ours)[0]} is given but load autoscaling is off (autoscaling.enabled false)`, `autoscaling.${Object.keys(ours)[0]}`);
    if (janTarget !== undefined) throw new ValidationError('autoscaling_config.target_value is given but enable_autoscaling is false', 'autoscaling_config.target_value');
    return null;
  }
  if (resolved.range === null) {
    const field = request.enable_autoscaling !== undefined ? 'autoscaling_config' : 'autoscaling';
    throw new ValidationError(`load autoscaling needs a range: give ${field} with min_replicas and max_replicas`, field);
  }
  const given: LoadFields = { ...(ours ?? {}), ...(janTarget !== undefined && ours?.target === undefined ? { target: { metric: 'concurrency', value: Math.ceil(janTarget) } } : {}) };
  const prefix = resolved.field === 'autoscaling' || ours ? 'autoscaling.' : '';
  return checkLoadScaling({ ...LOAD_SCALING_DEFAULTS, ...given } as LoadScaling, resolved.range, given, prefix);
};

/**
 * The load settings after PUT …/autoscaling: the fields given replace the stored ones (the
 * defaults fill in when it turns on); `enabled: false` turns it off; neither keeps what was.
 */
export const mergeLoadScaling = (current: LoadScaling | null | undefined, body: LoadFields, range: AutoscalingRange): LoadScaling | null => {
  const given = givenLoad(body);
  if (body.enabled === false) {
    if (given) throw new ValidationError(`${Object.keys(given)[0]} is given but enabled is false`, Object.keys(given)[0]);
    return null;
  }
  if (body.enabled !== true && !given && !current) return null;
  const merged = { ...LOAD_SCALING_DEFAULTS, ...(current ?? {}), ...(given ?? {}) } as LoadScaling;
  // A scale-to-zero delay kept from before does not make a new min_replicas above 0 wrong.
  return checkLoadScaling(merged, range, given ?? {}, '');
};
