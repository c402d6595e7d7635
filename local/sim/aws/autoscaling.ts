// Just over 300 lines: one handler per Auto Scaling query Action, sharing the XML and paging helpers.
/**
 * EC2 Auto Scaling over the AWS query protocol, as @aws-sdk/client-auto-scaling sends it:
 * `POST /` with `application/x-www-form-urlencoded` body `Action=…&Version=2011-01-01&…`
 * (lists as `Name.member.N`), answered with XML `<ActionResponse><ActionResult>…`, errors as
 * `<ErrorResponse><Error><Type/><Code/><Message/></Error>`.
 */
import type { SimRequest, SimResponse } from '../http.js';
import { nowIso, requestId, seededUuid, uuid } from '../ids.js';
import { activeInstances, setDesiredSize, terminateInstance } from './nodegroups.js';
import type { InstanceState, NodeGroupState } from './state.js';
import type { SimContext } from '../context.js';
import { document, type XmlValue } from './xml.js';
import { BadLimit, BadToken, page, type Page } from './paging.js';

const NAMESPACE = 'http://autoscaling.amazonaws.com/doc/2011-01-01/';
const ACCOUNT = '000000000000';

class QueryError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

const xmlResponse = (status: number, body: string): SimResponse => ({ status, headers: { 'content-type': 'text/xml', 'x-amzn-requestid': requestId() }, body });

const success = (action: string, result: Record<string, XmlValue> | undefined): SimResponse =>
  xmlResponse(
    200,
    document(`${action}Response`, NAMESPACE, {
      ...(result ? { [`${action}Result`]: result } : {}),
      ResponseMetadata: { RequestId: requestId() },
    }),
  );

const failure = (error: QueryError): SimResponse =>
  xmlResponse(
    error.status,
    document('ErrorResponse', NAMESPACE, {
      Error: { Type: error.status >= 500 ? 'Receiver' : 'Sender', Code: error.code, Message: error.message },
      RequestId: requestId(),
    }),
  );

/** `Prefix.member.1`, `Prefix.member.2`, … in order. */
const members = (params: URLSearchParams, prefix: string): string[] => {
  const found: [number, string][] = [];
  for (const [key, value] of params) {
    const match = new RegExp(`^${prefix.replace(/\./g, '\\.')}\\.member\\.(\\d+)$`).exec(key);
    if (match) found.push([Number(match[1]), value]);
  }
  return found.sort((a, b) => a[0] - b[0]).map(([, value]) => value);
};

const required = (params: URLSearchParams, name: string, member: string): string => {
  const value = params.get(name);
  if (value === null || value === '') {
    throw new QueryError('ValidationError', `1 validation error detected: Value null at '${member}' failed to satisfy constraint: Member must not be null`);
  }
  return value;
};

const integer = (params: URLSearchParams, name: string, member: string): number => {
  const raw = required(params, name, member);
  const value = Number(raw);
  if (!Number.isInteger(value)) throw new QueryError('ValidationError', `Value ${raw} for parameter ${name} is invalid.`);
  return value;
};

const optionalInteger = (params: URLSearchParams, name: string, member: string): number | undefined =>
  params.get(name) === null ? undefined : integer(params, name, member);

const groupByAsgName = (world: SimContext, asgName: string): NodeGroupState | undefined =>
  Object.values(world.state.nodeGroups).find((g) => g.asgName === asgName);

const launchTemplate = (group: NodeGroupState): XmlValue => ({
  LaunchTemplateId: `lt-0${group.asgName.replace(/[^0-9a-f]/g, '').slice(0, 16)}`,
  LaunchTemplateName: `eks-${group.asgName.slice(4)}`,
  Version: '1',
});

const groupTags = (world: SimContext, group: NodeGroupState): { Key: string; Value: string }[] => [
  { Key: 'eks:cluster-name', Value: world.state.clusterName },
  { Key: 'eks:nodegroup-name', Value: group.name },
  { Key: `k8s.io/cluster-autoscaler/${world.state.clusterName}`, Value: 'owned' },
  { Key: 'k8s.io/cluster-autoscaler/enabled', Value: 'true' },
  { Key: `kubernetes.io/cluster/${world.state.clusterName}`, Value: 'owned' },
];

const instanceXml = (instance: InstanceState, group: NodeGroupState, withGroupName: boolean): XmlValue => ({
  InstanceId: instance.instanceId,
  InstanceType: group.config.instanceType,
  ...(withGroupName ? { AutoScalingGroupName: group.asgName } : {}),
  AvailabilityZone: instance.availabilityZone,
  LifecycleState: instance.lifecycle,
  HealthStatus: withGroupName ? 'HEALTHY' : 'Healthy',
  LaunchTemplate: launchTemplate(group),
  ProtectedFromScaleIn: false,
});

const groupXml = (world: SimContext, group: NodeGroupState): XmlValue => ({
  AutoScalingGroupName: group.asgName,
  AutoScalingGroupARN: `arn:aws:autoscaling:${world.state.region}:${ACCOUNT}:autoScalingGroup:${seededUuid(group.asgName)}:autoScalingGroupName/${group.asgName}`,
  LaunchTemplate: launchTemplate(group),
  MinSize: group.minSize,
  MaxSize: group.maxSize,
  DesiredCapacity: group.desiredSize,
  DefaultCooldown: 300,
  AvailabilityZones: ['a', 'b', 'c'].map((z) => `${world.state.region}${z}`),
  LoadBalancerNames: [],
  TargetGroupARNs: [],
  HealthCheckType: 'EC2',
  HealthCheckGracePeriod: 15,
  Instances: world.instancesOf(group.name).map((i) => instanceXml(i, group, false)),
  CreatedTime: nowIso(group.createdAt),
  SuspendedProcesses: (group.suspendedProcesses ?? []).map((name) => ({ ProcessName: name, SuspensionReason: 'User suspended' })),
  VPCZoneIdentifier: group.subnets.join(','),
  EnabledMetrics: [],
  Tags: groupTags(world, group).map((t) => ({ ResourceId: group.asgName, ResourceType: 'auto-scaling-group', Key: t.Key, Value: t.Value, PropagateAtLaunch: true })),
  // The simulator's blind scale-in removes the newest instances; say so.
  TerminationPolicies: ['NewestInstance'],
  NewInstancesProtectedFromScaleIn: false,
  ServiceLinkedRoleARN: `arn:aws:iam::${ACCOUNT}:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling`,
  CapacityRebalance: false,
  TrafficSources: [],
});

const matchesFilters = (world: SimContext, group: NodeGroupState, params: URLSearchParams): boolean => {
  for (let n = 1; params.has(`Filters.member.${n}.Name`); n += 1) {
    const name = params.get(`Filters.member.${n}.Name`) ?? '';
    const values = members(params, `Filters.member.${n}.Values`);
    const tags = groupTags(world, group);
    const ok =
      name === 'tag-key'
        ? tags.some((t) => values.includes(t.Key))
        : name === 'tag-value'
          ? tags.some((t) => values.includes(t.Value))
          : name.startsWith('tag:')
            ? tags.some((t) => t.Key === name.slice(4) && values.includes(t.Value))
            : true;
    if (!ok) return false;
  }
  return true;
};

const activityXml = (group: NodeGroupState, a: NodeGroupState['activities'][number]): XmlValue => ({
  ActivityId: a.activityId,
  AutoScalingGroupName: group.asgName,
  Description: a.description,
  Cause: a.cause,
  StartTime: nowIso(a.startTime),
  ...(a.endTime !== undefined ? { EndTime: nowIso(a.endTime) } : {}),
  StatusCode: a.statusCode,
  ...(a.statusMessage ? { StatusMessage: a.statusMessage } : {}),
  Progress: a.progress,
  Details: JSON.stringify({ 'Subnet ID': a.subnetId ?? group.subnets[0], ...(a.availabilityZone ? { 'Availability Zone': a.availabilityZone } : {}) }),
});

const checkRange = (min: number, max: number, desired: number): void => {
  if (min > max) throw new QueryError('ValidationError', `Max bound, ${max}, must be greater than or equal to min bound, ${min}`);
  if (desired < min || desired > max) {
    throw new QueryError('ValidationError', `Desired capacity:${desired} must be between the specified min size:${min} and max size:${max}`);
  }
};

type Handler = (world: SimContext, params: URLSearchParams) => SimResponse;

/** The processes SuspendProcesses and ResumeProcesses accept (Auto Scaling user guide, "Suspend and resume processes"). */
const SCALING_PROCESSES = ['Launch', 'Terminate', 'AddToLoadBalancer', 'AlarmNotification', 'AZRebalance', 'HealthCheck', 'InstanceRefresh', 'ReplaceUnhealthy', 'ScheduledActions'];

/** The group and the processes a Suspend/ResumeProcesses names; none named means all of them. */
const processesOf = (world: SimContext, params: URLSearchParams): { group: NodeGroupState; processes: string[] } => {
  const name = required(params, 'AutoScalingGroupName', 'autoScalingGroupName');
  const group = groupByAsgName(world, name);
  if (!group) throw new QueryError('ValidationError', `AutoScalingGroup name not found - AutoScalingGroup '${name}' not found`);
  const named = members(params, 'ScalingProcesses');
  const unknown = named.find((p) => !SCALING_PROCESSES.includes(p));
  if (unknown) throw new QueryError('ValidationError', `Unknown process name: ${unknown}`);
  return { group, processes: named.length === 0 ? SCALING_PROCESSES : named };
};

/** MaxRecords/NextToken as the Auto Scaling API reference bounds them per operation. */
const pageOf = <T>(items: readonly T[], params: URLSearchParams, action: string, max: number, fallback: number): Page<T> => {
  try {
    return page(items, action, params.get('MaxRecords'), params.get('NextToken'), { min: 1, max, default: fallback });
  } catch (error) {
    if (error instanceof BadLimit) {
      throw new QueryError('ValidationError', `1 validation error detected: Value '${error.message}' at 'maxRecords' failed to satisfy constraint: Member must have value ${Number(error.message) < 1 ? 'greater than or equal to 1' : `less than or equal to ${max}`}`);
    }
    if (error instanceof BadToken) throw new QueryError('InvalidNextToken', 'The token is invalid.');
    throw error;
  }
};

const ACTIONS: Record<string, Handler> = {
  DescribeAutoScalingGroups(world, params) {
    const names = members(params, 'AutoScalingGroupNames');
    const groups = Object.values(world.state.nodeGroups).filter(
      (g) => (names.length === 0 || names.includes(g.asgName)) && matchesFilters(world, g, params),
    );
    const result = pageOf(groups, params, 'DescribeAutoScalingGroups', 100, 50);
    return success('DescribeAutoScalingGroups', { AutoScalingGroups: result.items.map((g) => groupXml(world, g)), NextToken: result.nextToken });
  },

  DescribeAutoScalingInstances(world, params) {
    const ids = members(params, 'InstanceIds');
    const found = Object.values(world.state.instances)
      .filter((i) => (ids.length === 0 || ids.includes(i.instanceId)) && world.nodeGroup(i.group))
      .sort((a, b) => a.instanceId.localeCompare(b.instanceId));
    const result = pageOf(found, params, 'DescribeAutoScalingInstances', 50, 50);
    return success('DescribeAutoScalingInstances', {
      AutoScalingInstances: result.items.flatMap((i) => {
        const group = world.nodeGroup(i.group);
        return group ? [instanceXml(i, group, true)] : [];
      }),
      NextToken: result.nextToken,
    });
  },

  DescribeScalingActivities(world, params) {
    const name = params.get('AutoScalingGroupName');
    const ids = members(params, 'ActivityIds');
    const groups = Object.values(world.state.nodeGroups).filter((g) => !name || g.asgName === name);
    // Newest first, as Auto Scaling lists them.
    const all = groups
      .flatMap((g) => g.activities.map((a) => ({ g, a })))
      .filter(({ a }) => ids.length === 0 || ids.includes(a.activityId))
      .sort((x, y) => y.a.startTime - x.a.startTime);
    const result = pageOf(all, params, `DescribeScalingActivities/${name ?? ''}`, 100, 100);
    return success('DescribeScalingActivities', { Activities: result.items.map(({ g, a }) => activityXml(g, a)), NextToken: result.nextToken });
  },

  SetDesiredCapacity(world, params) {
    const name = required(params, 'AutoScalingGroupName', 'autoScalingGroupName');
    const desired = integer(params, 'DesiredCapacity', 'desiredCapacity');
    const group = groupByAsgName(world, name);
    if (!group) throw new QueryError('ValidationError', `AutoScalingGroup name not found - AutoScalingGroup '${name}' not found`);
    if (desired > group.maxSize) throw new QueryError('ValidationError', `New SetDesiredCapacity value ${desired} is above max value ${group.maxSize} for the AutoScalingGroup.`);
    if (desired < group.minSize) throw new QueryError('ValidationError', `New SetDesiredCapacity value ${desired} is below min value ${group.minSize} for the AutoScalingGroup.`);
    setDesiredSize(world, group, desired);
    world.reconcile();
    return success('SetDesiredCapacity', undefined);
  },

  UpdateAutoScalingGroup(world, params) {
    const name = required(params, 'AutoScalingGroupName', 'autoScalingGroupName');
    const group = groupByAsgName(world, name);
    if (!group) throw new QueryError('ValidationError', `AutoScalingGroup name not found - AutoScalingGroup '${name}' not found`);
    const min = optionalInteger(params, 'MinSize', 'minSize') ?? group.minSize;
    const max = optionalInteger(params, 'MaxSize', 'maxSize') ?? group.maxSize;
    const desired = optionalInteger(params, 'DesiredCapacity', 'desiredCapacity') ?? Math.min(max, Math.max(min, group.desiredSize));
    checkRange(min, max, desired);
    group.minSize = min;
    group.maxSize = max;
    setDesiredSize(world, group, desired);
    world.touch();
    world.reconcile();
    return success('UpdateAutoScalingGroup', undefined);
  },

  SuspendProcesses(world, params) {
    const { group, processes } = processesOf(world, params);
    group.suspendedProcesses = [...new Set([...(group.suspendedProcesses ?? []), ...processes])];
    world.touch();
    return success('SuspendProcesses', undefined);
  },

  ResumeProcesses(world, params) {
    const { group, processes } = processesOf(world, params);
    group.suspendedProcesses = (group.suspendedProcesses ?? []).filter((p) => !processes.includes(p));
    world.touch();
    return success('ResumeProcesses', undefined);
  },

  TerminateInstanceInAutoScalingGroup(world, params) {
    const id = required(params, 'InstanceId', 'instanceId');
    const decrementRaw = required(params, 'ShouldDecrementDesiredCapacity', 'shouldDecrementDesiredCapacity');
    const decrement = decrementRaw === 'true';
    const instance = world.state.instances[id];
    const group = instance ? world.nodeGroup(instance.group) : undefined;
    if (!instance || !group) throw new QueryError('ValidationError', `Instance Id not found - No managed instance found for instance ID: ${id}`);
    if (instance.lifecycle === 'Terminating') {
      throw new QueryError('ValidationError', `The instance ${id} is already in Terminating state.`);
    }
    const before = activeInstances(world, group.name).length;
    if (decrement && group.desiredSize - 1 < group.minSize) {
      throw new QueryError(
        'ValidationError',
        `Currently, desiredSize equals minSize (${group.minSize}). Terminating instance without replacement will violate group's min size constraint. Either set shouldDecrementDesiredCapacity flag to false or lower group's min size.`,
      );
    }
    const now = world.now();
    const after = decrement ? group.desiredSize - 1 : group.desiredSize;
    const cause = decrement
      ? `At ${nowIso(now)} instance ${id} was taken out of service in response to a user request, shrinking the capacity from ${before} to ${after}.`
      : `At ${nowIso(now)} instance ${id} was taken out of service in response to a user request.`;
    if (decrement) setDesiredSize(world, group, after);
    terminateInstance(world, instance, now, cause);
    const activity = group.activities.find((a) => a.description.endsWith(id));
    world.reconcile();
    return success('TerminateInstanceInAutoScalingGroup', {
      Activity: {
        ActivityId: activity?.activityId ?? uuid(),
        AutoScalingGroupName: group.asgName,
        Description: `Terminating EC2 instance: ${id}`,
        Cause: cause,
        StartTime: nowIso(now),
        StatusCode: 'InProgress',
        Progress: 0,
        Details: JSON.stringify({ 'Subnet ID': instance.subnetId, 'Availability Zone': instance.availabilityZone }),
      },
    });
  },
};

export const handleAutoScaling = (world: SimContext, req: SimRequest): SimResponse => {
  const params = new URLSearchParams(req.body.toString('utf8'));
  const action = params.get('Action') ?? '';
  const handler = ACTIONS[action];
  try {
    if (!handler) throw new QueryError('InvalidAction', `The action ${action || '(none)'} is not valid for this web service.`);
    return handler(world, params);
  } catch (error) {
    if (error instanceof QueryError) return failure(error);
    throw error;
  }
};
