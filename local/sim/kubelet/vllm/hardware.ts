/**
 * What a vLLM replica can do on the GPU it landed on. Decode is memory-bandwidth bound (each
 * step reads all weights once), prefill is compute bound (2 FLOPs a parameter a token), so both
 * follow from the GPU's datasheet figures and the model's weight size:
 *
 *   inter-token latency = STEP_OVERHEAD + weight bytes / (bandwidth × tp × BW_EFFICIENCY),
 *                         × (1 + BATCH_SLOPE × (running − 1)) as the batch grows
 *   prefill             = PREFILL_OVERHEAD + 2 × params × prompt tokens / (bf16 FLOPS × tp × MFU)
 *   KV-cache tokens     = (GPU memory × gpu_memory_utilization × tp − weights − ACTIVATIONS)
 *                         / KV bytes a token (KV_BYTES_PER_WEIGHT_GIB × weight GiB)
 *
 * The KV rule is Llama-3-8B's shape (16 GiB of bf16 weights, 128 KiB of K and V a token)
 * scaled by size; real models differ by their layer and KV-head counts.
 */
import type { Pod } from '../../apiserver/types.js';
import { serverArgs, weightsGiB } from '../vllm-logs.js';
import type { SimContext } from '../../context.js';

export interface GpuProfile {
  name: string;
  /** HBM/GDDR bandwidth, GB/s (datasheet). */
  bandwidthGBs: number;
  /** Dense bf16 tensor throughput, TFLOPS (datasheet, without sparsity). */
  bf16Tflops: number;
  memoryGiB: number;
}

export const GPU_PROFILES: Record<string, GpuProfile> = {
  'NVIDIA L4': { name: 'NVIDIA L4', bandwidthGBs: 300, bf16Tflops: 121, memoryGiB: 24 },
  'NVIDIA A10G': { name: 'NVIDIA A10G', bandwidthGBs: 600, bf16Tflops: 70, memoryGiB: 24 },
  'NVIDIA L40S': { name: 'NVIDIA L40S', bandwidthGBs: 864, bf16Tflops: 362, memoryGiB: 48 },
  'NVIDIA A100': { name: 'NVIDIA A100', bandwidthGBs: 2039, bf16Tflops: 312, memoryGiB: 80 },
  'NVIDIA H100': { name: 'NVIDIA H100', bandwidthGBs: 3350, bf16Tflops: 989, memoryGiB: 80 },
  'NVIDIA H200': { name: 'NVIDIA H200', bandwidthGBs: 4800, bf16Tflops: 989, memoryGiB: 141 },
};
/** A node without a known GPU gets the slowest profile rather than a flattering one. */
const FALLBACK = GPU_PROFILES['NVIDIA L4'] as GpuProfile;

const STEP_OVERHEAD_S = 0.004;
const BW_EFFICIENCY = 0.7;
const BATCH_SLOPE = 0.004;
const PREFILL_OVERHEAD_S = 0.01;
const MFU = 0.5;
const ACTIVATIONS_GIB = 1;
const KV_BYTES_PER_WEIGHT_GIB = 8 * 1024;
const GIB = 2 ** 30;
/** vLLM's KV-cache block size (tokens); usage is counted in whole blocks. */
export const BLOCK_TOKENS = 16;

export interface EngineConfig {
  gpu: GpuProfile;
  tensorParallel: number;
  weightsGiB: number;
  maxNumSeqs: number;
  maxModelLen: number;
  /** Whole KV-cache capacity, tokens (a multiple of BLOCK_TOKENS). */
  kvCapacityTokens: number;
  /** Seconds (model time) for one decode step with `running` sequences in the batch. */
  interTokenSeconds(running: number): number;
  /** Seconds (model time) to prefill this many tokens. */
  prefillSeconds(tokens: number): number;
}

export interface EngineInputs {
  gpu: GpuProfile;
  tensorParallel: number;
  weightsGiB: number;
  maxModelLen: number;
  maxNumSeqs?: number;
  gpuMemoryUtilization?: number;
}

/**
 * vLLM 0.11's default max_num_seqs for the OpenAI server: 1024 on GPUs of 70 GiB or more other
 * than the A100, 256 otherwise (EngineArgs._set_default_args).
 */
export const defaultMaxNumSeqs = (gpu: GpuProfile): number => (gpu.memoryGiB >= 70 && gpu.name !== 'NVIDIA A100' ? 1024 : 256);

export const engineConfig = (inputs: EngineInputs): EngineConfig => {
  const { gpu, tensorParallel: tp, weightsGiB: weights, maxModelLen } = inputs;
  const util = inputs.gpuMemoryUtilization ?? 0.9;
  const kvBytesPerToken = Math.max(1, weights) * KV_BYTES_PER_WEIGHT_GIB;
  const freeBytes = Math.max(0, gpu.memoryGiB * util * tp - weights - ACTIVATIONS_GIB) * GIB;
  // vLLM refuses to start when max_model_len does not fit (the crash the logs already show);
  // a pod that got this far holds at least one full-length sequence.
  const blocks = Math.max(Math.ceil(maxModelLen / BLOCK_TOKENS), Math.floor(freeBytes / kvBytesPerToken / BLOCK_TOKENS));
  const baseItl = STEP_OVERHEAD_S + (weights * GIB) / (gpu.bandwidthGBs * 1e9 * tp * BW_EFFICIENCY);
  const params = (weights * GIB) / 2;
  return {
    gpu,
    tensorParallel: tp,
    weightsGiB: weights,
    maxNumSeqs: inputs.maxNumSeqs ?? defaultMaxNumSeqs(gpu),
    maxModelLen,
    kvCapacityTokens: blocks * BLOCK_TOKENS,
    interTokenSeconds: (running) => baseItl * (1 + BATCH_SLOPE * Math.max(0, running - 1)),
    prefillSeconds: (tokens) => PREFILL_OVERHEAD_S + (2 * params * tokens) / (gpu.bf16Tflops * 1e12 * tp * MFU),
  };
};

/** The GPU of the node the pod runs on: its node group's inventory entry, else the node's product label. */
export const gpuOfPod = (world: SimContext, pod: Pod): GpuProfile => {
  const nodeName = pod.spec.nodeName ?? world.state.pods[pod.metadata.uid]?.nodeName;
  const instance = nodeName ? world.instanceByNodeName(nodeName) : undefined;
  const config = instance ? world.state.nodeGroups[instance.group]?.config : undefined;
  const type = config?.gpuType;
  const known = type ? GPU_PROFILES[type] : undefined;
  if (known) return config?.gpuMemoryGiB ? { ...known, memoryGiB: config.gpuMemoryGiB } : known;
  if (config?.gpuMemoryGiB) return { ...FALLBACK, name: type ?? 'unknown', memoryGiB: config.gpuMemoryGiB };
  return FALLBACK;
};

const flag = (args: string[], name: string): string | undefined => {
  const inline = args.find((a) => a.startsWith(`${name}=`));
  if (inline) return inline.slice(name.length + 1);
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};

/** The container's command line, split the way vllm-logs reads it. */
export const commandLine = (pod: Pod): string[] => {
  const c = pod.spec.containers[0];
  return [...(c?.command ?? []), ...(c?.args ?? [])].flatMap((a) => (a.includes(' ') && a.startsWith('--') ? a.split(' ') : [a]));
};

export const argFlag = (pod: Pod, name: string): string | undefined => flag(commandLine(pod), name);
export const hasFlag = (pod: Pod, name: string): boolean => commandLine(pod).some((a) => a === name || a.startsWith(`${name}=`));

const positiveNumber = (raw: string | undefined): number | undefined => {
  const n = Number(raw);
  return raw !== undefined && Number.isFinite(n) && n > 0 ? n : undefined;
};

export const engineConfigOfPod = (world: SimContext, pod: Pod): EngineConfig => {
  const args = serverArgs(pod);
  const maxNumSeqs = positiveNumber(argFlag(pod, '--max-num-seqs'));
  const util = positiveNumber(argFlag(pod, '--gpu-memory-utilization'));
  return engineConfig({
    gpu: gpuOfPod(world, pod),
    tensorParallel: args.tensorParallel,
    weightsGiB: weightsGiB(pod),
    maxModelLen: args.maxModelLen,
    ...(maxNumSeqs === undefined ? {} : { maxNumSeqs: Math.floor(maxNumSeqs) }),
    ...(util === undefined ? {} : { gpuMemoryUtilization: Math.min(1, util) }),
  });
};
