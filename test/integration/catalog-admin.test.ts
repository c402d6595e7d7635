/**
 * Catalog administration over real HTTP on the local cloud: only role admin may add, change
 * or retire models; an added model deploys and serves like a built-in one; a retired model
 * cannot be deployed again while its running deployment stays readable, scales and deletes
 * with nothing left behind.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BASE, startTestCloud, waitFor, type TestCloud } from '../support/local-cloud';

const CATALOG = '/api/v1beta1/aimodels-catalog';

let t: TestCloud;
let admin: string;
beforeAll(async () => {
  t = await startTestCloud(0.01);
  admin = await t.token({ role: 'admin' });
});
afterAll(async () => {
  await t?.close();
});

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
  gpu_constraint_description: 'one 24 GB GPU is enough',
  tags: ['chat', 'small'],
};
const PHI_ID = 'microsoft-Phi-3-mini-4k-instruct';

const deployBody = (name: string, catalogId: string) => ({
  name,
  catalog_id: catalogId,
  region: 'us-east-1',
  gpu_config_id: 'l4-24gb',
  gpu_count: 1,
  plan_id: 'plan-l4-24gb-ondemand',
});
const catalogIds = async (): Promise<string[]> => (await t.api('GET', CATALOG)).body.items.map((i: { id: string }) => i.id);
const get = (id: string) => t.api('GET', `${BASE}/${id}`);
const settledReady = (id: string, what: string) => waitFor(() => get(id), (r) => r.body.status === 'ready' && r.body.phase === 'ready', what);

describe('catalog administration', () => {
  it('refuses catalog writes to viewers and editors (403) and leaves the catalog as it was', async () => {
    const before = await catalogIds();
    for (const role of ['viewer', 'editor'] as const) {
      const token = await t.token({ role });
      const attempts = [
        await t.api('POST', CATALOG, { token, body: phi }),
        await t.api('PUT', `${CATALOG}/Qwen-Qwen2.5-0.5B-Instruct`, { token, body: { name: 'renamed' } }),
        await t.api('DELETE', `${CATALOG}/Qwen-Qwen2.5-0.5B-Instruct`, { token }),
      ];
      for (const attempt of attempts) {
        expect(attempt.status).toBe(403);
        expect(attempt.body).toEqual({ code: 'forbidden', message: expect.stringContaining('only role admin') });
      }
    }
    expect(await catalogIds()).toEqual(before);
  });

  it('answers bad admin input with a 400 naming the field, unknown ids with 404, a taken id with 409', async () => {
    const bad = await t.api('POST', CATALOG, { token: admin, body: { ...phi, recommended_gpu: { gpu_config_id: 'l4-24gb', gpu_count: 9 } } });
    expect(bad.status).toBe(400);
    expect(bad.body).toEqual({ code: 'invalid_request', message: expect.stringContaining('recommended_gpu.gpu_count 9') });
    const missing = await t.api('POST', CATALOG, { token: admin, body: { ...phi, architecture: undefined } });
    expect(missing.status).toBe(400);
    expect(missing.body.message).toContain('architecture');
    expect((await t.api('PUT', `${CATALOG}/no-such-model`, { token: admin, body: { name: 'x' } })).status).toBe(404);
    expect((await t.api('DELETE', `${CATALOG}/no-such-model`, { token: admin })).status).toBe(404);
    const taken = await t.api('POST', CATALOG, { token: admin, body: { ...phi, id: 'Qwen-Qwen2.5-0.5B-Instruct' } });
    expect(taken.status).toBe(409);
    expect(await catalogIds()).not.toContain(PHI_ID);
  });

  it('adds a model that then deploys and serves; retires it: no new deploys, the running one still reads, scales and deletes cleanly', async () => {
    const added = await t.api('POST', CATALOG, { token: admin, body: phi });
    expect(added.status).toBe(201);
    expect(added.body).toMatchObject({ id: PHI_ID, model_id: phi.model_id, revision: 'main', gpu_constraint_description: 'one 24 GB GPU is enough', weights_gib: 7.1 });
    expect(await catalogIds()).toContain(PHI_ID);

    const updated = await t.api('PUT', `${CATALOG}/${PHI_ID}`, { token: admin, body: { name: 'Phi-3 Mini', configurations: { max_num_seqs: { min: 1, max: 64, default: 16 } } } });
    expect(updated.status).toBe(200);
    expect(updated.body).toMatchObject({ name: 'Phi-3 Mini', vendor: 'Microsoft', configurations: { max_model_len: phi.configurations.max_model_len, max_num_seqs: { default: 16 } } });

    const created = await t.api('POST', BASE, { body: deployBody('phi-mini', PHI_ID) });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ model_id: phi.model_id, model_name: 'Phi-3 Mini', config: { max_model_len: 4096, max_num_seqs: 16 } });
    const id: string = created.body.id;
    await settledReady(id, 'phi ready');
    const served = await t.api('POST', `${BASE}/${id}/prompt`, { body: { prompt: 'hello' } });
    expect(served.status).toBe(200);
    expect(served.body).toMatchObject({ model: 'phi-mini', answer: expect.stringContaining('You said: hello') });
    expect((await t.api('GET', `${BASE}/${id}/models`)).body.items).toEqual([expect.objectContaining({ id: 'phi-mini', root: phi.model_id })]);

    expect((await t.api('DELETE', `${CATALOG}/${PHI_ID}`, { token: admin })).status).toBe(204);
    expect((await t.api('DELETE', `${CATALOG}/${PHI_ID}`, { token: admin })).status).toBe(204); // idempotent
    expect(await catalogIds()).not.toContain(PHI_ID);
    const withRetired = await t.api('GET', `${CATALOG}?include_retired=true`, { token: admin });
    expect(withRetired.body.items.find((i: { id: string }) => i.id === PHI_ID)).toMatchObject({ name: 'Phi-3 Mini', retired_at: expect.any(String) });
    expect(withRetired.body.items.find((i: { id: string }) => i.id === 'Qwen-Qwen2.5-0.5B-Instruct')).toMatchObject({ retired_at: null });
    expect((await t.api('GET', `${CATALOG}?include_retired=true`)).status).toBe(403);
    const refused = await t.api('POST', BASE, { body: deployBody('phi-again', PHI_ID) });
    expect(refused.status).toBe(400);
    expect(refused.body).toEqual({ code: 'invalid_request', message: expect.stringContaining(`catalog_id '${PHI_ID}' has been retired`) });
    expect((await t.api('PUT', `${CATALOG}/${PHI_ID}`, { token: admin, body: { name: 'x' } })).status).toBe(409);

    // The running deployment is untouched: readable, scalable (the workflow re-renders it from the retired definition), deletable.
    expect((await get(id)).body).toMatchObject({ status: 'ready', model_name: 'Phi-3 Mini', instances: { running: 1 } });
    expect((await t.api('POST', `${BASE}/${id}/prompt`, { body: { prompt: 'still there?' } })).status).toBe(200);
    expect((await t.api('PUT', `${BASE}/${id}/scale`, { body: { replicas: 2 } })).status).toBe(200);
    expect((await settledReady(id, 'phi scaled')).body).toMatchObject({ replicas: 2, instances: { running: 2, pending: 0 } });
    expect((await t.api('DELETE', `${BASE}/${id}`)).status).toBe(204);
    await waitFor(() => get(id), (r) => r.status === 404, 'phi deleted');
    expect(await t.leftovers(id)).toEqual({ deployments: [], pods: [], services: [], secrets: [], pvcs: [], pdbs: [], networkPolicies: [] });
    expect(await t.ledger('l4-24gb')).toBe(0);

    // Added again, it is offered again with the new definition.
    const again = await t.api('POST', CATALOG, { token: admin, body: { ...phi, name: 'Phi-3 Mini (again)' } });
    expect(again.status).toBe(201);
    expect((await t.api('GET', CATALOG)).body.items.find((i: { id: string }) => i.id === PHI_ID)).toMatchObject({ name: 'Phi-3 Mini (again)' });
  });

  it('overrides and retires a built-in model', async () => {
    const renamed = await t.api('PUT', `${CATALOG}/meta-llama-Llama-2-13b-chat-hf`, { token: admin, body: { tags: ['chat', 'legacy'] } });
    expect(renamed.status).toBe(200);
    const listed = (await t.api('GET', CATALOG)).body.items.find((i: { id: string }) => i.id === 'meta-llama-Llama-2-13b-chat-hf');
    expect(listed).toMatchObject({ tags: ['chat', 'legacy'], model_id: 'meta-llama/Llama-2-13b-chat-hf' });
    expect((await t.api('DELETE', `${CATALOG}/meta-llama-Llama-2-13b-chat-hf`, { token: admin })).status).toBe(204);
    expect(await catalogIds()).not.toContain('meta-llama-Llama-2-13b-chat-hf');
    const refused = await t.api('POST', BASE, {
      body: { ...deployBody('llama2', 'meta-llama-Llama-2-13b-chat-hf'), gpu_config_id: 'a100-80gb', plan_id: 'plan-a100-80gb-ondemand' },
    });
    expect(refused.status).toBe(400);
    expect(refused.body.message).toContain("catalog_id 'meta-llama-Llama-2-13b-chat-hf' has been retired");
  });
});
