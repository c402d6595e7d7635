/**
 * The DaemonSet controller: one pod per eligible node, as kube-controller-manager runs it.
 *
 * - Eligibility (NodeShouldRunDaemonPod): the template's nodeSelector and required node
 *   affinity, and the node's NoSchedule/NoExecute taints against the template's tolerations
 *   plus the ones the controller always adds (not-ready, unreachable, pressure, unschedulable,
 *   network-unavailable for hostNetwork pods). An untolerated NoSchedule taint only stops new
 *   pods; an untolerated NoExecute taint also removes a running one.
 * - Placement as since Kubernetes 1.12 (ScheduleDaemonSetPods): the pod gets a required node
 *   affinity `matchFields metadata.name In [node]` and the default scheduler binds it, so its
 *   requests count against the node's allocatable like any other pod's.
 * - A deleted or failed pod is replaced; extra pods on a node and pods for nodes that no longer
 *   exist are deleted; RollingUpdate replaces out-of-date pods within maxUnavailable, OnDelete
 *   only when someone deletes them. Pods carry `controller-revision-hash` (a hash of the
 *   template; the simulator keeps no ControllerRevision objects) and `pod-template-generation`.
 */
import { findCondition, isPodReady } from '../apiserver/conditions.js';
import { canonicalJson, safeHash } from '../ids.js';
import { matchesNodeAffinity, tolerates } from '../scheduler/predicates.js';
import type { SimContext } from '../context.js';
import { DAEMONSET, NODE, POD } from '../apiserver/resources.js';
import { createPodFromTemplate, ownedBy } from './pod-control.js';
import { clone, type DaemonSet, type DaemonSetStatus, type IntOrString, type Node, type Pod, type PodSpec, type Taint, type Toleration } from '../apiserver/types.js';

export const REVISION_HASH_LABEL = 'controller-revision-hash';
const GENERATION_LABEL = 'pod-template-generation';
const MANAGER = 'daemonset-controller';

/** What util/daemonset.AddOrUpdateDaemonPodTolerations gives every daemon pod. */
const controllerTolerations = (spec: PodSpec): Toleration[] => [
  { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' },
  { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' },
  { key: 'node.kubernetes.io/disk-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/memory-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/pid-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' },
  ...(spec.hostNetwork === true ? [{ key: 'node.kubernetes.io/network-unavailable', operator: 'Exists' as const, effect: 'NoSchedule' as const }] : []),
];

/** The template's tolerations with the controller's added (an existing key+effect is replaced, as the helper does). */
const daemonTolerations = (spec: PodSpec): Toleration[] => {
  const added = controllerTolerations(spec);
  const kept = (spec.tolerations ?? []).filter((t) => !added.some((a) => a.key === t.key && a.effect === t.effect));
  return [...kept, ...added];
};

export interface Eligibility {
  /** A new daemon pod may be placed on the node. */
  shouldRun: boolean;
  /** A daemon pod already there may stay. */
  shouldContinueRunning: boolean;
}

export const nodeEligibility = (ds: DaemonSet, node: Node): Eligibility => {
  const spec = ds.spec.template.spec;
  const probe = { metadata: { name: '', uid: '', resourceVersion: '', creationTimestamp: '' }, spec } as unknown as Pod;
  if (!matchesNodeAffinity(probe, node)) return { shouldRun: false, shouldContinueRunning: false };
  const tolerations = daemonTolerations(spec);
  const untolerated = (taint: Taint): boolean => !tolerations.some((t) => tolerates(t, taint));
  const taints = node.spec.taints ?? [];
  const noExecute = taints.some((t) => t.effect === 'NoExecute' && untolerated(t));
  const noSchedule = taints.some((t) => t.effect === 'NoSchedule' && untolerated(t));
  return { shouldRun: !noExecute && !noSchedule, shouldContinueRunning: !noExecute };
};

const templateHash = (ds: DaemonSet): string => safeHash(canonicalJson(ds.spec.template), 10);


const isAvailable = (pod: Pod, minReadySeconds: number, now: number): boolean => {
  if (!isPodReady(pod)) return false;
  if (minReadySeconds <= 0) return true;
  const since = findCondition(pod.status?.conditions, 'Ready')?.lastTransitionTime;
  return since !== undefined && since !== null && Date.parse(since) + minReadySeconds * 1000 <= now;
};

/** The node a daemon pod is for: where it is bound, or the node its matchFields affinity names. */
export const daemonPodNode = (pod: Pod): string | undefined =>
  pod.spec.nodeName ??
  pod.spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms
    .flatMap((term) => term.matchFields ?? [])
    .find((req) => req.key === 'metadata.name' && req.operator === 'In')?.values?.[0];

const createDaemonPod = (world: SimContext, ds: DaemonSet, nodeName: string, hash: string, now: number): void => {
  const template = ds.spec.template;
  const spec = clone(template.spec);
  spec.tolerations = daemonTolerations(template.spec);
  spec.affinity = {
    ...(spec.affinity ?? {}),
    nodeAffinity: {
      ...(spec.affinity?.nodeAffinity ?? {}),
      // ReplaceDaemonSetPodNodeNameNodeAffinity: the terms were checked by the controller already.
      requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [nodeName] }] }] },
    },
  };
  const labels = { ...(template.metadata?.labels ?? {}), [REVISION_HASH_LABEL]: hash, [GENERATION_LABEL]: String(ds.metadata.generation ?? 1) };
  createPodFromTemplate(world, { owner: ds, kind: 'DaemonSet', template, labels, spec, source: MANAGER }, now);
};

const deleteDaemonPod = (world: SimContext, ds: DaemonSet, pod: Pod): void => {
  if (pod.metadata.deletionTimestamp) return;
  world.api.delete(POD, pod.metadata.namespace, pod.metadata.name);
  world.events.record(ds, 'Normal', 'SuccessfulDelete', `Deleted pod: ${pod.metadata.name}`, MANAGER);
};

const resolveMaxUnavailable = (value: IntOrString | undefined, desired: number): number => {
  if (value === undefined) return 1;
  if (typeof value === 'number') return value;
  return Math.ceil((Number(value.replace('%', '')) * desired) / 100);
};

const byAge = (a: Pod, b: Pod): number =>
  a.metadata.creationTimestamp.localeCompare(b.metadata.creationTimestamp) || Number(a.metadata.resourceVersion) - Number(b.metadata.resourceVersion);

const syncDaemonSet = (world: SimContext, ds: DaemonSet, nodes: Node[], allPods: Pod[], now: number): void => {
  const hash = templateHash(ds);
  const minReady = ds.spec.minReadySeconds ?? 0;
  const owned = allPods.filter((p) => p.metadata.namespace === ds.metadata.namespace).filter(ownedBy(ds.metadata.uid));
  const nodeNames = new Set(nodes.map((n) => n.metadata.name));
  // Pods for nodes that are gone (unbound ones included): nobody else removes an unbound pod.
  for (const pod of owned) {
    const target = daemonPodNode(pod);
    if (target === undefined || !nodeNames.has(target)) deleteDaemonPod(world, ds, pod);
  }
  const status: DaemonSetStatus = { currentNumberScheduled: 0, numberMisscheduled: 0, desiredNumberScheduled: 0, numberReady: 0, updatedNumberScheduled: 0, numberAvailable: 0 };
  const outdated: { pod: Pod; available: boolean }[] = [];
  let unavailable = 0;
  for (const node of nodes) {
    const { shouldRun, shouldContinueRunning } = nodeEligibility(ds, node);
    const here = owned.filter((p) => daemonPodNode(p) === node.metadata.name && !p.metadata.deletionTimestamp).sort(byAge);
    // A failed daemon pod is deleted and replaced (the controller's failed-pod back-off is not modelled).
    const failed = here.filter((p) => p.status?.phase === 'Failed');
    failed.forEach((p) => deleteDaemonPod(world, ds, p));
    const running = here.filter((p) => p.status?.phase !== 'Failed');
    if (shouldRun) status.desiredNumberScheduled += 1;
    if (!shouldContinueRunning) {
      running.forEach((p) => deleteDaemonPod(world, ds, p));
      continue;
    }
    if (running.length === 0) {
      if (shouldRun) {
        createDaemonPod(world, ds, node.metadata.name, hash, now);
        unavailable += 1;
      }
      continue;
    }
    running.slice(1).forEach((p) => deleteDaemonPod(world, ds, p));
    const [pod] = running as [Pod];
    if (!shouldRun) {
      status.numberMisscheduled += 1;
      continue;
    }
    status.currentNumberScheduled += 1;
    const available = isAvailable(pod, minReady, now);
    if (isPodReady(pod)) status.numberReady += 1;
    if (available) status.numberAvailable = (status.numberAvailable ?? 0) + 1;
    else unavailable += 1;
    if (pod.metadata.labels?.[REVISION_HASH_LABEL] === hash) status.updatedNumberScheduled = (status.updatedNumberScheduled ?? 0) + 1;
    else outdated.push({ pod, available });
  }
  if (ds.spec.updateStrategy?.type !== 'OnDelete' && outdated.length > 0) {
    // Out-of-date pods that are not available go first and cost nothing; then as many
    // available ones as maxUnavailable leaves room for.
    let budget = resolveMaxUnavailable(ds.spec.updateStrategy?.rollingUpdate?.maxUnavailable, status.desiredNumberScheduled) - unavailable;
    for (const { pod, available } of outdated.sort((a, b) => Number(a.available) - Number(b.available))) {
      if (!available) deleteDaemonPod(world, ds, pod);
      else if (budget > 0) {
        deleteDaemonPod(world, ds, pod);
        budget -= 1;
      }
    }
  }
  status.numberUnavailable = Math.max(0, status.desiredNumberScheduled - (status.numberAvailable ?? 0));
  if (status.numberUnavailable === 0) delete status.numberUnavailable;
  status.observedGeneration = ds.metadata.generation ?? 1;
  if (minReady > 0 && status.numberReady > (status.numberAvailable ?? 0)) world.wakeAt(now + 1000);
  if (JSON.stringify(status) !== JSON.stringify(ds.status)) {
    world.store.mutate<DaemonSet>(DAEMONSET, ds.metadata.namespace, ds.metadata.name, (draft) => {
      draft.status = status;
    });
  }
};

export const reconcileDaemonSets = (world: SimContext, now: number): void => {
  const daemonSets = world.store.list<DaemonSet>(DAEMONSET.plural).filter((ds) => !ds.metadata.deletionTimestamp);
  if (daemonSets.length === 0) return;
  const nodes = world.store.list<Node>(NODE.plural).filter((n) => !n.metadata.deletionTimestamp);
  const pods = world.store.list<Pod>(POD.plural);
  for (const ds of daemonSets) syncDaemonSet(world, ds, nodes, pods, now);
};
