/**
 * EKS managed node groups and their Auto Scaling groups: one desired size per group, instances
 * that launch, boot into Kubernetes Nodes, and terminate (targeted, or newest-first on a blind
 * scale-in) taking their Node and pods with them.
 */
import { DEFAULT_GPU_TAINT, type SimNodeGroupConfig } from '../config.js';
import { instanceId, nowIso, seededUuid, uuid } from '../ids.js';
import { NODE, POD } from '../apiserver/resources.js';
import type { Node, Pod } from '../apiserver/types.js';
import { buildNode } from './node-registration.js';
import type { HealthIssue, InstanceState, NodeGroupState, ScalingActivity } from './state.js';
import type { SimContext } from '../context.js';
import { isPodFault, isUpdateFault, type FaultRule } from '../faults.js';
import { consume, isSpent, launchFailure, launchRetrySeconds, type LaunchFault } from '../launch-faults.js';

const ZONE_SUFFIXES = ['a', 'b', 'c'];
const MAX_ACTIVITIES = 50;
const LAUNCH_FAILURE_CODES = ['AsgInstanceLaunchFailures', 'InsufficientFreeAddresses'];

export const createNodeGroupState = (config: SimNodeGroupConfig, clusterName: string, region: string, now: number): NodeGroupState => {
  const seed = seededUuid(`${clusterName}/${config.name}`);
  return {
    name: config.name,
    config,
    asgName: `eks-${config.name}-${seed}`,
    createdAt: now,
    modifiedAt: now,
    minSize: config.minSize,
    maxSize: config.maxSize,
    desiredSize: config.desiredSize ?? config.minSize,
    labels: { ...(config.labels ?? {}) },
    taints: config.taints ?? [DEFAULT_GPU_TAINT],
    subnets: ZONE_SUFFIXES.map((_, i) => `subnet-0${seed.replace(/-/g, '').slice(i * 4, i * 4 + 16)}`),
    healthIssues: [],
    updates: [],
    activities: [],
  };
};

export const activeInstances = (world: SimContext, group: string): InstanceState[] =>
  world.instancesOf(group).filter((i) => i.lifecycle !== 'Terminating');

const zoneName = (world: SimContext, subnetIndex: number): string => `${world.state.region}${ZONE_SUFFIXES[subnetIndex] ?? 'a'}`;

/** `insufficient_capacity` rules in force for one AZ of the group: launches go to its other AZs. */
const zoneCapacityRules = (world: SimContext, group: NodeGroupState, now: number): FaultRule[] =>
  world.faults().filter((r) => 'nodeGroup' in r.match && r.match.nodeGroup === group.name && r.zone !== undefined && !isSpent(r, now, world.ms(1)));

/**
 * The AZ of the next instance: the subnets in turn; while some AZ is short of capacity (a zone
 * rule), the AZ with the fewest of the group's instances among the others, as Auto Scaling
 * balances them. A launch turned away from its AZ consumes that AZ's rules.
 */
const zoneOf = (world: SimContext, group: NodeGroupState, index: number, now: number): { az: string; subnetIndex: number } => {
  const first = index % ZONE_SUFFIXES.length;
  const short = zoneCapacityRules(world, group, now);
  if (short.length === 0) return { az: zoneName(world, first), subnetIndex: first };
  const inZone = (az: string) => activeInstances(world, group.name).filter((i) => i.availabilityZone === az).length;
  const open = ZONE_SUFFIXES.map((_, step) => (first + step) % ZONE_SUFFIXES.length).filter((i) => !short.some((r) => r.zone === zoneName(world, i)));
  const chosen = open.reduce<number | undefined>((best, i) => (best === undefined || inZone(zoneName(world, i)) < inZone(zoneName(world, best)) ? i : best), undefined) ?? first;
  if (chosen !== first) short.filter((r) => r.zone === zoneName(world, first)).forEach(consume);
  return { az: zoneName(world, chosen), subnetIndex: chosen };
};

const addActivity = (world: SimContext, group: NodeGroupState, activity: Omit<ScalingActivity, 'activityId' | 'progress'>): void => {
  group.activities.unshift({ activityId: uuid(), progress: activity.statusCode === 'InProgress' ? 0 : 100, ...activity });
  group.activities.length = Math.min(group.activities.length, MAX_ACTIVITIES);
  world.touch();
};

/**
 * P-family instances (8 GPUs, EFA, NVSwitch fabric manager) take far longer to pass their
 * status checks and join than G-family ones.
 */
const bootSeconds = (world: SimContext, group: NodeGroupState): number =>
  group.config.instanceType.startsWith('p') ? world.delays.nodeBoot * 2.5 : world.delays.nodeBoot;

export const launchInstance = (world: SimContext, group: NodeGroupState, now: number, options: { alreadyBooted?: boolean } = {}): InstanceState => {
  const privateIp = world.allocateIp('node');
  const { az, subnetIndex } = zoneOf(world, group, Object.keys(world.state.instances).length, now);
  const instance: InstanceState = {
    instanceId: instanceId(),
    group: group.name,
    availabilityZone: az,
    subnetId: group.subnets[subnetIndex] ?? group.subnets[0] ?? 'subnet-0',
    privateIp,
    nodeName: `ip-${privateIp.replace(/\./g, '-')}.ec2.internal`,
    launchedAt: now,
    bootedAt: options.alreadyBooted ? now : now + world.ms(bootSeconds(world, group)),
    lifecycle: options.alreadyBooted ? 'InService' : 'Pending',
    images: [],
  };
  world.state.instances[instance.instanceId] = instance;
  addActivity(world, group, {
    description: `Launching a new EC2 instance: ${instance.instanceId}`,
    cause: `At ${nowIso(now)} an instance was started in response to a difference between desired and actual capacity, increasing the capacity from ${activeInstances(world, group.name).length - 1} to ${group.desiredSize}.`,
    startTime: now,
    endTime: now,
    statusCode: 'Successful',
    subnetId: instance.subnetId,
    availabilityZone: instance.availabilityZone,
  });
  return instance;
};

/** Starts terminating an instance: its kubelet stops answering now, the instance is gone after instanceTermination. */
export const terminateInstance = (world: SimContext, instance: InstanceState, now: number, cause: string): void => {
  if (instance.lifecycle === 'Terminating') return;
  instance.lifecycle = 'Terminating';
  instance.terminatingSince = now;
  instance.goneAt = now + world.ms(world.delays.instanceTermination);
  world.touch();
  const group = world.nodeGroup(instance.group);
  if (group) {
    addActivity(world, group, {
      description: `Terminating EC2 instance: ${instance.instanceId}`,
      cause,
      startTime: now,
      statusCode: 'InProgress',
    });
  }
  // Its Node goes NotReady through the node lifecycle controller (controllers/node-lifecycle.ts), in the reconcile that follows.
};

export const setDesiredSize = (world: SimContext, group: NodeGroupState, desired: number): void => {
  if (group.desiredSize === desired) return;
  group.desiredSize = desired;
  group.modifiedAt = world.now();
  world.touch();
};

/**
 * The launch fault rule in force for the group now (not spent by count or time). A rule for one
 * AZ only steers launches elsewhere (zoneOf); it fails them only when every AZ is short.
 */
const launchFaultRule = (world: SimContext, group: NodeGroupState, now: number): FaultRule | undefined =>
  world
    .faults()
    .find(
      (r) => 'nodeGroup' in r.match && r.match.nodeGroup === group.name && r.zone === undefined && !isPodFault(r.fault) && !isUpdateFault(r.fault) && !isSpent(r, now, world.ms(1)),
    ) as FaultRule | undefined;

/** A `slow_update` rule in force for the group holds its InProgress config updates. */
const updatesHeld = (world: SimContext, group: NodeGroupState, now: number): boolean =>
  world.faults().some((r) => 'nodeGroup' in r.match && r.match.nodeGroup === group.name && isUpdateFault(r.fault) && !isSpent(r, now, world.ms(1)));

const setHealthIssues = (world: SimContext, group: NodeGroupState, issues: HealthIssue[]): void => {
  if (JSON.stringify(group.healthIssues) === JSON.stringify(issues)) return;
  group.healthIssues = issues;
  world.touch();
};

/**
 * One failed launch attempt: a Failed scaling activity worded as Auto Scaling words it, and a
 * node group health issue that stays until a later launch succeeds (scaling to 0 does not
 * clear it: aws/containers-roadmap#2326). The next attempt goes to the next subnet's AZ.
 */
const failLaunch = (world: SimContext, group: NodeGroupState, rule: FaultRule, active: number, now: number): void => {
  const attempt = group.launchFailures ?? 0;
  const subnetIndex = attempt % group.subnets.length;
  const az = `${world.state.region}${ZONE_SUFFIXES[subnetIndex] ?? 'a'}`;
  const others = ZONE_SUFFIXES.filter((_, i) => i !== subnetIndex).map((z) => `${world.state.region}${z}`);
  const failure = launchFailure(rule.fault as LaunchFault, group.config.instanceType, az, others);
  consume(rule);
  addActivity(world, group, {
    description: `Launching a new EC2 instance.  Status Reason: ${failure.statusMessage}`,
    cause: `At ${nowIso(now)} an instance was started in response to a difference between desired and actual capacity, increasing the capacity from ${active} to ${group.desiredSize}.`,
    startTime: now,
    endTime: now,
    statusCode: 'Failed',
    statusMessage: failure.statusMessage,
    subnetId: group.subnets[subnetIndex],
    availabilityZone: az,
  });
  const issue: HealthIssue = {
    code: failure.issueCode,
    message: failure.issueMessage,
    resourceIds: failure.issueCode === 'InsufficientFreeAddresses' ? [...group.subnets] : [group.asgName],
  };
  setHealthIssues(world, group, [...group.healthIssues.filter((i) => i.code !== issue.code), issue]);
  group.launchFailures = attempt + 1;
  group.nextLaunchAt = now + world.ms(launchRetrySeconds(group.launchFailures));
  world.wakeAt(group.nextLaunchAt);
};

const scaleGroup = (world: SimContext, group: NodeGroupState, now: number): void => {
  const active = activeInstances(world, group.name);
  if (active.length < group.desiredSize) {
    if (group.nextLaunchAt !== undefined && group.nextLaunchAt > now) {
      world.wakeAt(group.nextLaunchAt);
    } else {
      const short = zoneCapacityRules(world, group, now);
      const everyZoneShort = ZONE_SUFFIXES.every((_, i) => short.some((r) => r.zone === zoneName(world, i)));
      const rule = launchFaultRule(world, group, now) ?? (everyZoneShort ? short[0] : undefined);
      if (rule) {
        failLaunch(world, group, rule, active.length, now);
      } else {
        for (let i = active.length; i < group.desiredSize; i += 1) launchInstance(world, group, now);
        delete group.launchFailures;
        delete group.nextLaunchAt;
      }
    }
  } else if (group.nextLaunchAt !== undefined) {
    // Nothing left to launch: the retry schedule ends, the health issue stays.
    delete group.launchFailures;
    delete group.nextLaunchAt;
    world.touch();
  }
  if (active.length > group.desiredSize) {
    const newestFirst = [...active].sort((a, b) => b.launchedAt - a.launchedAt || b.instanceId.localeCompare(a.instanceId));
    for (const instance of newestFirst.slice(0, active.length - group.desiredSize)) {
      terminateInstance(
        world,
        instance,
        now,
        `At ${nowIso(now)} a user request explicitly set group desired capacity changing the desired capacity from ${active.length} to ${group.desiredSize}. At ${nowIso(now)} an instance was taken out of service in response to a difference between desired and actual capacity, shrinking the capacity from ${active.length} to ${group.desiredSize}.`,
      );
    }
  }
};

/** Removes a gone instance's Node and force-deletes the pods that were bound to it. */
const removeInstance = (world: SimContext, instance: InstanceState): void => {
  delete world.state.instances[instance.instanceId];
  world.touch();
  world.store.remove(NODE.plural, undefined, instance.nodeName);
  for (const pod of world.store.list<Pod>(POD.plural)) {
    if (pod.spec.nodeName !== instance.nodeName) continue;
    world.store.remove(POD.plural, pod.metadata.namespace, pod.metadata.name);
    delete world.state.pods[pod.metadata.uid];
  }
  const group = world.nodeGroup(instance.group);
  const activity = group?.activities.find((a) => a.statusCode === 'InProgress' && a.description.endsWith(instance.instanceId));
  if (activity && instance.goneAt !== undefined) {
    activity.statusCode = 'Successful';
    activity.progress = 100;
    activity.endTime = instance.goneAt;
  }
};

const syncNode = (world: SimContext, group: NodeGroupState, instance: InstanceState): void => {
  const existing = world.store.get<Node>(NODE.plural, undefined, instance.nodeName);
  if (!existing) {
    const node = world.api.createInternal(NODE, buildNode(group, instance, world.state.region));
    world.events.record(node, 'Normal', 'RegisteredNode', `Node ${instance.nodeName} event: Registered Node ${instance.nodeName} in Controller`, 'node-controller');
  }
};

export const reconcileNodeGroups = (world: SimContext, now: number): void => {
  // The cloud node controller deletes Nodes whose EC2 instance no longer exists.
  for (const node of world.store.list<Node>(NODE.plural)) {
    if (node.spec.providerID?.startsWith('aws:///') && !world.instanceByNodeName(node.metadata.name)) {
      world.store.remove(NODE.plural, undefined, node.metadata.name);
    }
  }
  for (const instance of Object.values(world.state.instances)) {
    const group = world.nodeGroup(instance.group);
    if (!group) continue;
    if (instance.lifecycle === 'Pending') {
      if (instance.bootedAt <= now) {
        instance.lifecycle = 'InService';
        // Only a scale-out that succeeds (the instance in service) clears a launch failure.
        setHealthIssues(world, group, group.healthIssues.filter((i) => !LAUNCH_FAILURE_CODES.includes(i.code)));
        world.touch();
      } else world.wakeAt(instance.bootedAt);
    }
    if (instance.lifecycle === 'InService') syncNode(world, group, instance);
    if (instance.lifecycle === 'Terminating' && instance.goneAt !== undefined) {
      if (instance.goneAt <= now) removeInstance(world, instance);
      else world.wakeAt(instance.goneAt);
    }
  }
  for (const group of Object.values(world.state.nodeGroups)) {
    scaleGroup(world, group, now);
    const held = updatesHeld(world, group, now);
    for (const update of group.updates) {
      if (update.status !== 'InProgress') continue;
      if (held) {
        world.wakeAt(now + world.ms(1)); // look again when the rule may have expired
        continue;
      }
      if (update.completesAt <= now) {
        update.status = 'Successful';
        world.touch();
      } else world.wakeAt(update.completesAt);
    }
  }
};

export type NodegroupStatus = 'ACTIVE' | 'UPDATING' | 'DEGRADED';

export const nodegroupStatus = (world: SimContext, group: NodeGroupState): NodegroupStatus => {
  const changing = world.instancesOf(group.name).some((i) => i.lifecycle !== 'InService');
  if (changing || group.updates.some((u) => u.status === 'InProgress')) return 'UPDATING';
  return group.healthIssues.length > 0 ? 'DEGRADED' : 'ACTIVE';
};
