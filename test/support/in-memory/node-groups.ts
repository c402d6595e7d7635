/**
 * Node groups in memory: a managed node group and its Auto Scaling group in one. A desired size
 * set while the group is `busy` is refused as EKS refuses it while UPDATING; terminating an
 * instance lowers the desired size by one, and a second termination is `already_released`.
 */
import type { GroupInstance, NodeGroups, NodeGroupState, ScalingActivity } from '../../../functions/ports';

export interface InMemoryGroup {
  state: NodeGroupState;
  instances: GroupInstance[];
  activities: ScalingActivity[];
  /** The ASG's own desired capacity, when it differs from what EKS shows. */
  asgDesired?: number;
  busy?: boolean;
}

export class InMemoryNodeGroups implements NodeGroups {
  readonly groups = new Map<string, InMemoryGroup>();
  readonly terminated: string[] = [];
  readonly desiredSizes: { name: string; size: number }[] = [];

  /** A group named like its node group, its ASG named `asg-<name>`. */
  add(name: string, sizes: { min?: number; max: number; desired?: number }, instances: GroupInstance[] = []): InMemoryGroup {
    const group: InMemoryGroup = {
      state: {
        name,
        status: 'ACTIVE',
        minSize: sizes.min ?? 0,
        maxSize: sizes.max,
        desiredSize: sizes.desired ?? instances.length,
        autoScalingGroup: `asg-${name}`,
        healthIssues: [],
      },
      instances: [...instances],
      activities: [],
    };
    this.groups.set(name, group);
    return group;
  }

  private byAsg(autoScalingGroup: string): InMemoryGroup | undefined {
    return [...this.groups.values()].find((g) => g.state.autoScalingGroup === autoScalingGroup);
  }

  async describe(name: string): Promise<NodeGroupState> {
    const group = this.groups.get(name);
    if (!group) throw Object.assign(new Error(`No node group found for name: ${name}.`), { name: 'ResourceNotFoundException' });
    return structuredClone(group.state);
  }

  async setDesiredSize(name: string, desiredSize: number): Promise<'set' | 'busy' | 'unchanged'> {
    const group = this.groups.get(name);
    if (!group) throw new Error(`No node group found for name: ${name}.`);
    if (group.busy) return 'busy';
    if (group.state.desiredSize === desiredSize) return 'unchanged';
    group.state.desiredSize = desiredSize;
    group.asgDesired = undefined;
    this.desiredSizes.push({ name, size: desiredSize });
    return 'set';
  }

  async scalingActivitiesSince(autoScalingGroup: string, since: Date): Promise<ScalingActivity[]> {
    return (this.byAsg(autoScalingGroup)?.activities ?? []).filter((a) => a.startTime >= since).sort((a, b) => b.startTime.getTime() - a.startTime.getTime());
  }

  async instances(autoScalingGroup: string): Promise<GroupInstance[]> {
    return structuredClone(this.byAsg(autoScalingGroup)?.instances ?? []);
  }

  async size(autoScalingGroup: string) {
    const group = this.byAsg(autoScalingGroup);
    if (!group) return undefined;
    const live = group.instances.filter((i) => !i.lifecycleState.startsWith('Terminat')).length;
    return { desiredCapacity: group.asgDesired ?? group.state.desiredSize, liveInstances: live };
  }

  async terminateInstance(instanceId: string): Promise<'terminated' | 'already_released'> {
    const group = [...this.groups.values()].find((g) => g.instances.some((i) => i.instanceId === instanceId));
    const instance = group?.instances.find((i) => i.instanceId === instanceId);
    if (!group || !instance || instance.lifecycleState.startsWith('Terminat')) return 'already_released';
    instance.lifecycleState = 'Terminating';
    group.state.desiredSize -= 1;
    this.terminated.push(instanceId);
    return 'terminated';
  }
}
