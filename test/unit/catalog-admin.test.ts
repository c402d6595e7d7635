import { describe, expect, it } from 'vitest';
import { CATALOG } from '../../contract/catalog';
import { addCatalogModelSchema, updateCatalogModelSchema } from '../../contract/requests/catalog';
import { catalogItemView, mergeCatalog, mergeCatalogEntries, newCatalogModel, updatedCatalogModel, type CatalogEntry } from '../../functions/domain/catalog-admin';
import { ValidationError } from '../../functions/domain/errors';
import { parseOrThrow } from '../../functions/domain/requests';

const phi = {
  model_id: 'microsoft/Phi-3-mini-4k-instruct',
  revision: 'main',
  name: 'Phi-3 Mini 4k Instruct',
  vendor: 'Microsoft',
  parameters_billion: 3.8,
  dtype: 'bfloat16',
  architecture: { num_layers: 32, num_kv_heads: 32, head_dim: 96 },
  configurations: { max_model_len: { min: 512, max: 4096, default: 4096 }, max_num_seqs: { min: 1, max: 128, default: 32 } },
  recommended_gpu: { gpu_config_id: 'l4-24gb', gpu_count: 1 },
  gpu_constraint_description: 'one 24 GB GPU',
  tags: ['chat'],
};

const rejected = (fn: () => unknown): ValidationError => {
  try {
    fn();
  } catch (error) {
    if (error instanceof ValidationError) return error;
    throw error;
  }
  throw new Error('expected a ValidationError');
};

const add = (body: unknown) => newCatalogModel(parseOrThrow(addCatalogModelSchema, body));

describe('adding a catalog model', () => {
  it('derives the id from model_id and defaults gated and tags', () => {
    const model = add({ ...phi, tags: undefined });
    expect(model).toMatchObject({ id: 'microsoft-Phi-3-mini-4k-instruct', gated: false, tags: [], revision: 'main', gpu_constraint_description: 'one 24 GB GPU' });
  });

  it.each([
    [{ ...phi, model_id: 'no-slash' }, 'model_id'],
    [{ ...phi, parameters_billion: -1 }, 'parameters_billion'],
    [{ ...phi, dtype: 'int3' }, 'dtype'],
    [{ ...phi, architecture: { num_layers: 32, num_kv_heads: 32 } }, 'architecture.head_dim'],
    [{ ...phi, configurations: { ...phi.configurations, max_num_seqs: { min: 1, max: 128, default: 256 } } }, 'configurations.max_num_seqs.default'],
    [{ ...phi, configurations: { ...phi.configurations, max_model_len: { min: 8192, max: 4096, default: 4096 } } }, 'configurations.max_model_len.min'],
    [{ ...phi, recommended_gpu: { gpu_config_id: 'tpu-v5', gpu_count: 1 } }, 'recommended_gpu.gpu_config_id'],
    [{ ...phi, recommended_gpu: { gpu_config_id: 'l4-24gb', gpu_count: 5 } }, 'recommended_gpu.gpu_count'],
    [{ ...phi, id: 'has spaces' }, 'id'],
    [{ ...phi, revision: 'a b' }, 'revision'],
    [{ ...phi, tags: ['x'.repeat(51)] }, 'tags.0'],
  ])('rejects %o naming %s', (body, field) => {
    expect(rejected(() => add(body)).field).toBe(field);
  });

  it('rejects a model that does not fit its recommended GPU at the default context', () => {
    const error = rejected(() => add({ ...phi, parameters_billion: 70 }));
    expect(error.field).toBe('recommended_gpu.gpu_count');
    expect(error.message).toContain('does not fit');
  });

  it('rejects unknown fields (a typo is not silently dropped)', () => {
    expect(rejected(() => add({ ...phi, recomended_gpu: {} })).message).toContain('unknown fields: recomended_gpu');
  });
});

describe('updating a catalog model (partial)', () => {
  const current = add(phi);

  it('replaces the fields given, merges configurations range by range, clears with null', () => {
    const patch = parseOrThrow(updateCatalogModelSchema, {
      name: 'Phi-3 Mini',
      configurations: { max_num_seqs: { min: 1, max: 64, default: 16 } },
      revision: null,
      tags: ['chat', 'small'],
    });
    const next = updatedCatalogModel(current, patch);
    expect(next).toMatchObject({ id: current.id, name: 'Phi-3 Mini', vendor: 'Microsoft', tags: ['chat', 'small'] });
    expect(next.configurations).toEqual({ max_model_len: current.configurations.max_model_len, max_num_seqs: { min: 1, max: 64, default: 16 } });
    expect(next.revision).toBeUndefined();
    expect(next.gpu_constraint_description).toBe('one 24 GB GPU');
  });

  it('checks the result like a new model', () => {
    const patch = parseOrThrow(updateCatalogModelSchema, { recommended_gpu: { gpu_config_id: 'l4-24gb', gpu_count: 8 } });
    expect(rejected(() => updatedCatalogModel(current, patch)).field).toBe('recommended_gpu.gpu_count');
    expect(rejected(() => parseOrThrow(updateCatalogModelSchema, { id: 'other' })).message).toContain('unknown fields: id');
  });
});

describe('the merged catalog', () => {
  const [qwen, llama] = CATALOG;
  const entry = (model: CatalogEntry['model'], extra: Partial<CatalogEntry> = {}): CatalogEntry => ({
    model,
    origin: 'admin',
    version: 1,
    updated_at: '2026-12-02T00:00:00Z',
    updated_by: 'admin',
    ...extra,
  });

  it('is the built-in catalog without admin entries', () => {
    expect(mergeCatalog(CATALOG, []).map((m) => m.id)).toEqual(CATALOG.map((m) => m.id));
  });

  it('applies overrides in place, drops retired models, appends added ones by id', () => {
    const renamed = { ...qwen!, name: 'Qwen tiny' };
    const merged = mergeCatalog(CATALOG, [
      entry(add({ ...phi, id: 'zz-phi' })),
      entry(renamed, { origin: 'builtin' }),
      entry(llama!, { origin: 'builtin', retired_at: '2026-12-02T00:00:00Z' }),
      entry(add({ ...phi, id: 'aa-phi' })),
      entry(add({ ...phi, id: 'gone' }), { retired_at: '2026-12-02T00:00:00Z' }),
    ]);
    const ids = merged.map((m) => m.id);
    expect(ids[0]).toBe(qwen!.id);
    expect(merged[0]!.name).toBe('Qwen tiny');
    expect(ids).not.toContain(llama!.id);
    expect(ids).not.toContain('gone');
    expect(ids.slice(-2)).toEqual(['aa-phi', 'zz-phi']);
    expect(ids).toHaveLength(CATALOG.length - 1 + 2);
  });

  it('shows retired models with retired_at in the admin view', () => {
    const listed = mergeCatalogEntries(CATALOG, [entry(llama!, { origin: 'builtin', retired_at: '2026-12-02T00:00:00Z' })], true);
    expect(listed).toHaveLength(CATALOG.length);
    expect(listed[1]).toEqual({ model: llama, retired_at: '2026-12-02T00:00:00Z' });
    expect(listed[0]).toEqual({ model: qwen });
  });

  it('lists optional fields only when set', () => {
    expect(catalogItemView(qwen!)).not.toHaveProperty('revision');
    expect(catalogItemView(add(phi))).toMatchObject({ revision: 'main', gpu_constraint_description: 'one 24 GB GPU', weights_gib: 7.1 });
  });
});
