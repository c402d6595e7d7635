/**
 * Catalog administration (ZStack's AddModel): what an admin sends to add or change a model, and
 * the catalog list's query. The checks against the inventory and the merge with the built-in
 * catalog are functions/domain/catalog-admin.ts's.
 */
import * as z from 'zod';
import { queryFlag } from './fields';

/** Same rule as a path parameter (functions/commons/http.ts), so every catalog id can be addressed. */
export const CATALOG_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;
const HF_MODEL_ID = /^[A-Za-z0-9][\w.-]{0,95}\/[\w.-]{1,96}$/;
const HF_REVISION = /^[\w.\-/]{1,100}$/;

const positiveInt = (field: string, max: number) =>
  z
    .number({ error: `${field} must be an integer` })
    .int({ error: `${field} must be an integer` })
    .min(1, { error: `${field} must be between 1 and ${max}` })
    .max(max, { error: `${field} must be between 1 and ${max}` });

const rangeOf = (field: string, max: number) =>
  z.strictObject(
    { min: positiveInt(`${field}.min`, max), max: positiveInt(`${field}.max`, max), default: positiveInt(`${field}.default`, max) },
    { error: `${field} must be an object {min, max, default}` },
  );

const text = (field: string, max: number) =>
  z.string({ error: `${field} must be a string` }).trim().min(1, { error: `${field} must not be empty` }).max(max, { error: `${field} is longer than ${max} characters` });

const fields = {
  model_id: z.string({ error: 'model_id is required: the Hugging Face repository, owner/name' }).regex(HF_MODEL_ID, {
    error: 'model_id must be a Hugging Face repository id, owner/name',
  }),
  revision: z.string({ error: 'revision must be a string' }).regex(HF_REVISION, { error: 'revision must be a branch, tag or commit (letters, digits, "_", "-", ".", "/")' }),
  name: text('name', 100),
  vendor: text('vendor', 100),
  parameters_billion: z
    .number({ error: 'parameters_billion must be a number (billions of parameters)' })
    .positive({ error: 'parameters_billion must be positive' })
    .max(5000, { error: 'parameters_billion must be at most 5000' }),
  dtype: z.enum(['bfloat16', 'float16', 'float32', 'fp8', 'int8', 'int4'], {
    error: 'dtype must be one of bfloat16, float16, float32, fp8, int8, int4',
  }),
  architecture: z.strictObject(
    {
      num_layers: positiveInt('architecture.num_layers', 1000),
      num_attention_heads: positiveInt('architecture.num_attention_heads', 1024).optional(),
      num_kv_heads: positiveInt('architecture.num_kv_heads', 1024),
      head_dim: positiveInt('architecture.head_dim', 4096),
    },
    { error: 'architecture must be an object {num_layers, num_attention_heads?, num_kv_heads, head_dim} (it sizes the KV cache and the valid gpu_count)' },
  ),
  gated: z.boolean({ error: 'gated must be true or false' }),
  configurations: z.strictObject(
    { max_model_len: rangeOf('configurations.max_model_len', 10_000_000), max_num_seqs: rangeOf('configurations.max_num_seqs', 4096) },
    { error: 'configurations must be an object {max_model_len, max_num_seqs}' },
  ),
  recommended_gpu: z.strictObject(
    { gpu_config_id: text('recommended_gpu.gpu_config_id', 100), gpu_count: positiveInt('recommended_gpu.gpu_count', 64) },
    { error: 'recommended_gpu must be an object {gpu_config_id, gpu_count}' },
  ),
  gpu_constraint_description: text('gpu_constraint_description', 500),
  tags: z
    .array(text('each tag', 50), { error: 'tags must be an array of strings' })
    .max(20, { error: 'tags may hold at most 20 entries' }),
};

/** POST /aimodels-catalog. `id` defaults to model_id with "/" replaced by "-" (the built-in convention). */
export const addCatalogModelSchema = z.strictObject({
  id: z.string({ error: 'id must be a string' }).regex(CATALOG_ID, { error: 'id must be 1-63 letters, digits, "_", "-" or ".", starting with a letter or digit' }).optional(),
  ...fields,
  revision: fields.revision.optional(),
  gated: fields.gated.default(false),
  gpu_constraint_description: fields.gpu_constraint_description.optional(),
  tags: fields.tags.default([]),
});
export type AddCatalogModelRequest = z.infer<typeof addCatalogModelSchema>;

/**
 * PUT /aimodels-catalog/{catalog_id}: a partial update. Fields given replace the stored ones;
 * `configurations` is merged range by range; `null` clears revision or gpu_constraint_description.
 */
export const updateCatalogModelSchema = z.strictObject({
  model_id: fields.model_id.optional(),
  revision: fields.revision.nullable().optional(),
  name: fields.name.optional(),
  vendor: fields.vendor.optional(),
  parameters_billion: fields.parameters_billion.optional(),
  dtype: fields.dtype.optional(),
  architecture: fields.architecture.optional(),
  gated: fields.gated.optional(),
  configurations: z
    .strictObject(
      {
        max_model_len: rangeOf('configurations.max_model_len', 10_000_000).optional(),
        max_num_seqs: rangeOf('configurations.max_num_seqs', 4096).optional(),
      },
      { error: 'configurations must be an object {max_model_len?, max_num_seqs?}' },
    )
    .optional(),
  recommended_gpu: fields.recommended_gpu.optional(),
  gpu_constraint_description: fields.gpu_constraint_description.nullable().optional(),
  tags: fields.tags.optional(),
});
export type UpdateCatalogModelRequest = z.infer<typeof updateCatalogModelSchema>;

/** GET /aimodels-catalog?include_retired=true: admins also see retired models, with retired_at. */
export const catalogQuerySchema = z.object({
  include_retired: queryFlag('include_retired').meta({ description: 'Default false. Role admin only.' }),
});
