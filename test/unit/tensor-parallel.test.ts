/**
 * gpu_count is vLLM's --tensor-parallel-size: admission accepts only sizes vLLM can shard the
 * model over, and suggests only those (issue 13 M9); gated models need a token (m4); usable
 * GPU memory is what nvidia-smi reports (m3).
 */
import { describe, expect, it } from 'vitest';
import { CATALOG, findCatalogModel, findGpuConfig, INVENTORY } from '../../contract/catalog';
import { resolveOnBuiltInCatalog } from '../support/built-in-catalog';
import { ValidationError } from '../../functions/domain/errors';
import { minimumGpus } from '../../functions/domain/memory-fit';
import { catalogHeads, isValidTensorParallelSize, validTensorParallelSizes } from '../../functions/domain/tensor-parallel';

const rejection = (body: Record<string, unknown>): ValidationError => {
  try {
    resolveOnBuiltInCatalog(body);
  } catch (error) {
    if (error instanceof ValidationError) return error;
    throw error;
  }
  throw new Error(`accepted: ${JSON.stringify(body)}`);
};

const catalog = (catalogId: string, gpuConfig: string, gpuCount: number, extra: Record<string, unknown> = {}) => ({
  name: 'model',
  catalog_id: catalogId,
  region: 'us-east-1',
  gpu_config_id: gpuConfig,
  gpu_count: gpuCount,
  plan_id: `plan-${gpuConfig}-ondemand`,
  hf_token: 'hf_abcdefghijklmnop',
  ...extra,
});

describe('head counts of the catalog (config.json of each model)', () => {
  it('every built-in model declares them, with the values of its Hugging Face config.json', () => {
    const heads = Object.fromEntries(CATALOG.map((m) => [m.model_id, catalogHeads(m.architecture)]));
    expect(heads).toEqual({
      'Qwen/Qwen2.5-0.5B-Instruct': { attention: 14, kv: 2 },
      'meta-llama/Llama-3.1-8B-Instruct': { attention: 32, kv: 8 },
      'meta-llama/Llama-2-13b-chat-hf': { attention: 40, kv: 40 },
      'Qwen/Qwen2.5-14B-Instruct': { attention: 40, kv: 8 },
      'meta-llama/Llama-3.3-70B-Instruct': { attention: 64, kv: 8 },
    });
  });

  it("every model's recommended gpu_count is a valid tensor-parallel size", () => {
    for (const model of CATALOG) expect(isValidTensorParallelSize(model.recommended_gpu.gpu_count, catalogHeads(model.architecture)), model.id).toBe(true);
  });
});

describe('valid tensor-parallel sizes (vLLM: heads % tp == 0, kv heads divisible by or dividing tp)', () => {
  it('per model on an 8-GPU node', () => {
    expect(validTensorParallelSizes({ attention: 14, kv: 2 }, 8)).toEqual([1, 2]);
    expect(validTensorParallelSizes({ attention: 40, kv: 40 }, 8)).toEqual([1, 2, 4, 5, 8]);
    expect(validTensorParallelSizes({ attention: 64, kv: 8 }, 8)).toEqual([1, 2, 4, 8]);
    expect(validTensorParallelSizes({ attention: 40, kv: 8 }, 8)).toEqual([1, 2, 4, 8]);
    // Fewer KV heads than GPUs: vLLM replicates each KV head when the size is a multiple of them.
    expect(validTensorParallelSizes({ attention: 32, kv: 1 }, 8)).toEqual([1, 2, 4, 8]);
    expect(validTensorParallelSizes({ attention: 28, kv: 4 }, 8)).toEqual([1, 2, 4]);
  });

  it('without head counts, powers of two', () => {
    expect(validTensorParallelSizes(undefined, 8)).toEqual([1, 2, 4, 8]);
  });
});

describe('admission of gpu_count (M9)', () => {
  it('refuses 3, 6 and 7 GPUs for Llama-3.3-70B with 400 naming gpu_count and the valid sizes', () => {
    for (const count of [3, 5, 6, 7]) {
      const error = rejection(catalog('meta-llama-Llama-3.3-70B-Instruct', 'h100-80gb', count));
      expect(error.field).toBe('gpu_count');
      expect(error.message).toMatch(new RegExp(`^gpu_count ${count} is not a valid tensor-parallel size: the model's 64 attention heads and 8 key/value heads`));
      expect(error.message).toContain('valid gpu_count values on this GPU config: 1, 2, 4, 8');
    }
    expect(() => resolveOnBuiltInCatalog(catalog('meta-llama-Llama-3.3-70B-Instruct', 'h100-80gb', 4))).not.toThrow();
  });

  it('accepts 5 GPUs where the heads divide (Llama-2-13B: 40/40), refuses 3 for the 0.5B model (14/2)', () => {
    expect(() => resolveOnBuiltInCatalog(catalog('meta-llama-Llama-2-13b-chat-hf', 'a100-80gb', 5))).not.toThrow();
    expect(rejection(catalog('Qwen-Qwen2.5-0.5B-Instruct', 'l4-24gb', 3, { hf_token: undefined })).field).toBe('gpu_count');
  });

  it('suggests only a valid size when the model does not fit (rounded up: 3 GPUs would hold the 70B model, 4 is suggested)', () => {
    const model = findCatalogModel('meta-llama-Llama-3.3-70B-Instruct')!;
    const h100 = findGpuConfig('h100-80gb')!;
    expect(minimumGpus(model, h100, 32768)).toBe(4);
    // 2 x H100 hold 143 GiB; the model with 32k tokens of KV cache needs about 151 GiB, which 3 GPUs would hold.
    const error = rejection(catalog('meta-llama-Llama-3.3-70B-Instruct', 'h100-80gb', 2, { config: { max_model_len: 32768 } }));
    expect(error.field).toBe('gpu_count');
    expect(error.message).toContain('use gpu_count 4 ');
    expect(error.message).not.toMatch(/gpu_count >= ?3/);
  });

  it('custom models: powers of two, unless both head counts are declared; a custom command is not vLLM tensor parallelism', () => {
    const custom = (extra: Record<string, unknown>) => ({ name: 'own', huggingface_id: 'acme/chat-7b', region: 'us-east-1', gpu_config_id: 'a100-80gb', plan_id: 'plan-a100-80gb-ondemand', ...extra });
    const error = rejection(custom({ gpu_count: 6 }));
    expect(error.field).toBe('gpu_count');
    expect(error.message).toContain('only powers of two');
    expect(() => resolveOnBuiltInCatalog(custom({ gpu_count: 6, num_attention_heads: 48, num_key_value_heads: 6 }))).not.toThrow();
    expect(rejection(custom({ gpu_count: 4, num_attention_heads: 48, num_key_value_heads: 6 })).message).toContain('valid gpu_count values on this GPU config: 1, 2, 3, 6');
    expect(rejection(custom({ gpu_count: 2, num_attention_heads: 48 })).field).toBe('num_key_value_heads');
    expect(() => resolveOnBuiltInCatalog(custom({ gpu_count: 3, command: ['python', '-m', 'server', '--served-model-name', 'own'] }))).not.toThrow();
  });
});

describe('gated catalog models (m4)', () => {
  it('without hf_token: 400 naming hf_token, for every gated model', () => {
    for (const model of CATALOG.filter((m) => m.gated)) {
      const error = rejection({ ...catalog(model.id, model.recommended_gpu.gpu_config_id, model.recommended_gpu.gpu_count), hf_token: undefined });
      expect(error.field, model.id).toBe('hf_token');
      expect(error.message).toMatch(/^hf_token is required/);
    }
    expect(CATALOG.filter((m) => m.gated).length).toBeGreaterThan(0);
  });
});

describe('usable GPU memory (m3): what nvidia-smi reports, in GiB', () => {
  it('never more than the card reports, to 0.1 GiB: L4 23034 MiB, A10G 23028 MiB, L40S 46068 MiB, A100-80 81920 MiB, H100 81559 MiB, H200 143771 MiB', () => {
    const mib: Record<string, number> = { 'l4-24gb': 23034, 'a10g-24gb': 23028, 'l40s-48gb': 46068, 'a100-80gb': 81920, 'h100-80gb': 81559, 'h200-141gb': 143771 };
    for (const config of INVENTORY.gpu_configs) {
      const reported = mib[config.config_id];
      expect(reported, config.config_id).toBeDefined();
      // Never more than the card reports, and within 0.1 GiB of it.
      expect(config.gpu_memory_gib * 1024, config.config_id).toBeLessThanOrEqual(reported!);
      expect(reported! / 1024 - config.gpu_memory_gib, config.config_id).toBeLessThan(0.1);
    }
  });
});
