/**
 * Catalog administration (ZStack's AddModel): the checks a model must pass before it is offered,
 * and how admin changes (DynamoDB) merge with the built-in catalog (contract/data/catalog.json).
 * What an admin may send is contract/requests/catalog.ts. Pure.
 */
import type { CatalogItemView } from '../../contract/api-schemas';
import { findGpuConfig, weightsGiB, type CatalogModel } from '../../contract/catalog';
import { CATALOG_ID, type AddCatalogModelRequest, type UpdateCatalogModelRequest } from '../../contract/requests/catalog';
import { ValidationError } from './errors';
import { estimateMemory } from './memory-fit';

export type { AddCatalogModelRequest, UpdateCatalogModelRequest };

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
