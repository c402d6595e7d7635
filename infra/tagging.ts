/**
 * Every resource of the app carries the same tags (cost allocation, ownership, clean-up).
 * `Tags.of()` reaches every L1 resource that declares tags; a few resources are written by CDK
 * as raw CfnResources without a tag manager (the custom resource provider that locks down the
 * VPC's default security group, the EKS construct's readiness parameter), so an aspect adds the
 * tags to those directly.
 */
import { Aspects, CfnResource, TagManager, Tags, type IAspect } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/** Raw resource types that support tags, and the shape their `Tags` property takes. */
const RAW_TAGGABLE: Readonly<Record<string, 'list' | 'map'>> = {
  'AWS::IAM::Role': 'list',
  'AWS::Lambda::Function': 'list',
  'AWS::SSM::Parameter': 'map',
};

class TagRawResources implements IAspect {
  constructor(private readonly tags: Readonly<Record<string, string>>) {}

  visit(node: IConstruct): void {
    if (!(node instanceof CfnResource) || TagManager.isTaggable(node)) return;
    const shape = RAW_TAGGABLE[node.cfnResourceType];
    if (!shape) return;
    const sorted = Object.entries(this.tags).sort(([a], [b]) => a.localeCompare(b));
    node.addPropertyOverride('Tags', shape === 'map' ? Object.fromEntries(sorted) : sorted.map(([Key, Value]) => ({ Key, Value })));
  }
}

/** Tags every resource under `scope` with `tags`. */
export const tagEverything = (scope: IConstruct, tags: Readonly<Record<string, string>>): void => {
  for (const [key, value] of Object.entries(tags)) Tags.of(scope).add(key, value);
  Aspects.of(scope).add(new TagRawResources(tags));
};
