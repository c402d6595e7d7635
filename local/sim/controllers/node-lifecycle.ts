/** The Kubernetes Node an EKS GPU instance registers as. */
import { randomUUID } from 'node:crypto';
import { instanceShape } from '../config.js';
import { nowIso } from '../ids.js';
import { formatKi } from '../apiserver/quantity.js';
import type { Condition, Node, Taint } from '../apiserver/types.js';
import { NODE } from '../apiserver/resources.js';
import type { InstanceState, NodeGroupState } from '../runtime/state.js';
import type { World } from '../runtime/world.js';

export const KUBELET_VERSION = 'v1.31.4-eks-aeac579';
export const UNREACHABLE_TAINT = 'node.kubernetes.io/unreachable';
export const UNSCHEDULABLE_TAINT = 'node.kubernetes.io/unschedulable';

const GiB = 2 ** 30;

const pressureConditions = (at: string): Condition[] =>
  (
    [
      ['MemoryPressure', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'],
      ['DiskPressure', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'],
      ['PIDPressure', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'],
    ] as const
  ).map(([type, reason, message]) => ({ type, status: 'False', reason, message, lastHeartbeatTime: at, lastTransitionTime: at }));

/** Graviton instance families (t4g, m7g, c6gn, ...) are arm64. */
const archOf = (instanceType: string): string => (/^[a-z]+\d+g[a-z]*\./.test(instanceType) ? 'arm64' : 'amd64');

/** What the NVIDIA variant's node labels say about its GPUs; nothing on a node without GPUs. */
const gpuLabels = (group: NodeGroupState): Record<string, string> =>
  group.config.gpusPerNode > 0
    ? {
        'gpudeploy.io/gpu-config': group.config.configId,
        'nvidia.com/gpu.present': 'true',
        'nvidia.com/gpu.count': String(group.config.gpusPerNode),
        ...(group.config.gpuType ? { 'nvidia.com/gpu.product': group.config.gpuType.replace(/\s+/g, '-') } : {}),
        'nvidia.com/gpu.memory': String(group.config.gpuMemoryGiB * 1024),
      }
    : {};

export const nodeLabels = (group: NodeGroupState, instance: InstanceState, region: string): Record<string, string> => ({
  'beta.kubernetes.io/arch': archOf(group.config.instanceType),
  'beta.kubernetes.io/instance-type': group.config.instanceType,
  'beta.kubernetes.io/os': 'linux',
  'eks.amazonaws.com/capacityType': 'ON_DEMAND',
  'eks.amazonaws.com/nodegroup': group.name,
  'eks.amazonaws.com/nodegroup-image': 'ami-0f1e2d3c4b5a69788',
  'eks.amazonaws.com/sourceLaunchTemplateId': 'lt-0a1b2c3d4e5f60718',
  'failure-domain.beta.kubernetes.io/region': region,
  'failure-domain.beta.kubernetes.io/zone': instance.availabilityZone,
  'k8s.io/cloud-provider-aws': 'b69d5d9b1c1f4e0d8a1f2d1b3c4e5f60',
  'kubernetes.io/arch': archOf(group.config.instanceType),
  'kubernetes.io/hostname': instance.nodeName,
  'kubernetes.io/os': 'linux',
  'node.kubernetes.io/instance-type': group.config.instanceType,
  'topology.kubernetes.io/region': region,
  'topology.kubernetes.io/zone': instance.availabilityZone,
  ...gpuLabels(group),
  ...group.labels,
});

export const buildNode = (group: NodeGroupState, instance: InstanceState, region: string): Node => {
  const shape = instanceShape(group.config);
  const at = nowIso(instance.bootedAt);
  const memory = shape.memoryGiB * GiB;
  const taints: Taint[] = group.taints.map((t) => ({ key: t.key, ...(t.value !== undefined ? { value: t.value } : {}), effect: t.effect }));
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: instance.nodeName,
      uid: '',
      resourceVersion: '',
      creationTimestamp: '',
      labels: nodeLabels(group, instance, region),
      annotations: {
        'alpha.kubernetes.io/provided-node-ip': instance.privateIp,
        'node.alpha.kubernetes.io/ttl': '0',
        'volumes.kubernetes.io/controller-managed-attach-detach': 'true',
      },
    },
    spec: { providerID: `aws:///${instance.availabilityZone}/${instance.instanceId}`, ...(taints.length > 0 ? { taints } : {}) },
    status: {
      capacity: {
        cpu: String(shape.cpu),
        'ephemeral-storage': formatKi(200 * GiB),
        'hugepages-1Gi': '0',
        'hugepages-2Mi': '0',
        memory: formatKi(memory),
        pods: '250',
      },
      allocatable: {
        cpu: `${shape.cpu * 1000 - 190}m`,
        'ephemeral-storage': String(Math.floor(200 * GiB * 0.9)),
        'hugepages-1Gi': '0',
        'hugepages-2Mi': '0',
        memory: formatKi(memory - 2 * GiB),
        pods: '250',
      },
      conditions: [
        ...pressureConditions(at),
        { type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status', lastHeartbeatTime: at, lastTransitionTime: at },
      ],
      addresses: [
        { type: 'InternalIP', address: instance.privateIp },
        { type: 'InternalDNS', address: instance.nodeName },
        { type: 'Hostname', address: instance.nodeName },
      ],
      daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
      nodeInfo: {
        architecture: archOf(group.config.instanceType),
        bootID: randomUUID(),
        containerRuntimeVersion: 'containerd://1.7.25',
        kernelVersion: '6.1.119-129.201.amzn2023.x86_64',
        kubeProxyVersion: KUBELET_VERSION,
        kubeletVersion: KUBELET_VERSION,
        machineID: instance.instanceId.slice(2).padEnd(32, '0'),
        operatingSystem: 'linux',
        osImage: 'Amazon Linux 2023.6.20250115',
        systemUUID: randomUUID(),
      },
    },
  };
};

/** What the node lifecycle controller does once a terminating instance's kubelet goes silent. */
export const markUnreachable = (node: Node, at: number): void => {
  const time = nowIso(at);
  node.status.conditions = node.status.conditions.map((c) =>
    c.status === 'Unknown'
      ? c
      : { ...c, status: 'Unknown', reason: 'NodeStatusUnknown', message: 'Kubelet stopped posting node status.', lastTransitionTime: time },
  );
  const taints = (node.spec.taints ?? []).filter((t) => t.key !== UNREACHABLE_TAINT);
  taints.push({ key: UNREACHABLE_TAINT, effect: 'NoSchedule', timeAdded: time }, { key: UNREACHABLE_TAINT, effect: 'NoExecute', timeAdded: time });
  node.spec.taints = taints;
};

/** TaintNodesByCondition: a cordoned node carries node.kubernetes.io/unschedulable:NoSchedule. */
export const syncUnschedulableTaint = (node: Node, at: number): void => {
  const taints = node.spec.taints ?? [];
  const has = taints.some((t) => t.key === UNSCHEDULABLE_TAINT);
  if (node.spec.unschedulable && !has) node.spec.taints = [...taints, { key: UNSCHEDULABLE_TAINT, effect: 'NoSchedule', timeAdded: nowIso(at) }];
  if (!node.spec.unschedulable && has) {
    const rest = taints.filter((t) => t.key !== UNSCHEDULABLE_TAINT);
    if (rest.length > 0) node.spec.taints = rest;
    else delete node.spec.taints;
  }
};

export const GPU_RESOURCE = 'nvidia.com/gpu';

/**
 * The NVIDIA device plugin of the Bottlerocket NVIDIA image registers with the kubelet some
 * seconds after the node is Ready (the host's nvidia-device-plugin service starts after the
 * kubelet). A node registers without extended resources, so until then its status has no
 * `nvidia.com/gpu` at all (which kube-scheduler reads as 0: "Insufficient nvidia.com/gpu");
 * then the kubelet adds the plugin's devices to capacity and allocatable.
 */
export const registerDevicePlugins = (world: World, now: number): void => {
  for (const node of world.store.list<Node>(NODE.plural)) {
    if (node.status.capacity[GPU_RESOURCE] !== undefined) continue;
    const instance = world.instanceByNodeName(node.metadata.name);
    const group = instance ? world.nodeGroup(instance.group) : undefined;
    if (!instance || !group || instance.lifecycle !== 'InService' || !(group.config.gpusPerNode > 0)) continue;
    const due = instance.bootedAt + world.ms(world.delays.devicePluginRegistration);
    if (due > now) {
      world.wakeAt(due);
      continue;
    }
    const gpus = String(group.config.gpusPerNode);
    world.store.mutate<Node>(NODE, undefined, node.metadata.name, (draft) => {
      draft.status.capacity = { ...draft.status.capacity, [GPU_RESOURCE]: gpus };
      draft.status.allocatable = { ...draft.status.allocatable, [GPU_RESOURCE]: gpus };
    });
  }
};

export const isNodeReady = (node: Node): boolean =>
  node.status.conditions.some((c) => c.type === 'Ready' && c.status === 'True');
