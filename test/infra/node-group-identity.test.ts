/**
 * M6: a GPU node group keeps a fixed name (the control plane and its IAM grants address it by
 * name), so a change to a property CloudFormation can only apply by replacement (instance type,
 * capacity type, AMI type) must come with a new name, or the update fails with "already exists".
 * This test holds the record of what each name was deployed with; a changed property under an
 * old name fails here, before any stack update does. (Subnets, also a replacement property,
 * follow the account's offerings within the pinned VPC AZ IDs: az-stability.test.ts and
 * docs/deploy.md, "Changing a GPU config".)
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { INVENTORY } from '../../contract/catalog';
import { GPU_AMI_TYPE } from '../../infra/constructs/cluster';

type Identity = { instance_type: string; capacity_type: string; ami_type: string };
const recorded = JSON.parse(readFileSync(fileURLToPath(new URL('./node-group-identity.json', import.meta.url)), 'utf8')) as Record<string, Identity | string>;

describe('GPU node group names and their replacement properties', () => {
  it.each(INVENTORY.gpu_configs.map((config) => [config.node_group.name, config] as const))('%s keeps what it was created with', (name, config) => {
    const now: Identity = {
      instance_type: config.instance_type,
      capacity_type: config.capacity?.type === 'capacity-block' ? 'CAPACITY_BLOCK' : 'ON_DEMAND',
      ami_type: GPU_AMI_TYPE,
    };
    const before = recorded[name];
    expect(before, `${name} is new: add it to test/infra/node-group-identity.json`).toBeDefined();
    expect(now, `${name} changed a replacement property: give the entry a new name (e.g. ${name}-v2)`).toEqual(before);
  });

  it('never reuses a name for two configs', () => {
    const names = INVENTORY.gpu_configs.map((config) => config.node_group.name);
    expect(new Set(names).size).toBe(names.length);
  });
});
