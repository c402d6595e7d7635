/**
 * Does a model fit the GPUs asked for? vLLM must hold the weights and at least one
 * sequence of `max_model_len` tokens of KV cache inside `gpu_memory_utilization` of the
 * GPUs' memory, plus the engine's own overhead (CUDA graphs, activations). Pure.
 *
 *   weights   = parameters x bytes per parameter
 *   kv/token  = 2 (K and V) x layers x kv heads x head dim x bytes per element (same dtype)
 *   need      = weights + kv/token x max_model_len + overhead (1 GiB per GPU + 5% of weights)
 *   have      = gpu_count x GPU memory x 0.9 (vLLM's default gpu_memory_utilization)
 */
import type { MemoryEstimate } from '../../contract/api-schemas';
import type { CatalogModel, GpuConfig } from '../../contract/catalog';
import { weightsGiB } from '../../contract/catalog';
import { catalogHeads, validTensorParallelSizes } from './tensor-parallel';

export const GPU_MEMORY_UTILIZATION = 0.9;
const GIB = 2 ** 30;
const KV_BYTES: Record<CatalogModel['dtype'], number> = { float32: 4, bfloat16: 2, float16: 2, fp8: 1, int8: 2, int4: 2 };

export type { MemoryEstimate };

export const kvBytesPerToken = (model: Pick<CatalogModel, 'architecture' | 'dtype'>): number =>
  2 * model.architecture.num_layers * model.architecture.num_kv_heads * model.architecture.head_dim * KV_BYTES[model.dtype];

export const estimateMemory = (
  model: Pick<CatalogModel, 'architecture' | 'dtype' | 'parameters_billion'>,
  gpu: Pick<GpuConfig, 'gpu_memory_gib'>,
  gpuCount: number,
  maxModelLen: number,
): MemoryEstimate => {
  const weights = weightsGiB(model);
  const kvCache = (kvBytesPerToken(model) * maxModelLen) / GIB;
  const overhead = gpuCount + 0.05 * weights;
  const needed = weights + kvCache + overhead;
  const available = gpuCount * gpu.gpu_memory_gib * GPU_MEMORY_UTILIZATION;
  return { weightsGiB: weights, kvCacheGiB: kvCache, overheadGiB: overhead, neededGiB: needed, availableGiB: available, fits: needed <= available };
};

/**
 * The fewest GPUs of this config that hold the model, or undefined if a whole node cannot.
 * Only counts vLLM can shard the model over (domain/tensor-parallel.ts): a suggestion of 3
 * GPUs for a model with 64 attention heads would be rounded up to 4 by the user anyway.
 */
export const minimumGpus = (
  model: Pick<CatalogModel, 'architecture' | 'dtype' | 'parameters_billion'>,
  gpu: Pick<GpuConfig, 'gpu_memory_gib' | 'gpus_per_node'>,
  maxModelLen: number,
): number | undefined =>
  validTensorParallelSizes(catalogHeads(model.architecture), gpu.gpus_per_node).find((count) => estimateMemory(model, gpu, count, maxModelLen).fits);
