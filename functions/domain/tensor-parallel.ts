/**
 * Which gpu_count vLLM can run a model on. `--tensor-parallel-size` is the deployment's
 * gpu_count, and vLLM refuses to start (ValueError, then CrashLoopBackOff on GPU nodes already
 * bought) unless the attention heads split evenly over the GPUs: the attention heads must be a
 * multiple of the size, and the key/value heads either a multiple of it or, when there are
 * fewer KV heads than GPUs, a divisor of it (each KV head is then replicated). Pure.
 */
import { ValidationError } from './errors';

export interface HeadCounts {
  /** config.json `num_attention_heads`. */
  attention: number;
  /** config.json `num_key_value_heads` (equal to `attention` without grouped-query attention). */
  kv: number;
}

/** vLLM's own rule (ModelConfig.verify_with_parallel_config and the QKV projection's split). */
export const isValidTensorParallelSize = (size: number, heads: HeadCounts | undefined): boolean => {
  if (!Number.isInteger(size) || size < 1) return false;
  // Without the model's head counts, only powers of two: every common architecture's heads divide by them.
  if (!heads) return (size & (size - 1)) === 0;
  if (heads.attention % size !== 0) return false;
  return heads.kv >= size ? heads.kv % size === 0 : size % heads.kv === 0;
};

/** The sizes from 1 to `maxGpus` vLLM accepts for this model, ascending. */
export const validTensorParallelSizes = (heads: HeadCounts | undefined, maxGpus: number): number[] =>
  Array.from({ length: Math.max(0, maxGpus) }, (_, i) => i + 1).filter((size) => isValidTensorParallelSize(size, heads));

const describeHeads = (heads: HeadCounts | undefined): string =>
  heads
    ? `the model's ${heads.attention} attention heads and ${heads.kv} key/value heads must split evenly over the GPUs`
    : 'the model does not declare its head counts (num_attention_heads, num_key_value_heads), so only powers of two are accepted';

/** 400 naming gpu_count unless vLLM can shard the model over `gpuCount` GPUs. */
export const checkTensorParallelSize = (gpuCount: number, heads: HeadCounts | undefined, maxGpus: number): void => {
  if (isValidTensorParallelSize(gpuCount, heads)) return;
  const valid = validTensorParallelSizes(heads, maxGpus);
  throw new ValidationError(
    `gpu_count ${gpuCount} is not a valid tensor-parallel size: ${describeHeads(heads)}; valid gpu_count values on this GPU config: ${valid.join(', ')}`,
    'gpu_count',
  );
};

/** The head counts a catalog entry declares, if it declares them. */
export const catalogHeads = (architecture: { num_attention_heads?: number | undefined; num_kv_heads: number }): HeadCounts | undefined =>
  architecture.num_attention_heads === undefined ? undefined : { attention: architecture.num_attention_heads, kv: architecture.num_kv_heads };
