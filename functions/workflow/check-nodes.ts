/**
 * Polls the node group until enough Ready, schedulable GPU nodes have joined.
 *
 * Launch failures are judged by Auto Scaling's scaling activities since this grow began, not
 * by the node group's health issues alone: EKS keeps an AsgInstanceLaunchFailures issue until
 * a later launch succeeds, so an issue left by an earlier failed deploy must not fail this one
 * (nor get its booting instance released). Capacity and quota failures are retried (Auto
 * Scaling keeps trying, in other AZs too) until the config's node deadline, then fail with a
 * classified reason. Each poll also re-plans: a desired size that fell below what is needed
 * (a racing release, a lost update) is grown again.
 */
import { elapsedSeconds, now } from '../adapters/clock';
import { updateDeployment } from '../adapters/deployment-records';
import { autoScalingGroupSize, describeNodeGroup, isNoChange, isNodeGroupBusy, scalingActivitiesSince, setDesiredSize, type NodeGroupState } from '../adapters/eks-node-groups';
import { listNodes } from '../adapters/kubernetes';
import { isNodeReady } from '../domain/kubernetes-objects';
import { logger } from '../commons/logger';
import { pollThroughTransientErrors } from '../commons/poll';
import { asSuperseded, workflowTask, type TaskInput } from '../commons/workflow';
import { findGpuConfig, type GpuConfig } from '../../contract/catalog';
import { DeploymentFailedError } from '../domain/errors';
import { NODE_GROUP_LABEL } from '../domain/manifests';
import { judgeLaunches, launchFailureVerdict } from '../domain/node-health';
import { planNextPoll, waitOrRetry } from '../domain/polling';
import { nodeProvisioning } from '../domain/startup';
import type { NodeWait } from './ensure-node-capacity';

/** Clock skew allowed between this function and Auto Scaling when comparing activity times. */
const SKEW_MS = 2000;

export const checkNodes = (input: TaskInput & { capacity: NodeWait }): Promise<NodeWait> =>
  pollThroughTransientErrors(input.capacity, () => checkNodesOnce(input));

const checkNodesOnce = async (input: TaskInput & { capacity: NodeWait }): Promise<NodeWait> => {
  const config = findGpuConfig(input.deployment.gpu_config_id);
  if (!config) throw new DeploymentFailedError('UnknownGpuConfig', `gpu config ${input.deployment.gpu_config_id} is not in the inventory`);
  const { expectedSeconds, deadlineSeconds } = nodeProvisioning(config);
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
  const elapsed = elapsedSeconds(input.capacity.started_at);
  const pastDeadline = elapsed > deadlineSeconds;
  if (group.autoScalingGroup) {
    await judgeThisGrow(group, config, input.capacity.started_at, pastDeadline);
    if (!pastDeadline) await regrowIfShort(group, input.capacity.needed);
  }
  if (pastDeadline) {
    throw new DeploymentFailedError(
      'NodeProvisioningTimeout',
      `only ${ready} of ${input.capacity.needed} GPU nodes of ${group.name} became ready within ${deadlineSeconds} s`,
    );
  }
  const wait = waitOrRetry(planNextPoll(elapsed, expectedSeconds), 'GPU nodes');
  return { ...input.capacity, ready: false, wait_seconds: wait };
};

/** Fails on a launch failure of this grow that will not pass, or on a retried one past the deadline. */
const judgeThisGrow = async (group: NodeGroupState, config: GpuConfig, startedAt: string, pastDeadline: boolean): Promise<void> => {
  const since = new Date(Date.parse(startedAt) - SKEW_MS);
  const verdict = judgeLaunches(await scalingActivitiesSince(group.autoScalingGroup ?? '', since));
  if (verdict.kind === 'fatal') {
    // The health issue that says the same as the failed activity; else the activity itself.
    const issue = group.healthIssues.find((i) => i.message.includes(verdict.message.slice(0, 40))) ?? group.healthIssues[0];
    throw new DeploymentFailedError('NodeGroupUnhealthy', `node group ${group.name} could not launch nodes: ${issue ? `${issue.code}: ${issue.message}` : verdict.message}`);
  }
  if (verdict.kind === 'retrying') {
    if (pastDeadline) {
      const { reason, message } = launchFailureVerdict(verdict.failure, config.instance_type, config.region, verdict.message);
      throw new DeploymentFailedError(reason, message);
    }
    logger.info('launch failed, Auto Scaling is retrying', { nodeGroup: group.name, failure: verdict.failure });
  } else if (group.healthIssues.length > 0) {
    logger.info('ignoring node group health issues older than this grow', { nodeGroup: group.name, codes: group.healthIssues.map((i) => i.code) });
  }
};

/** Re-plans against the ASG's own numbers: EKS's desiredSize can be stale after a decrement. */
const regrowIfShort = async (group: NodeGroupState, needed: number): Promise<void> => {
  const asg = await autoScalingGroupSize(group.autoScalingGroup ?? '');
  const desired = Math.min(group.desiredSize, asg?.desiredCapacity ?? group.desiredSize);
  if (desired >= needed || needed > group.maxSize) return;
  try {
    await setDesiredSize(group.name, needed);
    logger.info('node group desired size fell short; grew it again', { nodeGroup: group.name, from: desired, to: needed, live: asg?.liveInstances });
  } catch (error) {
    // Another update is in progress, or EKS already shows the size: the next poll looks again.
    if (!isNodeGroupBusy(error) && !isNoChange(error)) throw error;
  }
};

export const handler = workflowTask('check-nodes', checkNodes);
