// Over 300 lines: the Deployment and ReplicaSet controllers share the rollout arithmetic (surge, unavailable, ranking).
/**
 * The Deployment and ReplicaSet controllers folded into one: a ReplicaSet per pod-template
 * hash, pods named `<deployment>-<hash>-<suffix>`, RollingUpdate (maxSurge/maxUnavailable)
 * and Recreate strategies, the ReplicaSet's pod-deletion ranking on scale-down, and status
 * with the Available / Progressing conditions.
 */
import { canonicalJson, nowIso, safeHash } from '../ids.js';
import type { SimContext } from '../context.js';
import { isPodReady, setCondition } from '../apiserver/conditions.js';
import { DEPLOYMENT, POD, REPLICASET } from '../apiserver/resources.js';
import { createPodFromTemplate, lastCreateFailure, ownedBy } from './pod-control.js';
import { clone, type Condition, type Deployment, type DeploymentStatus, type IntOrString, type Pod, type ReplicaSet } from '../apiserver/types.js';

export const TEMPLATE_HASH_LABEL = 'pod-template-hash';
const REVISION_ANNOTATION = 'deployment.kubernetes.io/revision';
const REVISION_HISTORY_ANNOTATION = 'deployment.kubernetes.io/revision-history';

const resolveIntOrPercent = (value: IntOrString | undefined, total: number, roundUp: boolean): number => {
  if (value === undefined) return 0;
  if (typeof value === 'number') return value;
  const percent = Number(value.replace('%', ''));
  const raw = (percent * total) / 100;
  return roundUp ? Math.ceil(raw) : Math.floor(raw);
};


const PHASE_RANK: Record<string, number> = { Pending: 0, Unknown: 1, Running: 2 };

/** ReplicaSet controller's ranking: the pods to delete first sort first. */
const deletionOrder = (a: Pod, b: Pod): number =>
  Number(Boolean(a.spec.nodeName)) - Number(Boolean(b.spec.nodeName)) ||
  (PHASE_RANK[a.status?.phase ?? 'Pending'] ?? 0) - (PHASE_RANK[b.status?.phase ?? 'Pending'] ?? 0) ||
  Number(isPodReady(a)) - Number(isPodReady(b)) ||
  (b.status?.containerStatuses?.[0]?.restartCount ?? 0) - (a.status?.containerStatuses?.[0]?.restartCount ?? 0) ||
  b.metadata.creationTimestamp.localeCompare(a.metadata.creationTimestamp) ||
  b.metadata.name.localeCompare(a.metadata.name);

const templateHash = (d: Deployment): string => safeHash(canonicalJson(d.spec.template), 10);

/** The deployment controller's cap on the revision-history annotation (maxRevHistoryLengthInChars). */
const MAX_REVISION_HISTORY_CHARS = 2000;

/** `history` with `revision` appended, dropping the oldest entries to stay within the cap (SetNewReplicaSetAnnotations). */
const appendRevisionHistory = (history: string | undefined, revision: string): string | undefined => {
  if (!history) return revision;
  const entries = history.split(',');
  let total = history.length + revision.length + 1;
  let start = 0;
  while (total > MAX_REVISION_HISTORY_CHARS && start < entries.length) {
    total -= (entries[start]?.length ?? 0) + 1;
    start += 1;
  }
  return total <= MAX_REVISION_HISTORY_CHARS ? [...entries.slice(start), revision].join(',') : history;
};

/**
 * The deployment controller keeps the new ReplicaSet's replica annotations current, and a
 * ReplicaSet that becomes new again (`rollout undo`) takes the next revision number and keeps
 * the one it had in `deployment.kubernetes.io/revision-history`, as `rollout history` reads them.
 */
const syncReplicaSetAnnotations = (world: SimContext, d: Deployment, rs: ReplicaSet, owned: ReplicaSet[]): ReplicaSet => {
  const desired = d.spec.replicas ?? 1;
  const surge = d.spec.strategy?.type === 'Recreate' ? 0 : resolveIntOrPercent(d.spec.strategy?.rollingUpdate?.maxSurge ?? '25%', desired, true);
  const maxRevision = Math.max(0, ...owned.map((o) => Number(o.metadata.annotations?.[REVISION_ANNOTATION] ?? 0)));
  const current = Number(rs.metadata.annotations?.[REVISION_ANNOTATION] ?? 0);
  const renumbered = current < maxRevision;
  const history = renumbered ? appendRevisionHistory(rs.metadata.annotations?.[REVISION_HISTORY_ANNOTATION], String(current)) : undefined;
  const wanted: Record<string, string> = {
    'deployment.kubernetes.io/desired-replicas': String(desired),
    'deployment.kubernetes.io/max-replicas': String(desired + surge),
    [REVISION_ANNOTATION]: String(renumbered ? maxRevision + 1 : current),
    ...(history ? { [REVISION_HISTORY_ANNOTATION]: history } : {}),
  };
  if (Object.entries(wanted).every(([k, v]) => rs.metadata.annotations?.[k] === v)) return rs;
  return world.store.mutate<ReplicaSet>(REPLICASET, rs.metadata.namespace, rs.metadata.name, (draft) => {
    draft.metadata.annotations = { ...(draft.metadata.annotations ?? {}), ...wanted };
  }) ?? rs;
};

const ensureReplicaSet = (world: SimContext, d: Deployment, hash: string, owned: ReplicaSet[]): ReplicaSet => {
  const existing = owned.find((rs) => rs.metadata.labels?.[TEMPLATE_HASH_LABEL] === hash);
  if (existing) return syncReplicaSetAnnotations(world, d, existing, owned);
  const revision = 1 + Math.max(0, ...owned.map((rs) => Number(rs.metadata.annotations?.[REVISION_ANNOTATION] ?? 0)));
  const template = clone(d.spec.template);
  template.metadata = { ...(template.metadata ?? {}), labels: { ...(template.metadata?.labels ?? {}), [TEMPLATE_HASH_LABEL]: hash } };
  const rs: ReplicaSet = {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: {
      name: `${d.metadata.name}-${hash}`,
      namespace: d.metadata.namespace,
      uid: '',
      resourceVersion: '',
      creationTimestamp: '',
      labels: { ...(d.spec.template.metadata?.labels ?? {}), [TEMPLATE_HASH_LABEL]: hash },
      annotations: {
        'deployment.kubernetes.io/desired-replicas': String(d.spec.replicas ?? 1),
        'deployment.kubernetes.io/max-replicas': String((d.spec.replicas ?? 1) + (d.spec.strategy?.type === 'Recreate' ? 0 : resolveIntOrPercent(d.spec.strategy?.rollingUpdate?.maxSurge ?? '25%', d.spec.replicas ?? 1, true))),
        [REVISION_ANNOTATION]: String(revision),
      },
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: d.metadata.name, uid: d.metadata.uid, controller: true, blockOwnerDeletion: true }],
    },
    spec: {
      replicas: 0,
      selector: {
        ...d.spec.selector,
        matchLabels: { ...(d.spec.selector.matchLabels ?? {}), [TEMPLATE_HASH_LABEL]: hash },
      },
      template,
      ...(d.spec.minReadySeconds ? { minReadySeconds: d.spec.minReadySeconds } : {}),
    },
    status: { replicas: 0 },
  };
  return world.api.createInternal(REPLICASET, rs);
};

const createPod = (world: SimContext, rs: ReplicaSet, now: number): boolean => {
  const template = rs.spec.template;
  return createPodFromTemplate(
    world,
    { owner: rs, kind: 'ReplicaSet', template, labels: { ...(template.metadata?.labels ?? {}) }, spec: clone(template.spec), source: 'replicaset-controller' },
    now,
  );
};

const deletePod = (world: SimContext, rs: ReplicaSet | undefined, pod: Pod): void => {
  world.api.delete(POD, pod.metadata.namespace, pod.metadata.name);
  if (rs) world.events.record(rs, 'Normal', 'SuccessfulDelete', `Deleted pod: ${pod.metadata.name}`, 'replicaset-controller');
};

interface Plan {
  /** Pods each ReplicaSet should have after this pass (ReplicaSet spec.replicas). */
  targets: Map<string, number>;
}

const isAvailable = (world: SimContext, pod: Pod, minReadySeconds: number, now: number): boolean => {
  if (!isPodReady(pod)) return false;
  if (minReadySeconds <= 0) return true;
  const readyAt = world.state.pods[pod.metadata.uid]?.readyAt;
  if (readyAt === undefined) return false;
  const availableAt = readyAt + world.ms(minReadySeconds);
  if (availableAt > now) world.wakeAt(availableAt);
  return availableAt <= now;
};

const reconcileDeployment = (world: SimContext, d: Deployment, now: number): void => {
  const namespace = d.metadata.namespace;
  const hash = templateHash(d);
  const replicaSets = world.store.list<ReplicaSet>(REPLICASET.plural, namespace).filter(ownedBy(d.metadata.uid));
  const current = ensureReplicaSet(world, d, hash, replicaSets);
  const allSets = replicaSets.some((rs) => rs.metadata.uid === current.metadata.uid) ? replicaSets : [...replicaSets, current];
  const setUids = new Set(allSets.map((rs) => rs.metadata.uid));
  const pods = world.store
    .list<Pod>(POD.plural, namespace)
    .filter((p) => p.metadata.ownerReferences?.some((r) => r.controller === true && setUids.has(r.uid)));
  const ownerOf = (pod: Pod): string => pod.metadata.ownerReferences?.find((r) => r.controller === true)?.uid ?? '';
  const active = pods.filter((p) => !p.metadata.deletionTimestamp);
  const newPods = active.filter((p) => ownerOf(p) === current.metadata.uid);
  const oldPods = active.filter((p) => ownerOf(p) !== current.metadata.uid);
  const desired = d.spec.replicas ?? 1;
  const minReady = d.spec.minReadySeconds ?? 0;
  const recreate = d.spec.strategy?.type === 'Recreate';
  const maxSurge = recreate ? 0 : resolveIntOrPercent(d.spec.strategy?.rollingUpdate?.maxSurge ?? '25%', desired, true);
  let maxUnavailable = recreate ? 0 : resolveIntOrPercent(d.spec.strategy?.rollingUpdate?.maxUnavailable ?? '25%', desired, false);
  if (!recreate && maxSurge === 0 && maxUnavailable === 0) maxUnavailable = 1;
  const rsByUid = new Map(allSets.map((rs) => [rs.metadata.uid, rs]));
  const plan: Plan = { targets: new Map(allSets.map((rs) => [rs.metadata.uid, pods.filter((p) => ownerOf(p) === rs.metadata.uid && !p.metadata.deletionTimestamp).length])) };
  let newCount = newPods.length;
  let oldRemaining = [...oldPods];

  if (!d.spec.paused) {
    if (recreate) {
      if (oldPods.length > 0) {
        oldPods.forEach((p) => deletePod(world, rsByUid.get(ownerOf(p)), p));
        oldRemaining = [];
      } else if (pods.every((p) => ownerOf(p) === current.metadata.uid)) {
        newCount = scaleTo(world, current, newPods, desired, now);
      }
    } else {
      if (newPods.length > desired) newCount = scaleTo(world, current, newPods, desired, now);
      else if (newPods.length < desired) {
        const room = desired + maxSurge - (newPods.length + oldPods.length);
        const toCreate = Math.min(desired - newPods.length, room);
        if (toCreate > 0) newCount = scaleTo(world, current, newPods, newPods.length + toCreate, now);
      }
      if (oldPods.length > 0) {
        const minAvailable = desired - maxUnavailable;
        const newUnavailable = newPods.filter((p) => !isAvailable(world, p, minReady, now)).length;
        let budget = active.length - minAvailable - newUnavailable;
        const available = active.filter((p) => isAvailable(world, p, minReady, now)).length;
        let availableBudget = available - minAvailable;
        for (const pod of [...oldPods].sort(deletionOrder)) {
          if (budget <= 0) break;
          const podAvailable = isAvailable(world, pod, minReady, now);
          if (podAvailable && availableBudget <= 0) continue;
          deletePod(world, rsByUid.get(ownerOf(pod)), pod);
          oldRemaining = oldRemaining.filter((p) => p !== pod);
          budget -= 1;
          if (podAvailable) availableBudget -= 1;
        }
      }
    }
  }

  plan.targets.set(current.metadata.uid, newCount);
  for (const rs of allSets) {
    if (rs.metadata.uid !== current.metadata.uid) plan.targets.set(rs.metadata.uid, oldRemaining.filter((p) => ownerOf(p) === rs.metadata.uid).length);
  }
  syncReplicaSets(world, d, allSets, plan, now, minReady);
  updateDeploymentStatus(world, d, current, plan, now, { desired, maxUnavailable });
};

/**
 * Creates or deletes pods of `rs` so that it has `target` active pods; returns the target (the
 * ReplicaSet's spec.replicas). Creation stops at the first refusal, as slowStartBatch does.
 */
const scaleTo = (world: SimContext, rs: ReplicaSet, active: Pod[], target: number, now: number): number => {
  if (active.length < target) {
    for (let i = active.length; i < target; i += 1) if (!createPod(world, rs, now)) break;
  } else if (active.length > target) {
    [...active].sort(deletionOrder).slice(0, active.length - target).forEach((p) => deletePod(world, rs, p));
  }
  return target;
};

const syncReplicaSets = (world: SimContext, d: Deployment, sets: ReplicaSet[], plan: Plan, now: number, minReady: number): void => {
  const allPods = world.store.list<Pod>(POD.plural, d.metadata.namespace);
  for (const rs of sets) {
    const target = plan.targets.get(rs.metadata.uid) ?? 0;
    const pods = allPods.filter((p) => p.metadata.ownerReferences?.some((r) => r.uid === rs.metadata.uid) && !p.metadata.deletionTimestamp);
    const ready = pods.filter(isPodReady).length;
    const available = pods.filter((p) => isAvailable(world, p, minReady, now)).length;
    const previous = rs.spec.replicas;
    const failure = lastCreateFailure(world, rs);
    const updated = world.store.mutate<ReplicaSet>(REPLICASET, rs.metadata.namespace, rs.metadata.name, (draft) => {
      draft.spec.replicas = target;
      // ReplicaFailure while pod creation is refused, kept (with its transition time) until a create succeeds.
      const held = draft.status?.conditions?.find((c) => c.type === 'ReplicaFailure');
      const conditions: Condition[] = failure
        ? [{ type: 'ReplicaFailure', status: 'True', reason: 'FailedCreate', message: failure, lastTransitionTime: held?.lastTransitionTime ?? nowIso(now) }]
        : [];
      draft.status = {
        replicas: pods.length,
        fullyLabeledReplicas: pods.length,
        ...(ready > 0 ? { readyReplicas: ready } : {}),
        ...(available > 0 ? { availableReplicas: available } : {}),
        observedGeneration: draft.metadata.generation ?? 1,
        ...(conditions.length > 0 ? { conditions } : {}),
      };
    });
    if (updated && previous !== target) {
      const verb = target > previous ? 'up' : 'down';
      world.events.record(d, 'Normal', 'ScalingReplicaSet', `Scaled ${verb} replica set ${rs.metadata.name} from ${previous} to ${target}`, 'deployment-controller');
    }
    const hasPods = allPods.some((p) => p.metadata.ownerReferences?.some((r) => r.uid === rs.metadata.uid));
    const isCurrent = rs.metadata.labels?.[TEMPLATE_HASH_LABEL] === templateHash(d);
    if (!isCurrent && !hasPods && target === 0) {
      const keep = d.spec.revisionHistoryLimit ?? 10;
      const oldSets = sets.filter((s) => s.metadata.labels?.[TEMPLATE_HASH_LABEL] !== templateHash(d));
      const rank = oldSets
        .map((s) => Number(s.metadata.annotations?.[REVISION_ANNOTATION] ?? 0))
        .sort((a, b) => b - a)
        .indexOf(Number(rs.metadata.annotations?.[REVISION_ANNOTATION] ?? 0));
      if (rank >= keep) world.api.delete(REPLICASET, rs.metadata.namespace, rs.metadata.name);
    }
  }
};

const updateDeploymentStatus = (
  world: SimContext,
  d: Deployment,
  current: ReplicaSet,
  plan: Plan,
  now: number,
  limits: { desired: number; maxUnavailable: number },
): void => {
  const setUids = new Set(plan.targets.keys());
  const pods = world.store
    .list<Pod>(POD.plural, d.metadata.namespace)
    .filter((p) => !p.metadata.deletionTimestamp && p.metadata.ownerReferences?.some((r) => setUids.has(r.uid)));
  const minReady = d.spec.minReadySeconds ?? 0;
  const replicas = pods.length;
  const updated = pods.filter((p) => p.metadata.ownerReferences?.some((r) => r.uid === current.metadata.uid)).length;
  const ready = pods.filter(isPodReady).length;
  const available = pods.filter((p) => isAvailable(world, p, minReady, now)).length;
  const total = [...plan.targets.values()].reduce((a, b) => a + b, 0);
  const unavailable = Math.max(0, total - available);
  const at = nowIso(now);
  const rsName = current.metadata.name;
  const failure = [current, ...[...plan.targets.keys()].map((uid) => world.store.byUid(uid) as ReplicaSet | undefined)].map((rs) => (rs ? lastCreateFailure(world, rs) : undefined)).find(Boolean);

  const fingerprint = `${current.metadata.uid}|${limits.desired}|${replicas}|${updated}|${ready}|${available}`;
  const progress = world.state.deploymentProgress[d.metadata.uid];
  if (progress?.fingerprint !== fingerprint) {
    world.state.deploymentProgress[d.metadata.uid] = { fingerprint, at: now };
    world.touch();
  }
  const lastProgress = world.state.deploymentProgress[d.metadata.uid]?.at ?? now;
  const complete = updated === limits.desired && replicas === limits.desired && available === limits.desired;
  const deadline = lastProgress + world.ms(d.spec.progressDeadlineSeconds ?? 600);

  let progressing: Condition;
  if (complete) {
    progressing = { type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable', message: `ReplicaSet "${rsName}" has successfully progressed.`, lastUpdateTime: at, lastTransitionTime: at };
  } else if (deadline <= now) {
    progressing = { type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded', message: `ReplicaSet "${rsName}" has timed out progressing.`, lastUpdateTime: at, lastTransitionTime: at };
  } else {
    world.wakeAt(deadline);
    progressing = { type: 'Progressing', status: 'True', reason: 'ReplicaSetUpdated', message: `ReplicaSet "${rsName}" is progressing.`, lastUpdateTime: nowIso(lastProgress), lastTransitionTime: at };
  }
  const minimum = Math.max(0, limits.desired - limits.maxUnavailable);
  const availableCondition: Condition =
    available >= minimum
      ? { type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable', message: 'Deployment has minimum availability.', lastUpdateTime: at, lastTransitionTime: at }
      : { type: 'Available', status: 'False', reason: 'MinimumReplicasUnavailable', message: 'Deployment does not have minimum availability.', lastUpdateTime: at, lastTransitionTime: at };

  world.store.mutate<Deployment>(DEPLOYMENT, d.metadata.namespace, d.metadata.name, (draft) => {
    const previous = draft.status?.conditions ?? [];
    const keepUpdateTime = (next: Condition): Condition => {
      const old = previous.find((c) => c.type === next.type);
      return old && old.status === next.status && old.reason === next.reason && old.message === next.message && old.lastUpdateTime
        ? { ...next, lastUpdateTime: old.lastUpdateTime }
        : next;
    };
    let conditions = setCondition(previous, keepUpdateTime(availableCondition));
    conditions = setCondition(conditions, keepUpdateTime(progressing));
    // The deployment controller moves its ReplicaSets' ReplicaFailure into the Deployment (getReplicaFailures).
    conditions = failure
      ? setCondition(conditions, keepUpdateTime({ type: 'ReplicaFailure', status: 'True', reason: 'FailedCreate', message: failure, lastUpdateTime: at, lastTransitionTime: at }))
      : conditions.filter((c) => c.type !== 'ReplicaFailure');
    const status: DeploymentStatus = {
      observedGeneration: draft.metadata.generation ?? 1,
      ...(replicas > 0 ? { replicas } : {}),
      ...(updated > 0 ? { updatedReplicas: updated } : {}),
      ...(ready > 0 ? { readyReplicas: ready } : {}),
      ...(available > 0 ? { availableReplicas: available } : {}),
      ...(unavailable > 0 ? { unavailableReplicas: unavailable } : {}),
      conditions: conditions.sort((a, b) => a.type.localeCompare(b.type)),
    };
    draft.status = status;
    draft.metadata.annotations = { ...(draft.metadata.annotations ?? {}), [REVISION_ANNOTATION]: current.metadata.annotations?.[REVISION_ANNOTATION] ?? '1' };
  });
};

export const reconcileDeployments = (world: SimContext, now: number): void => {
  for (const d of world.store.list<Deployment>(DEPLOYMENT.plural)) {
    if (d.metadata.deletionTimestamp) continue;
    reconcileDeployment(world, d, now);
  }
};
