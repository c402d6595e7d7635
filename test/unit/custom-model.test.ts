import { describe, expect, it } from 'vitest';
import {
  checkServedModelName,
  customLoadBudgetSeconds,
  customMemoryCheck,
  isCustomSpec,
  servedModelNameOf,
} from '../../functions/domain/custom-model';
import { customModelView } from '../../functions/domain/deployment';
import { ValidationError } from '../../functions/domain/errors';
import { newDeploymentRecord } from '../../functions/domain/new-deployment';
import { resolveOnBuiltInCatalog } from '../support/built-in-catalog';
import { renderModelWorkload, renderTokenSecret, VLLM_IMAGE } from '../../functions/domain/manifests';
import { findGpuConfig } from '../../contract/catalog';
import { applyRecipe } from '../../functions/domain/recipes';
import { hardDeadlineSeconds } from '../../functions/domain/reconcile';

const custom = (extra: Record<string, unknown> = {}) => ({
  name: 'my-model',
  huggingface_id: 'acme/chat-7b',
  region: 'us-east-1',
  gpu_config_id: 'l4-24gb',
  gpu_count: 1,
  plan_id: 'plan-l4-24gb-ondemand',
  ...extra,
});

const refusal = (run: () => unknown): ValidationError => {
  try {
    run();
  } catch (error) {
    if (error instanceof ValidationError) return error;
    throw error;
  }
  throw new Error('expected a ValidationError');
};

describe("Jan's --served-model-name rule", () => {
  it('finds the flag as two words, as --flag=value, in a shell string and quoted', () => {
    expect(servedModelNameOf(['--served-model-name', 'a'])).toEqual({ found: true, value: 'a' });
    expect(servedModelNameOf(['--served-model-name=a'])).toEqual({ found: true, value: 'a' });
    expect(servedModelNameOf(['sh', '-c', 'vllm serve x/y --served-model-name a --port 8000'])).toEqual({ found: true, value: 'a' });
    expect(servedModelNameOf(['--served-model-name', "'a'"])).toEqual({ found: true, value: 'a' });
    expect(servedModelNameOf(['--served-model-name'])).toEqual({ found: true, value: undefined });
    expect(servedModelNameOf(['--served-model-name', '--port'])).toEqual({ found: true, value: undefined });
    expect(servedModelNameOf(['--port', '8000'])).toEqual({ found: false });
  });

  it('does nothing without command or args', () => {
    expect(() => checkServedModelName('my-model', undefined, undefined)).not.toThrow();
  });

  it('requires the flag when command or args are given, with the exact message and the field', () => {
    const missing = refusal(() => checkServedModelName('my-model', ['python', '-m', 'vllm.entrypoints.openai.api_server'], undefined));
    expect([missing.message, missing.field]).toEqual(['--served-model-name parameter is required in command', 'command']);
    const onlyArgs = refusal(() => checkServedModelName('my-model', undefined, ['--port', '8000']));
    expect([onlyArgs.message, onlyArgs.field]).toEqual(['--served-model-name parameter is required in command', 'args']);
    const noValue = refusal(() => checkServedModelName('my-model', ['vllm', 'serve', 'x/y', '--served-model-name'], undefined));
    expect(noValue.message).toBe('--served-model-name parameter is required in command');
  });

  it('requires it to equal the model name, naming the field that holds it', () => {
    const wrong = refusal(() => checkServedModelName('my-model', ['python', '-m', 'vllm.entrypoints.openai.api_server', '--served-model-name', 'different-name'], undefined));
    expect([wrong.message, wrong.field]).toEqual(["--served-model-name 'different-name' must match model name 'my-model'", 'command']);
    const inArgs = refusal(() => checkServedModelName('my-model', ['vllm'], ['serve', 'x/y', '--served-model-name=other']));
    expect(inArgs.field).toBe('args');
    expect(() => checkServedModelName('my-model', ['vllm'], ['serve', 'x/y', '--served-model-name', 'my-model'])).not.toThrow();
  });
});

describe('custom deploy requests', () => {
  it('resolves a custom model with defaults and keeps its fields for the record', () => {
    const spec = resolveOnBuiltInCatalog(custom({ storage_size: 20, tags: ['a'], display_name: 'Chat 7B' }));
    expect(isCustomSpec(spec)).toBe(true);
    if (!isCustomSpec(spec)) return;
    expect(spec.custom).toMatchObject({ source: 'api', huggingface_id: 'acme/chat-7b', storage_size: '20Gi', image: null, command: null, tags: ['a'] });
    expect(spec.config).toMatchObject({ max_model_len: 4096, max_num_seqs: 64 });
    expect(spec.memory).toMatchObject({ checked: false });
  });

  it('keeps catalog deploys as they were, and accepts an hf_token for a gated catalog model', () => {
    const spec = resolveOnBuiltInCatalog({ ...custom(), huggingface_id: undefined, catalog_id: 'meta-llama-Llama-3.1-8B-Instruct', hf_token: 'hf_abcdefghijkl', config: { max_model_len: 4096 } });
    expect(isCustomSpec(spec)).toBe(false);
    expect(spec.request.hf_token).toBe('hf_abcdefghijkl');
  });

  it.each([
    [{ ...custom(), catalog_id: 'Qwen-Qwen2.5-0.5B-Instruct' }, 'huggingface_id'],
    [{ ...custom(), huggingface_id: undefined, catalog_id: 'Qwen-Qwen2.5-0.5B-Instruct', storage_size: '5Gi' }, 'storage_size'],
    [custom({ huggingface_id: 'no-owner' }), 'huggingface_id'],
    [custom({ gpu_config_id: undefined }), 'gpu_config_id'],
    [custom({ plan_id: undefined }), 'plan_id'],
    [custom({ image: 'Not An Image' }), 'image'],
    [custom({ storage_size: '50GB' }), 'storage_size'],
    [custom({ storage_size: 0 }), 'storage_size'],
    [custom({ storage_size: '20000Gi' }), 'storage_size'],
    [custom({ hf_token: 'short' }), 'hf_token'],
    [custom({ command: [] }), 'command'],
    [custom({ gpu_count: 5 }), 'gpu_count'],
    [custom({ config: { max_model_len: 10 } }), 'config.max_model_len'],
    [custom({ model_size_gib: 40 }), 'gpu_count'],
    [custom({ replicas: 16, gpu_count: 4 }), 'replicas'],
    [custom({ replicas: 3, gpu_count: 2, storage_size: '10Gi' }), 'storage_size'],
  ])('refuses %j naming %s', (body, field) => {
    expect(refusal(() => resolveOnBuiltInCatalog(body)).field).toBe(field);
  });

  it('never echoes an hf_token in a refusal', () => {
    const token = 'hf_SECRETSECRETSECRET with space';
    expect(refusal(() => resolveOnBuiltInCatalog(custom({ hf_token: token }))).message).not.toContain('SECRET');
  });
});

describe('memory fit and startup budget without the catalog', () => {
  const l4 = { gpu_memory_gib: 24 };
  it('checks a declared size: weights + 1 GiB per GPU + 5% of weights within 90% of memory', () => {
    expect(customMemoryCheck(14, l4, 1)).toMatchObject({ checked: true, neededGiB: 14 + 1 + 0.7, fits: true, kv_cache: 'not estimated' });
    expect(customMemoryCheck(20, l4, 1)).toMatchObject({ checked: true, fits: false });
    expect(customMemoryCheck(20, l4, 2)).toMatchObject({ checked: true, fits: true });
  });
  it('says it did not check when no size is declared', () => {
    expect(customMemoryCheck(undefined, l4, 1)).toEqual({ checked: false, reason: expect.stringContaining('not checked') });
  });
  it('budgets like a catalog model when the size is known, an hour otherwise; initial_delay_seconds only raises it', () => {
    expect(customLoadBudgetSeconds({ model_size_gib: 10 })).toBe(550);
    expect(customLoadBudgetSeconds({ model_size_gib: null })).toBe(3600);
    expect(customLoadBudgetSeconds({ model_size_gib: 10 }, 7200)).toBe(7200);
    expect(customLoadBudgetSeconds({ model_size_gib: null }, 60)).toBe(3600);
  });
});

describe('custom workloads', () => {
  const tenant = { org_id: 'org-a', project_id: 'prj-a' };
  const gpu = findGpuConfig('l4-24gb')!;
  const recordOf = (body: Record<string, unknown>, arn?: string) => {
    const spec = resolveOnBuiltInCatalog(body);
    return newDeploymentRecord(tenant, spec, { id: 'dep-abc', executionArn: 'arn:x', ...(arn ? { hfTokenSecretArn: arn } : {}) }, new Date('2026-01-01T00:00:00Z'));
  };

  it('wires the token by reference, the PVC cache, the image and the command line', () => {
    const record = recordOf(custom({ image: 'ghcr.io/acme/vllm:1', command: ['vllm', 'serve', 'acme/chat-7b', '--served-model-name', 'my-model'], storage_size: '30Gi', hf_token: 'hf_abcdefghijkl' }), 'arn:aws:secretsmanager:r:a:secret:p/hf-token/dep-abc-AbCdEf');
    expect(JSON.stringify(record)).not.toContain('hf_abcdefghijkl');
    const { deployment, persistentVolumeClaim } = renderModelWorkload(record, undefined, gpu, 'models', { apiServerCidrs: ['10.0.0.0/16'] }, VLLM_IMAGE);
    const container = deployment.spec!.template.spec!.containers[0]!;
    expect(container).toMatchObject({ image: 'ghcr.io/acme/vllm:1', command: ['vllm', 'serve', 'acme/chat-7b', '--served-model-name', 'my-model'], args: [] });
    expect(container.env).toContainEqual({ name: 'HF_TOKEN', valueFrom: { secretKeyRef: { name: 'model-abc', key: 'HF_TOKEN' } } });
    expect(deployment.spec!.template.spec!.volumes).toContainEqual({ name: 'model-cache', persistentVolumeClaim: { claimName: 'model-abc' } });
    expect(persistentVolumeClaim).toMatchObject({ metadata: { name: 'model-abc', labels: { 'gpudeploy.io/deployment-id': 'dep-abc' } }, spec: { resources: { requests: { storage: '30Gi' } } } });
    expect(deployment.spec!.template.spec!.affinity?.podAffinity?.requiredDuringSchedulingIgnoredDuringExecution).toEqual([
      { labelSelector: { matchLabels: { 'gpudeploy.io/deployment-id': 'dep-abc' } }, topologyKey: 'kubernetes.io/hostname' },
    ]);
    // An hour of startup budget for a model of unknown size, at 10 s per probe.
    expect(container.startupProbe?.failureThreshold).toBe(360);
    const secret = renderTokenSecret(record, 'hf_abcdefghijkl', 'models');
    expect(secret.metadata?.labels?.['app.kubernetes.io/managed-by']).toBe('gpu-control-plane');
    expect(Buffer.from(secret.data!.HF_TOKEN!, 'base64').toString()).toBe('hf_abcdefghijkl');
  });

  it('shows the custom fields in the view, never the token or its ARN', () => {
    const record = recordOf(custom({ hf_token: 'hf_abcdefghijkl', tags: ['x'] }), 'arn:aws:secretsmanager:r:a:secret:p/hf-token/dep-abc-AbCdEf');
    const view = customModelView(record);
    expect(view).toMatchObject({ huggingface_id: 'acme/chat-7b', tags: ['x'], has_hf_token: true, source: 'api' });
    expect(JSON.stringify(view)).not.toMatch(/hf_abcdefghijkl|secretsmanager/);
    expect(customModelView({ custom: undefined, hf_token_secret_arn: undefined })).toEqual({});
  });
});

describe('custom models with a scale range and a recipe', () => {
  it('take the scale range in any spelling, start at its minimum and store it', () => {
    const spec = resolveOnBuiltInCatalog(custom({ settings: { min_instances: 2, max_instances: 3 } }));
    expect(isCustomSpec(spec)).toBe(true);
    expect([spec.replicas, spec.autoscaling]).toEqual([2, { min_replicas: 2, max_replicas: 3 }]);
    expect(newDeploymentRecord({ org_id: 'org-a', project_id: 'prj-a' }, spec, { id: 'dep-abc', executionArn: 'arn:x' }, new Date()).autoscaling).toEqual({ min_replicas: 2, max_replicas: 3 });
    expect(refusal(() => resolveOnBuiltInCatalog(custom({ replicas: 4, autoscaling: { min_replicas: 1, max_replicas: 3 } }))).field).toBe('replicas');
  });

  it('with a PVC cache, refuse a range whose maximum cannot share one node, naming the max field', () => {
    // l4-24gb: 4 GPUs per node; 2 GPUs a replica, so at most 2 replicas on the cache's node
    expect(() => resolveOnBuiltInCatalog(custom({ gpu_count: 2, storage_size: '20Gi', autoscaling: { min_replicas: 1, max_replicas: 2 } }))).not.toThrow();
    const tooWide = refusal(() => resolveOnBuiltInCatalog(custom({ gpu_count: 2, storage_size: '20Gi', autoscaling_config: { min_replicas: 1, max_replicas: 3 } })));
    expect(tooWide.field).toBe('autoscaling_config.max_replicas');
    expect(tooWide.message).toContain('autoscaling_config.max_replicas 3: a model cache (ReadWriteOnce) is mounted by one node');
    // without a cache the node group bounds it, as for a catalog model
    expect(() => resolveOnBuiltInCatalog(custom({ gpu_count: 2, autoscaling_config: { min_replicas: 1, max_replicas: 3 } }))).not.toThrow();
  });

  it('deploy from a recipe with huggingface_id: the recipe gives GPU, plan and range, not its catalog model or its config', () => {
    const spec = resolveOnBuiltInCatalog(applyRecipe({ name: 'my-model', recipe_name: 'inference/vllm-elastic', huggingface_id: 'acme/chat-7b' }));
    expect(isCustomSpec(spec)).toBe(true);
    if (!isCustomSpec(spec)) return;
    expect(spec.custom.huggingface_id).toBe('acme/chat-7b');
    expect(spec.gpuConfig.config_id).toBe('l4-24gb');
    expect(spec.autoscaling).toEqual({ min_replicas: 0, max_replicas: 4 });
    expect(spec.config.max_model_len).toBe(4096); // the custom default, not the recipe model's
  });

  it('get their load budget (the reconcile\'s hard deadline) from their declared size', () => {
    const recordOf = (body: Record<string, unknown>) => newDeploymentRecord({ org_id: 'org-a', project_id: 'prj-a' }, resolveOnBuiltInCatalog(body), { id: 'dep-abc', executionArn: 'arn:x' }, new Date());
    const sized = recordOf(custom({ model_size_gib: 14 }));
    const unsized = recordOf(custom());
    expect(sized.catalog_id).toBe('hf:acme/chat-7b');
    expect(hardDeadlineSeconds(unsized) - hardDeadlineSeconds(sized)).toBe(customLoadBudgetSeconds({ model_size_gib: null }) - customLoadBudgetSeconds({ model_size_gib: 14 }));
  });
});
