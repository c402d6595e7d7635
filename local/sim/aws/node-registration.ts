/**
 * The Node object an instance of a managed node group registers when its kubelet starts: the
 * labels the EKS AMI bootstrap passes (node group, zone, instance type, the NVIDIA variant's GPU
 * labels), capacity from the instance type, and Ready.
 */
import { randomUUID } from 'node:crypto';
import { formatKi } from '../apiserver/quantity.js';
import type { Condition, Node, Taint } from '../apiserver/types.js';
import { KUBELET_VERSION } from '../apiserver/version.js';
import { instanceShape } from '../config.js';
import { nowIso } from '../ids.js';
import type { InstanceState, NodeGroupState } from './state.js';

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
