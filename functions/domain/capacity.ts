import type { V1Pod } from '@kubernetes/client-node';

/**
 * GPU capacity planning for one node group. Pure.
 *
 * Replicas are packed first-fit-decreasing onto nodes of `gpusPerNode` GPUs; the number of
 * nodes that packing uses is what the group needs. Planning from the recorded deployments
 * (not from what the cluster happens to show) makes the answer the same whichever
 * workflow computes it, so concurrent deploys converge on one desired size.
 */

/** The most replicas one deployment may run: a bound of the API's requests, so the contract says it. */
export { MAX_REPLICAS } from '../../contract/requests/fields';

export interface GpuDemand {
  gpuCount: number;
  replicas: number;
}

export const nodesNeeded = (demands: readonly GpuDemand[], gpusPerNode: number): number => {
  const sizes = demands
    .flatMap((d) => Array.from({ length: d.replicas }, () => d.gpuCount))
    .sort((a, b) => b - a);
  const free: number[] = [];
  for (const size of sizes) {
    if (size > gpusPerNode) throw new RangeError(`a replica of ${size} GPUs cannot fit a node of ${gpusPerNode} GPUs`);
    const slot = free.findIndex((f) => f >= size);
    if (slot === -1) free.push(gpusPerNode - size);
    else free[slot] = (free[slot] ?? 0) - size;
  }
  return free.length;
};

export interface NodeGroupSize {
  minSize: number;
  maxSize: number;
  desiredSize: number;
}

export type GrowthPlan =
  | { kind: 'sufficient'; desiredSize: number; needed: number }
  | { kind: 'grow'; from: number; to: number; needed: number }
  | { kind: 'exceeds_max'; needed: number; maxSize: number };

/** Never shrinks: scale-in is a separate, targeted operation (releaseIdleNodes). */
export const planNodeGroupGrowth = (size: NodeGroupSize, needed: number): GrowthPlan => {
  if (needed > size.maxSize) return { kind: 'exceeds_max', needed, maxSize: size.maxSize };
  if (needed <= size.desiredSize) return { kind: 'sufficient', desiredSize: size.desiredSize, needed };
  return { kind: 'grow', from: size.desiredSize, to: needed, needed };
};

/** The annotation the kubelet puts on the API copy of a static pod. */
export const MIRROR_POD_ANNOTATION = 'kubernetes.io/config.mirror';

/**
 * Whether a pod bound to a node keeps that node from being released, by the rule of
 * `kubectl drain --ignore-daemonsets`: every pod counts except
 * - terminal pods (Succeeded, Failed): they hold nothing;
 * - pods a DaemonSet controls: every node runs them (EKS: aws-node, kube-proxy, the Pod
 *   Identity agent, the EBS CSI node plugin, all tolerating every taint), they exist because
 *   the node does, and the DaemonSet controller would recreate them on it anyway;
 * - mirror pods (static pods the kubelet runs from the host): not deletable through the API.
 * A pod being deleted still counts until it is gone: it may still be using the GPUs.
 * docs/architecture.md ("When a GPU node is idle") says why this rule and not "no GPU pod".
 */
export const podKeepsNodeBusy = (pod: V1Pod): boolean => {
  if (pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') return false;
  if (pod.metadata?.annotations?.[MIRROR_POD_ANNOTATION] !== undefined) return false;
  return !(pod.metadata?.ownerReferences ?? []).some((ref) => ref.controller === true && ref.kind === 'DaemonSet' && ref.apiVersion.startsWith('apps/'));
};

/** Set on a node this control plane cordoned to release it; the value is when (ISO 8601). */
export const RELEASE_CORDON_ANNOTATION = 'gpudeploy.io/cordoned-for-release';
/**
 * A release takes seconds from cordon to terminate; a cordon of ours older than this (cluster
 * seconds) on a node still in the group was left behind, and is lifted. Long enough that a
 * release still running elsewhere (the reconcile and a workflow may overlap) is never undone.
 */
export const STALE_CORDON_SECONDS = 300;

export interface GroupMember {
  instanceId: string;
  /** Joined the cluster and Ready. */
  joined: boolean;
  /** Pods bound to the node that keep it busy ({@link podKeepsNodeBusy}). */
  workloadPods: number;
}

/**
 * Which instances to terminate so the group keeps `needed` nodes: never one running a
 * workload pod; booting instances first (they serve nothing yet), then idle joined nodes.
 */
export const pickInstancesToRelease = (members: readonly GroupMember[], needed: number, minSize: number): string[] => {
  const keep = Math.max(needed, minSize);
  const surplus = members.length - keep;
  if (surplus <= 0) return [];
  const idle = members.filter((m) => m.workloadPods === 0).sort((a, b) => Number(a.joined) - Number(b.joined));
  return idle.slice(0, surplus).map((m) => m.instanceId);
};

/**
 * GPUs one replica takes from its node group's ledger: a replica that leaves GPUs on its
 * node that no other replica of its size can use is charged for them (3 GPUs on a 4-GPU
 * node cost 4). Charged this way, replica sizes pack onto whole nodes, so a ledger total
 * within `max nodes x GPUs per node` always fits the group.
 */
export const ledgerGpusPerReplica = (gpuCount: number, gpusPerNode: number): number =>
  gpusPerNode / Math.floor(gpusPerNode / gpuCount);

export const ledgerGpus = (gpuCount: number, replicas: number, gpusPerNode: number): number =>
  ledgerGpusPerReplica(gpuCount, gpusPerNode) * replicas;

/** The most GPUs a node group can ever offer: its maximum size times GPUs per node. */
export const nodeGroupGpuLimit = (group: { node_group: { max_size: number }; gpus_per_node: number }): number =>
  group.node_group.max_size * group.gpus_per_node;
