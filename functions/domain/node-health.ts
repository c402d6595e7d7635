/**
 * Judges a node group's launch failures for one grow. Pure.
 *
 * EKS health issues carry no time and stay until a later launch succeeds (scaling to 0 does
 * not clear them: aws/containers-roadmap#2326), so an issue says nothing about this grow on its
 * own. Auto Scaling's scaling activities do carry times: only launches that failed since the
 * grow started count. Capacity (ICE), AZ-offering and vCPU-quota failures are what Auto Scaling
 * retries (in another AZ too) and what may clear within minutes, so they are retried until the
 * node-provisioning deadline; anything else that failed since the grow fails the deploy at once.
 */
export interface ActivityView {
  statusCode: string;
  statusMessage: string;
  description: string;
}

export type LaunchFailureKind = 'capacity' | 'quota' | 'unsupported_az' | 'other';

export type LaunchJudgement =
  | { kind: 'none' }
  | { kind: 'retrying'; failure: Exclude<LaunchFailureKind, 'other'>; message: string }
  | { kind: 'fatal'; message: string };

const isLaunch = (a: ActivityView): boolean => a.description.startsWith('Launching a new EC2 instance');

export const launchFailureKind = (message: string): LaunchFailureKind => {
  if (/InsufficientInstanceCapacity|do not have sufficient .* capacity/i.test(message)) return 'capacity';
  if (/VcpuLimitExceeded|vCPU (capacity|limit)|InstanceLimitExceeded/i.test(message)) return 'quota';
  if (/is not supported in your requested Availability Zone|Unsupported/i.test(message)) return 'unsupported_az';
  return 'other';
};

/** `activities` are this grow's only (started since it), newest first. */
export const judgeLaunches = (activities: readonly ActivityView[]): LaunchJudgement => {
  const launches = activities.filter(isLaunch);
  const latest = launches[0];
  // A launch that succeeded after the failures means Auto Scaling found capacity.
  if (!latest || latest.statusCode !== 'Failed') return { kind: 'none' };
  const kind = launchFailureKind(latest.statusMessage || latest.description);
  if (kind === 'other') return { kind: 'fatal', message: latest.statusMessage || latest.description };
  return { kind: 'retrying', failure: kind, message: latest.statusMessage || latest.description };
};

/** The vCPU quota an instance type launches under (Service Quotas, EC2 On-Demand). */
export const vcpuQuotaFor = (instanceType: string): { code: string; name: string } => {
  const family = instanceType.split('.')[0] ?? '';
  if (family.startsWith('p')) return { code: 'L-417A185B', name: 'Running On-Demand P instances' };
  return { code: 'L-DB2E81BA', name: 'Running On-Demand G and VT instances' };
};

/** The classified reason and a message a person can act on, when the deadline passes. */
export const launchFailureVerdict = (
  failure: Exclude<LaunchFailureKind, 'other'>,
  instanceType: string,
  region: string,
  detail: string,
): { reason: string; message: string } => {
  if (failure === 'quota') {
    const quota = vcpuQuotaFor(instanceType);
    return {
      reason: 'VcpuQuotaExceeded',
      message:
        `the account's EC2 vCPU quota "${quota.name}" (${quota.code}) in ${region} is too low to launch ${instanceType}; raise it with ` +
        `\`aws service-quotas request-service-quota-increase --service-code ec2 --quota-code ${quota.code} --desired-value <vCPUs> --region ${region}\` ` +
        `and deploy again. AWS said: ${detail}`,
    };
  }
  if (failure === 'unsupported_az') {
    return { reason: 'InstanceTypeNotOffered', message: `${instanceType} is not offered in the node group's Availability Zones. AWS said: ${detail}` };
  }
  return {
    reason: 'InsufficientInstanceCapacity',
    message: `AWS had no ${instanceType} capacity in ${region} for the node group's Availability Zones until the deadline; try again later, or use a capacity reservation. AWS said: ${detail}`,
  };
};
