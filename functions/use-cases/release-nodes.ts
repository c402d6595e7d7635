/**
 * Gives back GPU nodes of one node group that no live deployment needs: booting instances
 * first, then empty nodes, each cordoned, re-checked for pods, and terminated with the
 * group's desired size decremented. A node running any pod is never touched, and the desired
 * size is never lowered blindly (the Auto Scaling group would pick the instance).
 *
 * Shared by the workflows' release-idle-nodes task and the reconcile.
 */
import { describeNodeGroup, groupInstances, setDesiredSize, terminateInstance } from '../adapters/eks-node-groups';
import { gpuDemandOf } from '../adapters/deployment-repository';
import { cordonNode, instanceIdOf, isNodeReady, listNodes, podsOnNodes } from '../adapters/kubernetes';
import { logger } from '../commons/logger';
import { nodesNeeded, pickInstancesToRelease, type GroupMember } from '../domain/capacity';
import { findGpuConfig } from '../domain/catalog';
import { NODE_GROUP_LABEL } from '../domain/manifests';

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

/** The Auto Scaling group refuses a second termination; someone else released that instance. */
const alreadyReleased = (error: unknown): boolean =>
  error instanceof Error && error.name === 'ValidationError' && /Terminating state|not found/i.test(error.message);

export const releaseIdleNodesOf = async (gpuConfigId: string, options: ReleaseOptions = {}): Promise<NodeRelease> => {
  const config = findGpuConfig(gpuConfigId);
  if (!config) return { released: [], needed: 0 };
  const group = await describeNodeGroup(config.node_group.name);
  if (!group.autoScalingGroup) return { released: [], needed: 0 };
  // The cluster first, the records second: a deployment whose node is being launched was
  // recorded before the launch, so its record has had the longest time to reach the index.
  const instances = (await groupInstances(group.autoScalingGroup)).filter((i) => LIVE_STATES.has(i.lifecycleState));
  const nodes = instances.length > 0 ? await listNodes(`${NODE_GROUP_LABEL}=${config.node_group.name}`) : [];
  const nodeByInstance = new Map(nodes.map((n) => [instanceIdOf(n), n]));
  const pods = await podsOnNodes(nodes.map((n) => n.metadata?.name ?? ''));
  const needed = nodesNeeded(await gpuDemandOf(config.config_id), config.gpus_per_node);
  const members: GroupMember[] = instances.map((i) => {
    const node = nodeByInstance.get(i.instanceId);
    return {
      instanceId: i.instanceId,
      joined: node !== undefined && isNodeReady(node),
      gpuPods: node ? (pods.get(node.metadata?.name ?? '')?.length ?? 0) : 0,
    };
  });

  const released: string[] = [];
  for (const instanceId of pickInstancesToRelease(members, needed, group.minSize)) {
    const node = nodeByInstance.get(instanceId);
    if (node?.metadata?.name) {
      await cordonNode(node.metadata.name);
      const now = await podsOnNodes([node.metadata.name]);
      if ((now.get(node.metadata.name)?.length ?? 0) > 0) {
        logger.warn('a pod landed on a node chosen for release; keeping it', { node: node.metadata.name });
        continue;
      }
    }
    try {
      await terminateInstance(instanceId);
      released.push(instanceId);
    } catch (error) {
      if (!alreadyReleased(error)) throw error;
      logger.info('instance already being released by another operation', { instanceId });
    }
  }

  const result: NodeRelease = { released, needed };
  if (options.lowerUnlaunchedDesired === true) {
    const remaining = members.filter((m) => !released.includes(m.instanceId));
    const desired = group.desiredSize - released.length;
    const target = Math.max(needed, group.minSize, remaining.length);
    if (desired > target && remaining.every((m) => m.gpuPods === 0)) {
      try {
        await setDesiredSize(group.name, target);
        result.desired_lowered = { from: desired, to: target };
      } catch (error) {
        // Another update of the node group is in progress: the next release looks again.
        if (!(error instanceof Error && error.name === 'ResourceInUseException')) throw error;
      }
    }
  }
  return result;
};
