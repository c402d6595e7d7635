/**
 * A request parsed with its contract schema (contract/requests/), and the deploy request's
 * resolution against catalog and inventory. Every rejection names the offending field.
 */
import type * as z from 'zod';
import { nodeGroupGpuLimit } from './capacity';
import { findCatalogModel, findGpuConfig, regions, type CatalogModel, type GpuConfig, type Plan } from '../../contract/catalog';
import type { CreateDeploymentRequest } from '../../contract/requests/deploy';
import type { LoadScaling } from '../../contract/requests/scale';
import type { AutoscalingRange, ServingConfig } from './deployment';
import { ValidationError } from './errors';
import { estimateMemory, minimumGpus } from './memory-fit';
import { catalogHeads, checkTensorParallelSize } from './tensor-parallel';

export type { CreateDeploymentRequest };

/** Parses with a schema; the first issue becomes a 400 naming its field. */
export const parseOrThrow = <T extends z.ZodType>(schema: T, input: unknown, what = 'request body'): z.infer<T> => {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = issue?.path.join('.') ?? '';
  if (issue?.code === 'unrecognized_keys') throw new ValidationError(`${what} has unknown fields: ${issue.keys.join(', ')}`);
  if (issue?.code === 'invalid_type' && field === '') throw new ValidationError(`${what} must be a JSON object`);
  const message = issue?.message ?? 'invalid input';
  throw new ValidationError(message.startsWith(field) || field === '' ? message : `${field}: ${message}`, field || undefined);
};

export interface ResolvedDeploymentSpec {
  request: CreateDeploymentRequest;
  model: CatalogModel;
  gpuConfig: GpuConfig;
  plan: Plan;
  config: ServingConfig;
  replicas: number;
  /** The scale range (domain/autoscaling.ts resolveAutoscaling), stored as given; null when none. */
  autoscaling?: AutoscalingRange | null;
  /** The load autoscaler's settings (domain/autoscaling.ts resolveLoadScaling); null or absent: off. */
  load_scaling?: LoadScaling | null;
}

const checkRange = (field: string, value: number | undefined, range: { min: number; max: number; default: number }): number => {
  if (value === undefined) return range.default;
  if (value < range.min || value > range.max) {
    throw new ValidationError(`${field} must be between ${range.min} and ${range.max} for this model, got ${value}`, field);
  }
  return value;
};

/** Where a deploy request asks to run: a region we serve, a GPU config there, a plan of it. */
export const resolvePlacement = (
  request: Pick<CreateDeploymentRequest, 'region' | 'gpu_config_id' | 'gpu_count' | 'plan_id'>,
): { gpuConfig: GpuConfig; plan: Plan } => {
  if (!regions().includes(request.region)) {
    throw new ValidationError(`region '${request.region}' is not served; available regions: ${regions().join(', ')}`, 'region');
  }
  const gpuConfig = findGpuConfig(request.gpu_config_id);
  if (!gpuConfig || gpuConfig.region !== request.region) {
    throw new ValidationError(`gpu_config_id '${request.gpu_config_id}' does not exist in region '${request.region}' (see GET /api/v1beta1/inventory)`, 'gpu_config_id');
  }
  if (request.gpu_count > gpuConfig.gpus_per_node) {
    throw new ValidationError(
      `gpu_count ${request.gpu_count} exceeds max_gpu_count ${gpuConfig.gpus_per_node} of gpu_config_id '${gpuConfig.config_id}'`,
      'gpu_count',
    );
  }
  const plan = gpuConfig.plans.find((p) => p.plan_id === request.plan_id);
  if (!plan) {
    throw new ValidationError(
      `plan_id '${request.plan_id}' does not match gpu_config_id '${gpuConfig.config_id}' in region '${request.region}'; valid plans: ${gpuConfig.plans.map((p) => p.plan_id).join(', ')}`,
      'plan_id',
    );
  }
  return { gpuConfig, plan };
};

/** `replicas` x `gpuCount` GPUs must fit the node group at its largest (400 naming `replicas`). */
export const checkReplicasFitNodeGroup = (replicas: number, gpuCount: number, gpuConfig: GpuConfig): void => {
  if (replicas * gpuCount <= nodeGroupGpuLimit(gpuConfig)) return;
  throw new ValidationError(
    `no GPU node group can hold ${replicas} replicas of ${gpuCount} GPUs: node group '${gpuConfig.node_group.name}' has at most ${gpuConfig.node_group.max_size} nodes of ${gpuConfig.gpus_per_node} GPUs`,
    'replicas',
  );
};

type Range = { min: number; max: number; default: number };

/** The serving config in effect: the given values within the model's ranges, defaults filled in. */
export const servingConfigWithin = (
  given: CreateDeploymentRequest['config'] = {},
  ranges: { max_model_len: Range; max_num_seqs: Range },
): ServingConfig => ({
  ...given,
  max_model_len: checkRange('config.max_model_len', given.max_model_len, ranges.max_model_len),
  max_num_seqs: checkRange('config.max_num_seqs', given.max_num_seqs, ranges.max_num_seqs),
  extra_args: given.extra_args ?? [],
});

/**
 * A gated model (Llama, ...) downloads only with a Hugging Face token of an account that
 * accepted its licence. Without one the pod fails with 401/403 after GPU nodes were bought,
 * so the request is refused before anything is reserved.
 */
export const checkGatedModelToken = (model: Pick<CatalogModel, 'gated' | 'model_id'>, request: Pick<CreateDeploymentRequest, 'hf_token'>): void => {
  if (!model.gated || request.hf_token !== undefined) return;
  throw new ValidationError(
    `hf_token is required: ${model.model_id} is a gated Hugging Face model; pass a token of an account that has accepted its licence`,
    'hf_token',
  );
};

/**
 * Checks a syntactically valid deploy request against catalog and inventory. `model` is the
 * catalog entry the caller resolved (built-in merged with admin changes, see
 * use-cases/catalog.ts); by default the built-in catalog's.
 */
export const resolveDeploymentSpec = (
  request: CreateDeploymentRequest,
  model: CatalogModel | undefined = findCatalogModel(request.catalog_id),
): ResolvedDeploymentSpec => {
  if (!model) throw new ValidationError(`catalog_id '${request.catalog_id}' is not in the catalog (see GET /api/v1beta1/aimodels-catalog)`, 'catalog_id');
  const { gpuConfig, plan } = resolvePlacement(request);
  checkGatedModelToken(model, request);
  checkTensorParallelSize(request.gpu_count, catalogHeads(model.architecture), gpuConfig.gpus_per_node);
  const config = servingConfigWithin(request.config, model.configurations);
  const memory = estimateMemory(model, gpuConfig, request.gpu_count, config.max_model_len);
  if (!memory.fits) {
    const needed = `${memory.neededGiB.toFixed(1)} GiB (weights ${memory.weightsGiB.toFixed(1)} + KV cache for ${config.max_model_len} tokens ${memory.kvCacheGiB.toFixed(1)} + overhead ${memory.overheadGiB.toFixed(1)})`;
    const have = `${request.gpu_count} x ${gpuConfig.gpu_memory_gib} GiB ${gpuConfig.gpu_type} give ${memory.availableGiB.toFixed(1)} GiB at 90% utilisation`;
    const fewest = minimumGpus(model, gpuConfig, config.max_model_len);
    throw new ValidationError(
      fewest === undefined
        ? `no GPU node of gpu_config_id '${gpuConfig.config_id}' can satisfy the requirements: ${model.name} needs ${needed}; even ${gpuConfig.gpus_per_node} GPUs are too few; choose a GPU with more memory or lower config.max_model_len`
        : `gpu_count ${request.gpu_count} is too small: ${model.name} needs ${needed} but ${have}; use gpu_count ${fewest} (the fewest GPUs vLLM can shard it over that hold it) or lower config.max_model_len`,
      'gpu_count',
    );
  }
  const replicas = request.replicas ?? 1;
  checkReplicasFitNodeGroup(replicas, request.gpu_count, gpuConfig);
  return { request, model, gpuConfig, plan, config, replicas };
};
