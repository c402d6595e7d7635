/**
 * Amazon EKS over restJson1, as @aws-sdk/client-eks calls it. Errors carry the
 * `x-amzn-errortype` header (which the SDK reads first) and a `{message, …}` body, so the SDK
 * raises ResourceNotFoundException, InvalidParameterException, ResourceInUseException.
 */
import * as z from 'zod';
import { jsonResponse, parseJsonBody, BodyParseError, type SimRequest, type SimResponse } from '../http.js';
import { requestId, seededUuid, uuid } from '../ids.js';
import { NODE } from '../apiserver/resources.js';
import type { Node, Taint } from '../apiserver/types.js';
import { nodegroupStatus, setDesiredSize } from './nodegroups.js';
import type { SimTaint, SimTaintEffect } from '../config.js';
import type { NodeGroupState, NodegroupUpdate } from './state.js';
import type { SimContext } from '../context.js';
import { BadLimit, BadToken, page } from './paging.js';

const ACCOUNT = '000000000000';
const K8S_VERSION = '1.31';

class EksError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
    readonly fields: Record<string, string> = {},
  ) {
    super(message);
  }
}

const epoch = (ms: number): number => ms / 1000;

const EFFECT_TO_EKS: Record<SimTaintEffect, string> = { NoSchedule: 'NO_SCHEDULE', NoExecute: 'NO_EXECUTE', PreferNoSchedule: 'PREFER_NO_SCHEDULE' };
const EFFECT_FROM_EKS: Record<string, SimTaintEffect> = { NO_SCHEDULE: 'NoSchedule', NO_EXECUTE: 'NoExecute', PREFER_NO_SCHEDULE: 'PreferNoSchedule' };

export interface ClusterEndpoint {
  /** The HTTPS URL of the simulated Kubernetes API. */
  endpoint: string;
  caData: string;
}

const clusterArn = (world: SimContext): string => `arn:aws:eks:${world.state.region}:${ACCOUNT}:cluster/${world.state.clusterName}`;

const groupLabels = (group: NodeGroupState): Record<string, string> => ({ 'gpudeploy.io/gpu-config': group.config.configId, ...group.labels });

const describeCluster = (world: SimContext, endpoint: ClusterEndpoint): unknown => ({
  cluster: {
    name: world.state.clusterName,
    arn: clusterArn(world),
    createdAt: epoch(world.state.createdAt),
    version: K8S_VERSION,
    endpoint: endpoint.endpoint,
    roleArn: `arn:aws:iam::${ACCOUNT}:role/${world.state.clusterName}-cluster-role`,
    resourcesVpcConfig: {
      subnetIds: Object.values(world.state.nodeGroups)[0]?.subnets ?? [],
      securityGroupIds: ['sg-0a1b2c3d4e5f60718'],
      clusterSecurityGroupId: 'sg-0f1e2d3c4b5a69788',
      vpcId: 'vpc-0123456789abcdef0',
      endpointPublicAccess: true,
      endpointPrivateAccess: true,
      publicAccessCidrs: ['0.0.0.0/0'],
    },
    kubernetesNetworkConfig: { serviceIpv4Cidr: '172.20.0.0/16', ipFamily: 'ipv4' },
    logging: { clusterLogging: [{ types: ['api', 'audit', 'authenticator', 'controllerManager', 'scheduler'], enabled: false }] },
    identity: { oidc: { issuer: `https://oidc.eks.${world.state.region}.amazonaws.com/id/${seededUuid(world.state.clusterName).replace(/-/g, '').toUpperCase()}` } },
    status: 'ACTIVE',
    certificateAuthority: { data: endpoint.caData },
    platformVersion: 'eks.16',
    tags: {},
    accessConfig: { authenticationMode: 'API_AND_CONFIG_MAP' },
  },
});

const describeNodegroup = (world: SimContext, group: NodeGroupState): unknown => ({
  nodegroup: {
    nodegroupName: group.name,
    nodegroupArn: `arn:aws:eks:${world.state.region}:${ACCOUNT}:nodegroup/${world.state.clusterName}/${group.name}/${seededUuid(group.asgName)}`,
    clusterName: world.state.clusterName,
    version: K8S_VERSION,
    releaseVersion: '1.31.4-20250123',
    createdAt: epoch(group.createdAt),
    modifiedAt: epoch(group.modifiedAt),
    status: nodegroupStatus(world, group),
    capacityType: 'ON_DEMAND',
    scalingConfig: { minSize: group.minSize, maxSize: group.maxSize, desiredSize: group.desiredSize },
    instanceTypes: [group.config.instanceType],
    subnets: group.subnets,
    amiType: 'AL2023_x86_64_NVIDIA',
    nodeRole: `arn:aws:iam::${ACCOUNT}:role/${world.state.clusterName}-gpu-node-role`,
    labels: groupLabels(group),
    taints: group.taints.map((t) => ({ key: t.key, ...(t.value !== undefined ? { value: t.value } : {}), effect: EFFECT_TO_EKS[t.effect] })),
    resources: { autoScalingGroups: [{ name: group.asgName }] },
    diskSize: 200,
    health: { issues: group.healthIssues },
    updateConfig: { maxUnavailable: 1 },
    tags: {},
  },
});

const updateJson = (update: NodegroupUpdate): unknown => ({
  id: update.id,
  status: update.status,
  type: update.type,
  params: update.params,
  createdAt: epoch(update.createdAt),
  errors: update.errors,
});

const scalingSchema = z
  .object({
    minSize: z.number().int().optional(),
    maxSize: z.number().int().optional(),
    desiredSize: z.number().int().optional(),
  })
  .strict();

const taintSchema = z.object({ key: z.string().min(1), value: z.string().optional(), effect: z.enum(['NO_SCHEDULE', 'NO_EXECUTE', 'PREFER_NO_SCHEDULE']) });

const updateConfigSchema = z.object({
  scalingConfig: scalingSchema.optional(),
  labels: z.object({ addOrUpdateLabels: z.record(z.string(), z.string()).optional(), removeLabels: z.array(z.string()).optional() }).optional(),
  taints: z.object({ addOrUpdateTaints: z.array(taintSchema).optional(), removeTaints: z.array(taintSchema).optional() }).optional(),
  updateConfig: z.unknown().optional(),
  nodeRepairConfig: z.unknown().optional(),
  clientRequestToken: z.string().optional(),
});

const requireCluster = (world: SimContext, name: string): void => {
  if (name !== world.state.clusterName) throw new EksError(404, 'ResourceNotFoundException', `No cluster found for name: ${name}.`, { clusterName: name });
};

const requireGroup = (world: SimContext, cluster: string, name: string): NodeGroupState => {
  requireCluster(world, cluster);
  const group = world.nodeGroup(name);
  if (!group) throw new EksError(404, 'ResourceNotFoundException', `No node group found for name: ${name}.`, { clusterName: cluster, nodegroupName: name });
  return group;
};

const invalidParameter = (message: string, cluster: string, group: string): EksError =>
  new EksError(400, 'InvalidParameterException', message, { clusterName: cluster, nodegroupName: group });

const validateScaling = (cluster: string, group: string, min: number, max: number, desired: number): void => {
  if (min < 0) throw invalidParameter(`Minimum capacity ${min} can't be negative`, cluster, group);
  if (max < 1) throw invalidParameter(`Maximum capacity ${max} must be at least 1`, cluster, group);
  if (min > max) throw invalidParameter(`Minimum capacity ${min} can't be greater than max size ${max}`, cluster, group);
  if (desired > max) throw invalidParameter(`Desired capacity ${desired} can't be greater than max size ${max}`, cluster, group);
  if (desired < min) throw invalidParameter(`Minimum capacity ${min} can't be greater than desired size ${desired}`, cluster, group);
};

/** Label and taint changes reach the existing nodes too, as EKS applies them in place. */
const applyToNodes = (world: SimContext, group: NodeGroupState, removedLabels: string[], removedTaints: SimTaint[]): void => {
  for (const instance of world.instancesOf(group.name)) {
    world.store.mutate<Node>(NODE, undefined, instance.nodeName, (node) => {
      const labels = { ...(node.metadata.labels ?? {}) };
      for (const key of removedLabels) delete labels[key];
      node.metadata.labels = { ...labels, ...group.labels };
      const keep = (node.spec.taints ?? []).filter(
        (t) => !removedTaints.some((r) => r.key === t.key && r.effect === t.effect) && !group.taints.some((g) => g.key === t.key && g.effect === t.effect),
      );
      const taints: Taint[] = [...keep, ...group.taints.map((t) => ({ key: t.key, ...(t.value !== undefined ? { value: t.value } : {}), effect: t.effect }))];
      if (taints.length > 0) node.spec.taints = taints;
      else delete node.spec.taints;
    });
  }
};

const updateNodegroupConfig = (world: SimContext, cluster: string, name: string, body: unknown): unknown => {
  const group = requireGroup(world, cluster, name);
  const parsed = updateConfigSchema.safeParse(body ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw invalidParameter(`Invalid request: ${issue?.path.join('.') ?? ''} ${issue?.message ?? ''}`.trim(), cluster, name);
  }
  const request = parsed.data;
  if (request.clientRequestToken) {
    const previous = group.updates.find((u) => u.clientRequestToken === request.clientRequestToken);
    if (previous) return { update: updateJson(previous) };
  }
  const running = group.updates.find((u) => u.status === 'InProgress');
  if (running) {
    // EKS refuses any config update while the group is UPDATING (rancher/rancher#31029).
    throw new EksError(409, 'ResourceInUseException', 'Nodegroup cannot be updated as it is currently not in Active State', { clusterName: cluster, nodegroupName: name });
  }
  const params: { type: string; value: string }[] = [];
  const scaling = request.scalingConfig;
  const min = scaling?.minSize ?? group.minSize;
  const max = scaling?.maxSize ?? group.maxSize;
  const desired = scaling?.desiredSize ?? group.desiredSize;
  if (scaling) {
    validateScaling(cluster, name, min, max, desired);
    if (min !== group.minSize) params.push({ type: 'MinSize', value: String(min) });
    if (max !== group.maxSize) params.push({ type: 'MaxSize', value: String(max) });
    if (desired !== group.desiredSize) params.push({ type: 'DesiredSize', value: String(desired) });
  }
  const addLabels = request.labels?.addOrUpdateLabels ?? {};
  const removeLabels = request.labels?.removeLabels ?? [];
  if (Object.keys(addLabels).length > 0) params.push({ type: 'LabelsToAdd', value: JSON.stringify(addLabels) });
  if (removeLabels.length > 0) params.push({ type: 'LabelsToRemove', value: JSON.stringify(removeLabels) });
  const toSim = (t: z.infer<typeof taintSchema>): SimTaint => ({ key: t.key, ...(t.value !== undefined ? { value: t.value } : {}), effect: EFFECT_FROM_EKS[t.effect] ?? 'NoSchedule' });
  const addTaints = (request.taints?.addOrUpdateTaints ?? []).map(toSim);
  const removeTaints = (request.taints?.removeTaints ?? []).map(toSim);
  if (addTaints.length > 0) params.push({ type: 'TaintsToAdd', value: JSON.stringify(request.taints?.addOrUpdateTaints) });
  if (removeTaints.length > 0) params.push({ type: 'TaintsToRemove', value: JSON.stringify(request.taints?.removeTaints) });
  if (params.length === 0) throw invalidParameter('No changes needed', cluster, name);

  const now = world.now();
  group.minSize = min;
  group.maxSize = max;
  setDesiredSize(world, group, desired);
  if (Object.keys(addLabels).length > 0 || removeLabels.length > 0) {
    const labels = { ...group.labels };
    for (const key of removeLabels) delete labels[key];
    group.labels = { ...labels, ...addLabels };
  }
  if (addTaints.length > 0 || removeTaints.length > 0) {
    const kept = group.taints.filter((t) => !removeTaints.some((r) => r.key === t.key && r.effect === t.effect) && !addTaints.some((a) => a.key === t.key && a.effect === t.effect));
    group.taints = [...kept, ...addTaints];
  }
  applyToNodes(world, group, removeLabels, removeTaints);
  const update: NodegroupUpdate = {
    id: uuid(),
    type: 'ConfigUpdate',
    status: 'InProgress',
    params,
    createdAt: now,
    completesAt: now + world.ms(world.delays.nodegroupUpdate),
    errors: [],
    ...(request.clientRequestToken ? { clientRequestToken: request.clientRequestToken } : {}),
  };
  group.updates.unshift(update);
  group.updates.length = Math.min(group.updates.length, 50);
  group.modifiedAt = now;
  world.touch();
  world.reconcile();
  return { update: updateJson(update) };
};

/** ListClusters, ListNodegroups, ListUpdates: maxResults 1..100, default 100 (EKS API reference). */
const paginate = (items: string[], params: URLSearchParams, key: string, scope: string): Record<string, unknown> => {
  try {
    const result = page(items, scope, params.get('maxResults'), params.get('nextToken'), { min: 1, max: 100, default: 100 });
    return { [key]: result.items, ...(result.nextToken ? { nextToken: result.nextToken } : {}) };
  } catch (error) {
    if (error instanceof BadLimit) throw new EksError(400, 'InvalidParameterException', `1 validation error detected: Value '${error.message}' at 'maxResults' failed to satisfy constraint: Member must have value between 1 and 100`);
    if (error instanceof BadToken) throw new EksError(400, 'InvalidParameterException', 'The nextToken provided is invalid.');
    throw error;
  }
};

export const isEksPath = (path: string): boolean => path === '/clusters' || path.startsWith('/clusters/');

export const handleEks = (world: SimContext, req: SimRequest, endpoint: ClusterEndpoint): SimResponse => {
  const segments = req.url.pathname.split('/').filter((s) => s.length > 0).map(decodeURIComponent);
  const params = req.url.searchParams;
  const [, cluster = '', collection, item, action] = segments;
  try {
    const method = req.method;
    if (segments.length === 1 && method === 'GET') return jsonResponse(200, paginate([world.state.clusterName], params, 'clusters', 'clusters'));
    if (segments.length === 2 && method === 'GET') {
      requireCluster(world, cluster);
      return jsonResponse(200, describeCluster(world, endpoint));
    }
    if (collection === 'node-groups') {
      if (segments.length === 3 && method === 'GET') {
        requireCluster(world, cluster);
        return jsonResponse(200, paginate(Object.keys(world.state.nodeGroups).sort(), params, 'nodegroups', `nodegroups/${cluster}`));
      }
      if (segments.length === 4 && method === 'GET') return jsonResponse(200, describeNodegroup(world, requireGroup(world, cluster, item ?? '')));
      if (segments.length === 5 && action === 'update-config' && method === 'POST') {
        return jsonResponse(200, updateNodegroupConfig(world, cluster, item ?? '', parseJsonBody(req)));
      }
    }
    if (collection === 'updates' && method === 'GET') {
      requireCluster(world, cluster);
      const groupName = params.get('nodegroupName');
      const groups = groupName ? [requireGroup(world, cluster, groupName)] : Object.values(world.state.nodeGroups);
      const updates = groups.flatMap((g) => g.updates);
      if (segments.length === 3) return jsonResponse(200, paginate(updates.map((u) => u.id), params, 'updateIds', `updates/${cluster}/${groupName ?? ''}`));
      const update = updates.find((u) => u.id === item);
      if (!update) throw new EksError(404, 'ResourceNotFoundException', `No update found for ID: ${item ?? ''}.`, { clusterName: cluster });
      return jsonResponse(200, { update: updateJson(update) });
    }
    throw new EksError(404, 'NotFoundException', `The simulator does not implement ${method} ${req.url.pathname}`);
  } catch (error) {
    if (error instanceof BodyParseError) {
      return jsonResponse(400, { message: `Could not parse request body: ${error.message}` }, { 'x-amzn-errortype': 'BadRequestException', 'x-amzn-requestid': requestId() });
    }
    if (error instanceof EksError) {
      return jsonResponse(error.status, { message: error.message, ...error.fields }, { 'x-amzn-errortype': error.type, 'x-amzn-requestid': requestId() });
    }
    throw error;
  }
};
