/**
 * AWS-side faults: EC2 launch failures as Auto Scaling and EKS word them, Docker Hub's
 * anonymous pull limit, and the count / time-window limits any fault rule may carry so a
 * test can make "the first N launches" (or pulls) fail and then succeed.
 */
import * as z from 'zod';

/** Launch failures a node group's Auto Scaling group can suffer (besides the older kinds in faults.ts). */
export const LAUNCH_FAULTS = ['insufficient_capacity', 'vcpu_limit_exceeded', 'unsupported_instance_type'] as const;
/** Docker Hub answers `toomanyrequests` to anonymous pulls past its limit. */
export const PULL_LIMIT_FAULTS = ['docker_hub_rate_limit'] as const;

export type LaunchFault = (typeof LAUNCH_FAULTS)[number] | 'asg_launch_failure' | 'insufficient_free_addresses';

export const faultLimitsSchema = {
  /** The rule fires this many times (launch attempts or pulls), then is spent. */
  count: z.number().int().min(1).max(1000).optional(),
  /** The rule is in force for this many simulated seconds after it was added. */
  forSeconds: z.number().positive().max(7 * 86400).optional(),
};

export interface FaultLimits {
  count?: number;
  forSeconds?: number;
  /** How many times the rule has fired. */
  used?: number;
}

interface LimitedRule extends FaultLimits {
  createdAt: string;
}

/** Spent by count, or (given the clock and the time scale) past its window. */
export const isSpent = (rule: LimitedRule, now?: number, msPerSimSecond?: number): boolean => {
  if (rule.count !== undefined && (rule.used ?? 0) >= rule.count) return true;
  if (rule.forSeconds !== undefined && now !== undefined && msPerSimSecond !== undefined) {
    return now >= Date.parse(rule.createdAt) + rule.forSeconds * msPerSimSecond;
  }
  return false;
};

export const consume = (rule: FaultLimits): void => {
  rule.used = (rule.used ?? 0) + 1;
};

/**
 * Auto Scaling retries a failed launch with growing pauses. AWS does not publish the exact
 * schedule; the activity history of a group short of capacity shows retries about 10 s apart
 * at first, backing off to a few minutes. Simulated seconds.
 */
export const launchRetrySeconds = (failures: number): number => Math.min(300, 10 * 2 ** Math.max(0, failures - 1));

export interface LaunchFailure {
  /** The EKS health issue code. */
  issueCode: 'AsgInstanceLaunchFailures' | 'InsufficientFreeAddresses';
  /** The EC2 error as the scaling activity's StatusMessage words it. */
  statusMessage: string;
  /** The EKS health issue message. */
  issueMessage: string;
}

/**
 * The failure as AWS words it (EC2 Auto Scaling troubleshooting guide: "Troubleshoot
 * Amazon EC2 Auto Scaling: EC2 instance launch failures"), in the AZ that was tried.
 */
export const launchFailure = (fault: LaunchFault, instanceType: string, az: string, otherAzs: readonly string[]): LaunchFailure => {
  const others = otherAzs.join(', ');
  switch (fault) {
    case 'asg_launch_failure':
    case 'insufficient_capacity': {
      const text = `We currently do not have sufficient ${instanceType} capacity in the Availability Zone you requested (${az}). Our system will be working on provisioning additional capacity. You can currently get ${instanceType} capacity by not specifying an Availability Zone in your request or choosing ${others}. Launching EC2 instance failed.`;
      return { issueCode: 'AsgInstanceLaunchFailures', statusMessage: text, issueMessage: `Could not launch On-Demand Instances. InsufficientInstanceCapacity - ${text}` };
    }
    case 'vcpu_limit_exceeded': {
      const text =
        'You have requested more vCPU capacity than your current vCPU limit of 0 allows for the instance bucket that the specified instance type belongs to. Please visit http://aws.amazon.com/contact-us/ec2-request to request an adjustment to this limit. Launching EC2 instance failed.';
      return { issueCode: 'AsgInstanceLaunchFailures', statusMessage: text, issueMessage: `Could not launch On-Demand Instances. VcpuLimitExceeded - ${text}` };
    }
    case 'unsupported_instance_type': {
      const text = `Your requested instance type (${instanceType}) is not supported in your requested Availability Zone (${az}). Please retry your request by not specifying an Availability Zone or choosing ${others}. Launching EC2 instance failed.`;
      return { issueCode: 'AsgInstanceLaunchFailures', statusMessage: text, issueMessage: `Could not launch On-Demand Instances. Unsupported - ${text}` };
    }
    case 'insufficient_free_addresses': {
      const text = 'There are not enough free addresses in subnet to satisfy the requested number of instances. Launching EC2 instance failed.';
      return {
        issueCode: 'InsufficientFreeAddresses',
        statusMessage: text,
        issueMessage: 'One or more of the subnets associated with your node group does not have enough available IP addresses for new nodes.',
      };
    }
  }
};

/** Docker Hub's answer past the anonymous limit, as containerd passes it to the kubelet. */
export const dockerHubRateLimitMessage = (ref: string): string =>
  `failed to pull and unpack image "${ref}": failed to copy: httpReadSeeker: failed open: unexpected status code https://registry-1.docker.io/v2/${ref.replace(/^docker\.io\//, '').replace(/:[^/:]+$/, '')}/manifests/sha256:${'0'.repeat(8)}: 429 Too Many Requests - Server message: toomanyrequests: You have reached your unauthenticated pull rate limit. https://www.docker.com/increase-rate-limit`;

/** Only Docker Hub limits pulls; ECR (including a pull-through cache of Docker Hub) does not. */
export const isDockerHubRef = (qualifiedRef: string): boolean => qualifiedRef.startsWith('docker.io/') || qualifiedRef.startsWith('registry-1.docker.io/');
