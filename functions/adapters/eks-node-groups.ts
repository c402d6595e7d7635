/**
 * EKS managed node groups and their Auto Scaling groups. Growing sets the node group's
 * desired size; shrinking never lowers it blindly: it terminates chosen, empty instances
 * one by one (TerminateInstanceInAutoScalingGroup with decrement), so no serving pod is evicted.
 */
import {
  AutoScalingClient,
  DescribeAutoScalingGroupsCommand,
  DescribeScalingActivitiesCommand,
  TerminateInstanceInAutoScalingGroupCommand,
} from '@aws-sdk/client-auto-scaling';
import { DescribeClusterCommand, DescribeNodegroupCommand, EKSClient, UpdateNodegroupConfigCommand } from '@aws-sdk/client-eks';
import * as z from 'zod';
import { optionalUrl, readEnv } from '../commons/env';
import type { NodeGroupState, ScalingActivity, GroupInstance } from '../ports';
import { awsRetry } from '../commons/aws-retry';

export type { NodeGroupState, ScalingActivity, GroupInstance };

const env = readEnv({
  EKS_CLUSTER_NAME: z.string().min(1),
  EKS_ENDPOINT: optionalUrl,
  AUTOSCALING_ENDPOINT: optionalUrl,
});

export const clusterName = env.EKS_CLUSTER_NAME;
const eks = new EKSClient({ endpoint: env.EKS_ENDPOINT, ...awsRetry(5) });
const autoscaling = new AutoScalingClient({ endpoint: env.AUTOSCALING_ENDPOINT, ...awsRetry(5) });

export const describeNodeGroup = async (name: string): Promise<NodeGroupState> => {
  const { nodegroup } = await eks.send(new DescribeNodegroupCommand({ clusterName, nodegroupName: name }));
  return {
    name,
    status: nodegroup?.status ?? 'UNKNOWN',
    minSize: nodegroup?.scalingConfig?.minSize ?? 0,
    maxSize: nodegroup?.scalingConfig?.maxSize ?? 0,
    desiredSize: nodegroup?.scalingConfig?.desiredSize ?? 0,
    autoScalingGroup: nodegroup?.resources?.autoScalingGroups?.[0]?.name,
    healthIssues: (nodegroup?.health?.issues ?? []).map((i) => ({ code: String(i.code ?? 'Unknown'), message: i.message ?? '' })),
  };
};

export const setDesiredSize = async (name: string, desiredSize: number): Promise<void> => {
  await eks.send(new UpdateNodegroupConfigCommand({ clusterName, nodegroupName: name, scalingConfig: { desiredSize } }));
};

/** EKS refuses a config update while the group is UPDATING (409): wait and re-plan, it is not a failure. */
export const isNodeGroupBusy = (error: unknown): boolean => error instanceof Error && error.name === 'ResourceInUseException';

/** Another workflow set the same size between our read and our update: nothing to do. */
export const isNoChange = (error: unknown): boolean =>
  error instanceof Error && error.name === 'InvalidParameterException' && /No changes needed/.test(error.message);

/**
 * The group's scaling activities that started at or after `since`, newest first. Auto Scaling
 * lists newest first, so paging stops at the first older one (at most 5 pages of 100).
 */
export const scalingActivitiesSince = async (autoScalingGroup: string, since: Date): Promise<ScalingActivity[]> => {
  const found: ScalingActivity[] = [];
  let token: string | undefined;
  for (let pageNo = 0; pageNo < 5; pageNo += 1) {
    const { Activities, NextToken } = await autoscaling.send(
      new DescribeScalingActivitiesCommand({ AutoScalingGroupName: autoScalingGroup, MaxRecords: 100, NextToken: token }),
    );
    for (const a of Activities ?? []) {
      const startTime = a.StartTime ?? new Date(0);
      if (startTime < since) return found;
      found.push({ statusCode: String(a.StatusCode ?? ''), statusMessage: a.StatusMessage ?? '', description: a.Description ?? '', startTime });
    }
    token = NextToken;
    if (!token) break;
  }
  return found;
};

export const groupInstances = async (autoScalingGroup: string): Promise<GroupInstance[]> => {
  const { AutoScalingGroups } = await autoscaling.send(
    new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [autoScalingGroup] }),
  );
  return (AutoScalingGroups?.[0]?.Instances ?? []).map((i) => ({
    instanceId: i.InstanceId ?? '',
    lifecycleState: String(i.LifecycleState ?? ''),
  }));
};

/**
 * The Auto Scaling group's own desired capacity and the instances it has not started to
 * terminate: EKS's desiredSize can lag an ASG decrement, the ASG's numbers are the truth.
 */
export const autoScalingGroupSize = async (autoScalingGroup: string): Promise<{ desiredCapacity: number; liveInstances: number } | undefined> => {
  const { AutoScalingGroups } = await autoscaling.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [autoScalingGroup] }));
  const asg = AutoScalingGroups?.[0];
  if (!asg) return undefined;
  const live = (asg.Instances ?? []).filter((i) => !String(i.LifecycleState ?? '').startsWith('Terminat')).length;
  return { desiredCapacity: asg.DesiredCapacity ?? 0, liveInstances: live };
};

/** Terminates exactly this instance and lowers the group's desired size by one. */
export const terminateInstance = async (instanceId: string): Promise<void> => {
  await autoscaling.send(new TerminateInstanceInAutoScalingGroupCommand({ InstanceId: instanceId, ShouldDecrementDesiredCapacity: true }));
};

export const describeCluster = async () => {
  const { cluster } = await eks.send(new DescribeClusterCommand({ name: clusterName }));
  if (!cluster?.endpoint || !cluster.certificateAuthority?.data) throw new Error(`EKS cluster ${clusterName} has no endpoint yet`);
  return { endpoint: cluster.endpoint, caData: cluster.certificateAuthority.data, region: cluster.arn?.split(':')[3] };
};
