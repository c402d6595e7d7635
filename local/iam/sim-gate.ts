/**
 * IAM and injected throttling in front of the simulator's EKS (REST-JSON) and Auto Scaling
 * (Query/XML) APIs: the request is mapped to its IAM action and resource (Service Authorization
 * Reference: EKS clusters and node groups; Auto Scaling groups with autoscaling:ResourceTag/…,
 * the Describe* actions on "*"), and a refusal is answered in that service's own error shape.
 */
import type { LocalFaults } from '../faults';
import { callerOf } from '../identity';
import type { SimRequest, SimResponse } from '../sim/http';
import { requestId, seededUuid } from '../sim/ids';
import type { AwsGate } from '../sim/server/server';
import type { World } from '../sim/runtime/world';
import { document } from '../sim/aws/xml';
import type { LocalAuthorizer } from './authorizer';
import type { AuthorizationRequest } from './evaluate';

const ASG_NAMESPACE = 'http://autoscaling.amazonaws.com/doc/2011-01-01/';
const ACCOUNT = '000000000000';

const eksRequest = (world: World, req: SimRequest): { operation: string; request: AuthorizationRequest } | undefined => {
  const [, cluster = '', collection, item, action] = req.url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
  const { region } = world.state;
  const clusterArn = `arn:aws:eks:${region}:${ACCOUNT}:cluster/${cluster}`;
  const nodegroupArn = (name: string) => {
    const group = cluster === world.state.clusterName ? world.nodeGroup(name) : undefined;
    return `arn:aws:eks:${region}:${ACCOUNT}:nodegroup/${cluster}/${name}/${group ? seededUuid(group.asgName) : '*'}`;
  };
  const on = (operation: string, resource: string) => ({ operation, request: { action: `eks:${operation}`, resource } });
  if (cluster === '') return req.method === 'GET' ? on('ListClusters', '*') : undefined;
  if (collection === undefined) return req.method === 'GET' ? on('DescribeCluster', clusterArn) : undefined;
  if (collection === 'node-groups') {
    if (item === undefined) return on('ListNodegroups', clusterArn);
    if (action === 'update-config') return on('UpdateNodegroupConfig', nodegroupArn(item));
    if (action === undefined) return on('DescribeNodegroup', nodegroupArn(item));
  }
  if (collection === 'updates') {
    const group = req.url.searchParams.get('nodegroupName');
    return on(item === undefined ? 'ListUpdates' : 'DescribeUpdate', group ? nodegroupArn(group) : clusterArn);
  }
  return undefined;
};

const asgRequest = (world: World, params: URLSearchParams): { operation: string; request: AuthorizationRequest } | undefined => {
  const operation = params.get('Action') ?? '';
  if (operation === '') return undefined;
  const action = `autoscaling:${operation}`;
  let groupName = params.get('AutoScalingGroupName') ?? undefined;
  if (operation === 'TerminateInstanceInAutoScalingGroup') {
    const instance = world.state.instances[params.get('InstanceId') ?? ''];
    groupName = instance ? world.nodeGroup(instance.group)?.asgName : undefined;
    if (!groupName) return undefined; // the handler answers the ValidationError for an unknown instance
  }
  if (operation.startsWith('Describe') || !groupName) return { operation, request: { action, resource: '*' } };
  const group = Object.values(world.state.nodeGroups).find((g) => g.asgName === groupName);
  const arn = `arn:aws:autoscaling:${world.state.region}:${ACCOUNT}:autoScalingGroup:${group ? seededUuid(groupName) : '*'}:autoScalingGroupName/${groupName}`;
  // The tags EKS puts on a managed node group's Auto Scaling group.
  const tags: Record<string, string> = group
    ? {
        'eks:cluster-name': world.state.clusterName,
        'eks:nodegroup-name': group.name,
        [`k8s.io/cluster-autoscaler/${world.state.clusterName}`]: 'owned',
        'k8s.io/cluster-autoscaler/enabled': 'true',
        [`kubernetes.io/cluster/${world.state.clusterName}`]: 'owned',
      }
    : {};
  const context = Object.fromEntries(
    Object.entries(tags).flatMap(([key, value]) => [
      [`autoscaling:ResourceTag/${key}`, value],
      [`aws:ResourceTag/${key}`, value],
    ]),
  );
  return { operation, request: { action, resource: arn, context } };
};

// The EKS model: AccessDeniedException is 403 {message}, ThrottlingException 429 {clusterName, message}.
const eksError = (status: number, type: string, message: string, fields: Record<string, string> = {}): SimResponse => ({
  status,
  headers: { 'content-type': 'application/json', 'x-amzn-errortype': type, 'x-amzn-requestid': requestId() },
  body: JSON.stringify({ ...fields, message }),
});

const asgError = (status: number, code: string, message: string): SimResponse => ({
  status,
  headers: { 'content-type': 'text/xml', 'x-amzn-requestid': requestId() },
  body: document('ErrorResponse', ASG_NAMESPACE, { Error: { Type: 'Sender', Code: code, Message: message }, RequestId: requestId() }),
});

export const createSimGate = (authorizer: LocalAuthorizer | undefined, faults: LocalFaults | undefined): AwsGate => (world, req) => {
  const caller = callerOf(req.headers);
  if (caller === undefined) return undefined;
  if (req.url.pathname === '/') {
    const found = asgRequest(world, new URLSearchParams(req.body.toString('utf8')));
    if (!found) return undefined;
    const denial = authorizer?.check(caller, [found.request]);
    if (denial) return asgError(403, 'AccessDenied', denial.message);
    if (faults?.take('autoscaling', found.operation, caller)) return asgError(400, 'Throttling', 'Rate exceeded');
    return undefined;
  }
  const found = eksRequest(world, req);
  if (!found) return undefined;
  const denial = authorizer?.check(caller, [found.request]);
  if (denial) return eksError(403, 'AccessDeniedException', denial.message);
  if (faults?.take('eks', found.operation, caller)) {
    const cluster = req.url.pathname.split('/')[2];
    return eksError(429, 'ThrottlingException', 'Rate exceeded', cluster ? { clusterName: decodeURIComponent(cluster) } : {});
  }
  return undefined;
};
