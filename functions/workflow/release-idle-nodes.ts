/**
 * Gives back GPU nodes that no live deployment needs: booting instances first, then empty
 * nodes, each cordoned, re-checked for pods, and terminated with the group's desired size
 * decremented. A node running any pod is never touched.
 */
import { gpuDemandOf } from '../adapters/deployment-repository';
import { describeNodeGroup, groupInstances, terminateInstance } from '../adapters/eks-node-groups';
import { cordonNode, instanceIdOf, isNodeReady, listNodes, podsOnNodes } from '../adapters/kubernetes';
import { logger } from '../commons/logger';
import { workflowTask, type TaskInput } from '../commons/workflow';
import { nodesNeeded, pickInstancesToRelease, type GroupMember } from '../domain/capacity';
import { findGpuConfig } from '../domain/catalog';
import { NODE_GROUP_LABEL } from '../domain/manifests';

const LIVE_STATES = new Set(['Pending', 'Pending:Wait', 'Pending:Proceed', 'InService']);

export const releaseIdleNodes = async (input: TaskInput) => {
  const config = findGpuConfig(input.deployment.gpu_config_id);
  if (!config) return { released: [] as string[] };
  const group = await describeNodeGroup(config.node_group.name);
  if (!group.autoScalingGroup) return { released: [] as string[] };
  const needed = nodesNeeded(await gpuDemandOf(config.config_id), config.gpus_per_node);
  const instances = (await groupInstances(group.autoScalingGroup)).filter((i) => LIVE_STATES.has(i.lifecycleState));
  const nodes = await listNodes(`${NODE_GROUP_LABEL}=${config.node_group.name}`);
  const nodeByInstance = new Map(nodes.map((n) => [instanceIdOf(n), n]));
  const pods = await podsOnNodes(nodes.map((n) => n.metadata?.name ?? ''));
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
    await terminateInstance(instanceId);
    released.push(instanceId);
  }
  return { released, needed };
};

export const handler = workflowTask('release-idle-nodes', releaseIdleNodes);
