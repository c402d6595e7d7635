/**
 * The Kubernetes API of the model cluster, through @kubernetes/client-node.
 *
 * The server and CA come from EKS DescribeCluster and the token from a presigned STS call
 * (TLS verified, no kubeconfig file). The local cloud takes the same path: its simulated
 * EKS describes an HTTPS Kubernetes endpoint with its own CA.
 */
import {
  ApiException,
  AppsV1Api,
  CoreV1Api,
  createConfiguration,
  KubeConfig,
  NetworkingV1Api,
  Observable,
  PatchStrategy,
  PolicyV1Api,
  ServerConfiguration,
  setHeaderOptions,
  type KubernetesObject,
  type ObservableMiddleware,
  type V1Node,
  type V1PersistentVolumeClaim,
  type V1Pod,
  type V1PodDisruptionBudget,
  type V1Secret,
} from '@kubernetes/client-node';
import type { NetworkPolicyManifest } from '../domain/manifests';
import { clusterName, describeCluster } from './eks-node-groups';
import { eksToken } from './eks-token';
import { logger } from '../commons/logger';

import { namespace } from './model-namespace';

export { namespace };
const FIELD_MANAGER = 'gpu-control-plane';
const TOKEN_LIFETIME_MS = 10 * 60 * 1000;

/**
 * Every call gives up after this long. client-node sets no timeout of its own, so an API
 * server that accepts the connection and never answers (a private endpoint out of reach, an
 * overloaded control plane) would hold the task to the Lambda timeout; failing fast lets the
 * state machine's retry try again. Calls with their own deadline (callModelServer) override it.
 */
export const KUBERNETES_REQUEST_TIMEOUT_MS = 10_000;

export const requestTimeoutMiddleware = (timeoutMs: number): ObservableMiddleware => ({
  pre: (context) => {
    context.setSignal(AbortSignal.timeout(timeoutMs));
    return new Observable(Promise.resolve(context));
  },
  post: (response) => new Observable(Promise.resolve(response)),
});

export interface Clients {
  core: CoreV1Api;
  apps: AppsV1Api;
  policy: PolicyV1Api;
  networking: NetworkingV1Api;
  expiresAt: number;
}
let clients: Clients | undefined;

/** The API clients of a loaded KubeConfig, every request bounded by `timeoutMs`. */
export const makeClients = (kc: KubeConfig, timeoutMs = KUBERNETES_REQUEST_TIMEOUT_MS): Omit<Clients, 'expiresAt'> => {
  const server = kc.getCurrentCluster()?.server;
  if (!server) throw new Error('the Kubernetes configuration names no cluster');
  const configuration = createConfiguration({
    baseServer: new ServerConfiguration(server, {}),
    authMethods: { default: kc },
    middleware: [requestTimeoutMiddleware(timeoutMs)],
  });
  return {
    core: retrying(new CoreV1Api(configuration)),
    apps: retrying(new AppsV1Api(configuration)),
    policy: retrying(new PolicyV1Api(configuration)),
    networking: retrying(new NetworkingV1Api(configuration)),
  };
};

/** Retries of an answer that asks for one; the ASL's Retry handles anything longer. */
const API_RETRIES = 3;
const MAX_RETRY_AFTER_MS = 1_000;

/**
 * How long to wait before retrying, or undefined for no retry. client-node retries nothing, so
 * a burst of 429s (API Priority and Fairness) or a 503 from an overloaded API server went
 * straight to the workflow's few Retry attempts. Like client-go, which retries an answer that
 * carries Retry-After, a 429 or 5xx is tried again after that delay (bounded here), else after a
 * short jittered back-off. Connection errors are not retried here: a create may have happened.
 */
const retryDelayMs = (error: unknown, attempt: number): number | undefined => {
  if (!(error instanceof ApiException) || !(error.code === 429 || (error.code >= 500 && error.code <= 504))) return undefined;
  const retryAfter = Number((error.headers as Record<string, string> | undefined)?.['retry-after']);
  const backoff = 100 * 2 ** attempt * (0.5 + Math.random());
  return Math.min(MAX_RETRY_AFTER_MS, Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : backoff);
};

const retrying = <T extends object>(api: T): T =>
  new Proxy(api, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      // connect* calls reach the model server through the proxy: its 5xx are its own, and a
      // prompt must not be generated twice.
      if (typeof property === 'string' && property.startsWith('connect')) return (value as (...a: unknown[]) => unknown).bind(target);
      return async (...args: unknown[]) => {
        for (let attempt = 0; ; attempt += 1) {
          try {
            return await (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
          } catch (error) {
            const delay = retryDelayMs(error, attempt);
            if (delay === undefined || attempt >= API_RETRIES) throw error;
            await new Promise((resolve) => setTimeout(resolve, delay));
          }
        }
      };
    },
  });

const connect = async (): Promise<Clients> => {
  if (clients && clients.expiresAt > Date.now()) return clients;
  const kc = new KubeConfig();
  const cluster = await describeCluster();
  const token = await eksToken(clusterName, cluster.region ?? process.env.AWS_REGION ?? 'us-east-1');
  kc.loadFromOptions({
    clusters: [{ name: clusterName, server: cluster.endpoint, caData: cluster.caData, skipTLSVerify: false }],
    users: [{ name: 'workflow', token }],
    contexts: [{ name: clusterName, cluster: clusterName, user: 'workflow' }],
    currentContext: clusterName,
  });
  clients = { ...makeClients(kc), expiresAt: Date.now() + TOKEN_LIFETIME_MS };
  return clients;
};

const isStatus = (error: unknown, code: number): boolean => error instanceof ApiException && error.code === code;

/** Runs a delete, treating "already gone" as success. */
const ignoreNotFound = async (op: () => Promise<unknown>): Promise<void> => {
  try {
    await op();
  } catch (error) {
    if (!isStatus(error, 404)) throw error;
  }
};

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
export const applyObjects = async (objects: {
  deployment: KubernetesObject;
  service: KubernetesObject;
  podDisruptionBudget: V1PodDisruptionBudget;
  networkPolicy: NetworkPolicyManifest;
  secret?: V1Secret;
  persistentVolumeClaim?: V1PersistentVolumeClaim;
}): Promise<void> => {
  const { core, apps, policy, networking } = await connect();
  const name = objects.deployment.metadata?.name ?? '';
  if (objects.secret) {
    await core.patchNamespacedSecret({ name: objects.secret.metadata?.name ?? '', namespace, body: objects.secret, fieldManager: FIELD_MANAGER, force: true }, apply);
  }
  if (objects.persistentVolumeClaim) {
    const claim = objects.persistentVolumeClaim;
    await core.patchNamespacedPersistentVolumeClaim({ name: claim.metadata?.name ?? '', namespace, body: claim, fieldManager: FIELD_MANAGER, force: true }, apply);
  }
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

export const readDeploymentStatus = async (name: string) => {
  const { apps } = await connect();
  try {
    const deployment = await apps.readNamespacedDeployment({ name, namespace });
    return {
      exists: true as const,
      desired: deployment.spec?.replicas ?? 0,
      ready: deployment.status?.readyReplicas ?? 0,
      observedCurrent: (deployment.status?.observedGeneration ?? 0) >= (deployment.metadata?.generation ?? 0),
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

export const podLogTail = async (podName: string, tailLines: number): Promise<string> => {
  const { core } = await connect();
  try {
    return await core.readNamespacedPodLog({ name: podName, namespace, tailLines, container: 'vllm' });
  } catch {
    return '';
  }
};

/** The model server's container in every pod we render (domain/manifests.ts). */
export const MODEL_CONTAINER = 'vllm';

export interface PodLogQuery {
  tailLines: number;
  previous?: boolean;
  container?: string;
  /** Keep at most this many bytes, dropping the oldest whole lines (the response must fit in a Lambda payload). */
  maxBytes?: number;
}

export type PodLog = { log: string; truncated?: true } | { log: ''; error: string };

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
    const status: unknown = typeof error.body === 'string' ? safeJson(error.body) : error.body;
    const message = typeof status === 'object' && status !== null && 'message' in status ? status.message : undefined;
    if (typeof message === 'string' && message !== '') return message.slice(0, 500);
    return `the Kubernetes API refused to read the log (HTTP ${error.code})`;
  }
  logger.warn('pod log read failed', { error: error as Error });
  return 'the Kubernetes API did not answer; retry shortly';
};

const safeJson = (text: string): unknown => {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
};

const keepNewestBytes = (log: string, maxBytes: number): PodLog => {
  if (Buffer.byteLength(log, 'utf8') <= maxBytes) return { log };
  const bytes = Buffer.from(log, 'utf8');
  let start = bytes.length - maxBytes;
  // Start after a line break, so the first line shown is whole.
  const nextLine = bytes.indexOf(0x0a, start - 1);
  start = nextLine === -1 ? bytes.length : nextLine + 1;
  return { log: bytes.subarray(start).toString('utf8'), truncated: true };
};

export const deleteWorkloadObjects = async (name: string): Promise<void> => {
  const { core, apps, policy, networking } = await connect();
  await ignoreNotFound(() => apps.deleteNamespacedDeployment({ name, namespace, propagationPolicy: 'Foreground' }));
  await ignoreNotFound(() => core.deleteNamespacedService({ name, namespace }));
  await ignoreNotFound(() => core.deleteNamespacedSecret({ name, namespace }));
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

/** `aws:///us-east-1a/i-0abc` -> `i-0abc`. */
export const instanceIdOf = (node: V1Node): string | undefined => node.spec?.providerID?.split('/').pop();

export const isNodeReady = (node: V1Node): boolean =>
  node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;

/** The kinds of namespaced objects this control plane creates for a model. */
export type ManagedKind = 'Deployment' | 'Service' | 'Secret' | 'PersistentVolumeClaim' | 'PodDisruptionBudget' | 'NetworkPolicy';

export interface ManagedObject {
  kind: ManagedKind;
  name: string;
  uid: string;
  labels: Record<string, string>;
}

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

/** How a call to a model server through the service proxy ended (domain/prompt.ts maps it to the API's answer). */
export type ModelServerResult =
  | { kind: 'ok'; body: unknown }
  | { kind: 'http_error'; status: number; body: unknown }
  | { kind: 'timeout' }
  | { kind: 'unreachable'; message: string };

export interface ModelServerCall {
  method: 'GET' | 'POST';
  /** Path on the model server, e.g. `v1/models`. */
  path: string;
  body?: unknown;
  timeoutMs: number;
}

/** Sets the JSON body and the deadline on the generated client's request (its proxy calls take no body). */
const requestMiddleware = (call: ModelServerCall, signal: AbortSignal): ObservableMiddleware => ({
  pre: (context) => {
    context.setSignal(signal);
    if (call.body !== undefined) {
      context.setHeaderParam('Content-Type', 'application/json');
      context.setBody(JSON.stringify(call.body));
    }
    return new Observable(Promise.resolve(context));
  },
  post: (response) => new Observable(Promise.resolve(response)),
});

/**
 * Calls the model server of a deployment through the Kubernetes API service proxy
 * (`…/services/<name>:http/proxy/<path>`): the API server picks a Ready pod, so the control
 * plane needs no network path into the cluster. Never throws for the server's own answers.
 */
export const callModelServer = async (service: string, call: ModelServerCall): Promise<ModelServerResult> => {
  const { core } = await connect();
  const signal = AbortSignal.timeout(call.timeoutMs);
  const options = { middleware: [requestMiddleware(call, signal)], middlewareMergeStrategy: 'append' as const };
  const request = { name: `${service}:http`, namespace, path: call.path };
  try {
    const body =
      call.method === 'GET'
        ? await core.connectGetNamespacedServiceProxyWithPath(request, options)
        : await core.connectPostNamespacedServiceProxyWithPath(request, options);
    return { kind: 'ok', body: typeof body === 'string' ? safeJson(body) ?? body : body };
  } catch (error) {
    if (signal.aborted) return { kind: 'timeout' };
    if (error instanceof ApiException) {
      const body: unknown = typeof error.body === 'string' ? safeJson(error.body) ?? error.body : error.body;
      return { kind: 'http_error', status: error.code, body };
    }
    logger.warn('model server call failed', { error: error as Error });
    return { kind: 'unreachable', message: error instanceof Error ? error.message.slice(0, 300) : 'no answer' };
  }
};
