/**
 * Deploys outside the catalog (Jan's custom models, DeepInfra's `hf` weights; their fields:
 * contract/requests/custom-model.ts): which kind a deploy body asks for, its validation against
 * the inventory, and the memory-fit rule for a model whose size the catalog does not know
 * (docs/custom-models.md). Pure.
 */
import { checkRangeFits, initialReplicas, rangeMaxField, resolveAutoscaling, resolveLoadScaling } from './autoscaling';
import type { LoadScaling } from '../../contract/requests/scale';
import type { CatalogModel, GpuConfig, Plan } from '../../contract/catalog';
import { createDeploymentSchema, type CreateDeploymentRequest } from '../../contract/requests/deploy';
import { CUSTOM_ONLY, customModelDeploymentSchema, type CustomModelDeploymentRequest } from '../../contract/requests/custom-model';
import type { AutoscalingRange, CustomModel, ServingConfig } from './deployment';
import { ValidationError } from './errors';
import { GPU_MEMORY_UTILIZATION } from './memory-fit';
import { checkTensorParallelSize, validTensorParallelSizes } from './tensor-parallel';
import { checkReplicasFitNodeGroup, parseOrThrow, resolveDeploymentSpec, resolvePlacement, servingConfigWithin, type ResolvedDeploymentSpec } from './requests';

/** Serving limits of a model the catalog does not describe: defaults and bounds. */
export const CUSTOM_MAX_MODEL_LEN = { min: 256, max: 1_048_576, default: 4096 };
export const CUSTOM_MAX_NUM_SEQS = { min: 1, max: 1024, default: 64 };

export type CustomMemoryCheck =
  | { checked: true; weightsGiB: number; overheadGiB: number; neededGiB: number; availableGiB: number; fits: boolean; kv_cache: 'not estimated' }
  | { checked: false; reason: string };

export interface ResolvedCustomModelSpec {
  request: CustomModelDeploymentRequest;
  custom: CustomModel;
  gpuConfig: GpuConfig;
  plan: Plan;
  config: ServingConfig;
  replicas: number;
  memory: CustomMemoryCheck;
  /** The scale range (domain/autoscaling.ts resolveAutoscaling), stored as given; null when none. */
  autoscaling?: AutoscalingRange | null;
  /** The load autoscaler's settings (domain/autoscaling.ts resolveLoadScaling); null or absent: off. */
  load_scaling?: LoadScaling | null;
}

/** What POST …/aimodels resolves to: a catalog model or a custom one. */
export type DeploySpec = ResolvedDeploymentSpec | ResolvedCustomModelSpec;
export const isCustomSpec = (spec: DeploySpec): spec is ResolvedCustomModelSpec => 'custom' in spec;

// ---------------------------------------------------------------------------------------------
// Jan's rule: a given command line must name the served model after the deployment.

const SERVED_MODEL_NAME = '--served-model-name';

/** The value of `--served-model-name` in a command line (also `--flag=value` and shell strings). */
export const servedModelNameOf = (tokens: readonly string[]): { found: false } | { found: true; value: string | undefined } => {
  const words = tokens.flatMap((token) => token.split(/\s+/)).filter((word) => word !== '');
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!;
    if (word === SERVED_MODEL_NAME) {
      const next = words[i + 1];
      return { found: true, value: next === undefined || next.startsWith('-') ? undefined : stripQuotes(next) };
    }
    if (word.startsWith(`${SERVED_MODEL_NAME}=`)) return { found: true, value: stripQuotes(word.slice(SERVED_MODEL_NAME.length + 1)) || undefined };
  }
  return { found: false };
};

const stripQuotes = (word: string): string => word.replace(/^(['"])(.*)\1$/, '$2');

/**
 * When `command` or `args` are given, `--served-model-name` must be among them and equal the
 * deployment's `name` (the endpoint and the autoscaler find the model by that name).
 */
export const checkServedModelName = (name: string, command: readonly string[] | undefined, args: readonly string[] | undefined, fields = { command: 'command', args: 'args' }): void => {
  if (command === undefined && args === undefined) return;
  const inCommand = servedModelNameOf(command ?? []);
  const served = inCommand.found ? inCommand : servedModelNameOf(args ?? []);
  const field = inCommand.found || args === undefined ? fields.command : fields.args;
  if (!served.found || served.value === undefined) {
    throw new ValidationError('--served-model-name parameter is required in command', command === undefined ? fields.args : fields.command);
  }
  if (served.value !== name) throw new ValidationError(`--served-model-name '${served.value}' must match model name '${name}'`, field);
};

// ---------------------------------------------------------------------------------------------
// Resolution against the inventory.

/**
 * Memory fit when the catalog does not know the model: with a declared `model_size_gib`, the
 * weights plus vLLM's overhead (1 GiB per GPU + 5% of the weights) must fit 90% of the GPUs'
 * memory; the KV cache cannot be estimated without the architecture, so it is not counted (vLLM
 * refuses to start if not even one sequence fits, which shows as CrashLoopBackOff with its log).
 * Without a declared size there is nothing to check, and the plan says so.
 */
export const customMemoryCheck = (sizeGiB: number | undefined, gpu: Pick<GpuConfig, 'gpu_memory_gib'>, gpuCount: number): CustomMemoryCheck => {
  if (sizeGiB === undefined) {
    return {
      checked: false,
      reason: 'model_size_gib was not given: the memory fit of a model outside the catalog is not checked before the deploy',
    };
  }
  const overhead = gpuCount + 0.05 * sizeGiB;
  const needed = sizeGiB + overhead;
  const available = gpuCount * gpu.gpu_memory_gib * GPU_MEMORY_UTILIZATION;
  return { checked: true, weightsGiB: sizeGiB, overheadGiB: overhead, neededGiB: needed, availableGiB: available, fits: needed <= available, kv_cache: 'not estimated' };
};

/**
 * The gpu_count values this custom deploy may use. When the control plane writes the vLLM
 * command line, gpu_count is `--tensor-parallel-size`: only sizes vLLM can shard the model
 * over (powers of two unless the request declares both head counts), else a 400 naming
 * gpu_count. A custom `command`/`args` runs its own server, which may use GPUs any way it likes.
 */
export const customTensorParallelSizes = (
  request: Pick<CustomModelDeploymentRequest, 'gpu_count' | 'command' | 'args' | 'num_attention_heads' | 'num_key_value_heads'>,
  gpusPerNode: number,
): number[] => {
  if ((request.num_attention_heads === undefined) !== (request.num_key_value_heads === undefined)) {
    const missing = request.num_attention_heads === undefined ? 'num_attention_heads' : 'num_key_value_heads';
    throw new ValidationError(`${missing} is required with ${missing === 'num_attention_heads' ? 'num_key_value_heads' : 'num_attention_heads'}: declare both head counts of the model's config.json, or neither`, missing);
  }
  if (request.command !== undefined || request.args !== undefined) return Array.from({ length: gpusPerNode }, (_, i) => i + 1);
  const heads = request.num_attention_heads === undefined || request.num_key_value_heads === undefined ? undefined : { attention: request.num_attention_heads, kv: request.num_key_value_heads };
  checkTensorParallelSize(request.gpu_count, heads, gpusPerNode);
  return validTensorParallelSizes(heads, gpusPerNode);
};

export const resolveCustomModelSpec = (request: CustomModelDeploymentRequest, source: CustomModel['source'] = 'api', env: CustomModel['env'] = []): ResolvedCustomModelSpec => {
  checkServedModelName(request.name, request.command, request.args);
  const { gpuConfig, plan } = resolvePlacement(request);
  const tensorParallel = customTensorParallelSizes(request, gpuConfig.gpus_per_node);
  const config = servingConfigWithin(request.config, { max_model_len: CUSTOM_MAX_MODEL_LEN, max_num_seqs: CUSTOM_MAX_NUM_SEQS });
  const memory = customMemoryCheck(request.model_size_gib, gpuConfig, request.gpu_count);
  if (memory.checked && !memory.fits) {
    const wholeNode = customMemoryCheck(request.model_size_gib, gpuConfig, gpuConfig.gpus_per_node);
    const needed = `${memory.neededGiB.toFixed(1)} GiB (weights ${memory.weightsGiB.toFixed(1)} + overhead ${memory.overheadGiB.toFixed(1)}, KV cache not counted)`;
    const fewest = tensorParallel.find((n) => {
      const check = customMemoryCheck(request.model_size_gib, gpuConfig, n);
      return check.checked && check.fits;
    });
    throw new ValidationError(
      wholeNode.checked && !wholeNode.fits
        ? `no GPU node of gpu_config_id '${gpuConfig.config_id}' can hold ${request.huggingface_id}: model_size_gib ${request.model_size_gib} needs ${needed}; even ${gpuConfig.gpus_per_node} GPUs are too few`
        : `gpu_count ${request.gpu_count} is too small: ${request.huggingface_id} needs ${needed} but ${request.gpu_count} x ${gpuConfig.gpu_memory_gib} GiB ${gpuConfig.gpu_type} give ${memory.availableGiB.toFixed(1)} GiB at 90% utilisation; use gpu_count ${fewest}`,
      'gpu_count',
    );
  }
  const replicas = request.replicas ?? 1;
  checkReplicasFitNodeGroup(replicas, request.gpu_count, gpuConfig);
  checkCacheFitsOneNode(request.storage_size ?? null, replicas, request.gpu_count, gpuConfig, 'storage_size');
  const custom: CustomModel = {
    source,
    huggingface_id: request.huggingface_id,
    revision: request.revision ?? null,
    image: request.image ?? null,
    command: request.command ?? null,
    args: request.args ?? null,
    env,
    storage_size: request.storage_size ?? null,
    model_size_gib: request.model_size_gib ?? null,
    tags: request.tags ?? [],
    display_name: request.display_name ?? null,
    description: request.description ?? null,
  };
  return { request, custom, gpuConfig, plan, config, replicas, memory };
};

/** A deploy body parsed as what it asks for: a catalog model or a model outside the catalog. */
export type ParsedDeployRequest = { custom: false; request: CreateDeploymentRequest } | { custom: true; request: CustomModelDeploymentRequest };

/**
 * POST …/aimodels: exactly one of `catalog_id` (a catalog model) and `huggingface_id` (a custom
 * model). The custom-only fields on a catalog deploy are a 400 naming them, not silently dropped.
 */
export const parseDeployRequest = (body: unknown): ParsedDeployRequest => {
  const fields = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  const custom = fields.huggingface_id !== undefined;
  if (custom && fields.catalog_id !== undefined) {
    throw new ValidationError('give exactly one of catalog_id (a catalog model) and huggingface_id (a model outside the catalog), not both', 'huggingface_id');
  }
  if (custom) return { custom: true, request: parseOrThrow(customModelDeploymentSchema, body) };
  const misplaced = CUSTOM_ONLY.find((field) => fields[field] !== undefined);
  if (misplaced && fields.catalog_id !== undefined) {
    throw new ValidationError(`${misplaced} applies only to a model outside the catalog (huggingface_id); a catalog model is served as the catalog defines it`, misplaced);
  }
  return { custom: false, request: parseOrThrow(createDeploymentSchema, body) };
};

/**
 * A parsed deploy body against catalog and inventory, with its scale range (any of its
 * spellings, domain/autoscaling.ts) deciding the replicas it starts with. `model` is the
 * catalog model the caller resolved (built-in merged with admin changes, use-cases/catalog.ts);
 * a custom model has none. Shared by the deploy and its dry run (use-cases/resolve-deployment.ts).
 */
export const resolveParsedDeployRequest = (parsed: ParsedDeployRequest, model: CatalogModel | undefined): DeploySpec => {
  const autoscaling = resolveAutoscaling(parsed.request);
  const loadScaling = resolveLoadScaling(parsed.request, autoscaling);
  const replicas = initialReplicas(parsed.request.replicas, autoscaling);
  const spec: DeploySpec = parsed.custom ? resolveCustomModelSpec({ ...parsed.request, replicas }) : resolveDeploymentSpec({ ...parsed.request, replicas }, model);
  checkRangeFits(autoscaling, spec.request.gpu_count, spec.gpuConfig);
  if (isCustomSpec(spec) && autoscaling.range) {
    // A PVC cache holds every replica on one node, so the range's maximum must fit one too.
    checkCacheFitsOneNode(spec.custom.storage_size, autoscaling.range.max_replicas, spec.request.gpu_count, spec.gpuConfig, rangeMaxField(autoscaling));
  }
  return { ...spec, autoscaling: autoscaling.range, ...(loadScaling ? { load_scaling: loadScaling } : {}) };
};

// ---------------------------------------------------------------------------------------------
// What the rest of the control plane derives from a custom model.

/**
 * A PVC cache is ReadWriteOnce: one node mounts it, so every replica must fit one node (the
 * rendered pods require co-location, see manifests.ts). Checked at deploy and at scale.
 */
export const checkCacheFitsOneNode = (
  storageSize: string | null,
  replicas: number,
  gpuCount: number,
  gpuConfig: Pick<GpuConfig, 'gpus_per_node' | 'config_id'>,
  /** `storage_size`, `replicas`, or the scale range's maximum (`autoscaling.max_replicas`, `max_replicas`, …). */
  field: string,
): void => {
  if (storageSize === null || replicas * gpuCount <= gpuConfig.gpus_per_node) return;
  throw new ValidationError(
    `${field === 'storage_size' ? `storage_size with ${replicas} replicas` : `${field} ${replicas}`}: a model cache (ReadWriteOnce) is mounted by one node, so replicas x gpu_count (${replicas * gpuCount}) must be at most the ${gpuConfig.gpus_per_node} GPUs of one '${gpuConfig.config_id}' node`,
    field,
  );
};

/** The key of a model's cold-start history (cold-start-stats.ts): the catalog id, or the HF repository. */
export const customCatalogKey = (custom: Pick<CustomModel, 'huggingface_id'>): string => `hf:${custom.huggingface_id}`;

/**
 * How long a custom model may take to load: like a catalog model when its size is declared
 * (300 s + 25 s per GiB), else an hour; `initial_delay_seconds` can only raise it.
 */
export const customLoadBudgetSeconds = (custom: Pick<CustomModel, 'model_size_gib'>, initialDelaySeconds: number | null = null): number =>
  Math.max(custom.model_size_gib === null ? 3600 : Math.ceil(300 + 25 * custom.model_size_gib), initialDelaySeconds ?? 0);
