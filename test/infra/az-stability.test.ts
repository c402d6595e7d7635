/**
 * M6/B4: a subnet's AZ and a node group's subnets are replacement properties, and a GPU node group
 * has a fixed name, so an inventory change must never move the subnets of what is deployed. The VPC's
 * AZ IDs are chosen from the enabled entries only for the first deployment; the stack outputs them
 * and warns until they are pinned in context availabilityZoneIds. Pinned, each group's subnets depend
 * on its own entry only: enabling or adding another entry leaves every deployed subnet and group as
 * it was. The entries are added to the loaded inventory, as an edit of inventory.json would add them.
 */
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { INVENTORY, type GpuConfig } from '../../contract/catalog';
import { synthesize, type Json, type Synthesized } from './template';

const base = INVENTORY.gpu_configs.length;
const entry = (instanceType: string): GpuConfig => INVENTORY.gpu_configs.find((config) => config.instance_type === instanceType)!;
const renamed = (config: GpuConfig, id: string, changes: Partial<GpuConfig> = {}): GpuConfig => ({
  ...config,
  config_id: id,
  node_group: { ...config.node_group, name: `gpu-${id}`, min_size: 0 },
  plans: config.plans.map((plan) => ({ ...plan, plan_id: `plan-${id}-${plan.type}` })),
  ...changes,
});

/** Synthesizes with `extra` entries enabled after the inventory's own, then restores the inventory. */
const synthWith = (extra: readonly GpuConfig[], context: Record<string, unknown> = {}): Synthesized => {
  const configs = INVENTORY.gpu_configs as GpuConfig[];
  configs.push(...extra);
  try {
    return synthesize(context);
  } finally {
    configs.splice(base);
  }
};

/** Every subnet by logical id: its AZ ID and address range (a change to either replaces it). */
const subnetsOf = (s: Synthesized): Record<string, { az: string; cidr: string }> =>
  Object.fromEntries(s.ofType('AWS::EC2::Subnet').map(([id, subnet]) => [id, { az: subnet.Properties.AvailabilityZoneId, cidr: subnet.Properties.CidrBlock }]));

/** Every node group by name: the subnets it launches in (logical id and AZ ID). */
const groupSubnets = (s: Synthesized): Record<string, string[]> =>
  Object.fromEntries(
    s.ofType('AWS::EKS::Nodegroup').map(([, group]) => [
      group.Properties.NodegroupName as string,
      (group.Properties.Subnets as Json[]).map((ref) => `${ref.Ref as string}@${s.resources[ref.Ref as string]!.Properties.AvailabilityZoneId as string}`),
    ]),
  );

const unpinnedWarnings = (s: Synthesized) => Annotations.fromStack(s.stack).findWarning('*', Match.stringLikeRegexp('Pin them before the first deployment'));

// A g5 reservation in use1-az5, an AZ the default choice does not use (FIXTURE_OFFERINGS).
const az5Reservation = renamed(entry('g5.12xlarge'), 'a10g-odcr', { capacity: { type: 'capacity-reservation', reservation_id: 'cr-0123456789abcdef0', az_id: 'use1-az5' } });

describe('the VPC AZ IDs are chosen once, then pinned (M6, B4)', () => {
  const first = synthesize();
  const chosen = first.outputs.VpcAvailabilityZoneIds?.Value as string;

  it('outputs the chosen AZ IDs in subnet order, and warns with the exact context value until they are pinned', () => {
    expect(chosen).toBe('use1-az4,use1-az6,use1-az1');
    const warnings = unpinnedWarnings(first);
    expect(warnings).toHaveLength(1);
    expect(JSON.stringify(warnings[0]!.entry.data)).toContain(`\\"availabilityZoneIds\\": \\"${chosen}\\"`);
    expect(unpinnedWarnings(synthesize({ availabilityZoneIds: chosen }))).toEqual([]);
  });

  it('unpinned, one added entry can move the subnets of deployed groups: why the warning asks for the pin', () => {
    const moved = synthWith([az5Reservation]);
    expect(moved.outputs.VpcAvailabilityZoneIds?.Value).not.toBe(chosen);
    expect(groupSubnets(moved)['gpu-l40s-48gb']).not.toEqual(groupSubnets(first)['gpu-l40s-48gb']);
  });

  it('pinned, enabling an on-demand entry and adding a Capacity Block leave every deployed subnet and node group unchanged', () => {
    const pinned = synthesize({ availabilityZoneIds: chosen });
    const grown = synthWith(
      [
        renamed(entry('g6e.12xlarge'), 'l40s-48gb-b'),
        renamed(entry('p5.48xlarge'), 'h100-block', { capacity: { type: 'capacity-block', reservation_id: 'cr-0fedcba9876543210', az_id: 'use1-az6' } }),
      ],
      { availabilityZoneIds: chosen },
    );
    expect(subnetsOf(grown)).toEqual(subnetsOf(pinned));
    expect(subnetsOf(pinned)).toEqual(subnetsOf(first));
    const before = groupSubnets(pinned);
    const after = groupSubnets(grown);
    expect(Object.keys(before)).toHaveLength(base + 1);
    for (const [name, subnets] of Object.entries(before)) expect(after[name], name).toEqual(subnets);
    expect(after['gpu-l40s-48gb-b']!.map((subnet) => subnet.split('@')[1])).toEqual(['use1-az1', 'use1-az4']);
    expect(after['gpu-h100-block']!.map((subnet) => subnet.split('@')[1])).toEqual(['use1-az6']);
  });

  it('pinned, an entry that only an AZ outside the VPC can serve fails the synth instead of moving the VPC', () => {
    expect(() => synthWith([az5Reservation], { availabilityZoneIds: chosen })).toThrow(
      /GPU config a10g-odcr \(g5\.12xlarge\): offered in use1-az5, but the VPC uses use1-az4, use1-az6, use1-az1; .*once deployed the VPC keeps its AZs/,
    );
  });
});
