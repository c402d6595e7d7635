/** The AWS side's slice of the simulator state: node groups (EKS + their Auto Scaling groups) and EC2 instances. */
import type { SimNodeGroupConfig, SimTaint } from '../config.js';

export interface HealthIssue {
  code: string;
  message: string;
  resourceIds: string[];
}

export interface NodegroupUpdate {
  id: string;
  type: 'ConfigUpdate';
  status: 'InProgress' | 'Successful' | 'Failed';
  params: { type: string; value: string }[];
  createdAt: number;
  completesAt: number;
  errors: { errorCode: string; errorMessage: string; resourceIds: string[] }[];
  clientRequestToken?: string;
}

export interface ScalingActivity {
  activityId: string;
  description: string;
  cause: string;
  startTime: number;
  endTime?: number;
  statusCode: 'InProgress' | 'Successful' | 'Failed';
  statusMessage?: string;
  progress: number;
  /** Where the launch was tried (the activity's Details). */
  subnetId?: string;
  availabilityZone?: string;
}

export interface NodeGroupState {
  name: string;
  config: SimNodeGroupConfig;
  asgName: string;
  createdAt: number;
  modifiedAt: number;
  minSize: number;
  maxSize: number;
  /** The single source of truth: EKS desiredSize and ASG DesiredCapacity are both this number. */
  desiredSize: number;
  labels: Record<string, string>;
  taints: SimTaint[];
  subnets: string[];
  healthIssues: HealthIssue[];
  updates: NodegroupUpdate[];
  activities: ScalingActivity[];
  /** Consecutive failed launch attempts, and when the ASG tries again (its retry back-off). */
  launchFailures?: number;
  nextLaunchAt?: number;
  /** Auto Scaling processes suspended on the ASG (SuspendProcesses); recorded only, none changes the simulated scaling. */
  suspendedProcesses?: string[];
}

export type InstanceLifecycle = 'Pending' | 'InService' | 'Terminating';

export interface InstanceState {
  instanceId: string;
  group: string;
  availabilityZone: string;
  subnetId: string;
  privateIp: string;
  nodeName: string;
  launchedAt: number;
  /** When the node has booted and registers Ready. */
  bootedAt: number;
  lifecycle: InstanceLifecycle;
  terminatingSince?: number;
  /** When the instance is gone, with its Node and pods. */
  goneAt?: number;
  /** Images already pulled on this node (second pulls are instant). */
  images: string[];
}
