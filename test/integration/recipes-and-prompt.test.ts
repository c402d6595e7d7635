/**
 * The SLURM server seed's routes over real HTTP on the local cloud: recipes, a deploy by
 * `recipe_name`, a prompt answered by the simulated vLLM server on the inference gateway's
 * path (its Service, with its own key), the served models list, and the failures: not ready (409), another tenant
 * (404), bad input and a wrong model (400), no Ready replica behind the Service (502).
 */
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BASE, NAMESPACE, startTestCloud, waitFor, type TestCloud } from '../support/local-cloud';

let t: TestCloud;
let core: CoreV1Api;
let id: string;

const get = (of: string) => t.api('GET', `${BASE}/${of}`);
const prompt = (body: unknown, options: { of?: string; token?: string; base?: string } = {}) =>
  t.api('POST', `${options.base ?? BASE}/${options.of ?? id}/prompt`, { body, token: options.token });
const models = (of = id) => t.api('GET', `${BASE}/${of}/models`);

beforeAll(async () => {
  t = await startTestCloud(0.01);
  const kc = new KubeConfig();
  kc.loadFromOptions(t.cloud.simulator.kubeConfig({ tls: true }));
  core = kc.makeApiClient(CoreV1Api);
});
afterAll(async () => {
  await t?.close();
});

describe('recipes', () => {
  it('lists inference/vllm with the default model, its parameters and the deploy body it becomes', async () => {
    const listed = await t.api('GET', '/api/v1beta1/recipes');
    expect(listed.status).toBe(200);
    expect(listed.body.items.map((r: { name: string }) => r.name)).toEqual(['inference/vllm', 'inference/vllm-elastic', 'inference/vllm-tensor-parallel']);
    const vllm = listed.body.items[0];
    expect(vllm).toMatchObject({
      engine: 'vllm',
      available: true,
      deploy_body: { catalog_id: 'Qwen-Qwen2.5-0.5B-Instruct', region: 'us-east-1', gpu_config_id: 'l4-24gb', gpu_count: 1, plan_id: 'plan-l4-24gb-ondemand', replicas: 1 },
    });
    expect(vllm.parameters).toContainEqual(expect.objectContaining({ name: 'model', slurm_env: 'VLLM_MODEL', deploy_field: 'catalog_id' }));
    expect(listed.body.pagination).toEqual({ total_items: 3, total_pages: 1, current_page: 1, items_per_page: 3 });
    expect((await t.api('GET', '/api/v1beta1/recipes', { token: null })).status).toBe(401);
  });

  it('refuses an unknown recipe_name with a 400 naming it', async () => {
    const refused = await t.api('POST', BASE, { body: { name: 'no-recipe', recipe_name: 'training/llm' } });
    expect(refused.status).toBe(400);
    expect(refused.body).toEqual({ code: 'invalid_request', message: expect.stringContaining('recipe_name must be one of inference/vllm') });
  });
});

describe('prompt and models', () => {
  it('deploys by recipe_name and answers 409 to a prompt until the deployment is ready', async () => {
    const created = await t.api('POST', BASE, { body: { name: 'qwen-chat', recipe_name: 'inference/vllm' } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ model_id: 'Qwen/Qwen2.5-0.5B-Instruct', status: 'initializing', config: { max_model_len: 8192 } });
    id = created.body.id;
    const early = await prompt({ prompt: 'Tell me a joke about programming' });
    expect(early.status).toBe(409);
    expect(early.body).toEqual({ code: 'conflict', message: expect.stringContaining('answers prompts once it is ready') });
    expect((await models()).status).toBe(409);
    await waitFor(() => get(id), (r) => r.body.status === 'ready', 'ready');
  });

  it('sends a prompt to the model server and returns its answer', async () => {
    const answered = await prompt({ prompt: 'Tell me a joke about programming', max_tokens: 100 });
    expect(answered.status).toBe(200);
    expect(answered.body).toEqual({
      deployment_id: id,
      model: 'qwen-chat',
      mode: 'chat',
      answer: expect.stringContaining('You said: Tell me a joke about programming'),
      finish_reason: expect.any(String),
      usage: { prompt_tokens: expect.any(Number), completion_tokens: expect.any(Number), total_tokens: expect.any(Number) },
    });
    const completion = await prompt({ prompt: 'Write a short haiku about AI', max_tokens: 4, mode: 'completion', temperature: 0.7 });
    expect(completion.status).toBe(200);
    // Cut at 4 tokens ("This", " is", " qwen", "-"), as vLLM reports a max_tokens cut.
    expect(completion.body).toMatchObject({ mode: 'completion', model: 'qwen-chat', answer: 'This is qwen-', finish_reason: 'length', usage: { completion_tokens: 4 } });
    // A viewer may use the model: prompting changes nothing.
    expect((await prompt({ prompt: 'hello' }, { token: await t.token({ role: 'viewer' }) })).status).toBe(200);
  });

  it('lists what the model server serves', async () => {
    const listed = await models();
    expect(listed.status).toBe(200);
    expect(listed.body).toEqual({
      deployment_id: id,
      items: [{ id: 'qwen-chat', root: 'Qwen/Qwen2.5-0.5B-Instruct', max_model_len: 8192, owned_by: 'vllm', created: expect.any(Number) }],
    });
  });

  it('answers bad input and a wrong model with 400, another tenant with 404', async () => {
    const empty = await prompt({ prompt: '' });
    expect(empty.status).toBe(400);
    expect(empty.body.message).toContain('prompt must not be empty');
    const long = await prompt({ prompt: 'x'.repeat(32_769) });
    expect(long.status).toBe(400);
    expect(long.body.message).toContain('at most 32768 characters');
    const wrong = await prompt({ prompt: 'hello', model: 'gpt2' });
    expect(wrong.status).toBe(400);
    expect(wrong.body).toEqual({ code: 'invalid_request', message: expect.stringContaining('The model `gpt2` does not exist') });
    const stranger = await t.tenant('prj-other');
    const hidden = await prompt({ prompt: 'hello' }, { token: stranger.token, base: stranger.base });
    expect(hidden.status).toBe(404);
    expect((await t.api('GET', `${stranger.base}/${id}/models`, { token: stranger.token })).status).toBe(404);
    expect((await prompt({ prompt: 'hello' }, { of: 'dep-doesnotexist' })).status).toBe(404);
  });

  it('answers 502 with {code, message} while no replica is Ready behind the Service (the gateway finds none to forward to)', async () => {
    const fault = await t.addFault({ match: { label: `gpudeploy.io/deployment-id=${id}` }, fault: 'crash_loop' });
    const [pod] = (await core.listNamespacedPod({ namespace: NAMESPACE, labelSelector: `gpudeploy.io/deployment-id=${id}` })).items;
    await core.deleteNamespacedPod({ name: pod!.metadata!.name!, namespace: NAMESPACE });
    const failing = await waitFor(() => prompt({ prompt: 'hello' }), (r) => r.status !== 200, 'the prompt to fail');
    expect(failing.status).toBe(502);
    expect(failing.body).toEqual({ code: 'bad_gateway', message: expect.stringMatching(new RegExp(`^the model server of deployment '${id}' failed \\(HTTP 50[23]\\): `)) });
    expect((await models()).status).toBe(502);

    await t.removeFault(fault.id);
    await waitFor(() => prompt({ prompt: 'hello' }), (r) => r.status === 200, 'the replacement pod to serve', 60_000, 250);
    expect((await t.api('DELETE', `${BASE}/${id}`)).status).toBe(204);
    await waitFor(() => get(id), (r) => r.status === 404, 'deleted');
    expect(await t.leftovers(id)).toEqual({ deployments: [], pods: [], services: [], secrets: [], pvcs: [], pdbs: [], networkPolicies: [] });
  });
});
