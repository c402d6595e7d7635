/**
 * Request schemas (one per shape, compiled once at module scope) and the deploy request's
 * resolution against catalog and inventory. Every rejection names the offending field.
 */
import * as z from 'zod';
import { MAX_REPLICAS, nodeGroupGpuLimit } from './capacity';
import { findCatalogModel, findGpuConfig, regions, type CatalogModel, type GpuConfig, type Plan } from '../../contract/catalog';
import type { AutoscalingRange, ServingConfig } from './deployment';
import { ValidationError } from './errors';
import { hfTokenSchema } from './hf-token';
import { estimateMemory, minimumGpus } from './memory-fit';
import { catalogHeads, checkTensorParallelSize } from './tensor-parallel';

const DNS_1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

const integer = (field: string) =>
  z.number({ error: `${field} must be an integer` }).int({ error: `${field} must be an integer` });

const replicaBound = (field: string, min: number) =>
  integer(field)
    .min(min, { error: `${field} must be between ${min} and ${MAX_REPLICAS}` })
    .max(MAX_REPLICAS, { error: `${field} must be between ${min} and ${MAX_REPLICAS}` });

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

export const createDeploymentSchema = z.object({
  name: z
    .string({ error: 'name is required and must be a string' })
    .min(3, { error: 'name must be at least 3 characters' })
    .max(30, { error: 'name must be at most 30 characters' })
    .regex(DNS_1123_LABEL, {
      error: 'name must be a DNS-1123 label: lowercase letters, digits and hyphens, starting and ending with a letter or digit',
    }),
  catalog_id: z
    .string({ error: 'catalog_id is required and must be a string' })
    .max(200, { error: 'catalog_id is too long' })
    .regex(/^[a-zA-Z0-9_\-.]+$/, { error: 'catalog_id must be the catalog\'s url-safe id (letters, digits, "_", "-", ".")' }),
  region: z.string({ error: 'region is required and must be a string' }).max(64, { error: 'region is too long' }),
  gpu_config_id: z.string({ error: 'gpu_config_id is required and must be a string' }).max(100, { error: 'gpu_config_id is too long' }),
  gpu_count: integer('gpu_count').min(1, { error: 'gpu_count must be at least 1' }).default(1),
  plan_id: z.string({ error: 'plan_id is required and must be a string' }).max(100, { error: 'plan_id is too long' }),
  replicas: integer('replicas')
    .min(1, { error: 'replicas must be at least 1' })
    .max(MAX_REPLICAS, { error: `replicas must be at most ${MAX_REPLICAS}` })
    .optional(),
  initial_delay_seconds: integer('initial_delay_seconds')
    .min(0, { error: 'initial_delay_seconds must be between 0 and 14400' })
    .max(14_400, { error: 'initial_delay_seconds must be between 0 and 14400' })
    .optional(),
  config: z
    .object(
      {
        max_model_len: integer('config.max_model_len').optional(),
        max_num_seqs: integer('config.max_num_seqs').optional(),
        extra_args: z
          .array(z.string({ error: 'config.extra_args must be an array of strings' }).max(1000), {
            error: 'config.extra_args must be an array of strings',
          })
          .max(64, { error: 'config.extra_args may hold at most 64 entries' })
          .optional(),
      },
      { error: 'config must be an object' },
    )
    .loose()
    .optional(),
  ...autoscalingFields,
  /** Write-only: a gated catalog model needs it (custom models: functions/domain/custom-model.ts). */
  hf_token: hfTokenSchema.optional(),
});
export type CreateDeploymentRequest = z.infer<typeof createDeploymentSchema>;

export const scaleDeploymentSchema = z.object({
  // 0 pauses: the pods go, and after the release delay the GPUs and nodes too.
  replicas: integer('replicas')
    .min(0, { error: 'replicas must be at least 0 (0 pauses the deployment)' })
    .max(MAX_REPLICAS, { error: `replicas must be at most ${MAX_REPLICAS}` }),
});

const queryInteger = (field: string, min: number, max: number, fallback: number) =>
  z
    .string()
    .regex(/^\d{1,9}$/, { error: `${field} must be an integer between ${min} and ${max}` })
    .transform(Number)
    .pipe(z.number().min(min, { error: `${field} must be an integer between ${min} and ${max}` }).max(max, { error: `${field} must be an integer between ${min} and ${max}` }))
    .default(fallback)
    // What the OpenAPI document says of the query parameter: an integer on the wire.
    .meta({ type: 'integer', minimum: min, maximum: max, description: `Default ${fallback}.`, pattern: undefined });

export const deployQuerySchema = z.object({
  dry_run: z
    .enum(['true', 'false'], { error: 'dry_run must be true or false' })
    .transform((v) => v === 'true')
    .default(false)
    .meta({ description: 'Default false.' }),
});

/**
 * GET …/aimodels. `page` is the contract's page number; `cursor` (an extension) is the
 * `pagination.next_cursor` of the previous page: base64url of `<page>:<last deployment id>`, so
 * the next page starts right after that deployment instead of skipping every earlier one
 * (a deep page by number reads all the items before it; by cursor, only its own).
 */
const LIST_CURSOR = /^(\d{1,7}):(dep-[a-z0-9]{1,40})$/;
const LIST_CURSOR_ERROR = 'cursor is not one this API returned: pass pagination.next_cursor unchanged';

export const encodeListCursor = (page: number, lastId: string): string => Buffer.from(`${page}:${lastId}`, 'utf8').toString('base64url');

export const listQuerySchema = z.object({
    page: queryInteger('page', 1, 1_000_000, 1),
    limit: queryInteger('limit', 1, 100, 20),
    cursor: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,100}$/, { error: LIST_CURSOR_ERROR })
      .transform((cursor, ctx) => {
        const match = LIST_CURSOR.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
        if (!match) {
          ctx.addIssue({ code: 'custom', message: LIST_CURSOR_ERROR });
          return z.NEVER;
        }
        return { page: Number(match[1]), after: match[2] ?? '' };
      })
      .optional()
      .describe('Extension: `pagination.next_cursor` of the previous page (then `page` is taken from it); reads only that page, however deep.'),
  });

/** The page to read: the cursor's when one is given, else the page number's. */
export const listPageOf = (query: z.infer<typeof listQuerySchema>): { page: number; limit: number; after: string | undefined } =>
  query.cursor ? { page: query.cursor.page, limit: query.limit, after: query.cursor.after } : { page: query.page, limit: query.limit, after: undefined };

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

/**
 * GET …/{id}/events. The cursor is opaque to clients: base64url of the event's sort-key
 * suffix after the deployment id (`<ISO time>#<6-digit sequence>`, written by
 * adapters/event-log.ts). Decoded and checked here, so a forged or damaged cursor is a 400
 * naming `cursor`; the adapter prefixes tenant and deployment, so a cursor can only continue
 * inside the caller's own deployment's history.
 */
const EVENT_KEY_SUFFIX = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z#\d{6}$/;
const CURSOR_ERROR = 'cursor is not one this API returned: pass next_cursor unchanged';

export const encodeEventCursor = (keySuffix: string): string => Buffer.from(keySuffix, 'utf8').toString('base64url');

export const eventsQuerySchema = z.object({
  limit: queryInteger('limit', 1, 100, 50),
  cursor: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,200}$/, { error: CURSOR_ERROR })
    .transform((cursor) => Buffer.from(cursor, 'base64url').toString('utf8'))
    .refine((suffix) => EVENT_KEY_SUFFIX.test(suffix), { error: CURSOR_ERROR })
    .optional(),
});

/**
 * GET …/{id}/logs. `replica` picks one pod: its index among the deployment's pods (oldest
 * first, 0-based) or its name; digits only means an index (a Deployment's pod names never are).
 */
export const MAX_LOG_TAIL_LINES = 5000;
const POD_NAME = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;
const REPLICA_ERROR = `replica must be a pod index between 0 and ${MAX_REPLICAS - 1} or a pod name`;

export const logsQuerySchema = z.object({
  tail_lines: queryInteger('tail_lines', 1, MAX_LOG_TAIL_LINES, 100),
  replica: z
    .string()
    .transform((value, ctx) => {
      if (/^\d{1,2}$/.test(value) && Number(value) < MAX_REPLICAS) return { index: Number(value) };
      if (!/^\d+$/.test(value) && POD_NAME.test(value)) return { name: value };
      ctx.addIssue({ code: 'custom', message: REPLICA_ERROR });
      return z.NEVER;
    })
    .optional(),
  previous: z
    .enum(['true', 'false'], { error: 'previous must be true or false' })
    .transform((value) => value === 'true')
    .default(false)
    .meta({ description: 'Default false.' }),
});
export type ReplicaSelector = { index: number } | { name: string };
