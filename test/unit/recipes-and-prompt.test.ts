import { describe, expect, it } from 'vitest';
import { ApiError, ValidationError } from '../../functions/domain/errors';
import { MAX_PROMPT_CHARS, promptRequestSchema } from '../../contract/requests/prompt';
import { checkServing, modelServerBudgetMs, modelServerError, modelServerRequest, promptAnswer, servedModels } from '../../functions/domain/prompt';
import { applyRecipe, RECIPES } from '../../functions/domain/recipes';
import { resolveOnBuiltInCatalog } from '../support/built-in-catalog';
import { parseOrThrow, type ResolvedDeploymentSpec } from '../../functions/domain/requests';

/** The deploy path on paper (use-cases/resolve-deployment.ts without the catalog read). */
const resolveOnPaper = (body: unknown) => resolveOnBuiltInCatalog(applyRecipe(body)) as ResolvedDeploymentSpec;

describe('recipes', () => {
  it('offer inference/vllm with the SLURM default model', () => {
    const vllm = RECIPES.find((r) => r.name === 'inference/vllm')!;
    expect(vllm.deploy_body).toMatchObject({ catalog_id: 'Qwen-Qwen2.5-0.5B-Instruct', gpu_config_id: 'l4-24gb', gpu_count: 1, replicas: 1 });
    expect(vllm.parameters.find((p) => p.slurm_env === 'VLLM_MODEL')).toMatchObject({ deploy_field: 'catalog_id', default: 'Qwen-Qwen2.5-0.5B-Instruct' });
  });

  it.each(RECIPES.map((r) => [r.name, r] as const))('%s: its deploy body, and its recipe_name alone, pass every deploy check', (_, recipe) => {
    const fromBody = resolveOnPaper({ name: 'from-body', ...recipe.deploy_body });
    const fromName = resolveOnPaper({ name: 'from-name', recipe_name: recipe.name });
    expect(fromName.request.catalog_id).toBe(recipe.deploy_body.catalog_id);
    expect(fromName.config).toMatchObject(recipe.deploy_body.config);
    expect(fromName.replicas).toBe(fromBody.replicas);
    expect(fromName.autoscaling).toEqual(recipe.deploy_body.autoscaling ?? null);
    for (const parameter of recipe.parameters) {
      const value = parameter.deploy_field.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown>)[k], recipe.deploy_body);
      expect(value, parameter.name).toBe(parameter.default);
    }
  });

  it('let the client override a recipe field, merge config, or replace its range in another spelling', () => {
    const spec = resolveOnPaper({ name: 'tuned', recipe_name: 'inference/vllm-elastic', config: { max_model_len: 4096 }, settings: { min_instances: 1, max_instances: 2 } });
    expect(spec.config).toMatchObject({ max_model_len: 4096, max_num_seqs: 64 });
    expect(spec.autoscaling).toEqual({ min_replicas: 1, max_replicas: 2 });
    const other = resolveOnPaper({ name: 'other', recipe_name: 'inference/vllm', catalog_id: 'meta-llama-Llama-3.1-8B-Instruct', gpu_config_id: 'l40s-48gb', plan_id: 'plan-l40s-48gb-ondemand', hf_token: 'hf_abcdefghijkl' });
    expect(other.config.max_model_len).toBe(16384); // the other model's catalog default, not the recipe's
  });

  it('refuse an unknown recipe_name, naming it', () => {
    expect(() => applyRecipe({ name: 'x', recipe_name: 'training/llm' })).toThrow(ValidationError);
    try {
      applyRecipe({ name: 'x', recipe_name: 'training/llm' });
    } catch (error) {
      expect((error as ValidationError).field).toBe('recipe_name');
    }
    expect(applyRecipe('not an object')).toBe('not an object');
  });
});

describe('prompt', () => {
  const record = { id: 'dep-1', name: 'qwen-small', status: 'ready' as const, phase: 'ready' as const };

  it('bounds the prompt and names the field', () => {
    expect(parseOrThrow(promptRequestSchema, { prompt: 'hi' })).toEqual({ prompt: 'hi', max_tokens: 256, mode: 'chat' });
    for (const [body, field] of [
      [{ prompt: '' }, 'prompt'],
      [{ prompt: 'x'.repeat(MAX_PROMPT_CHARS + 1) }, 'prompt'],
      [{ prompt: 'hi', max_tokens: 0 }, 'max_tokens'],
      [{ prompt: 'hi', temperature: 3 }, 'temperature'],
      [{ prompt: 'hi', mode: 'embedding' }, 'mode'],
    ] as const) {
      try {
        parseOrThrow(promptRequestSchema, body);
        throw new Error('accepted');
      } catch (error) {
        expect((error as ValidationError).field).toBe(field);
      }
    }
  });

  it('becomes a chat or a text completion for the served model name', () => {
    expect(modelServerRequest(record, { prompt: 'Tell me a joke', max_tokens: 64, mode: 'chat' })).toEqual({
      path: 'v1/chat/completions',
      body: { model: 'qwen-small', max_tokens: 64, messages: [{ role: 'user', content: 'Tell me a joke' }] },
    });
    expect(modelServerRequest(record, { prompt: 'Once', max_tokens: 8, temperature: 0.7, mode: 'completion', model: 'gpt2' })).toEqual({
      path: 'v1/completions',
      body: { model: 'gpt2', max_tokens: 8, temperature: 0.7, prompt: 'Once' },
    });
  });

  it('is refused (409) unless the deployment is ready; scaling still serves', () => {
    expect(() => checkServing({ ...record, status: 'initializing', phase: 'loading_model' })).toThrow(/answers prompts once it is ready/);
    expect(() => checkServing({ ...record, phase: 'scaling' })).not.toThrow();
  });

  it('reads the answer of an OpenAI response, and calls anything else a 502', () => {
    const usage = { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 };
    expect(promptAnswer('dep-1', 'chat', { model: 'qwen-small', choices: [{ message: { role: 'assistant', content: 'Hi!' }, finish_reason: 'stop' }], usage })).toEqual({
      deployment_id: 'dep-1',
      model: 'qwen-small',
      mode: 'chat',
      answer: 'Hi!',
      finish_reason: 'stop',
      usage,
    });
    expect(promptAnswer('dep-1', 'completion', { model: 'm', choices: [{ text: ' upon', finish_reason: 'length' }] }).answer).toBe(' upon');
    expect(() => promptAnswer('dep-1', 'chat', '<html>')).toThrow(expect.objectContaining({ statusCode: 502 }));
    expect(servedModels('dep-1', { object: 'list', data: [{ id: 'qwen-small', root: 'Qwen/Qwen2.5-0.5B-Instruct', max_model_len: 8192 }] }).items).toEqual([
      { id: 'qwen-small', root: 'Qwen/Qwen2.5-0.5B-Instruct', max_model_len: 8192, owned_by: null, created: null },
    ]);
    expect(() => servedModels('dep-1', { data: 'nope' })).toThrow(expect.objectContaining({ statusCode: 502 }));
  });

  it('maps model server failures: its 4xx is 400, its 5xx / no endpoints / no connection 502, no answer 504', () => {
    const status = (error: Error) => [(error as ApiError).statusCode, (error as ApiError).code];
    const wrongModel = modelServerError('dep-1', { kind: 'http_error', status: 404, body: { object: 'error', message: 'The model `gpt2` does not exist.' } }, 25_000);
    expect(status(wrongModel)).toEqual([400, 'invalid_request']);
    expect((wrongModel as ValidationError).field).toBe('model');
    expect(status(modelServerError('dep-1', { kind: 'http_error', status: 400, body: { error: { message: 'max_tokens is too large' } } }, 25_000))).toEqual([400, 'invalid_request']);
    expect(status(modelServerError('dep-1', { kind: 'http_error', status: 500, body: 'boom' }, 25_000))).toEqual([502, 'bad_gateway']);
    expect(status(modelServerError('dep-1', { kind: 'http_error', status: 404, body: { kind: 'Status', message: 'services "model-1" not found' } }, 25_000))).toEqual([502, 'bad_gateway']);
    const noEndpoints = modelServerError('dep-1', { kind: 'http_error', status: 503, body: { kind: 'Status', message: 'no endpoints available for service "model-1"' } }, 25_000);
    expect(status(noEndpoints)).toEqual([502, 'bad_gateway']);
    expect(noEndpoints.message).toContain('no endpoints available');
    expect(status(modelServerError('dep-1', { kind: 'http_error', status: 401, body: undefined }, 25_000))).toEqual([502, 'bad_gateway']);
    expect(status(modelServerError('dep-1', { kind: 'unreachable', message: 'ECONNREFUSED' }, 25_000))).toEqual([502, 'bad_gateway']);
    const slow = modelServerError('dep-1', { kind: 'timeout' }, 8_000);
    expect(status(slow)).toEqual([504, 'gateway_timeout']);
    expect(slow.message).toContain('within 8.0 s');
  });

  it('gives the model server what the invocation has left minus a margin to answer, no fixed limit', () => {
    expect(modelServerBudgetMs(28_900)).toBe(27_900);
    expect(modelServerBudgetMs(6_000)).toBe(5_000);
    expect(modelServerBudgetMs(500)).toBe(1);
  });
});
