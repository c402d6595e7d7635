/**
 * Node groups: EKS managed node groups and their Auto Scaling groups (adapters/eks-node-groups.ts).
 * The AWS errors that are not failures become the port's outcomes here.
 */
import * as eks from '../adapters/eks-node-groups';
import type { NodeGroups } from '../ports';

/** The Auto Scaling group refuses a second termination: someone else released that instance. */
const alreadyReleased = (error: unknown): boolean =>
  error instanceof Error && error.name === 'ValidationError' && /Terminating state|not found/i.test(error.message);

export const nodeGroups: NodeGroups = {
  describe: eks.describeNodeGroup,
  setDesiredSize: async (name, desiredSize) => {
    try {
      await eks.setDesiredSize(name, desiredSize);
      return 'set';
    } catch (error) {
      if (eks.isNodeGroupBusy(error)) return 'busy';
      if (eks.isNoChange(error)) return 'unchanged';
      throw error;
    }
  },
  scalingActivitiesSince: eks.scalingActivitiesSince,
  instances: eks.groupInstances,
  size: eks.autoScalingGroupSize,
  terminateInstance: async (instanceId) => {
    try {
      await eks.terminateInstance(instanceId);
      return 'terminated';
    } catch (error) {
      if (alreadyReleased(error)) return 'already_released';
      throw error;
    }
  },
};
