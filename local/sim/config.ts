import * as z from 'zod';

export type SimTaintEffect = 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';

export interface SimTaint {
  key: string;
  value?: string;
  effect: SimTaintEffect;
}

/** One EKS managed node group: GPU instances, or (gpusPerNode 0) the system nodes of the add-ons. */
export interface SimNodeGroupConfig {
  name: string;
  /** The inventory's config_id; nodes carry it as label `gpudeploy.io/gpu-config`. */
  configId: string;
  instanceType: string;
  gpusPerNode: number;
  gpuMemoryGiB: number;
  gpuType?: string;
  minSize: number;
  maxSize: number;
  /** Instances present (already booted) when the simulator starts fresh; default minSize. */
  desiredSize?: number;
  /** Extra node labels (EKS nodegroup labels). */
  labels?: Record<string, string>;
  /** Node taints; default `nvidia.com/gpu=true:NoSchedule`. */
  taints?: SimTaint[];
  /** Overrides of the instance type's vCPU count and memory. */
  cpu?: number;
  memoryGiB?: number;
}

/** Base durations in seconds, before `timeScale` is applied. */
export interface SimDelays {
  nodeBoot: number;
  imagePull: number;
  modelLoadBase: number;
  modelLoadPerGiB: number;
  podTermination: number;
  instanceTermination: number;
  /** How long an EKS UpdateNodegroupConfig stays InProgress (node group UPDATING, further updates rejected). */
  nodegroupUpdate: number;
  /** How long a faulty model server runs before it crashes. */
  crashAfter: number;
  /**
   * From a GPU node's Ready to the NVIDIA device plugin registering with its kubelet: until then
   * the node advertises no `nvidia.com/gpu` and GPU pods stay Pending.
   */
  devicePluginRegistration: number;
}

export const DEFAULT_DELAYS: SimDelays = {
  nodeBoot: 90,
  imagePull: 40,
  modelLoadBase: 10,
  modelLoadPerGiB: 4,
  podTermination: 2,
  instanceTermination: 20,
  nodegroupUpdate: 5,
  crashAfter: 5,
  devicePluginRegistration: 15,
};

export const DEFAULT_GPU_TAINT: SimTaint = { key: 'nvidia.com/gpu', value: 'true', effect: 'NoSchedule' };

/**
 * The stack's system node group (infra/constructs/cluster.ts): two small Graviton nodes for
 * CoreDNS and the add-on controllers, untainted, never scaled by the control plane.
 */
export const SYSTEM_NODE_GROUP: SimNodeGroupConfig = {
  name: 'system',
  configId: '',
  instanceType: 't4g.medium',
  gpusPerNode: 0,
  gpuMemoryGiB: 0,
  minSize: 2,
  maxSize: 3,
  desiredSize: 2,
  labels: { 'gpudeploy.io/pool': 'system' },
  taints: [],
};

const inventorySchema = z.object({
  gpu_configs: z.array(
    z.object({
      config_id: z.string().min(1),
      gpu_type: z.string().optional(),
      instance_type: z.string().min(1),
      gpus_per_node: z.number().int().positive(),
      gpu_memory_gib: z.number().positive(),
      node_group: z.object({
        name: z.string().min(1),
        min_size: z.number().int().nonnegative(),
        max_size: z.number().int().positive(),
      }),
      enabled: z.boolean().optional(),
    }),
  ),
});

/**
 * Turns the content of contract/data/inventory.json (text or parsed JSON) into
 * node-group configs. Pure: no I/O.
 */
export const nodeGroupsFromInventory = (content: string | unknown): SimNodeGroupConfig[] => {
  const parsed = inventorySchema.parse(typeof content === 'string' ? JSON.parse(content) : content);
  // A disabled entry has no node group on AWS either (contract/catalog.ts).
  return parsed.gpu_configs.filter((gpu) => gpu.enabled !== false).map((gpu) => ({
    name: gpu.node_group.name,
    configId: gpu.config_id,
    instanceType: gpu.instance_type,
    gpusPerNode: gpu.gpus_per_node,
    gpuMemoryGiB: gpu.gpu_memory_gib,
    ...(gpu.gpu_type ? { gpuType: gpu.gpu_type } : {}),
    minSize: gpu.node_group.min_size,
    maxSize: gpu.node_group.max_size,
  }));
};

/** vCPUs and memory of the GPU instance types we use; unknown types fall back to a per-GPU guess. */
const INSTANCE_SHAPES: Record<string, { cpu: number; memoryGiB: number }> = {
  'g5.xlarge': { cpu: 4, memoryGiB: 16 },
  'g5.12xlarge': { cpu: 48, memoryGiB: 192 },
  'g5.48xlarge': { cpu: 192, memoryGiB: 768 },
  'g6.xlarge': { cpu: 4, memoryGiB: 16 },
  'g6.12xlarge': { cpu: 48, memoryGiB: 192 },
  'g6.48xlarge': { cpu: 192, memoryGiB: 768 },
  'g6e.12xlarge': { cpu: 48, memoryGiB: 384 },
  'g6e.48xlarge': { cpu: 192, memoryGiB: 1536 },
  'p4d.24xlarge': { cpu: 96, memoryGiB: 1152 },
  'p4de.24xlarge': { cpu: 96, memoryGiB: 1152 },
  'p5.48xlarge': { cpu: 192, memoryGiB: 2048 },
  'p5e.48xlarge': { cpu: 192, memoryGiB: 2048 },
  'p5en.48xlarge': { cpu: 192, memoryGiB: 2048 },
  't4g.medium': { cpu: 2, memoryGiB: 4 },
};

export const instanceShape = (group: SimNodeGroupConfig): { cpu: number; memoryGiB: number } => {
  const known = INSTANCE_SHAPES[group.instanceType] ?? { cpu: group.gpusPerNode * 12, memoryGiB: group.gpusPerNode * 48 };
  return { cpu: group.cpu ?? known.cpu, memoryGiB: group.memoryGiB ?? known.memoryGiB };
};

export const validateNodeGroupConfig = (group: SimNodeGroupConfig): void => {
  const desired = group.desiredSize ?? group.minSize;
  if (!(group.minSize >= 0 && group.minSize <= desired && desired <= group.maxSize && group.maxSize >= 1)) {
    throw new Error(`node group ${group.name}: need 0 <= minSize <= desiredSize <= maxSize and maxSize >= 1`);
  }
  if (!(group.gpusPerNode >= 0)) throw new Error(`node group ${group.name}: gpusPerNode must not be negative`);
};
