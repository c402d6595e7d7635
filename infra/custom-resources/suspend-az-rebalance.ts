/**
 * Custom resource: suspends the AZRebalance process of the Auto Scaling group behind one EKS
 * managed node group. The control plane scales GPU groups in by terminating chosen empty
 * instances; AZRebalance would then "even out" the zones by launching elsewhere and terminating
 * a serving node (aws/containers-roadmap#1453). EKS does not expose the setting, so the stack
 * finds the group through DescribeNodegroup and suspends the process on it. Update re-applies
 * (the stack passes the launch template version, so every node group update re-suspends); Delete
 * resumes when the group still exists.
 */
import { ResumeProcessesCommand, SuspendProcessesCommand, AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { DescribeNodegroupCommand, EKSClient, ResourceNotFoundException } from '@aws-sdk/client-eks';
import { customResourceHandler, stringProperty, type CustomResourceEvent } from './cfn-response';

const eks = new EKSClient({ maxAttempts: 5 });
const autoscaling = new AutoScalingClient({ maxAttempts: 5 });
const PROCESSES = ['AZRebalance'];

const autoScalingGroupsOf = async (clusterName: string, nodegroupName: string): Promise<string[]> => {
  const { nodegroup } = await eks.send(new DescribeNodegroupCommand({ clusterName, nodegroupName }));
  return (nodegroup?.resources?.autoScalingGroups ?? []).flatMap((group) => (group.name ? [group.name] : []));
};

const apply = async (event: CustomResourceEvent) => {
  const clusterName = stringProperty(event, 'ClusterName');
  const nodegroupName = stringProperty(event, 'NodegroupName');
  const physicalResourceId = `${clusterName}/${nodegroupName}/AZRebalance`;
  if (event.RequestType === 'Delete') {
    if (event.PhysicalResourceId !== physicalResourceId) return { physicalResourceId: event.PhysicalResourceId ?? physicalResourceId };
    try {
      for (const name of await autoScalingGroupsOf(clusterName, nodegroupName)) {
        await autoscaling.send(new ResumeProcessesCommand({ AutoScalingGroupName: name, ScalingProcesses: PROCESSES }));
      }
    } catch (error) {
      // The node group went first (stack deletion or replacement): nothing left to resume.
      if (!(error instanceof ResourceNotFoundException)) throw error;
    }
    return { physicalResourceId };
  }
  const groups = await autoScalingGroupsOf(clusterName, nodegroupName);
  if (groups.length === 0) throw new Error(`Node group ${nodegroupName} of ${clusterName} has no Auto Scaling group yet`);
  for (const name of groups) {
    await autoscaling.send(new SuspendProcessesCommand({ AutoScalingGroupName: name, ScalingProcesses: PROCESSES }));
  }
  return { physicalResourceId, data: { AutoScalingGroupName: groups.join(',') } };
};

export const handler = customResourceHandler(apply);
