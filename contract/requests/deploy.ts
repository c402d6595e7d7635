/**
 * POST …/aimodels of a catalog model (the NeevCloud body) and its query, and the query of
 * POST …/aimodels/yaml. What needs the catalog and the inventory (placement, memory fit,
 * tensor parallelism, gated models) is checked after parsing, in functions/domain/requests.ts.
 */
import * as z from 'zod';
import { integer, MAX_REPLICAS, queryFlag } from './fields';
import { autoscalingFields } from './scale';

const DNS_1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/**
 * The write-only `hf_token` of a deploy (functions/domain/hf-token.ts says where it is kept).
 * Hugging Face user access tokens are `hf_` + 34 characters today; room for future formats.
 */
export const hfTokenSchema = z
  .string({ error: 'hf_token must be a string' })
  .min(8, { error: 'hf_token is too short to be a Hugging Face token' })
  .max(512, { error: 'hf_token is too long' })
  .regex(/^[\x21-\x7e]+$/, { error: 'hf_token must be printable ASCII without spaces' });

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
  /** Write-only: a gated catalog model needs it (custom models: contract/requests/custom-model.ts). */
  hf_token: hfTokenSchema.optional(),
});
export type CreateDeploymentRequest = z.infer<typeof createDeploymentSchema>;

export const deployQuerySchema = z.object({
  dry_run: queryFlag('dry_run').meta({ description: 'Default false.' }),
});

/** Query of POST …/aimodels/yaml: where to run it, and optionally another name than metadata.name. */
export const yamlDeployQuerySchema = z.object({
  gpu_config_id: z.string({ error: 'gpu_config_id is required (query string) and must be a string' }).max(100, { error: 'gpu_config_id is too long' }),
  plan_id: z.string({ error: 'plan_id is required (query string) and must be a string' }).max(100, { error: 'plan_id is too long' }),
  region: z.string().max(64, { error: 'region is too long' }).optional(),
  name: z.string().max(64, { error: 'name is too long' }).optional(),
  dry_run: queryFlag('dry_run'),
});
export type YamlDeployQuery = z.infer<typeof yamlDeployQuerySchema>;
