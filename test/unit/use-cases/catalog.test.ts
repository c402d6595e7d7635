import { describe, expect, it } from 'vitest';
import { addCatalogModelSchema, updateCatalogModelSchema } from '../../../contract/requests/catalog';
import { ConflictError, NotFoundError, ValidationError } from '../../../functions/domain/errors';
import { parseOrThrow } from '../../../functions/domain/requests';
import {
  addCatalogModel,
  deployableCatalogModel,
  deploymentModelOf,
  listCatalog,
  listCatalogWithRetired,
  retireCatalogModel,
  updateCatalogModel,
} from '../../../functions/use-cases/catalog';
import { inMemoryPorts } from '../../support/in-memory';

const QWEN = 'Qwen-Qwen2.5-0.5B-Instruct';
const phi = parseOrThrow(addCatalogModelSchema, {
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
});
const now = new Date('2026-12-01T10:00:00Z');

describe('catalog use cases', () => {
  it('adds a model once: the same id again is a 409 until it is retired, then it is offered again', async () => {
    const ports = inMemoryPorts();
    const model = await addCatalogModel(ports, phi, 'admin-1', now);
    expect((await listCatalog(ports)).map((m) => m.id)).toContain(model.id);
    await expect(addCatalogModel(ports, phi, 'admin-1', now)).rejects.toBeInstanceOf(ConflictError);

    await retireCatalogModel(ports, model.id, 'admin-1', now);
    await retireCatalogModel(ports, model.id, 'admin-1', now); // idempotent
    expect((await listCatalog(ports)).map((m) => m.id)).not.toContain(model.id);
    expect((await listCatalogWithRetired(ports)).find((m) => m.model.id === model.id)?.retired_at).toBe(now.toISOString());
    await expect(deployableCatalogModel(ports, model.id)).rejects.toBeInstanceOf(ValidationError);
    // a deployment already running it still finds its definition
    expect((await deploymentModelOf(ports, { catalog_id: model.id }))?.id).toBe(model.id);

    await addCatalogModel(ports, phi, 'admin-2', now);
    expect((await ports.catalog.get(model.id))).toMatchObject({ version: 3, updated_by: 'admin-2', origin: 'admin' });
    expect((await ports.catalog.get(model.id))?.retired_at).toBeUndefined();
  });

  it('overrides a built-in model on update, and refuses unknown or retired ones', async () => {
    const ports = inMemoryPorts();
    const updated = await updateCatalogModel(ports, QWEN, parseOrThrow(updateCatalogModelSchema, { tags: ['small'] }), 'admin-1', now);
    expect(updated.tags).toEqual(['small']);
    expect(await ports.catalog.get(QWEN)).toMatchObject({ origin: 'builtin', version: 1 });
    expect((await deployableCatalogModel(ports, QWEN))?.tags).toEqual(['small']);
    await expect(updateCatalogModel(ports, 'no-such-model', {}, 'admin-1', now)).rejects.toBeInstanceOf(NotFoundError);
    await retireCatalogModel(ports, QWEN, 'admin-1', now);
    await expect(updateCatalogModel(ports, QWEN, {}, 'admin-1', now)).rejects.toBeInstanceOf(ConflictError);
  });

  it('answers 409 when another admin wrote between the read and the write', async () => {
    const ports = inMemoryPorts();
    const racing = {
      catalog: {
        ...ports.catalog,
        get: ports.catalog.get.bind(ports.catalog),
        list: ports.catalog.list.bind(ports.catalog),
        put: async (...args: Parameters<typeof ports.catalog.put>) => {
          await ports.catalog.put({ ...args[0], updated_by: 'the other admin' }, args[1]); // the other admin wins
          return ports.catalog.put(...args);
        },
      },
    };
    await expect(updateCatalogModel(racing, QWEN, { tags: ['mine'] }, 'admin-1', now)).rejects.toThrow(/changed by someone else/);
    expect((await ports.catalog.get(QWEN))?.updated_by).toBe('the other admin');
  });

  it('does not look a custom model up in the catalog', async () => {
    const ports = inMemoryPorts();
    expect(await deploymentModelOf(ports, { catalog_id: QWEN, custom: undefined })).toMatchObject({ id: QWEN });
    expect(await deploymentModelOf(ports, { catalog_id: 'hf:org/model', custom: { huggingface_id: 'org/model' } as never })).toBeUndefined();
  });
});
