/**
 * Node capacity for a deployment: grow its GPU node group to what all live deployments on it
 * need (never shrink it: releasing nodes is use-cases/release-nodes.ts, node by node), then
 * poll until enough Ready, schedulable GPU nodes have joined.
 *
 * Launch failures are judged by Auto Scaling's scaling activities since this grow began, not
 * by the node group's health issues alone: EKS keeps an AsgInstanceLaunchFailures issue until
 * a later launch succeeds, so an issue left by an earlier failed deploy must not fail this one
 * (nor get its booting instance released). Capacity and quota failures are retried (Auto
 * Scaling keeps trying, in other AZs too) until the config's node deadline, then fail with a
 * classified reason. Each poll also re-plans: a desired size that fell below what is needed
 * (a racing release, a lost update) is grown again.
 */
import { findGpuConfig, type GpuConfig } from '../../../contract/catalog';
import { logger } from '../../commons/logger';
import { pollThroughTransientErrors } from '../../commons/poll';
import { nodesNeeded, planNodeGroupGrowth } from '../../domain/capacity';
import { DeploymentFailedError } from '../../domain/errors';
import { NODE_GROUP_LABEL } from '../../domain/manifests';
import { isNodeReady } from '../../domain/kubernetes-objects';
import { judgeLaunches, launchFailureVerdict } from '../../domain/node-health';
import { MIN_POLL_SECONDS, NODE_GROUP_BUSY_WAIT_SECONDS, planNextPoll, waitOrRetry } from '../../domain/polling';
import { nodeProvisioning } from '../../domain/startup';
import type { NodeGroupState, Ports } from '../../ports';
import { asSuperseded, ownedDeployment } from '../ownership';
import type { NodeWait, TaskInput } from '../../../contract/execution-state';

/** Clock skew allowed between this function and Auto Scaling when comparing activity times. */
const SKEW_MS = 2000;

export const ensureNodeCapacity = async (ports: Pick<Ports, 'deployments' | 'nodeGroups' | 'clock'>, input: TaskInput): Promise<NodeWait> => {
  // Before the update: Auto Scaling may start launching before UpdateNodegroupConfig returns,
  // and checkNodes judges launch failures by the activities since this time.
  const startedAt = ports.clock.now().toISOString();
  const record = await ownedDeployment(ports, input);
  const config = findGpuConfig(record.gpu_config_id);
  if (!config) throw new DeploymentFailedError('UnknownGpuConfig', `gpu config ${record.gpu_config_id} is no longer in the inventory`);
  // The index is eventually consistent: make sure this deployment counts with its current replicas.
  const others = (await ports.deployments.gpuDemandOf(config.config_id)).filter((d) => d.id !== record.id);
  const needed = nodesNeeded([...others, { gpuCount: record.gpu_count, replicas: record.replicas }], config.gpus_per_node);
  const group = await ports.nodeGroups.describe(config.node_group.name);
  const plan = planNodeGroupGrowth(group, needed);
  if (plan.kind === 'exceeds_max') {
    throw new DeploymentFailedError(
      'InsufficientCapacity',
      `node group ${group.name} would need ${plan.needed} nodes of ${config.gpus_per_node} GPUs but may grow to ${plan.maxSize}`,
    );
  }
  // Busy (the group is UPDATING: a concurrent deploy or release) or unchanged (a concurrent
  // deploy already set this size): checkNodes re-plans and grows if still needed.
  if (plan.kind === 'grow' && (await ports.nodeGroups.setDesiredSize(group.name, plan.to)) !== 'set') {
    return { needed, started_at: startedAt, ready: false, wait_seconds: NODE_GROUP_BUSY_WAIT_SECONDS };
  }
  return { needed, started_at: startedAt, ready: false, wait_seconds: growWait(plan.kind === 'grow', nodeProvisioning(config).expectedSeconds) };
};

/** After growing, the first check waits for the nodes' expected boot; otherwise check at once. */
const growWait = (grew: boolean, expectedSeconds: number): number => {
  const plan = planNextPoll(0, expectedSeconds);
  return grew && plan.kind === 'wait' ? plan.seconds : MIN_POLL_SECONDS;
};

type CheckPorts = Pick<Ports, 'deployments' | 'nodeGroups' | 'cluster' | 'clock' | 'transientErrors'>;

export const checkNodes = (ports: CheckPorts, input: TaskInput & { capacity: NodeWait }): Promise<NodeWait> =>
  pollThroughTransientErrors(input.capacity, () => checkNodesOnce(ports, input), ports.transientErrors.isTransient);

const checkNodesOnce = async (ports: CheckPorts, input: TaskInput & { capacity: NodeWait }): Promise<NodeWait> => {
  const { clock } = ports;
  const config = findGpuConfig(input.deployment.gpu_config_id);
  if (!config) throw new DeploymentFailedError('UnknownGpuConfig', `gpu config ${input.deployment.gpu_config_id} is not in the inventory`);
  const { expectedSeconds, deadlineSeconds } = nodeProvisioning(config);
  const group = await ports.nodeGroups.describe(config.node_group.name);
  const nodes = await ports.cluster.listNodes(`${NODE_GROUP_LABEL}=${config.node_group.name}`);
  const ready = nodes.filter((n) => isNodeReady(n) && n.spec?.unschedulable !== true).length;
  if (ready >= input.capacity.needed) {
    await ports.deployments
      .update(input.deployment, input.deployment.id, {}, { executionArn: input.execution }, { now: clock.now(), milestones: ['nodes_ready'] })
      .catch(asSuperseded);
    return { ...input.capacity, ready: true, wait_seconds: 0 };
  }
  const elapsed = clock.elapsedSeconds(input.capacity.started_at);
  const pastDeadline = elapsed > deadlineSeconds;
  if (group.autoScalingGroup) {
    await judgeThisGrow(ports, group, config, input.capacity.started_at, pastDeadline);
    if (!pastDeadline) await regrowIfShort(ports, group, input.capacity.needed);
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
const judgeThisGrow = async (ports: CheckPorts, group: NodeGroupState, config: GpuConfig, startedAt: string, pastDeadline: boolean): Promise<void> => {
  const since = new Date(Date.parse(startedAt) - SKEW_MS);
  const verdict = judgeLaunches(await ports.nodeGroups.scalingActivitiesSince(group.autoScalingGroup ?? '', since));
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
const regrowIfShort = async (ports: CheckPorts, group: NodeGroupState, needed: number): Promise<void> => {
  const asg = await ports.nodeGroups.size(group.autoScalingGroup ?? '');
  const desired = Math.min(group.desiredSize, asg?.desiredCapacity ?? group.desiredSize);
  if (desired >= needed || needed > group.maxSize) return;
  // Busy or already that size: the next poll looks again.
  if ((await ports.nodeGroups.setDesiredSize(group.name, needed)) === 'set') {
    logger.info('node group desired size fell short; grew it again', { nodeGroup: group.name, from: desired, to: needed, live: asg?.liveInstances });
  }
};
