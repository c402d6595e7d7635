/**
 * Where each GPU node group may launch, decided at synth from AZ IDs (never AZ names, which map to
 * different physical zones in every account): the AZ IDs that offer the config's instance type
 * (inventory `placement.az_ids`, else context `gpuInstanceOfferings`), the VPC's AZ IDs, and the
 * config's capacity option (a reservation or Capacity Block pins one AZ). Pure: no CDK, no I/O,
 * so every rule is a plain unit of the infra tests. docs/deploy.md tells how to fill the inputs.
 */
import { AZ_ID, type GpuConfig } from '../../contract/catalog';

/** Instance type -> AZ IDs that offer it, as `aws ec2 describe-instance-type-offerings` lists them. */
export type InstanceTypeOfferings = Readonly<Record<string, readonly string[]>>;

/** The command whose answer a config's placement needs, for error messages and docs. */
export const offeringsCommand = (instanceType: string, region: string): string =>
  `aws ec2 describe-instance-type-offerings --location-type availability-zone-id ` +
  `--filters Name=instance-type,Values=${instanceType} --region ${region} --query 'InstanceTypeOfferings[].Location' --output text`;

/** Reads context `gpuInstanceOfferings`: an object, or its JSON text when given with `-c`. */
export const parseOfferings = (value: unknown): InstanceTypeOfferings => {
  if (value === undefined || value === '') return {};
  const parsed: unknown = typeof value === 'string' ? JSON.parse(value) : value;
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new Error('Context value gpuInstanceOfferings is invalid: expected {"<instance type>": ["<AZ ID>", …]}.');
  }
  for (const [type, ids] of Object.entries(parsed)) {
    if (!Array.isArray(ids) || !ids.every((id) => typeof id === 'string' && AZ_ID.test(id))) {
      throw new Error(`Context value gpuInstanceOfferings.${type} is invalid: expected a list of AZ IDs such as "use1-az4".`);
    }
  }
  return parsed as InstanceTypeOfferings;
};

/** AZ IDs offering the config's instance type, or undefined when nobody said. */
export const offeredAzIds = (config: GpuConfig, offerings: InstanceTypeOfferings): readonly string[] | undefined =>
  config.placement?.az_ids ?? offerings[config.instance_type];

/** Problems with a config's capacity option that EC2 or EKS would reject at deploy time. */
export const capacityProblems = (config: GpuConfig): string[] => {
  const capacity = config.capacity;
  if (!capacity || capacity.type === 'on-demand') return [];
  const problems: string[] = [];
  if (capacity.type === 'capacity-reservation') {
    if (!capacity.reservation_id === !capacity.resource_group_arn) {
      problems.push('a capacity-reservation needs exactly one of reservation_id and resource_group_arn');
    }
    if (capacity.reservation_id && !capacity.az_id) problems.push('a capacity-reservation by reservation_id needs the az_id of that reservation');
  }
  if (capacity.type === 'capacity-block' && config.node_group.min_size > 0) {
    // The instances end with the block; a minimum above 0 would make EKS relaunch into nothing.
    problems.push('a capacity-block node group must have min_size 0');
  }
  return problems;
};

/**
 * AZ IDs of the VPC: the explicit list when given, else the (at most) three AZ IDs that serve the
 * most configs, so every config can launch somewhere. Ties go to the lower AZ ID, for a stable template.
 * The choice depends on every enabled entry, so it is only for the first deployment: a later entry can
 * change it, and every subnet's AZ is a replacement property. The stack warns until the list is pinned
 * in context availabilityZoneIds (docs/deploy.md); a pinned list makes each group's subnets depend only
 * on its own entry.
 */
export const chooseVpcAzIds = (configs: readonly GpuConfig[], offerings: InstanceTypeOfferings, explicit?: readonly string[]): string[] => {
  if (explicit && explicit.length > 0) return [...explicit];
  const wanted = configs.map((config) => pinnedAzId(config) ?? offeredAzIds(config, offerings) ?? []);
  const chosen: string[] = [];
  // Greedy cover first (every config gets one of its AZs), then fill up to three by popularity.
  for (const ids of wanted) {
    if (ids.length > 0 && !ids.some((id) => chosen.includes(id))) chosen.push(mostWanted(ids, wanted));
  }
  const rest = [...new Set(wanted.flat())].filter((id) => !chosen.includes(id));
  rest.sort((a, b) => countOf(b, wanted) - countOf(a, wanted) || a.localeCompare(b));
  return [...chosen, ...rest].slice(0, Math.max(3, chosen.length));
};

const countOf = (id: string, wanted: readonly (readonly string[])[]): number => wanted.filter((ids) => ids.includes(id)).length;
const mostWanted = (ids: readonly string[], wanted: readonly (readonly string[])[]): string =>
  [...ids].sort((a, b) => countOf(b, wanted) - countOf(a, wanted) || a.localeCompare(b))[0]!;

/** The one AZ a reservation or Capacity Block lives in, if the capacity option pins one. */
const pinnedAzId = (config: GpuConfig): string[] | undefined => {
  const capacity = config.capacity;
  if (capacity?.type === 'capacity-block') return [capacity.az_id];
  if (capacity?.type === 'capacity-reservation' && capacity.az_id) return [capacity.az_id];
  return undefined;
};

/**
 * EKS's default quota of managed node groups per cluster (Service Quotas, "Managed node groups
 * per cluster"; adjustable). Every GPU entry is one group, a Capacity Block too (docs/scale.md §3.2).
 */
export const MANAGED_NODE_GROUPS_PER_CLUSTER = 30;

export interface GpuPlacement {
  readonly config: GpuConfig;
  /** AZ IDs the node group's subnets are in: offered by the type, in the VPC, and the reservation's only when pinned. */
  readonly azIds: readonly string[];
}

/**
 * The placement of every config, or one error naming every config that cannot be placed and
 * what to run or change for it (so a first synth lists all the missing answers at once).
 */
export const placeGpuConfigs = (
  configs: readonly GpuConfig[],
  offerings: InstanceTypeOfferings,
  vpcAzIds: readonly string[],
  region: string,
): GpuPlacement[] => {
  const problems: string[] = [];
  const placements: GpuPlacement[] = [];
  // +1: the system node group.
  if (configs.length + 1 > MANAGED_NODE_GROUPS_PER_CLUSTER) {
    problems.push(
      `${configs.length} GPU entries and the system group exceed the ${MANAGED_NODE_GROUPS_PER_CLUSTER} managed node groups EKS allows per ` +
        'cluster by default; disable entries or raise the quota and this limit together.',
    );
  }
  for (const config of configs) {
    const label = `GPU config ${config.config_id} (${config.instance_type})`;
    for (const problem of capacityProblems(config)) problems.push(`${label}: ${problem}.`);
    if (config.disk_size_gib === undefined) problems.push(`${label}: disk_size_gib is missing in inventory.json.`);
    const offered = offeredAzIds(config, offerings);
    if (!offered) {
      problems.push(
        `${label}: the AZ IDs that offer ${config.instance_type} are unknown. Run\n    ${offeringsCommand(config.instance_type, region)}\n` +
          `  and put the answer in inventory.json (gpu_configs[].placement.az_ids) or in context gpuInstanceOfferings, or set "enabled": false.`,
      );
      continue;
    }
    const pinned = pinnedAzId(config);
    if (pinned && !offered.includes(pinned[0]!)) {
      problems.push(`${label}: its reservation is in ${pinned[0]}, which does not offer ${config.instance_type} (${offered.join(', ')}).`);
      continue;
    }
    const azIds = (pinned ?? offered).filter((id) => vpcAzIds.includes(id));
    if (azIds.length === 0) {
      problems.push(
        `${label}: offered in ${(pinned ?? offered).join(', ')}, but the VPC uses ${vpcAzIds.join(', ')}; ` +
          'before the first deployment, add one of them to context availabilityZoneIds; once deployed the VPC keeps its AZs ' +
          '(docs/deploy.md, "Changing a GPU config"), so set "enabled": false.',
      );
      continue;
    }
    placements.push({ config, azIds });
  }
  if (problems.length > 0) throw new Error(`Cannot place the GPU node groups:\n- ${problems.join('\n- ')}`);
  return placements;
};
