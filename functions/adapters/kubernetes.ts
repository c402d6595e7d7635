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
  KubeConfig,
  PatchStrategy,
  setHeaderOptions,
  type KubernetesObject,
  type V1Node,
  type V1Pod,
} from '@kubernetes/client-node';
import { clusterName, describeCluster } from './eks-node-groups';
import { eksToken } from './eks-token';

import { namespace } from './model-namespace';

export { namespace };
const FIELD_MANAGER = 'gpu-control-plane';
const TOKEN_LIFETIME_MS = 10 * 60 * 1000;

interface Clients {
  core: CoreV1Api;
  apps: AppsV1Api;
  expiresAt: number;
}
let clients: Clients | undefined;

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
  clients = { core: kc.makeApiClient(CoreV1Api), apps: kc.makeApiClient(AppsV1Api), expiresAt: Date.now() + TOKEN_LIFETIME_MS };
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

/** Server-side apply: creates or converges the objects, idempotently. */
export const applyObjects = async (objects: { deployment: KubernetesObject; service: KubernetesObject }): Promise<void> => {
  const { core, apps } = await connect();
  const name = objects.deployment.metadata?.name ?? '';
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

/** Pods bound to the given nodes, in every namespace (a node is idle only if none runs there). */
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

export const deleteWorkloadObjects = async (name: string): Promise<void> => {
  const { core, apps } = await connect();
  await ignoreNotFound(() => apps.deleteNamespacedDeployment({ name, namespace, propagationPolicy: 'Foreground' }));
  await ignoreNotFound(() => core.deleteNamespacedService({ name, namespace }));
  await ignoreNotFound(() => core.deleteNamespacedSecret({ name, namespace }));
};

export const listNodes = async (labelSelector: string): Promise<V1Node[]> => {
  const { core } = await connect();
  return (await core.listNode({ labelSelector })).items;
};

export const cordonNode = async (name: string): Promise<void> => {
  const { core } = await connect();
  await core.patchNode(
    { name, body: { spec: { unschedulable: true } } },
    setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
  );
};

/** `aws:///us-east-1a/i-0abc` -> `i-0abc`. */
export const instanceIdOf = (node: V1Node): string | undefined => node.spec?.providerID?.split('/').pop();

export const isNodeReady = (node: V1Node): boolean =>
  node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
