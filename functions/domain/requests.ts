/**
 * Request schemas (one per shape, compiled once at module scope) and the deploy request's
 * resolution against catalog and inventory. Every rejection names the offending field.
 */
import { z } from 'zod';
import { findCatalogModel, findGpuConfig, regions, type CatalogModel, type GpuConfig, type Plan } from './catalog';
import type { ServingConfig } from './deployment';
import { ValidationError } from './errors';

export const MAX_REPLICAS = 16;
const DNS_1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

const integer = (field: string) =>
  z.number({ error: `${field} must be an integer` }).int({ error: `${field} must be an integer` });

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
});
export type CreateDeploymentRequest = z.infer<typeof createDeploymentSchema>;

export const scaleDeploymentSchema = z.object({
  replicas: integer('replicas')
    .min(1, { error: 'replicas must be at least 1' })
    .max(MAX_REPLICAS, { error: `replicas must be at most ${MAX_REPLICAS}` }),
});

const queryInteger = (field: string, min: number, max: number, fallback: number) =>
  z
    .string()
    .regex(/^\d{1,9}$/, { error: `${field} must be an integer between ${min} and ${max}` })
    .transform(Number)
    .pipe(z.number().min(min, { error: `${field} must be an integer between ${min} and ${max}` }).max(max, { error: `${field} must be an integer between ${min} and ${max}` }))
    .default(fallback);

export const listQuerySchema = z.object({
  page: queryInteger('page', 1, 1_000_000, 1),
  limit: queryInteger('limit', 1, 100, 20),
});

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
}

const checkRange = (field: string, value: number | undefined, range: { min: number; max: number; default: number }): number => {
  if (value === undefined) return range.default;
  if (value < range.min || value > range.max) {
    throw new ValidationError(`${field} must be between ${range.min} and ${range.max} for this model, got ${value}`, field);
  }
  return value;
};

/** Checks a syntactically valid deploy request against catalog and inventory. */
export const resolveDeploymentSpec = (request: CreateDeploymentRequest): ResolvedDeploymentSpec => {
  const model = findCatalogModel(request.catalog_id);
  if (!model) throw new ValidationError(`catalog_id '${request.catalog_id}' is not in the catalog (see GET /api/v1beta1/aimodels-catalog)`, 'catalog_id');
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
  const given = request.config ?? {};
  const config: ServingConfig = {
    ...given,
    max_model_len: checkRange('config.max_model_len', given.max_model_len, model.configurations.max_model_len),
    max_num_seqs: checkRange('config.max_num_seqs', given.max_num_seqs, model.configurations.max_num_seqs),
    extra_args: given.extra_args ?? [],
  };
  const replicas = request.replicas ?? 1;
  if (replicas * request.gpu_count > gpuConfig.node_group.max_size * gpuConfig.gpus_per_node) {
    throw new ValidationError(
      `no GPU node group can hold ${replicas} replicas of ${request.gpu_count} GPUs: node group '${gpuConfig.node_group.name}' has at most ${gpuConfig.node_group.max_size} nodes of ${gpuConfig.gpus_per_node} GPUs`,
      'replicas',
    );
  }
  return { request, model, gpuConfig, plan, config, replicas };
};
