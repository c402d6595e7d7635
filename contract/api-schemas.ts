/**
 * Zod schemas of what the API answers: the source of the OpenAPI document's response schemas
 * (contract/openapi.ts) and of the view types the handlers build their answers as (each
 * `z.infer`red below), so a view cannot have a field its schema lacks, or the reverse. The
 * integration tests validate every answer they see against the document.
 */
import * as z from 'zod';
import { ERROR_CODES } from './errors';
import { MILESTONES } from './milestones';

const timestamp = z.iso.datetime().describe('RFC 3339 timestamp (UTC)');
const count = z.number().int().min(0);

export const errorSchema = z
  .object({
    code: z.enum(ERROR_CODES).describe('Machine-readable error code.'),
    message: z.string().describe('What went wrong, naming the offending field where there is one.'),
  })
  .describe('Every error answer, from the handlers and from the gateway alike.');

export const paginationSchema = z.object({
  total_items: count,
  total_pages: count,
  current_page: z.number().int().min(1),
  items_per_page: count,
});

export const DEPLOYMENT_STATUSES = ['initializing', 'ready', 'failed', 'terminating'] as const;
export const DEPLOYMENT_PHASES = [
  'accepted',
  'provisioning_nodes',
  'scheduling',
  'pulling_image',
  'loading_model',
  'ready',
  'scaling',
  'paused',
  'failed',
  'deleting',
] as const;

export const etaSchema = z
  .object({
    expected_ready_at: timestamp,
    based_on: z.enum(['history', 'model_size']).describe('`history`: median of `samples` recent cold starts; `model_size`: estimated from the weights.'),
    samples: count,
  })
  .describe('When a deployment that is still initializing will probably be ready.');

const servingConfigSchema = z
  .object({
    max_model_len: z.number().int(),
    max_num_seqs: z.number().int(),
    extra_args: z.array(z.string()),
  })
  .catchall(z.unknown())
  .describe('The serving configuration in effect: defaults filled in from the catalog; unknown keys kept as given.');

export const timelineSchema = z
  .object(Object.fromEntries(MILESTONES.map((milestone) => [milestone, timestamp.optional()])) as Record<(typeof MILESTONES)[number], z.ZodOptional<typeof timestamp>>)
  .describe('Cold-start milestones, each stamped once when reached.');

/** Extension: present only on a deploy outside the catalog (docs/custom-models.md), or with a token. */
const customModelViewFields = {
  source: z.enum(['api', 'yaml']).optional().describe('Extension (custom models): deployed from a JSON body or a YAML manifest.'),
  huggingface_id: z.string().optional(),
  revision: z.string().nullable().optional(),
  image: z.string().nullable().optional(),
  command: z.array(z.string()).nullable().optional(),
  args: z.array(z.string()).nullable().optional(),
  storage_size: z.string().nullable().optional().describe('Size of the PVC model cache; null: an emptyDir cache.'),
  model_size_gib: z.number().nullable().optional(),
  tags: z.array(z.string()).optional(),
  display_name: z.string().nullable().optional(),
  description: z.string().nullable().optional(),
  has_hf_token: z.boolean().optional().describe('Extension: a Hugging Face token is stored for it (never returned).'),
};

export const autoscalingRangeSchema = z
  .object({ min_replicas: z.number().int().min(0), max_replicas: z.number().int().min(1) })
  .describe('Extension: the scale range PUT …/scale (and automatic scale-downs) must keep replicas in; min_replicas 0 allows a pause.');

const decisionInputsSchema = z
  .object({
    replicas: z.number().int(),
    min_replicas: z.number().int(),
    max_replicas: z.number().int(),
    floor: z.number().int().describe('The latest schedule window\'s replicas: the autoscaler keeps at least this many.'),
    target: z.object({ metric: z.enum(['concurrency', 'queue']), value: z.number() }),
    in_flight: z.number().describe('Requests the gateways were proxying.'),
    held: z.number().describe('Requests the gateways were holding for a replica (scale from zero).'),
    completed: z.number(),
    running: z.number().nullable().describe('vLLM num_requests_running over the Ready pods; null when unread.'),
    waiting: z.number().nullable().describe('vLLM num_requests_waiting over the Ready pods; null when unread.'),
    kv_cache_usage: z.number().nullable().describe('The highest vLLM kv_cache_usage_perc (0..1); null when unread.'),
    wanted: z.number().int().describe('The replicas the signals asked for, before range, steps and delays.'),
  })
  .describe('The signals and settings a decision was made from.');

/** The scale range in the view, with the load autoscaler's settings and its last decision when it is on. */
export const autoscalingViewSchema = autoscalingRangeSchema
  .extend({
    enabled: z.boolean().optional().describe('Load autoscaling is on (absent: the range only bounds manual and scheduled scaling).'),
    target: z.object({ metric: z.enum(['concurrency', 'queue']), value: z.number().int() }).optional(),
    scale_up_delay_seconds: z.number().int().optional(),
    scale_down_delay_seconds: z.number().int().optional(),
    scale_to_zero_delay_seconds: z.number().int().optional(),
    stabilization_window_seconds: z.number().int().optional(),
    desired_replicas: z.number().int().nullable().optional().describe('What the autoscaler last decided; null before its first look.'),
    last_decision: z
      .object({
        at: timestamp,
        desired: z.number().int(),
        direction: z.enum(['up', 'down', 'none']),
        reason: z.string(),
        inputs: decisionInputsSchema,
        outcome: z.string().describe('`unchanged`, `scale started`, or why the scale could not start (retried at the next sweep).'),
      })
      .nullable()
      .optional(),
  })
  .describe('Extension: the scale range; with load autoscaling on, its settings and last decision (docs/autoscaling.md).');

export const instancesSchema = z
  .object({
    running: count.describe('Pods that are Ready.'),
    pending: count.describe('Pods not Ready yet and not being deleted.'),
    observed_at: timestamp.nullable().describe('When the counts were last written (deploy, scale, reconcile); null: never since the field existed.'),
  })
  .describe('Extension: the deployment\'s pod counts as last observed (up to one reconcile period, 5 minutes, old).');

export const deploymentSchema = z
  .object({
    id: z.string().describe('Deployment id (`dep-…`), the `model_id` of the paths.'),
    name: z.string(),
    project_id: z.string(),
    model_id: z.string().describe('The model\'s Hugging Face path (`org/model`).'),
    model_name: z.string(),
    region: z.string(),
    status: z.enum(DEPLOYMENT_STATUSES),
    endpoint_url: z.string().nullable().describe('OpenAI-compatible endpoint; null until `status` is `ready`.'),
    gpu_config_id: z.string(),
    gpu_count: z.number().int().min(1).describe('GPUs per replica.'),
    replicas: z.number().int().min(0).describe('Desired replicas.'),
    created_at: timestamp,
    updated_at: timestamp,
    uptime_seconds: count.describe('Seconds since it most recently became ready; 0 when not ready (also while paused).'),
    serving_seconds: count.describe('Extension: all ready time so far, across scale changes, pauses and failures.'),
    gpu_seconds: count.describe('Extension: replicas x gpu_count x ready time.'),
    cost_to_date: z.number().min(0).describe('Extension: gpu_seconds x the plan\'s unit_price (per GPU-hour) / 3600.'),
    phase: z
      .enum(DEPLOYMENT_PHASES)
      .describe('Extension: fine-grained progress beside `status`. `paused`: scaled to 0 (status `initializing`, no endpoint).'),
    fail_reason: z.string().nullable().describe('Extension: why it failed (classified), null otherwise.'),
    config: servingConfigSchema,
    plan_id: z.string(),
    initial_delay_seconds: z.number().int().nullable(),
    timeline: timelineSchema,
    eta: etaSchema.nullable().describe('Extension: set on GET of one deployment while it is initializing.'),
    autoscaling: autoscalingViewSchema.nullable().describe('Extension: the scale range (and load autoscaling); null when none was set (replicas 0 to 16).'),
    instances: instancesSchema,
    workflow: z
      .object({ execution_arn: z.string(), console_url: z.string() })
      .describe('Extension: the Step Functions execution that currently owns the deployment.'),
    ...customModelViewFields,
  })
  .describe('A deployment: the NeevCloud AIModelResponse fields plus optional extensions.');

export const deploymentListSchema = z.object({
  items: z.array(deploymentSchema),
  pagination: paginationSchema.extend({
    next_cursor: z
      .string()
      .nullable()
      .describe('Extension: pass as `cursor` for the next page (reads only that page, however deep); null on the last page.'),
  }),
});

const range = z.object({ min: z.number().int(), max: z.number().int(), default: z.number().int() });

export const catalogItemSchema = z.object({
  id: z.string().describe('Url-safe catalog id: the `catalog_id` of a deploy request.'),
  model_id: z.string(),
  name: z.string(),
  vendor: z.string(),
  parameters_billion: z.number(),
  dtype: z.string(),
  weights_gib: z.number(),
  gated: z.boolean().describe('Gated on Hugging Face: deploying it needs an accepted licence.'),
  configurations: z.object({ max_model_len: range, max_num_seqs: range }),
  recommended_gpu: z.object({ gpu_config_id: z.string(), gpu_count: z.number().int() }),
  tags: z.array(z.string()),
  revision: z.string().optional().describe('Extension: the Hugging Face revision the catalog recommends.'),
  gpu_constraint_description: z.string().optional().describe('Extension: free text on the GPUs it needs.'),
});
export const catalogListItemSchema = catalogItemSchema.extend({
  retired_at: timestamp.nullable().optional().describe('Extension, `?include_retired=true` (admins): when it was retired; null while offered.'),
});
export const catalogListSchema = z.object({ items: z.array(catalogListItemSchema), pagination: paginationSchema });

const recipeParameterSchema = z.object({
  name: z.string(),
  deploy_field: z.string().describe('Dotted path of the deploy body field this parameter sets.'),
  slurm_env: z.string().optional().describe('The SLURM recipe\'s environment variable with the same meaning.'),
  type: z.enum(['string', 'integer']),
  default: z.union([z.string(), z.number()]),
  description: z.string(),
});

export const recipeSchema = z.object({
  name: z.string().describe('The `recipe_name` of a deploy request.'),
  description: z.string(),
  engine: z.literal('vllm'),
  image: z.string(),
  parameters: z.array(recipeParameterSchema),
  deploy_body: z
    .object({
      catalog_id: z.string(),
      region: z.string(),
      gpu_config_id: z.string(),
      gpu_count: z.number().int(),
      plan_id: z.string(),
      replicas: z.number().int(),
      config: z.object({ max_model_len: z.number().int(), max_num_seqs: z.number().int() }),
      autoscaling: autoscalingRangeSchema.optional(),
    })
    .describe('POST …/aimodels with this body and a `name` deploys the recipe.'),
});
export const recipeListSchema = z.object({
  items: z.array(recipeSchema.extend({ available: z.boolean().describe('False when an admin retired its model.') })),
  pagination: paginationSchema,
});

export const promptAnswerSchema = z
  .object({
    deployment_id: z.string(),
    model: z.string().describe('The served model that answered.'),
    mode: z.enum(['chat', 'completion']),
    answer: z.string(),
    finish_reason: z.string().nullable(),
    usage: z.object({ prompt_tokens: z.number(), completion_tokens: z.number(), total_tokens: z.number() }).nullable(),
  })
  .describe('Extension: the model server\'s answer to one prompt.');

export const servedModelListSchema = z
  .object({
    deployment_id: z.string(),
    items: z.array(
      z.object({
        id: z.string().describe('The served model name (the `model` of a prompt).'),
        root: z.string().nullable(),
        max_model_len: z.number().nullable(),
        owned_by: z.string().nullable(),
        created: z.number().nullable(),
      }),
    ),
  })
  .describe('Extension: what the model server serves (vLLM\'s /v1/models).');

const planSchema = z.object({ plan_id: z.string(), type: z.literal('ondemand'), unit_price: z.number(), currency: z.string() });

export const inventoryItemSchema = z.object({
  config_id: z.string().describe('The `gpu_config_id` of a deploy request.'),
  gpu_type: z.string(),
  gpu_memory_gib: z.number(),
  region: z.string(),
  instance_type: z.string(),
  max_gpu_count: z.number().int().describe('Most GPUs one replica may use (GPUs per node).'),
  max_gpus_total: z.number().int(),
  node_group: z.string(),
  plans: z.array(planSchema),
});
export const inventoryListSchema = z.object({ items: z.array(inventoryItemSchema), pagination: paginationSchema });

export const eventSchema = z.object({
  at: timestamp,
  type: z.string().describe('e.g. `accepted`, `phase_changed`, `ready`, `failed`, `scale_requested`, `delete_requested`.'),
  status: z.enum(DEPLOYMENT_STATUSES),
  phase: z.enum(DEPLOYMENT_PHASES),
  message: z.string(),
  reason: z.string().optional(),
  execution_arn: z.string().optional(),
});
export const eventListSchema = z.object({
  items: z.array(eventSchema).describe('Oldest first.'),
  next_cursor: z.string().nullable().describe('Pass as `cursor` for the next page; null on the last page.'),
});

export const podLogSchema = z.object({
  name: z.string(),
  phase: z.string(),
  ready: z.boolean(),
  restarts: count,
  log: z.string().describe('The newest lines, last line last.'),
  truncated: z.literal(true).optional().describe('Older lines were dropped to keep the answer small.'),
  error: z.string().optional().describe('Why this pod\'s log could not be read (e.g. its container has not started).'),
});
export const logsSchema = z.object({ deployment_id: z.string(), pods: z.array(podLogSchema).describe('Oldest pod first.') });

const memorySchema = z.object({
  weightsGiB: z.number(),
  kvCacheGiB: z.number(),
  overheadGiB: z.number(),
  neededGiB: z.number(),
  availableGiB: z.number(),
  fits: z.boolean(),
});

const kubernetesObject = z
  .object({ apiVersion: z.string(), kind: z.string(), metadata: z.object({ name: z.string() }).catchall(z.unknown()) })
  .catchall(z.unknown());

export const planSchemaOfDryRun = z
  .object({
    dry_run: z.literal(true),
    would_be_accepted: z.boolean().describe('False when the node group has too few free GPUs (a real deploy would answer 409).'),
    replicas: z.number().int().min(1).describe('The replicas it would start with.'),
    autoscaling: autoscalingRangeSchema.nullable().describe('The scale range it would store; null when none.'),
    capacity: z.object({
      node_group: z.string(),
      instance_type: z.string(),
      nodes_needed_now: count,
      nodes_needed_after: count,
      nodes_to_add: count,
      gpus_to_reserve: count,
      gpus_reserved: count,
      gpus_limit: count,
    }),
    memory: z.union([
      memorySchema,
      z.object({ checked: z.literal(true), weightsGiB: z.number(), overheadGiB: z.number(), neededGiB: z.number(), availableGiB: z.number(), fits: z.boolean(), kv_cache: z.literal('not estimated') }),
      z.object({ checked: z.literal(false), reason: z.string() }),
    ]).describe('Catalog models: weights + KV cache; custom models: the declared size, or why it was not checked.'),
    cost: z.object({ per_minute: z.number(), per_hour: z.number(), currency: z.string(), formula: z.string() }),
    manifests: z
      .object({
        deployment: kubernetesObject,
        service: kubernetesObject,
        podDisruptionBudget: kubernetesObject,
        networkPolicy: kubernetesObject,
        persistentVolumeClaim: kubernetesObject.optional(),
        secret: kubernetesObject.optional(),
      })
      .describe('The Kubernetes objects a deploy would apply (secrets redacted).'),
  })
  .describe('Extension: what a deploy would do (`?dry_run=true`), without doing it.');

const usageFiguresSchema = z.object({
  serving_seconds: count,
  gpu_seconds: count,
  cost_to_date: z.number().min(0),
});

const usageWithoutTokensSchema = usageFiguresSchema
  .extend({
    id: z.string(),
    as_of: timestamp.describe('The instant the figures are computed at.'),
    uptime_seconds: count,
    unit_price: z.number().min(0).describe('The plan\'s price per GPU-hour.'),
    currency: z.string().nullable(),
    gpu_count: z.number().int().min(1),
    replicas: z.number().int().min(0),
    serving_since: timestamp.nullable().describe('Start of the ready period in progress; null when not serving.'),
    days: z.array(usageFiguresSchema.extend({ date: z.string().describe('UTC day, YYYY-MM-DD.') })).describe('Per UTC day, oldest first.'),
  });

const tokenFiguresSchema = z.object({
  requests: count,
  prompt_tokens: count,
  completion_tokens: count,
  estimated_requests: count.describe('Requests whose token counts are estimates (a stream cut before the model server reported its usage).'),
});

export const usageSchema = usageWithoutTokensSchema
  .extend({
    tokens: z
      .object({ total: tokenFiguresSchema, days: z.array(tokenFiguresSchema.extend({ date: z.string().describe('UTC day, YYYY-MM-DD.') })).describe('Per UTC day, oldest first.') })
      .optional()
      .describe('What the inference gateway metered for this deployment, every key summed (always present; optional for clients of earlier servers).'),
  })
  .describe('Extension: serving time, GPU time, cost and tokens of one deployment.');

export const inferenceKeyLimitsViewSchema = z.object({
  requests_per_minute: z.number().int().min(1).optional(),
  tokens_per_minute: z.number().int().min(1).optional(),
  concurrent_requests: z.number().int().min(1).optional(),
});

export const inferenceKeySchema = z
  .object({
    id: z.string().describe('The key id (`ik…`), also the start of the key itself.'),
    name: z.string(),
    key_prefix: z.string().describe('The key\'s first characters, to recognise it; not enough to use it.'),
    created_at: timestamp,
    expires_at: timestamp.nullable(),
    revoked_at: timestamp.nullable(),
    state: z.enum(['active', 'expired', 'revoked']),
    deployment_ids: z.array(z.string()).nullable().describe('The deployments it may call; null: every deployment of the project.'),
    limits: inferenceKeyLimitsViewSchema.describe('Per key; a limit left out is unlimited.'),
  })
  .describe('Extension: an inference key, without its secret.');

export const createdInferenceKeySchema = inferenceKeySchema
  .extend({ key: z.string().describe('The key: `Authorization: Bearer <key>` at the inference endpoint. Shown only in this answer; store it now.') })
  .describe('Extension: a new inference key, with the key itself (shown only here).');

export const inferenceKeyListSchema = z.object({ items: z.array(inferenceKeySchema).describe('Newest first.'), pagination: paginationSchema });

export const inferenceKeyUsageSchema = z
  .object({
    key_id: z.string(),
    as_of: timestamp,
    total: tokenFiguresSchema,
    days: z.array(tokenFiguresSchema.extend({ date: z.string().describe('UTC day, YYYY-MM-DD.'), deployment_id: z.string() })).describe('Per UTC day and deployment, oldest first.'),
  })
  .describe('Extension: what the inference gateway metered for one key.');

export const scheduleViewSchema = z
  .object({
    time_zone: z.string(),
    windows: z.array(z.object({ cron: z.string(), replicas: z.number().int().min(0) })),
    idle_timeout_minutes: z.number().int().nullable(),
    next_windows: z.array(z.object({ at: timestamp, replicas: z.number().int().min(0) })).describe('The next window fires (up to 5).'),
    next_check_at: timestamp.nullable().describe('When the sweeper looks at the deployment next.'),
    last_activity_at: timestamp.nullable().describe('Idle detection: when a request was last seen.'),
  })
  .describe('Extension: the deployment\'s scaling windows and idle timeout.');
export const openApiDocumentSchema = z.object({ openapi: z.string(), info: z.object({ title: z.string(), version: z.string() }) }).catchall(z.unknown());

// The views the handlers answer with.
export type DeploymentView = z.infer<typeof deploymentSchema>;
export type Eta = z.infer<typeof etaSchema>;
export type ScheduleView = z.infer<typeof scheduleViewSchema>;
export type UsageView = z.infer<typeof usageSchema>;
export type TokenFigures = z.infer<typeof tokenFiguresSchema>;
export type InferenceKeyView = z.infer<typeof inferenceKeySchema>;
export type CreatedInferenceKeyView = z.infer<typeof createdInferenceKeySchema>;
export type InferenceKeyUsageView = z.infer<typeof inferenceKeyUsageSchema>;
export type MemoryEstimate = z.infer<typeof memorySchema>;
export type CatalogItemView = z.infer<typeof catalogItemSchema>;
export type RecipeView = z.infer<typeof recipeSchema>;
export type PromptAnswer = z.infer<typeof promptAnswerSchema>;
export type ServedModelList = z.infer<typeof servedModelListSchema>;
