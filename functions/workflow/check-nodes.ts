/**
 * Polls the node group until enough Ready, schedulable GPU nodes have joined; fails with
 * the node group's health issue (e.g. AsgInstanceLaunchFailures), or after the
 * provisioning deadline.
 */
import { elapsedSeconds, now } from '../adapters/clock';
import { updateDeployment } from '../adapters/deployment-repository';
import { describeNodeGroup } from '../adapters/eks-node-groups';
import { isNodeReady, listNodes } from '../adapters/kubernetes';
import { asSuperseded, workflowTask, type TaskInput } from '../commons/workflow';
import { findGpuConfig } from '../domain/catalog';
import { DeploymentFailedError } from '../domain/errors';
import { NODE_GROUP_LABEL } from '../domain/manifests';
import { planNextPoll, waitOrRetry } from '../domain/polling';
import { EXPECTED_NODE_SECONDS, NODE_DEADLINE_SECONDS } from '../domain/startup';
import type { NodeWait } from './ensure-node-capacity';

export const checkNodes = async (input: TaskInput & { capacity: NodeWait }): Promise<NodeWait> => {
  const config = findGpuConfig(input.deployment.gpu_config_id);
  if (!config) throw new DeploymentFailedError('UnknownGpuConfig', `gpu config ${input.deployment.gpu_config_id} is not in the inventory`);
  const group = await describeNodeGroup(config.node_group.name);
  const nodes = await listNodes(`${NODE_GROUP_LABEL}=${config.node_group.name}`);
  const ready = nodes.filter((n) => isNodeReady(n) && n.spec?.unschedulable !== true).length;
  if (ready >= input.capacity.needed) {
    await updateDeployment(input.deployment, input.deployment.id, {}, { executionArn: input.execution }, {
      now: now(),
      milestones: ['nodes_ready'],
    }).catch(asSuperseded);
    return { ...input.capacity, ready: true, wait_seconds: 0 };
  }
  const issue = group.healthIssues[0];
  if (issue) throw new DeploymentFailedError('NodeGroupUnhealthy', `node group ${group.name} reports ${issue.code}: ${issue.message}`);
  const elapsed = elapsedSeconds(input.capacity.started_at);
  if (elapsed > NODE_DEADLINE_SECONDS) {
    throw new DeploymentFailedError(
      'NodeProvisioningTimeout',
      `only ${ready} of ${input.capacity.needed} GPU nodes of ${group.name} became ready within ${NODE_DEADLINE_SECONDS} s`,
    );
  }
  const wait = waitOrRetry(planNextPoll(elapsed, EXPECTED_NODE_SECONDS), 'GPU nodes');
  return { ...input.capacity, ready: false, wait_seconds: wait };
};

export const handler = workflowTask('check-nodes', checkNodes);
