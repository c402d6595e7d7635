// Over 300 lines: kube-scheduler's filter plugins share one per-node verdict and one message builder; split by plugin they would pass that state around.
/**
 * A kube-scheduler for what GPU workloads need: NodeUnschedulable, TaintToleration,
 * NodeAffinity (nodeSelector + required node affinity) and NodeResourcesFit (cpu, memory,
 * nvidia.com/gpu) filters, VolumeBinding (claims exist; an unbound one waits for its pod, and the pod
 * waits for the provisioner), required InterPodAffinity, LeastAllocated and preferred InterPodAffinity scores, with the
 * scheduler's own FailedScheduling message format. It only binds (sets spec.nodeName).
 */
import { nowIso } from '../ids.js';
import { parseQuantity } from '../apiserver/quantity.js';
import { NODE, POD } from '../apiserver/resources.js';
import { isNodeReady, setCondition } from '../apiserver/conditions.js';
import { labelsMatch, requirementsFromSelector } from '../apiserver/selectors.js';
import type { Container, KubeObject, LabelSelector, Labels, Node, Pod, Taint } from '../apiserver/types.js';
import { matchesNodeAffinity, tolerates } from './predicates.js';
import { unschedulableOn } from '../faults.js';
import type { SimContext } from '../context.js';
import { isClaimBound, isDelayBinding, podClaimNames, PVC_PLURAL, SELECTED_NODE_ANNOTATION } from '../apiserver/volumes.js';

export const GPU_RESOURCE = 'nvidia.com/gpu';
const FIT_RESOURCES = ['cpu', 'memory', GPU_RESOURCE] as const;
type Resources = Record<(typeof FIT_RESOURCES)[number], number>;

interface WeightedPodAffinityTerm {
  weight: number;
  podAffinityTerm: { labelSelector?: LabelSelector; namespaces?: string[]; topologyKey: string };
}

const containerRequest = (container: Container, resource: string): number => {
  const requests = container.resources?.requests?.[resource];
  const limits = container.resources?.limits?.[resource];
  return parseQuantity(requests ?? limits) ?? 0;
};

/** Effective requests: sum over containers, at least the largest init container. */
export const podRequests = (pod: Pod): Resources => {
  const result = { cpu: 0, memory: 0, [GPU_RESOURCE]: 0 } as Resources;
  for (const resource of FIT_RESOURCES) {
    const main = (pod.spec.containers ?? []).reduce((sum, c) => sum + containerRequest(c, resource), 0);
    const init = Math.max(0, ...(pod.spec.initContainers ?? []).map((c) => containerRequest(c, resource)));
    result[resource] = Math.max(main, init);
  }
  return result;
};

const allocatable = (node: Node): Resources => ({
  cpu: parseQuantity(node.status.allocatable.cpu) ?? 0,
  memory: parseQuantity(node.status.allocatable.memory) ?? 0,
  [GPU_RESOURCE]: parseQuantity(node.status.allocatable[GPU_RESOURCE]) ?? 0,
});

const isTerminal = (pod: Pod): boolean => pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';

/** What pods bound to each node request (terminating pods still hold their resources). */
export const nodeUsage = (pods: readonly Pod[]): Map<string, Resources> => {
  const usage = new Map<string, Resources>();
  for (const pod of pods) {
    if (!pod.spec.nodeName || isTerminal(pod)) continue;
    const used = usage.get(pod.spec.nodeName) ?? { cpu: 0, memory: 0, [GPU_RESOURCE]: 0 };
    const req = podRequests(pod);
    for (const r of FIT_RESOURCES) used[r] += req[r];
    usage.set(pod.spec.nodeName, used);
  }
  return usage;
};

const untoleratedTaint = (pod: Pod, node: Node): Taint | undefined =>
  (node.spec.taints ?? []).find(
    (taint) => taint.effect !== 'PreferNoSchedule' && !(pod.spec.tolerations ?? []).some((t) => tolerates(t, taint)),
  );

/** The first filter a node fails, in kube-scheduler's plugin order; a list for resource shortages. */
const filterNode = (pod: Pod, node: Node, used: Resources | undefined, faulty: boolean): string[] => {
  const tolerateUnschedulable = (pod.spec.tolerations ?? []).some((t) =>
    tolerates(t, { key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' }),
  );
  if (node.spec.unschedulable && !tolerateUnschedulable) return ['node(s) were unschedulable'];
  const taint = untoleratedTaint(pod, node);
  if (taint) return [`node(s) had untolerated taint {${taint.key}: ${taint.value ?? ''}}`];
  if (!matchesNodeAffinity(pod, node)) return ["node(s) didn't match Pod's node affinity/selector"];
  // The `unschedulable` fault: the node's GPUs are never free for this pod, as when the
  // NVIDIA device plugin does not advertise them or another tenant holds them.
  if (faulty && podRequests(pod)[GPU_RESOURCE] > 0) return [`Insufficient ${GPU_RESOURCE}`];
  if (faulty) return ['node(s) had untolerated taint {gpudeploy.io/sim-unschedulable: }'];
  const free = allocatable(node);
  const req = podRequests(pod);
  const short = FIT_RESOURCES.filter((r) => req[r] > 0 && req[r] > free[r] - (used?.[r] ?? 0));
  return short.map((r) => `Insufficient ${r}`);
};

/** NodeResourcesFit, LeastAllocated on cpu and memory like the default profile: 0-100. */
const fitScore = (node: Node, used: Resources | undefined, pod: Pod): number => {
  const free = allocatable(node);
  const req = podRequests(pod);
  const fraction = (r: 'cpu' | 'memory'): number => (free[r] > 0 ? (free[r] - (used?.[r] ?? 0) - req[r]) / free[r] : 0);
  return ((fraction('cpu') + fraction('memory')) / 2) * 100;
};

/** Labels and namespace of the pods bound to each node (those bound in this pass included). */
type PodsByNode = Map<string, { namespace: string; labels: Labels }[]>;

/**
 * InterPodAffinity's preferred terms, raw: the sum of each term's weight times the existing pods
 * it matches in the node's topology domain (the nodes sharing the node's `topologyKey` label).
 */
const affinityRaw = (pod: Pod, node: Node, nodes: Node[], byNode: PodsByNode): number => {
  const terms = (pod.spec.affinity?.podAffinity as { preferredDuringSchedulingIgnoredDuringExecution?: WeightedPodAffinityTerm[] } | undefined)
    ?.preferredDuringSchedulingIgnoredDuringExecution ?? [];
  let raw = 0;
  for (const { weight, podAffinityTerm: term } of terms) {
    const domain = node.metadata.labels?.[term.topologyKey];
    if (domain === undefined) continue;
    const namespaces = term.namespaces && term.namespaces.length > 0 ? term.namespaces : [pod.metadata.namespace ?? 'default'];
    const requirements = requirementsFromSelector(term.labelSelector);
    for (const other of nodes) {
      if (other.metadata.labels?.[term.topologyKey] !== domain) continue;
      for (const existing of byNode.get(other.metadata.name) ?? []) {
        if (namespaces.includes(existing.namespace) && labelsMatch(requirements, existing.labels)) raw += weight;
      }
    }
  }
  return raw;
};

interface PodAffinityTerm {
  labelSelector?: LabelSelector;
  namespaces?: string[];
  topologyKey: string;
}

const requiredAffinityTerms = (pod: Pod): PodAffinityTerm[] =>
  (pod.spec.affinity?.podAffinity as { requiredDuringSchedulingIgnoredDuringExecution?: PodAffinityTerm[] } | undefined)?.requiredDuringSchedulingIgnoredDuringExecution ?? [];

const termMatches = (pod: Pod, term: PodAffinityTerm, namespace: string, labels: Labels): boolean => {
  const namespaces = term.namespaces && term.namespaces.length > 0 ? term.namespaces : [pod.metadata.namespace ?? 'default'];
  return namespaces.includes(namespace) && labelsMatch(requirementsFromSelector(term.labelSelector), labels);
};

/**
 * InterPodAffinity's Filter for required terms: each term needs a matching pod in the node's
 * topology domain. The first pod of a group that has affinity to itself may go anywhere (no pod
 * in the cluster matches yet, and the pod matches its own terms), as upstream allows.
 */
const failsRequiredAffinity = (pod: Pod, node: Node, nodes: Node[], byNode: PodsByNode): boolean => {
  const terms = requiredAffinityTerms(pod);
  if (terms.length === 0) return false;
  // Every topology key must be on the node.
  if (terms.some((term) => node.metadata.labels?.[term.topologyKey] === undefined)) return true;
  // An existing pod counts when it matches all the terms (updateWithAffinityTerms), in each term's topology domain.
  const matchesAll = (p: { namespace: string; labels: Labels }): boolean => terms.every((term) => termMatches(pod, term, p.namespace, p.labels));
  const matching = nodes.filter((other) => (byNode.get(other.metadata.name) ?? []).some(matchesAll));
  const satisfied = terms.every((term) => matching.some((other) => other.metadata.labels?.[term.topologyKey] === node.metadata.labels?.[term.topologyKey]));
  if (satisfied) return false;
  const counted = matching.some((other) => terms.some((term) => other.metadata.labels?.[term.topologyKey] !== undefined));
  return counted || !matchesAll({ namespace: pod.metadata.namespace ?? 'default', labels: pod.metadata.labels ?? {} });
};

/** kube-scheduler's default plugin weights for the two scores modelled here. */
const WEIGHT = { fit: 1, interPodAffinity: 2 } as const;

/**
 * Scores the feasible nodes like the default profile: LeastAllocated (0-100) plus
 * InterPodAffinity normalised to 0-100 over the feasible nodes, weighted; ties go to the first
 * node by name. Preferred pod affinity is how a workload asks to be packed onto nodes already
 * running its kind (docs/architecture.md, "GPU packing").
 */
const pickNode = (pod: Pod, feasible: Node[], nodes: Node[], usage: Map<string, Resources>, byNode: PodsByNode): Node | undefined => {
  const raws = feasible.map((node) => affinityRaw(pod, node, nodes, byNode));
  const [min, max] = [Math.min(...raws), Math.max(...raws)];
  let best: { node: Node; score: number } | undefined;
  feasible.forEach((node, i) => {
    const affinity = max > min ? (100 * ((raws[i] ?? 0) - min)) / (max - min) : 0;
    const score = WEIGHT.fit * fitScore(node, usage.get(node.metadata.name), pod) + WEIGHT.interPodAffinity * affinity;
    if (!best || score > best.score) best = { node, score };
  });
  return best?.node;
};

const countedList = (reasons: string[]): string => {
  const histogram = new Map<string, number>();
  for (const reason of reasons) histogram.set(reason, (histogram.get(reason) ?? 0) + 1);
  return [...histogram.entries()].map(([reason, count]) => `${count} ${reason}`).sort().join(', ');
};

/**
 * kube-scheduler's FitError text, then its PostFilter (preemption) verdict per node: a node
 * that failed only on resources (NodeResourcesFit, "Unschedulable") could be freed by evicting
 * lower-priority pods, and there are none here (every pod runs at the same priority or higher),
 * so "No preemption victims found"; any other filter is UnschedulableAndUnresolvable.
 */
export const unschedulableMessage = (nodeCount: number, failures: string[][], preFilter?: string): string => {
  if (nodeCount === 0) return 'no nodes available to schedule pods';
  // A PreFilter rejection (VolumeBinding) names no node: every node is UnschedulableAndUnresolvable.
  if (preFilter) return `0/${nodeCount} nodes are available: ${preFilter}. preemption: 0/${nodeCount} nodes are available: ${nodeCount} Preemption is not helpful for scheduling.`;
  const verdicts = failures.map((reasons) =>
    reasons.every((r) => r.startsWith('Insufficient ')) ? 'No preemption victims found for incoming pod' : 'Preemption is not helpful for scheduling',
  );
  return `0/${nodeCount} nodes are available: ${countedList(failures.flat())}. preemption: 0/${nodeCount} nodes are available: ${countedList(verdicts)}.`;
};

/**
 * VolumeBinding's PreFilter: every claim the pod mounts exists and is not being deleted, and an
 * unbound one waits for a pod (WaitForFirstConsumer); returns the refusal, or the claims that
 * are to be provisioned for the chosen node.
 */
const volumeBinding = (world: SimContext, pod: Pod): { refusal: string } | { delayed: KubeObject[]; zones: string[] } => {
  const delayed: KubeObject[] = [];
  const zones: string[] = [];
  for (const name of podClaimNames(pod)) {
    const claim = world.store.get(PVC_PLURAL, pod.metadata.namespace, name);
    if (!claim) return { refusal: `persistentvolumeclaim "${name}" not found` };
    if (claim.metadata.deletionTimestamp) return { refusal: `persistentvolumeclaim "${name}" is being deleted` };
    if (isClaimBound(claim)) {
      const zone = world.state.volumeZones?.[claim.metadata.uid];
      if (zone) zones.push(zone);
      continue;
    }
    if (!isDelayBinding(world.store, claim)) return { refusal: 'pod has unbound immediate PersistentVolumeClaims' };
    delayed.push(claim);
  }
  return { delayed, zones };
};

/** VolumeBinding's Filter for bound volumes: the node must be in the zone of each (an EBS volume attaches in its own AZ only). */
const volumeZoneConflict = (node: Node, zones: readonly string[]): boolean => zones.some((zone) => node.metadata.labels?.['topology.kubernetes.io/zone'] !== zone);

const recordUnschedulable = (world: SimContext, pod: Pod, message: string, at: string): void => {
  const current = pod.status?.conditions?.find((c) => c.type === 'PodScheduled');
  if (current?.message === message) return;
  world.store.mutate<Pod>(POD, pod.metadata.namespace, pod.metadata.name, (draft) => {
    draft.status = {
      ...(draft.status ?? {}),
      phase: 'Pending',
      conditions: setCondition(draft.status?.conditions, { type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message, lastProbeTime: null, lastTransitionTime: at }),
    };
  });
  world.events.record(pod, 'Warning', 'FailedScheduling', message, 'default-scheduler');
};

export const schedulePods = (world: SimContext, now: number): void => {
  const pods = world.store.list<Pod>(POD.plural);
  const pending = pods
    .filter((p) => !p.spec.nodeName && !p.metadata.deletionTimestamp && !isTerminal(p))
    .sort((a, b) => a.metadata.creationTimestamp.localeCompare(b.metadata.creationTimestamp) || Number(a.metadata.resourceVersion) - Number(b.metadata.resourceVersion));
  if (pending.length === 0) return;
  const nodes = world.store.list<Node>(NODE.plural).filter((n) => !n.metadata.deletionTimestamp);
  const usage = nodeUsage(pods);
  const at = nowIso(now);
  const rules = world.faults();
  const nodeGroupOf = (nodeName: string) => world.instanceByNodeName(nodeName)?.group;
  const byNode: PodsByNode = new Map();
  for (const p of pods) {
    if (!p.spec.nodeName || p.metadata.deletionTimestamp || isTerminal(p)) continue;
    const list = byNode.get(p.spec.nodeName) ?? [];
    list.push({ namespace: p.metadata.namespace ?? 'default', labels: p.metadata.labels ?? {} });
    byNode.set(p.spec.nodeName, list);
  }
  for (const pod of pending) {
    const volumes = volumeBinding(world, pod);
    if ('refusal' in volumes) {
      recordUnschedulable(world, pod, unschedulableMessage(nodes.length, [], volumes.refusal), at);
      continue;
    }
    const reasons: string[][] = [];
    const feasible: Node[] = [];
    for (const node of nodes) {
      if (!isNodeReady(node)) {
        reasons.push(['node(s) had untolerated taint {node.kubernetes.io/not-ready: }']);
        continue;
      }
      const faulty = unschedulableOn(pod, node.metadata.name, rules, nodeGroupOf);
      const failures = filterNode(pod, node, usage.get(node.metadata.name), faulty);
      if (failures.length > 0) {
        reasons.push(failures);
        continue;
      }
      if (volumeZoneConflict(node, volumes.zones)) {
        reasons.push(['node(s) had volume node affinity conflict']);
        continue;
      }
      if (failsRequiredAffinity(pod, node, nodes, byNode)) {
        reasons.push(["node(s) didn't match pod affinity rules"]);
        continue;
      }
      feasible.push(node);
    }
    const chosen = pickNode(pod, feasible, nodes, usage, byNode);
    if (!chosen) {
      recordUnschedulable(world, pod, unschedulableMessage(nodes.length, reasons), at);
      continue;
    }
    // PreBind: the delayed claims learn the node and the pod waits until the provisioner has bound them.
    if (volumes.delayed.length > 0) {
      for (const claim of volumes.delayed) {
        if (claim.metadata.annotations?.[SELECTED_NODE_ANNOTATION] === chosen.metadata.name) continue;
        world.store.mutate({ plural: PVC_PLURAL, group: '', kind: 'PersistentVolumeClaim' }, claim.metadata.namespace, claim.metadata.name, (draft) => {
          draft.metadata.annotations = { ...(draft.metadata.annotations ?? {}), [SELECTED_NODE_ANNOTATION]: chosen.metadata.name };
        });
      }
      continue;
    }
    const nodeName = chosen.metadata.name;
    byNode.set(nodeName, [...(byNode.get(nodeName) ?? []), { namespace: pod.metadata.namespace ?? 'default', labels: pod.metadata.labels ?? {} }]);
    const req = podRequests(pod);
    const used = usage.get(nodeName) ?? { cpu: 0, memory: 0, [GPU_RESOURCE]: 0 };
    for (const r of FIT_RESOURCES) used[r] += req[r];
    usage.set(nodeName, used);
    const bound = world.store.mutate<Pod>(POD, pod.metadata.namespace, pod.metadata.name, (draft) => {
      draft.spec.nodeName = nodeName;
      draft.status = {
        ...(draft.status ?? {}),
        conditions: setCondition(draft.status?.conditions, { type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: at }),
      };
    });
    // Binding is all the scheduler does: the kubelet sees the pod bound to its node and starts it (kubelet/kubelet.ts runKubelet).
    if (bound) {
      world.events.record(bound, 'Normal', 'Scheduled', `Successfully assigned ${pod.metadata.namespace ?? 'default'}/${pod.metadata.name} to ${nodeName}`, 'default-scheduler');
    }
  }
};
