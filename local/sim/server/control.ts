/** The test control plane under /_sim: state dump, reset, fault injection. */
import { clearKubernetesFaults, kubernetesFaultBody, listKubernetesFaults } from '../apiserver/protocol-faults.js';
import { faultRequestSchema, type FaultRequest, type FaultRule } from '../faults.js';
import { BodyParseError, jsonResponse, parseJsonBody, type SimRequest, type SimResponse } from '../http.js';
import { nowIso, uuid } from '../ids.js';
import { DEPLOYMENT, NODE, POD } from '../apiserver/resources.js';
import type { Deployment, Node, Pod } from '../apiserver/types.js';
import { isNodeReady, isPodReady } from '../apiserver/conditions.js';
import { nodegroupStatus, type NodegroupStatus } from '../aws/nodegroups.js';
import { GPU_RESOURCE, nodeUsage } from '../scheduler/scheduler.js';
import type { HealthIssue, InstanceLifecycle } from '../aws/state.js';
import type { PodStage } from '../kubelet/state.js';
import { driveTraffic, readTraffic } from '../kubelet/vllm-server.js';
import type { World } from '../runtime/world.js';

export interface NodeGroupView {
  name: string;
  asgName: string;
  configId: string;
  instanceType: string;
  gpusPerNode: number;
  minSize: number;
  maxSize: number;
  desiredSize: number;
  status: NodegroupStatus;
  healthIssues: HealthIssue[];
}

export interface InstanceView {
  instanceId: string;
  group: string;
  lifecycle: InstanceLifecycle;
  nodeName: string;
  availabilityZone: string;
  privateIp: string;
  launchedAt: string;
}

export interface NodeView {
  name: string;
  group: string | undefined;
  instanceId: string | undefined;
  ready: boolean;
  unschedulable: boolean;
  gpuAllocatable: number;
  gpuRequested: number;
  pods: string[];
}

export interface PodView {
  namespace: string;
  name: string;
  node: string | undefined;
  phase: string | undefined;
  ready: boolean;
  stage: PodStage | 'unscheduled';
  restartCount: number;
  terminating: boolean;
}

export interface SimStateView {
  now: string;
  clusterName: string;
  region: string;
  timeScale: number;
  nodeGroups: NodeGroupView[];
  instances: InstanceView[];
  nodes: NodeView[];
  pods: PodView[];
  deployments: { namespace: string; name: string; replicas: number; readyReplicas: number; availableReplicas: number }[];
  faults: FaultRule[];
}

export const nodeGroupView = (world: World, name: string): NodeGroupView | undefined => {
  const group = world.nodeGroup(name);
  if (!group) return undefined;
  return {
    name: group.name,
    asgName: group.asgName,
    configId: group.config.configId,
    instanceType: group.config.instanceType,
    gpusPerNode: group.config.gpusPerNode,
    minSize: group.minSize,
    maxSize: group.maxSize,
    desiredSize: group.desiredSize,
    status: nodegroupStatus(world, group),
    healthIssues: structuredClone(group.healthIssues),
  };
};

export const stateView = (world: World): SimStateView => {
  const pods = world.store.list<Pod>(POD.plural);
  const usage = nodeUsage(pods);
  return {
    now: nowIso(world.now()),
    clusterName: world.state.clusterName,
    region: world.state.region,
    timeScale: world.timeScale,
    nodeGroups: Object.keys(world.state.nodeGroups).flatMap((name) => nodeGroupView(world, name) ?? []),
    instances: Object.values(world.state.instances).map((i) => ({
      instanceId: i.instanceId,
      group: i.group,
      lifecycle: i.lifecycle,
      nodeName: i.nodeName,
      availabilityZone: i.availabilityZone,
      privateIp: i.privateIp,
      launchedAt: new Date(i.launchedAt).toISOString(),
    })),
    nodes: world.store.list<Node>(NODE.plural).map((n) => {
      const instance = world.instanceByNodeName(n.metadata.name);
      return {
        name: n.metadata.name,
        group: instance?.group,
        instanceId: instance?.instanceId,
        ready: isNodeReady(n),
        unschedulable: n.spec.unschedulable === true,
        gpuAllocatable: Number(n.status.allocatable[GPU_RESOURCE] ?? 0),
        gpuRequested: usage.get(n.metadata.name)?.[GPU_RESOURCE] ?? 0,
        pods: pods.filter((p) => p.spec.nodeName === n.metadata.name).map((p) => `${p.metadata.namespace ?? ''}/${p.metadata.name}`),
      };
    }),
    pods: pods.map((p) => {
      const rt = world.state.pods[p.metadata.uid];
      return {
        namespace: p.metadata.namespace ?? '',
        name: p.metadata.name,
        node: p.spec.nodeName,
        phase: p.status?.phase,
        ready: isPodReady(p),
        stage: rt?.stage ?? 'unscheduled',
        restartCount: rt?.restartCount ?? 0,
        terminating: p.metadata.deletionTimestamp !== undefined,
      };
    }),
    deployments: world.store.list<Deployment>(DEPLOYMENT.plural).map((d) => ({
      namespace: d.metadata.namespace ?? '',
      name: d.metadata.name,
      replicas: d.spec.replicas ?? 1,
      readyReplicas: d.status?.readyReplicas ?? 0,
      availableReplicas: d.status?.availableReplicas ?? 0,
    })),
    faults: structuredClone(world.state.faults),
  };
};

export const addFault = (world: World, request: FaultRequest): FaultRule => {
  const rule: FaultRule = { id: uuid(), createdAt: nowIso(world.now()), ...request };
  world.state.faults.push(rule);
  world.touch();
  world.reconcile();
  return rule;
};

export const clearFaults = (world: World, id?: string): number => {
  const before = world.state.faults.length;
  world.state.faults = id ? world.state.faults.filter((f) => f.id !== id) : [];
  world.touch();
  world.reconcile();
  return before - world.state.faults.length;
};

export const handleControl = (world: World, req: SimRequest): SimResponse => {
  const path = req.url.pathname.replace(/\/+$/, '');
  const method = req.method;
  try {
    if (path === '/_sim/state' && method === 'GET') return jsonResponse(200, stateView(world));
    if (path === '/_sim/reset' && method === 'POST') {
      world.reset();
      return jsonResponse(200, { reset: true });
    }
    if (path === '/_sim/faults') {
      if (method === 'GET') return jsonResponse(200, { faults: world.state.faults, kubernetes: listKubernetesFaults(world) });
      if (method === 'DELETE') return jsonResponse(200, { removed: clearFaults(world) + clearKubernetesFaults(world) });
      if (method === 'POST') {
        const kubernetesFault = kubernetesFaultBody(parseJsonBody(req));
        if (kubernetesFault) return kubernetesFault(world);
        const parsed = faultRequestSchema.safeParse(parseJsonBody(req));
        if (!parsed.success) {
          return jsonResponse(400, { error: 'invalid fault', issues: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`) });
        }
        return jsonResponse(201, addFault(world, parsed.data));
      }
    }
    if (path === '/_sim/traffic') {
      if (method === 'GET') return readTraffic(world, req.url.searchParams);
      if (method === 'POST') return driveTraffic(world, parseJsonBody(req));
    }
    const one = /^\/_sim\/faults\/([^/]+)$/.exec(path);
    if (one && method === 'DELETE') {
      const id = decodeURIComponent(one[1] ?? '');
      const removed = clearFaults(world, id) + clearKubernetesFaults(world, id);
      return removed > 0 ? jsonResponse(200, { removed }) : jsonResponse(404, { error: 'no such fault' });
    }
    return jsonResponse(404, { error: `unknown control endpoint ${method} ${path}` });
  } catch (error) {
    if (error instanceof BodyParseError) return jsonResponse(400, { error: `invalid JSON: ${error.message}` });
    throw error;
  }
};
