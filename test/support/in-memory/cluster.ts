/**
 * The model cluster in memory: the objects applied per name, pods and nodes a test puts there,
 * label selectors (`k=v,k2=v2`) matched as the API server would. Deleting a workload deletes
 * its objects; its pods go with them unless the test made them linger (`lingeringPods`), as
 * pods on a lost node do.
 */
import type { V1Node, V1PersistentVolumeClaim, V1Pod } from '@kubernetes/client-node';
import { LABELS } from '../../../functions/domain/manifests';
import type {
  ClaimState,
  Cluster,
  ManagedKind,
  ManagedObject,
  ModelServerCall,
  ModelServerResult,
  ModelServers,
  PodLog,
  PodLogQuery,
  WorkloadObjects,
  WorkloadStatus,
} from '../../../functions/ports';

const matches = (labels: Record<string, string> | undefined, selector: string): boolean =>
  selector
    .split(',')
    .filter(Boolean)
    .every((term) => {
      const [key, value] = term.split('=');
      return value === undefined ? labels?.[key ?? ''] !== undefined : labels?.[key ?? ''] === value;
    });

const isReady = (node: V1Node): boolean => node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;

export class InMemoryCluster implements Cluster {
  namespaceReady = false;
  /** Applied objects by kind and name (the latest apply). */
  readonly objects = new Map<string, ManagedObject & { body: unknown }>();
  pods: V1Pod[] = [];
  nodes: V1Node[] = [];
  /** Pods (by name) that stay after their workload is deleted: stuck on a lost node. */
  readonly lingeringPods = new Set<string>();
  /** Workload status per Deployment name, as a test says the controller reports it. */
  readonly workloadStatus = new Map<string, WorkloadStatus>();
  readonly logs = new Map<string, PodLog>();
  /** Claims (by name) whose deletion waits, as the pvc-protection finalizer holds a claim a scheduled pod uses. */
  readonly protectedClaims = new Set<string>();
  /** Claims (by name) still Pending: no volume provisioned yet (WaitForFirstConsumer); any other is Bound. */
  readonly unboundClaims = new Set<string>();
  /** Claims deleted while protected: still there, being deleted. */
  readonly deletingClaims = new Set<string>();
  private uid = 0;

  private put(kind: ManagedKind, body: { metadata?: { name?: string; labels?: Record<string, string> } }): void {
    const name = body.metadata?.name ?? '';
    this.uid += 1;
    this.objects.set(`${kind}/${name}`, { kind, name, uid: `uid-${this.uid}`, labels: { ...(body.metadata?.labels ?? {}) }, body: structuredClone(body) });
  }

  async ensureNamespace(): Promise<void> {
    this.namespaceReady = true;
  }

  async applyObjects(objects: WorkloadObjects): Promise<void> {
    if (!this.namespaceReady) throw new Error('namespaces "models" not found');
    if (objects.secret) this.put('Secret', objects.secret);
    if (objects.apiKeySecret) this.put('Secret', objects.apiKeySecret);
    if (objects.persistentVolumeClaim) this.put('PersistentVolumeClaim', objects.persistentVolumeClaim);
    this.put('PodDisruptionBudget', objects.podDisruptionBudget);
    this.put('NetworkPolicy', objects.networkPolicy);
    this.put('Deployment', objects.deployment);
    this.put('Service', objects.service);
  }

  async readWorkloadStatus(name: string): Promise<WorkloadStatus> {
    const given = this.workloadStatus.get(name);
    if (given) return { ...given };
    const deployment = this.objects.get(`Deployment/${name}`);
    if (!deployment) return { exists: false };
    const replicas = (deployment.body as { spec?: { replicas?: number } }).spec?.replicas ?? 0;
    return { exists: true, desired: replicas, ready: 0, observedCurrent: true };
  }

  async listPods(labelSelector: string): Promise<V1Pod[]> {
    return this.pods.filter((p) => matches(p.metadata?.labels, labelSelector)).map((p) => structuredClone(p));
  }

  async podsOnNodes(nodeNames: readonly string[]): Promise<Map<string, V1Pod[]>> {
    return new Map(
      nodeNames.map((n) => [n, this.pods.filter((p) => p.spec?.nodeName === n && p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed').map((p) => structuredClone(p))]),
    );
  }

  async readPodLog(podName: string, query: PodLogQuery): Promise<PodLog> {
    const log = this.logs.get(podName);
    if (!log) return { log: '', error: `container "${query.container ?? 'vllm'}" in pod "${podName}" is waiting to start` };
    if ('error' in log) return log;
    const lines = log.log.split('\n').slice(-query.tailLines).join('\n');
    return query.maxBytes !== undefined && lines.length > query.maxBytes ? { log: lines.slice(-query.maxBytes), truncated: true } : { log: lines };
  }

  async deleteWorkloadObjects(name: string): Promise<void> {
    const deploymentId = this.objects.get(`Deployment/${name}`)?.labels[LABELS.deploymentId];
    for (const key of [...this.objects.keys()]) if (key.endsWith(`/${name}`) || key === `Secret/${name}-api-key`) this.objects.delete(key);
    if (deploymentId !== undefined) {
      this.pods = this.pods.flatMap((p) => {
        if (p.metadata?.labels?.[LABELS.deploymentId] !== deploymentId) return [p];
        if (!this.lingeringPods.has(p.metadata?.name ?? '')) return [];
        return [{ ...p, metadata: { ...p.metadata, deletionTimestamp: p.metadata?.deletionTimestamp ?? new Date() } }];
      });
    }
  }

  async forceDeletePods(podNames: readonly string[]): Promise<number> {
    const before = this.pods.length;
    this.pods = this.pods.filter((p) => !podNames.includes(p.metadata?.name ?? ''));
    return before - this.pods.length;
  }

  async notReadyNodeNames(nodeNames: readonly string[]): Promise<Set<string>> {
    return new Set(nodeNames.filter((name) => {
      const node = this.nodes.find((n) => n.metadata?.name === name);
      return !node || !isReady(node);
    }));
  }

  async listNodes(labelSelector: string): Promise<V1Node[]> {
    return this.nodes.filter((n) => matches(n.metadata?.labels, labelSelector)).map((n) => structuredClone(n));
  }

  private node(name: string): V1Node | undefined {
    return this.nodes.find((n) => n.metadata?.name === name);
  }

  async cordonNode(name: string, annotations: Record<string, string> = {}): Promise<void> {
    const node = this.node(name);
    if (!node) throw new Error(`nodes "${name}" not found`);
    node.metadata = { ...node.metadata, annotations: { ...(node.metadata?.annotations ?? {}), ...annotations } };
    node.spec = { ...node.spec, unschedulable: true };
  }

  async uncordonNode(name: string, annotation: string, value: string): Promise<boolean> {
    const node = this.node(name);
    if (!node || node.metadata?.annotations?.[annotation] !== value) return false;
    const { [annotation]: _gone, ...annotations } = node.metadata.annotations;
    node.metadata = { ...node.metadata, annotations };
    node.spec = { ...node.spec, unschedulable: false };
    return true;
  }

  async listManagedObjects(labelSelector: string): Promise<ManagedObject[]> {
    return [...this.objects.values()].filter((o) => matches(o.labels, labelSelector)).map(({ body: _body, ...o }) => structuredClone(o));
  }

  async deleteManagedObject(object: ManagedObject): Promise<'deleted' | 'gone' | 'replaced'> {
    const current = this.objects.get(`${object.kind}/${object.name}`);
    if (!current) return 'gone';
    if (current.uid !== object.uid) return 'replaced';
    if (object.kind === 'PersistentVolumeClaim' && this.protectedClaims.has(object.name)) {
      this.deletingClaims.add(object.name);
      return 'deleted';
    }
    this.objects.delete(`${object.kind}/${object.name}`);
    return 'deleted';
  }

  /** The pvc-protection finalizer lets a claim go: deleted now if its deletion was asked. */
  releaseClaim(name: string): void {
    this.protectedClaims.delete(name);
    if (this.deletingClaims.delete(name)) this.objects.delete(`PersistentVolumeClaim/${name}`);
  }

  async readClaim(name: string): Promise<ClaimState | undefined> {
    const claim = this.objects.get(`PersistentVolumeClaim/${name}`);
    return claim ? { uid: claim.uid, bound: !this.unboundClaims.has(name), deleting: this.deletingClaims.has(name) } : undefined;
  }

  async applyClaim(claim: V1PersistentVolumeClaim): Promise<void> {
    if (!this.namespaceReady) throw new Error('namespaces "models" not found');
    const name = claim.metadata?.name ?? '';
    // Server-side apply converges an existing claim (same uid) and creates a missing one.
    const current = this.objects.get(`PersistentVolumeClaim/${name}`);
    if (current) current.body = structuredClone(claim);
    else this.put('PersistentVolumeClaim', claim);
  }

}

/** Model servers by endpoint_url: what each answers, and every call made. */
export class InMemoryModelServers implements ModelServers {
  readonly answers = new Map<string, ModelServerResult>();
  readonly calls: ModelServerCall[] = [];

  async call(call: ModelServerCall): Promise<ModelServerResult> {
    this.calls.push(structuredClone(call));
    return structuredClone(this.answers.get(call.endpointUrl) ?? { kind: 'unreachable', message: `the inference endpoint ${call.endpointUrl} did not answer` });
  }
}
