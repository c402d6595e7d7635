/**
 * Catalog administration (ZStack's AddModel): the request shapes an admin sends, the checks a
 * model must pass before it is offered, and how admin changes (DynamoDB) merge with the
 * built-in catalog (data/catalog.json). Pure.
 */
import type { CatalogItemView } from '../../contract/api-schemas';
import * as z from 'zod';
import { findGpuConfig, weightsGiB, type CatalogModel } from '../../contract/catalog';
import { ValidationError } from './errors';
import { estimateMemory } from './memory-fit';

/** Same rule as a path parameter (commons/http.ts), so every catalog id can be addressed. */
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

export const catalogIdFor = (request: Pick<AddCatalogModelRequest, 'id' | 'model_id'>): string => {
  const id = request.id ?? request.model_id.replace('/', '-');
  if (!CATALOG_ID.test(id)) {
    throw new ValidationError(`the id derived from model_id ('${id.slice(0, 80)}') is not a valid catalog id: give id (1-63 letters, digits, "_", "-", ".")`, 'id');
  }
  return id;
};

export const newCatalogModel = (request: AddCatalogModelRequest): CatalogModel => {
  const { id: _id, ...rest } = request;
  return checkCatalogModel({ id: catalogIdFor(request), ...rest });
};

export const updatedCatalogModel = (current: CatalogModel, patch: UpdateCatalogModelRequest): CatalogModel => {
  const { configurations, revision, gpu_constraint_description, ...replaced } = patch;
  const next: CatalogModel = {
    ...current,
    ...Object.fromEntries(Object.entries(replaced).filter(([, value]) => value !== undefined)),
    configurations: {
      max_model_len: configurations?.max_model_len ?? current.configurations.max_model_len,
      max_num_seqs: configurations?.max_num_seqs ?? current.configurations.max_num_seqs,
    },
  };
  if (revision === null) delete next.revision;
  else if (revision !== undefined) next.revision = revision;
  if (gpu_constraint_description === null) delete next.gpu_constraint_description;
  else if (gpu_constraint_description !== undefined) next.gpu_constraint_description = gpu_constraint_description;
  return checkCatalogModel(next);
};

/**
 * What a model must satisfy to be offered: each range holds its default, the recommended GPU
 * config exists and has that many GPUs per node, and the model fits it at the default
 * max_model_len (the same memory estimate a deploy is admitted with).
 */
export const checkCatalogModel = (model: CatalogModel): CatalogModel => {
  for (const key of ['max_model_len', 'max_num_seqs'] as const) {
    const range = model.configurations[key];
    const field = `configurations.${key}`;
    if (range.min > range.max) throw new ValidationError(`${field}.min (${range.min}) must not exceed ${field}.max (${range.max})`, `${field}.min`);
    if (range.default < range.min || range.default > range.max) {
      throw new ValidationError(`${field}.default (${range.default}) must lie between min ${range.min} and max ${range.max}`, `${field}.default`);
    }
  }
  const { gpu_config_id, gpu_count } = model.recommended_gpu;
  const gpuConfig = findGpuConfig(gpu_config_id);
  if (!gpuConfig) {
    throw new ValidationError(`recommended_gpu.gpu_config_id '${gpu_config_id}' is not in the inventory (see GET /api/v1beta1/inventory)`, 'recommended_gpu.gpu_config_id');
  }
  if (gpu_count > gpuConfig.gpus_per_node) {
    throw new ValidationError(
      `recommended_gpu.gpu_count ${gpu_count} exceeds the ${gpuConfig.gpus_per_node} GPUs per node of '${gpu_config_id}'`,
      'recommended_gpu.gpu_count',
    );
  }
  const memory = estimateMemory(model, gpuConfig, gpu_count, model.configurations.max_model_len.default);
  if (!memory.fits) {
    throw new ValidationError(
      `recommended_gpu does not fit the model: ${model.name} needs ${memory.neededGiB.toFixed(1)} GiB at max_model_len ${model.configurations.max_model_len.default}, ${gpu_count} x ${gpuConfig.gpu_type} give ${memory.availableGiB.toFixed(1)} GiB`,
      'recommended_gpu.gpu_count',
    );
  }
  return model;
};

/** A model as stored by an admin: overriding a built-in one (`builtin`) or added (`admin`). */
export interface CatalogEntry {
  model: CatalogModel;
  origin: 'builtin' | 'admin';
  /** Set once retired: no new deploys; existing deployments keep running. */
  retired_at?: string;
  version: number;
  updated_at: string;
  updated_by: string;
}

export interface ListedModel {
  model: CatalogModel;
  retired_at?: string;
}

/**
 * The merged catalog: built-in models in file order (admin overrides applied), then added ones
 * by id. Retired ones are left out unless `includeRetired` (the admin's view).
 */
export const mergeCatalogEntries = (builtIn: readonly CatalogModel[], entries: readonly CatalogEntry[], includeRetired = false): ListedModel[] => {
  const byId = new Map(entries.map((entry) => [entry.model.id, entry]));
  const listed = (entry: CatalogEntry): ListedModel => (entry.retired_at === undefined ? { model: entry.model } : { model: entry.model, retired_at: entry.retired_at });
  const merged: ListedModel[] = builtIn.map((model) => {
    const entry = byId.get(model.id);
    return entry ? listed(entry) : { model };
  });
  const builtInIds = new Set(builtIn.map((m) => m.id));
  const added = entries.filter((e) => !builtInIds.has(e.model.id)).sort((a, b) => a.model.id.localeCompare(b.model.id)).map(listed);
  return [...merged, ...added].filter((item) => includeRetired || item.retired_at === undefined);
};

/** The catalog clients see (retired models left out). */
export const mergeCatalog = (builtIn: readonly CatalogModel[], entries: readonly CatalogEntry[]): CatalogModel[] =>
  mergeCatalogEntries(builtIn, entries).map((item) => item.model);

/** One catalog item as GET /aimodels-catalog lists it. */
export const catalogItemView = (model: CatalogModel): CatalogItemView => ({
  id: model.id,
  model_id: model.model_id,
  name: model.name,
  vendor: model.vendor,
  parameters_billion: model.parameters_billion,
  dtype: model.dtype,
  weights_gib: Number(weightsGiB(model).toFixed(1)),
  gated: model.gated,
  configurations: model.configurations,
  recommended_gpu: model.recommended_gpu,
  tags: model.tags,
  ...(model.revision === undefined ? {} : { revision: model.revision }),
  ...(model.gpu_constraint_description === undefined ? {} : { gpu_constraint_description: model.gpu_constraint_description }),
});

/** GET /aimodels-catalog?include_retired=true: admins also see retired models, with retired_at. */
export const catalogQuerySchema = z.object({
  include_retired: z
    .enum(['true', 'false'], { error: 'include_retired must be true or false' })
    .transform((value) => value === 'true')
    .default(false)
    .meta({ description: 'Default false. Role admin only.' }),
});
