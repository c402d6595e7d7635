/**
 * Gives back GPU nodes of one node group that no live deployment needs: booting instances
 * first, then idle nodes, each cordoned, re-checked for pods, and terminated with the group's
 * desired size decremented. Idle means no pod that keeps the node busy runs there (DaemonSet,
 * mirror and finished pods do not: domain/capacity.ts podKeepsNodeBusy). A busy node is never
 * touched, and the desired size is never lowered blindly (the Auto Scaling group would pick
 * the instance). A node cordoned for release that turns out busy is uncordoned, and so is one
 * whose release was cut short (a crash between cordon and terminate): the cordon carries
 * {@link RELEASE_CORDON_ANNOTATION} with its time, and the next release (the reconcile runs it
 * for every group) lifts a cordon of ours older than {@link STALE_CORDON_SECONDS}.
 *
 * Shared by the workflows' release-idle-nodes task and the reconcile.
 */
import type { V1Node, V1Pod } from '@kubernetes/client-node';
import { logger } from '../commons/logger';
import { nodesNeeded, pickInstancesToRelease, podKeepsNodeBusy, RELEASE_CORDON_ANNOTATION, STALE_CORDON_SECONDS, type GroupMember } from '../domain/capacity';
import { findGpuConfig } from '../../contract/catalog';
import { NODE_GROUP_LABEL } from '../domain/manifests';
import { instanceIdOf, isNodeReady } from '../domain/kubernetes-objects';
import type { Ports } from '../ports';

type ReleasePorts = Pick<Ports, 'nodeGroups' | 'cluster' | 'deployments' | 'clock'>;

const LIVE_STATES = new Set(['Pending', 'Pending:Wait', 'Pending:Proceed', 'InService']);

export interface NodeRelease {
  /** Instances terminated (with decrement), in order. */
  released: string[];
  /** Nodes the recorded deployments need. */
  needed: number;
  /** Set when a desired size above every instance that exists was lowered to what exists. */
  desired_lowered?: { from: number; to: number };
}

export interface ReleaseOptions {
  /**
   * Also lower a desired size that no instance backs (launches that failed, e.g.
   * InsufficientInstanceCapacity), down to the instances that exist, when none of them runs a
   * pod: whichever instance the group would then pick, no pod is evicted. Needs
   * eks:UpdateNodegroupConfig.
   */
  lowerUnlaunchedDesired?: boolean;
}

/** Uncordons the nodes a release of ours cordoned and then left: kept, or cut short by a crash. */
const liftStaleCordons = async ({ cluster, clock }: ReleasePorts, nodes: readonly V1Node[]): Promise<void> => {
  for (const node of nodes) {
    const name = node.metadata?.name;
    const cordonedAt = node.metadata?.annotations?.[RELEASE_CORDON_ANNOTATION];
    if (!name || cordonedAt === undefined || !(clock.elapsedSeconds(cordonedAt) > STALE_CORDON_SECONDS)) continue;
    if (await cluster.uncordonNode(name, RELEASE_CORDON_ANNOTATION, cordonedAt)) {
      logger.warn('lifted a cordon a node release left behind', { node: name, cordonedAt });
    }
  }
};

export const releaseIdleNodesOf = async (ports: ReleasePorts, gpuConfigId: string, options: ReleaseOptions = {}): Promise<NodeRelease> => {
  const { nodeGroups, cluster, deployments, clock } = ports;
  const config = findGpuConfig(gpuConfigId);
  if (!config) return { released: [], needed: 0 };
  const group = await nodeGroups.describe(config.node_group.name);
  if (!group.autoScalingGroup) return { released: [], needed: 0 };
  // The cluster first, the records second: a deployment whose node is being launched was
  // recorded before the launch, so its record has had the longest time to reach the index.
  const instances = (await nodeGroups.instances(group.autoScalingGroup)).filter((i) => LIVE_STATES.has(i.lifecycleState));
  const nodes = instances.length > 0 ? await cluster.listNodes(`${NODE_GROUP_LABEL}=${config.node_group.name}`) : [];
  const nodeByInstance = new Map(nodes.map((n) => [instanceIdOf(n), n]));
  const pods = await cluster.podsOnNodes(nodes.map((n) => n.metadata?.name ?? ''));
  const busyPods = (nodeName: string, on: Map<string, V1Pod[]>): number => (on.get(nodeName) ?? []).filter(podKeepsNodeBusy).length;
  const needed = nodesNeeded(await deployments.gpuDemandOf(config.config_id), config.gpus_per_node);
  const members: GroupMember[] = instances.map((i) => {
    const node = nodeByInstance.get(i.instanceId);
    return {
      instanceId: i.instanceId,
      joined: node !== undefined && isNodeReady(node),
      workloadPods: node ? busyPods(node.metadata?.name ?? '', pods) : 0,
    };
  });

  const released: string[] = [];
  const chosen = pickInstancesToRelease(members, needed, group.minSize);
  for (const instanceId of chosen) {
    const node = nodeByInstance.get(instanceId);
    const nodeName = node?.metadata?.name;
    if (nodeName) {
      const cordonedAt = clock.now().toISOString();
      await cluster.cordonNode(nodeName, { [RELEASE_CORDON_ANNOTATION]: cordonedAt });
      const after = await cluster.podsOnNodes([nodeName]);
      if (busyPods(nodeName, after) > 0) {
        logger.warn('a pod landed on a node chosen for release; keeping it', { node: nodeName });
        await cluster.uncordonNode(nodeName, RELEASE_CORDON_ANNOTATION, cordonedAt);
        continue;
      }
    }
    if ((await nodeGroups.terminateInstance(instanceId)) === 'terminated') released.push(instanceId);
    else logger.info('instance already being released by another operation', { instanceId });
  }

  await liftStaleCordons(ports, nodes.filter((n) => !chosen.includes(instanceIdOf(n) ?? '')));

  const result: NodeRelease = { released, needed };
  if (options.lowerUnlaunchedDesired === true) {
    const remaining = members.filter((m) => !released.includes(m.instanceId));
    const desired = group.desiredSize - released.length;
    const target = Math.max(needed, group.minSize, remaining.length);
    if (desired > target && remaining.every((m) => m.workloadPods === 0)) {
      // Busy (another update of the node group is in progress) or already there: the next release looks again.
      if ((await nodeGroups.setDesiredSize(group.name, target)) === 'set') result.desired_lowered = { from: desired, to: target };
    }
  }
  return result;
};
