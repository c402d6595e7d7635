/**
 * Grows the deployment's GPU node group to what all live deployments on it need.
 * Never shrinks it (release-idle-nodes does that, node by node).
 */
import { gpuDemandOf } from '../adapters/deployment-indexes';
import { now } from '../adapters/clock';
import { describeNodeGroup, isNoChange, isNodeGroupBusy, setDesiredSize } from '../adapters/eks-node-groups';
import { ownedDeployment, workflowTask, type TaskInput } from '../commons/workflow';
import { nodesNeeded, planNodeGroupGrowth } from '../domain/capacity';
import { findGpuConfig } from '../../contract/catalog';
import { DeploymentFailedError } from '../domain/errors';
import { MIN_POLL_SECONDS, NODE_GROUP_BUSY_WAIT_SECONDS, planNextPoll } from '../domain/polling';
import { nodeProvisioning } from '../domain/startup';

export interface NodeWait {
  needed: number;
  started_at: string;
  ready: boolean;
  wait_seconds: number;
  /** Consecutive polls that met a transient API error (commons/poll.ts). */
  transient_errors?: number;
}

export const ensureNodeCapacity = async (input: TaskInput): Promise<NodeWait> => {
  // Before the update: Auto Scaling may start launching before UpdateNodegroupConfig returns,
  // and check-nodes judges launch failures by the activities since this time.
  const startedAt = now().toISOString();
  const record = await ownedDeployment(input);
  const config = findGpuConfig(record.gpu_config_id);
  if (!config) throw new DeploymentFailedError('UnknownGpuConfig', `gpu config ${record.gpu_config_id} is no longer in the inventory`);
  // The index is eventually consistent: make sure this deployment counts with its current replicas.
  const others = (await gpuDemandOf(config.config_id)).filter((d) => d.id !== record.id);
  const needed = nodesNeeded([...others, { gpuCount: record.gpu_count, replicas: record.replicas }], config.gpus_per_node);
  const group = await describeNodeGroup(config.node_group.name);
  const plan = planNodeGroupGrowth(group, needed);
  if (plan.kind === 'exceeds_max') {
    throw new DeploymentFailedError(
      'InsufficientCapacity',
      `node group ${group.name} would need ${plan.needed} nodes of ${config.gpus_per_node} GPUs but may grow to ${plan.maxSize}`,
    );
  }
  if (plan.kind === 'grow') {
    try {
      await setDesiredSize(group.name, plan.to);
    } catch (error) {
      // The group is UPDATING (a concurrent deploy or release), or a concurrent deploy already
      // set this size: check-nodes re-plans and grows if still needed.
      if (!isNodeGroupBusy(error) && !isNoChange(error)) throw error;
      return { needed, started_at: startedAt, ready: false, wait_seconds: NODE_GROUP_BUSY_WAIT_SECONDS };
    }
  }
  return { needed, started_at: startedAt, ready: false, wait_seconds: growWait(plan.kind === 'grow', nodeProvisioning(config).expectedSeconds) };
};

/** After growing, the first check waits for the nodes' expected boot; otherwise check at once. */
const growWait = (grew: boolean, expectedSeconds: number): number => {
  const plan = planNextPoll(0, expectedSeconds);
  return grew && plan.kind === 'wait' ? plan.seconds : MIN_POLL_SECONDS;
};

export const handler = workflowTask('ensure-node-capacity', ensureNodeCapacity);
