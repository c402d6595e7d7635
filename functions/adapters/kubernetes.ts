/**
 * The model cluster's objects through the Kubernetes API: a model's workload (applied,
 * read, deleted), its pods and their logs, the GPU nodes, and the objects the reconcile lists.
 * Clients and connection: kubernetes-client.ts; the model server itself: model-server-proxy.ts.
 */
import { ApiException, PatchStrategy, setHeaderOptions, type KubernetesObject, type V1Node, type V1PersistentVolumeClaim, type V1Pod } from '@kubernetes/client-node';
import { logger } from '../commons/logger';
import { isNodeReady, keepNewestBytes } from '../domain/kubernetes-objects';
import { MODEL_CONTAINER } from '../domain/manifests';
import { connect, FIELD_MANAGER, ignoreNotFound, isStatus, parseJson } from './kubernetes-client';
import { namespace } from './model-namespace';
import type { ClaimState, PodLogQuery, PodLog, ManagedKind, ManagedObject, WorkloadObjects, WorkloadStatus } from '../ports';

export type { PodLogQuery, PodLog, ManagedKind, ManagedObject };

export { namespace };

const apply = setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply);

export const ensureNamespace = async (): Promise<void> => {
  const { core } = await connect();
  try {
    await core.readNamespace({ name: namespace });
  } catch (error) {
    if (!isStatus(error, 404)) throw error;
    try {
      await core.createNamespace({ body: { metadata: { name: namespace, labels: { 'app.kubernetes.io/managed-by': FIELD_MANAGER } } } });
    } catch (createError) {
      if (!isStatus(createError, 409)) throw createError;
    }
  }
};

/**
 * Server-side apply: creates or converges the objects, idempotently. The Secret and the claim
 * the pods mount go first, so a pod never starts without them; the disruption budget and the
 * network policy too, so a pod is never unprotected nor (behind the namespace's default deny)
 * unreachable by the API server's proxy.
 */
export const applyObjects = async (objects: WorkloadObjects): Promise<void> => {
  const { core, apps, policy, networking } = await connect();
  const name = objects.deployment.metadata?.name ?? '';
  if (objects.secret) {
    await core.patchNamespacedSecret({ name: objects.secret.metadata?.name ?? '', namespace, body: objects.secret, fieldManager: FIELD_MANAGER, force: true }, apply);
  }
  if (objects.apiKeySecret) {
    const keySecret = objects.apiKeySecret;
    await core.patchNamespacedSecret({ name: keySecret.metadata?.name ?? '', namespace, body: keySecret, fieldManager: FIELD_MANAGER, force: true }, apply);
  }
  if (objects.persistentVolumeClaim) await applyClaim(objects.persistentVolumeClaim);
  const budget = objects.podDisruptionBudget;
  await policy.patchNamespacedPodDisruptionBudget({ name: budget.metadata?.name ?? '', namespace, body: budget, fieldManager: FIELD_MANAGER, force: true }, apply);
  // A patch body goes on the wire as given (client-node types it `any`): the manifest's own `from`, not the model's `_from`.
  const netpol = objects.networkPolicy;
  await networking.patchNamespacedNetworkPolicy({ name: netpol.metadata.name ?? '', namespace, body: netpol, fieldManager: FIELD_MANAGER, force: true }, apply);
  await apps.patchNamespacedDeployment({ name, namespace, body: objects.deployment, fieldManager: FIELD_MANAGER, force: true }, apply);
  await core.patchNamespacedService(
    { name: objects.service.metadata?.name ?? '', namespace, body: objects.service, fieldManager: FIELD_MANAGER, force: true },
    apply,
  );
};

export const applyClaim = async (claim: V1PersistentVolumeClaim): Promise<void> => {
  const { core } = await connect();
  await core.patchNamespacedPersistentVolumeClaim({ name: claim.metadata?.name ?? '', namespace, body: claim, fieldManager: FIELD_MANAGER, force: true }, apply);
};

/** A claim's uid, whether it is Bound, and whether it is being deleted (the pvc-protection finalizer holds it while a scheduled pod uses it). */
export const readClaim = async (name: string): Promise<ClaimState | undefined> => {
  const { core } = await connect();
  try {
    const claim = await core.readNamespacedPersistentVolumeClaim({ name, namespace });
    return { uid: claim.metadata?.uid ?? '', bound: claim.status?.phase === 'Bound', deleting: claim.metadata?.deletionTimestamp !== undefined };
  } catch (error) {
    if (isStatus(error, 404)) return undefined;
    throw error;
  }
};

export const readDeploymentStatus = async (name: string): Promise<WorkloadStatus> => {
  const { apps } = await connect();
  try {
    const deployment = await apps.readNamespacedDeployment({ name, namespace });
    const failure = deployment.status?.conditions?.find((c) => c.type === 'ReplicaFailure' && c.status === 'True');
    const since = failure?.lastTransitionTime ?? failure?.lastUpdateTime;
    return {
      exists: true as const,
      desired: deployment.spec?.replicas ?? 0,
      ready: deployment.status?.readyReplicas ?? 0,
      observedCurrent: (deployment.status?.observedGeneration ?? 0) >= (deployment.metadata?.generation ?? 0),
      ...(failure ? { replicaFailure: { message: failure.message ?? failure.reason ?? 'ReplicaFailure', since: since ? new Date(since).toISOString() : new Date().toISOString() } } : {}),
    };
  } catch (error) {
    if (isStatus(error, 404)) return { exists: false as const };
    throw error;
  }
};

export const listPods = async (labelSelector: string): Promise<V1Pod[]> => {
  const { core } = await connect();
  return (await core.listNamespacedPod({ namespace, labelSelector })).items;
};

/** GET through the API server's pod proxy (`/api/v1/namespaces/{ns}/pods/{name}:{port}/proxy/{path}`). */
export const podProxyGet = async (podName: string, port: number, path: string): Promise<string> => {
  const { core } = await connect();
  return core.connectGetNamespacedPodProxyWithPath({ name: `${podName}:${port}`, namespace, path });
};

/**
 * The non-terminal pods bound to each of the given nodes, in every namespace, DaemonSet and
 * mirror pods included: which of them keep a node busy is the domain's rule
 * (domain/capacity.ts podKeepsNodeBusy), not this adapter's.
 */
export const podsOnNodes = async (nodeNames: readonly string[]): Promise<Map<string, V1Pod[]>> => {
  const { core } = await connect();
  const result = new Map<string, V1Pod[]>(nodeNames.map((n) => [n, []]));
  for (const nodeName of nodeNames) {
    const pods = await core.listPodForAllNamespaces({ fieldSelector: `spec.nodeName=${nodeName}` });
    result.set(nodeName, pods.items.filter((p) => p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed'));
  }
  return result;
};

/**
 * One pod's log, newest lines last. The API server's refusals (container still waiting to
 * start, no previous run, pod gone) come back as `error` with its message instead of being
 * thrown, so a caller showing several pods is not stopped by one of them.
 */
export const readPodLog = async (podName: string, query: PodLogQuery): Promise<PodLog> => {
  const { core } = await connect();
  let log: string;
  try {
    log = await core.readNamespacedPodLog({
      name: podName,
      namespace,
      container: query.container ?? MODEL_CONTAINER,
      tailLines: query.tailLines,
      previous: query.previous ?? false,
    });
  } catch (error) {
    return { log: '', error: podLogError(error) };
  }
  return query.maxBytes === undefined ? { log } : keepNewestBytes(log, query.maxBytes);
};

const podLogError = (error: unknown): string => {
  if (error instanceof ApiException) {
    const status: unknown = typeof error.body === 'string' ? parseJson(error.body) : error.body;
    const message = typeof status === 'object' && status !== null && 'message' in status ? status.message : undefined;
    if (typeof message === 'string' && message !== '') return message.slice(0, 500);
    return `the Kubernetes API refused to read the log (HTTP ${error.code})`;
  }
  logger.warn('pod log read failed', { error: error as Error });
  return 'the Kubernetes API did not answer; retry shortly';
};

export const deleteWorkloadObjects = async (name: string): Promise<void> => {
  const { core, apps, policy, networking } = await connect();
  await ignoreNotFound(() => apps.deleteNamespacedDeployment({ name, namespace, propagationPolicy: 'Foreground' }));
  await ignoreNotFound(() => core.deleteNamespacedService({ name, namespace }));
  await ignoreNotFound(() => core.deleteNamespacedSecret({ name, namespace }));
  await ignoreNotFound(() => core.deleteNamespacedSecret({ name: `${name}-api-key`, namespace }));
  await ignoreNotFound(() => core.deleteNamespacedPersistentVolumeClaim({ name, namespace }));
  await ignoreNotFound(() => policy.deleteNamespacedPodDisruptionBudget({ name, namespace }));
  await ignoreNotFound(() => networking.deleteNamespacedNetworkPolicy({ name, namespace }));
};

/**
 * Deletes pods at once (grace period 0), for pods stuck Terminating on a node that is gone or
 * NotReady: no kubelet is there to confirm their end, so without this they stay until the node
 * object is removed. Returns how many were deleted.
 */
export const forceDeletePods = async (podNames: readonly string[]): Promise<number> => {
  const { core } = await connect();
  let deleted = 0;
  for (const name of podNames) {
    await ignoreNotFound(async () => {
      await core.deleteNamespacedPod({ name, namespace, gracePeriodSeconds: 0 });
      deleted += 1;
    });
  }
  return deleted;
};

/** Names of the nodes that are not Ready (NotReady or Unknown: the kubelet stopped reporting). */
export const notReadyNodeNames = async (nodeNames: readonly string[]): Promise<Set<string>> => {
  const { core } = await connect();
  const notReady = new Set<string>();
  for (const name of nodeNames) {
    try {
      if (!isNodeReady(await core.readNode({ name }))) notReady.add(name);
    } catch (error) {
      if (!isStatus(error, 404)) throw error;
      notReady.add(name); // the node object is gone: so is its kubelet
    }
  }
  return notReady;
};

export const listNodes = async (labelSelector: string): Promise<V1Node[]> => {
  const { core } = await connect();
  return (await core.listNode({ labelSelector })).items;
};

/** Marks a node unschedulable, recording `annotations` with it (who cordoned it, and when). */
export const cordonNode = async (name: string, annotations: Record<string, string> = {}): Promise<void> => {
  const { core } = await connect();
  await core.patchNode(
    { name, body: { metadata: { annotations }, spec: { unschedulable: true } } },
    setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
  );
};

/**
 * Makes a node schedulable again and removes `annotation`, only if the node still carries it
 * with `value` (a resourceVersion precondition makes a concurrent change win): a cordon someone
 * else made, or renewed, is left alone. False if the node is gone or no longer ours to uncordon.
 */
export const uncordonNode = async (name: string, annotation: string, value: string): Promise<boolean> => {
  const { core } = await connect();
  let node: V1Node;
  try {
    node = await core.readNode({ name });
  } catch (error) {
    if (isStatus(error, 404)) return false;
    throw error;
  }
  if (node.metadata?.annotations?.[annotation] !== value) return false;
  try {
    await core.patchNode(
      { name, body: { metadata: { resourceVersion: node.metadata.resourceVersion, annotations: { [annotation]: null } }, spec: { unschedulable: null } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    return true;
  } catch (error) {
    if (isStatus(error, 404) || isStatus(error, 409)) return false;
    throw error;
  }
};

/** Every Deployment, Service, Secret, PVC, PodDisruptionBudget and NetworkPolicy in the model namespace matching `labelSelector`. */
export const listManagedObjects = async (labelSelector: string): Promise<ManagedObject[]> => {
  const { core, apps, policy, networking } = await connect();
  const [deployments, services, secrets, claims, budgets, policies] = await Promise.all([
    apps.listNamespacedDeployment({ namespace, labelSelector }),
    core.listNamespacedService({ namespace, labelSelector }),
    core.listNamespacedSecret({ namespace, labelSelector }),
    core.listNamespacedPersistentVolumeClaim({ namespace, labelSelector }),
    policy.listNamespacedPodDisruptionBudget({ namespace, labelSelector }),
    networking.listNamespacedNetworkPolicy({ namespace, labelSelector }),
  ]);
  const refs = (kind: ManagedKind, items: KubernetesObject[]): ManagedObject[] =>
    items.map((item) => ({ kind, name: item.metadata?.name ?? '', uid: item.metadata?.uid ?? '', labels: item.metadata?.labels ?? {} }));
  return [
    ...refs('Deployment', deployments.items),
    ...refs('Service', services.items),
    ...refs('Secret', secrets.items),
    ...refs('PersistentVolumeClaim', claims.items),
    ...refs('PodDisruptionBudget', budgets.items),
    ...refs('NetworkPolicy', policies.items),
  ];
};

/**
 * Deletes exactly the object that was listed (precondition on its uid; a Deployment takes its
 * pods with it). `gone`: it was already deleted; `replaced`: an object of that name with
 * another uid exists now, and was left alone.
 */
export const deleteManagedObject = async (object: ManagedObject): Promise<'deleted' | 'gone' | 'replaced'> => {
  const { core, apps, policy, networking } = await connect();
  const request = { name: object.name, namespace, body: { preconditions: { uid: object.uid }, propagationPolicy: 'Foreground' } };
  try {
    if (object.kind === 'Deployment') await apps.deleteNamespacedDeployment(request);
    else if (object.kind === 'Service') await core.deleteNamespacedService(request);
    else if (object.kind === 'Secret') await core.deleteNamespacedSecret(request);
    else if (object.kind === 'PodDisruptionBudget') await policy.deleteNamespacedPodDisruptionBudget(request);
    else if (object.kind === 'NetworkPolicy') await networking.deleteNamespacedNetworkPolicy(request);
    else await core.deleteNamespacedPersistentVolumeClaim(request);
    return 'deleted';
  } catch (error) {
    if (isStatus(error, 404)) return 'gone';
    if (isStatus(error, 409)) return 'replaced';
    throw error;
  }
};
