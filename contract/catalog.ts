/**
 * The model catalog and GPU inventory, versioned in data/*.json and validated once at
 * module load: a malformed data file stops the function at cold start, not mid-request.
 */
import * as z from 'zod';
import catalogJson from './data/catalog.json';
import inventoryJson from './data/inventory.json';

const range = z.object({ min: z.number().int().positive(), max: z.number().int().positive(), default: z.number().int().positive() });

/** A catalog model: the built-in ones (data/catalog.json) and those admins add (use-cases/catalog.ts). */
export const catalogModelSchema = z.object({
  id: z.string().regex(/^[a-zA-Z0-9_\-.]+$/),
  model_id: z.string().includes('/'),
  name: z.string(),
  vendor: z.string(),
  parameters_billion: z.number().positive(),
  dtype: z.enum(['bfloat16', 'float16', 'float32', 'fp8', 'int8', 'int4']),
  architecture: z.object({
    num_layers: z.number().int().positive(),
    /** config.json `num_attention_heads`: with num_kv_heads, the tensor-parallel sizes vLLM accepts (domain/tensor-parallel.ts). Absent: powers of two. */
    num_attention_heads: z.number().int().positive().optional(),
    num_kv_heads: z.number().int().positive(),
    head_dim: z.number().int().positive(),
  }),
  gated: z.boolean(),
  configurations: z.object({ max_model_len: range, max_num_seqs: range }),
  recommended_gpu: z.object({ gpu_config_id: z.string(), gpu_count: z.number().int().positive() }),
  tags: z.array(z.string()),
  /** Hugging Face revision (branch, tag or commit) the catalog recommends; informational. */
  revision: z.string().optional(),
  /** Free text for operators, e.g. "needs 2 x 48 GB or more" (ZStack's gpuConstraintDescription). */
  gpu_constraint_description: z.string().optional(),
});
export type CatalogModel = z.infer<typeof catalogModelSchema>;

const plan = z.object({
  plan_id: z.string(),
  type: z.literal('ondemand'),
  unit_price: z.number().positive(),
  currency: z.string().length(3),
});
export type Plan = z.infer<typeof plan>;

/** An AZ ID such as use1-az4: the same physical zone in every account, unlike an AZ name. */
export const AZ_ID = /^[a-z]{2,}[0-9]-az[0-9]{1,2}$/;
const RESERVATION_ID = /^cr-[0-9a-f]{8,17}$/;

/**
 * How a config's nodes are bought: plain On-Demand, an On-Demand Capacity Reservation (by id, in
 * its AZ, or a resource group of reservations), or a Capacity Block (one reservation in one AZ).
 */
const gpuCapacity = z.discriminatedUnion('type', [
  z.object({ type: z.literal('on-demand') }),
  z.object({
    type: z.literal('capacity-reservation'),
    reservation_id: z.string().regex(RESERVATION_ID).optional(),
    resource_group_arn: z.string().startsWith('arn:').optional(),
    /** The reservation's AZ ID; required with reservation_id (a reservation lives in one AZ). */
    az_id: z.string().regex(AZ_ID).optional(),
  }),
  z.object({ type: z.literal('capacity-block'), reservation_id: z.string().regex(RESERVATION_ID), az_id: z.string().regex(AZ_ID) }),
]);

const gpuConfig = z.object({
  config_id: z.string(),
  gpu_type: z.string(),
  gpu_memory_gib: z.number().positive(),
  region: z.string(),
  instance_type: z.string(),
  gpus_per_node: z.number().int().positive(),
  node_group: z.object({ name: z.string(), min_size: z.number().int().nonnegative(), max_size: z.number().int().positive() }),
  /** Seconds a node of this config typically takes to launch and join, and the deadline. */
  node_provisioning: z
    .object({ expected_seconds: z.number().int().positive(), deadline_seconds: z.number().int().positive() })
    .refine((p) => p.deadline_seconds > p.expected_seconds, { message: 'deadline_seconds must exceed expected_seconds' })
    .optional(),
  plans: z.array(plan).min(1),
  // Node-group infrastructure (infra/constructs/gpu-node-groups.ts, docs/deploy.md). Optional in
  // the schema so a config object stays small in tests; the stack requires disk_size_gib at synth.
  /** false keeps the entry in the file but out of the API, the node groups and the grants. */
  enabled: z.boolean().optional(),
  /** EBS data volume of a node (container images, kubelet, logs), in GiB. */
  disk_size_gib: z.number().int().min(20).max(16384).optional(),
  /** The instance type has local NVMe: Bottlerocket puts containerd and kubelet (emptyDir caches) on it. */
  instance_store: z.boolean().optional(),
  /** AZ IDs that offer the instance type (aws ec2 describe-instance-type-offerings --location-type availability-zone-id). */
  placement: z.object({ az_ids: z.array(z.string().regex(AZ_ID)).min(1) }).optional(),
  capacity: gpuCapacity.optional(),
});
export type GpuConfig = z.infer<typeof gpuConfig>;
export type GpuCapacity = z.infer<typeof gpuCapacity>;

export const CATALOG: readonly CatalogModel[] = z.object({ version: z.string(), models: z.array(catalogModelSchema) }).parse(catalogJson).models;
export const INVENTORY = z
  .object({
    version: z.string(),
    cluster_region: z.string(),
    // A disabled entry stays in the file for the record, and is absent everywhere else.
    gpu_configs: z.array(gpuConfig).transform((configs) => configs.filter((config) => config.enabled !== false)),
  })
  .parse(inventoryJson);

export const findCatalogModel = (id: string): CatalogModel | undefined => CATALOG.find((m) => m.id === id);
export const findGpuConfig = (configId: string): GpuConfig | undefined =>
  INVENTORY.gpu_configs.find((g) => g.config_id === configId);
export const regions = (): string[] => [...new Set(INVENTORY.gpu_configs.map((g) => g.region))];

const BYTES_PER_PARAM: Record<CatalogModel['dtype'], number> = {
  float32: 4,
  bfloat16: 2,
  float16: 2,
  fp8: 1,
  int8: 1,
  int4: 0.5,
};

/** Size of the model weights in GiB (parameters x bytes per parameter). */
export const weightsGiB = (model: Pick<CatalogModel, 'parameters_billion' | 'dtype'>): number =>
  (model.parameters_billion * 1e9 * BYTES_PER_PARAM[model.dtype]) / 2 ** 30;
