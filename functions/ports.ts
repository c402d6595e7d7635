/**
 * The ports: what the use cases need from the world, named by what the domain needs, not by
 * the service behind it. The adapters implement them (DynamoDB, Step Functions, EKS, Auto
 * Scaling, the Kubernetes API, Secrets Manager); test/support/in-memory/ implements them in
 * memory for the use cases' unit tests. A use case takes the ports it needs as its first
 * argument, a `Pick<Ports, ...>`, and never imports an adapter.
 *
 * functions/wiring/ plugs the adapters in: one module per port, and each entry (API handler,
 * workflow task, scheduled handler) builds its ports object at module scope, once per cold
 * start, from the modules it needs. One module per port rather than one factory for all, because
 * an adapter reads its configuration and creates its client when imported: a catalog route must
 * neither need EKS_CLUSTER_NAME nor bundle the Kubernetes client.
 *
 * Types only, plus the errors a port's contract promises. One file of more than 300 lines on
 * purpose: it is the whole vocabulary the use cases speak, read in one place.
 */
import type { KubernetesObject, V1Node, V1PersistentVolumeClaim, V1Pod, V1PodDisruptionBudget, V1Secret } from '@kubernetes/client-node';
import type { WorkflowName } from '../contract/routes';
import type { GpuDemand } from './domain/capacity';
import type { InferenceKeyRecord } from './domain/inference-keys';
import type { CatalogEntry } from './domain/catalog-admin';
import type { DeploymentPhase, DeploymentRecord, DeploymentStatus, Milestone, Tenant } from './domain/deployment';
import type { ModelIngress, NetworkPolicyManifest } from './domain/manifests';
import type { ExecutionState, LedgerObservation } from './domain/reconcile';

// ---- Errors of the ports' contracts ----

/**
 * A conditional write of a deployment found it changed since it was read, or owned by another
 * execution. Matched by name: the DynamoDB adapter throws its own class of that name.
 */
export class StaleWriteError extends Error {
  override name = 'StaleWrite';
}
export const isStaleWrite = (error: unknown): error is Error => error instanceof Error && error.name === 'StaleWrite';

/** A catalog entry changed (or appeared) since it was read. Matched by name, like StaleWriteError. */
export class CatalogWriteConflict extends Error {
  override name = 'CatalogWriteConflict';
}
export const isCatalogWriteConflict = (error: unknown): error is Error => error instanceof Error && error.name === 'CatalogWriteConflict';

// ---- Deployment store ----

/** Where a deployment record lives: enough to read it. */
export interface DeploymentKey extends Tenant {
  id: string;
}

export interface Page<T> {
  items: T[];
  total: number;
}

export interface WriteCondition {
  /** The version the caller read. */
  version?: number;
  /** The execution that must still own the deployment. */
  executionArn?: string;
  /** Allowed current statuses. */
  statusIn?: readonly DeploymentStatus[];
}

export type DeploymentChanges = Partial<Omit<DeploymentRecord, 'org_id' | 'project_id' | 'id' | 'version' | 'timeline'>>;

export interface UpdateOptions {
  now: Date;
  /** Cold-start milestones to stamp with `now`, each only the first time. */
  milestones?: readonly Milestone[];
  /** The history entry this change writes (status and phase are taken from the new record). */
  event?: { type: string; message: string; reason?: string };
  /** The deployment holds GPUs again (a resume after its reservation was taken): count it toward this GPU config's demand. */
  holdsCapacityOn?: string;
}

export interface Reservation extends DeploymentKey {
  status: DeploymentStatus;
  phase: DeploymentPhase;
  reserved_gpus: number;
  execution_arn: string;
}

export interface DueDeployment {
  record: DeploymentRecord;
  dueAt: string;
}

/**
 * Deployment records, their name claims, the GPU-demand, in-flight and schedule-due indexes.
 * Every write after creation is conditional and throws StaleWriteError when its condition fails.
 */
export interface DeploymentStore {
  /** Claims the name (ConflictError if taken), writes the record and its `accepted` event. */
  create(record: DeploymentRecord): Promise<void>;
  get(tenant: Tenant, id: string): Promise<DeploymentRecord | undefined>;
  /** Newest first; `after` (a deployment id) starts right after it. */
  list(tenant: Tenant, page: number, limit: number, after?: string): Promise<Page<DeploymentRecord>>;
  /** Applies `changes` if `condition` holds, bumping version, stamping milestones, appending the event. */
  update(tenant: Tenant, id: string, changes: DeploymentChanges, condition: WriteCondition, options: UpdateOptions): Promise<DeploymentRecord>;
  /** Zeroes `reserved_gpus` if `executionArn` owns the record and it holds some; returns what the caller must give back (0 otherwise). */
  takeReservation(tenant: Tenant, id: string, executionArn: string): Promise<{ gpuConfigId: string; gpus: number }>;
  /** Removes the record if `executionArn` still owns it (StaleWriteError otherwise) and frees its name. */
  remove(record: DeploymentRecord, executionArn: string): Promise<void>;
  /** Undo of a create whose workflow could not start. */
  discard(record: DeploymentRecord): Promise<void>;
  /** GPU demand of every deployment that still holds capacity on one GPU config (eventually consistent). */
  gpuDemandOf(gpuConfigId: string): Promise<(GpuDemand & { id: string })[]>;
  /** Deployments an execution should be working on (eventually consistent). */
  inFlight(): Promise<DeploymentKey[]>;
  reservationsOn(gpuConfigId: string): Promise<Reservation[]>;
  /** Stores (or removes, with null) the schedule and when it is due next; StaleWriteError if gone or terminating. */
  putSchedule(
    tenant: Tenant,
    id: string,
    schedule: { schedule: DeploymentRecord['schedule']; state: DeploymentRecord['schedule_state'] } | null,
    dueAt: string | null,
  ): Promise<void>;
  dueDeployments(now: Date, limit: number): Promise<{ due: DueDeployment[]; itemsRead: number }>;
  /** Moves the due time from `seenDueAt` to `leaseUntil`; false if someone else did first. */
  claimDue(key: DeploymentKey, seenDueAt: string, leaseUntil: string): Promise<boolean>;
  finishDue(key: DeploymentKey, leaseUntil: string, state: NonNullable<DeploymentRecord['schedule_state']>, nextDueAt: string | null): Promise<boolean>;
  scheduleDueAt(tenant: Tenant, id: string): Promise<string | null>;
}

// ---- Deployment history ----

export interface DeploymentEvent {
  at: string;
  status: DeploymentStatus;
  phase: DeploymentPhase;
  type: string;
  message: string;
  reason?: string;
  execution_arn?: string;
}

export interface EventLog {
  /** Oldest first; `after`/`next` are opaque cursors. */
  list(tenant: Tenant, deploymentId: string, options: { limit: number; after?: string }): Promise<{ items: DeploymentEvent[]; next?: string }>;
}

// ---- Capacity ledger ----

export interface LedgerState {
  reservedGpus: number;
  /** When a reservation or release last changed it; null if it never was. */
  updatedAt: string | null;
  driftObserved?: LedgerObservation;
}

/** GPUs reserved per GPU config, never past the node group's limit. */
export interface CapacityLedger {
  reserved(gpuConfigId: string): Promise<number>;
  /** Reserves if the total stays within `limit`, else ConflictError saying what is taken. */
  reserve(gpuConfigId: string, gpus: number, limit: number, nodeGroup: string): Promise<void>;
  /** Gives GPUs back, never below zero. */
  release(gpuConfigId: string, gpus: number): Promise<void>;
  read(gpuConfigId: string): Promise<LedgerState>;
  recordDrift(gpuConfigId: string, observation: LedgerObservation | null): Promise<void>;
  /** Sets the count if the ledger still holds exactly `expected`; false if it moved. */
  repair(gpuConfigId: string, gpus: number, expected: Pick<LedgerState, 'reservedGpus' | 'updatedAt'>): Promise<boolean>;
}

// ---- Workflow engine ----

export interface WorkflowInput {
  deployment: { org_id: string; project_id: string; id: string; gpu_config_id: string };
}

export interface WorkflowEngine {
  /** A fresh, readable execution name. */
  executionName(deploymentId: string, workflow: WorkflowName, now: Date): string;
  /** The ARN the execution of that name will have, known before it starts. */
  plannedExecutionArn(workflow: WorkflowName, name: string): string;
  start(workflow: WorkflowName, name: string, input: WorkflowInput): Promise<string>;
  /** Stops a running execution (a finished one is not an error). */
  stop(executionArn: string, cause: string, error?: string): Promise<void>;
  describe(executionArn: string): Promise<ExecutionState>;
}

// ---- The cluster (Kubernetes) ----

export interface WorkloadObjects {
  deployment: KubernetesObject;
  service: KubernetesObject;
  podDisruptionBudget: V1PodDisruptionBudget;
  networkPolicy: NetworkPolicyManifest;
  secret?: V1Secret;
  /** `<workload>-api-key`: the model server's own key (VLLM_API_KEY), which only the inference gateway also holds. */
  apiKeySecret?: V1Secret;
  persistentVolumeClaim?: V1PersistentVolumeClaim;
}

export type WorkloadStatus =
  | { exists: false }
  | {
      exists: true;
      desired: number;
      ready: number;
      observedCurrent: boolean;
      /** The Deployment's ReplicaFailure condition (its ReplicaSet cannot create pods: FailedCreate), and since when. */
      replicaFailure?: { message: string; since: string };
    };

export interface PodLogQuery {
  tailLines: number;
  previous?: boolean;
  container?: string;
  /** Keep at most this many bytes, dropping the oldest whole lines. */
  maxBytes?: number;
}

export type PodLog = { log: string; truncated?: true } | { log: ''; error: string };

export interface ClaimState {
  uid: string;
  bound: boolean;
  deleting: boolean;
}

export type ManagedKind = 'Deployment' | 'Service' | 'Secret' | 'PersistentVolumeClaim' | 'PodDisruptionBudget' | 'NetworkPolicy';

export interface ManagedObject {
  kind: ManagedKind;
  name: string;
  uid: string;
  labels: Record<string, string>;
}

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
  /** The deployment's `endpoint_url` (the gateway's path to it, ending in /v1). */
  endpointUrl: string;
  /** The control plane's credential at the gateway for this deployment, sent as `Authorization: Bearer`. */
  apiKey: string;
}

/** A deployment's model server as its customers reach it: through the inference gateway at its endpoint_url. */
export interface ModelServers {
  /** Never throws for the server's (or the gateway's) answers. */
  call(call: ModelServerCall): Promise<ModelServerResult>;
}

/** The model cluster: its objects in the model namespace, its pods and its nodes. */
export interface Cluster {
  ensureNamespace(): Promise<void>;
  /** Creates or converges a model's objects (idempotent). */
  applyObjects(objects: WorkloadObjects): Promise<void>;
  readWorkloadStatus(name: string): Promise<WorkloadStatus>;
  listPods(labelSelector: string): Promise<V1Pod[]>;
  /** Non-terminal pods on each node, every namespace. */
  podsOnNodes(nodeNames: readonly string[]): Promise<Map<string, V1Pod[]>>;
  /** One pod's log; a refusal comes back as `error`, never thrown. */
  readPodLog(podName: string, query: PodLogQuery): Promise<PodLog>;
  deleteWorkloadObjects(name: string): Promise<void>;
  /** Deletes pods at once (grace 0); returns how many. */
  forceDeletePods(podNames: readonly string[]): Promise<number>;
  notReadyNodeNames(nodeNames: readonly string[]): Promise<Set<string>>;
  listNodes(labelSelector: string): Promise<V1Node[]>;
  cordonNode(name: string, annotations?: Record<string, string>): Promise<void>;
  /** Uncordons only if the node still carries `annotation` = `value`; false otherwise. */
  uncordonNode(name: string, annotation: string, value: string): Promise<boolean>;
  listManagedObjects(labelSelector: string): Promise<ManagedObject[]>;
  /** Deletes exactly the object listed (by uid). */
  deleteManagedObject(object: ManagedObject): Promise<'deleted' | 'gone' | 'replaced'>;
  /** A claim's uid, whether it is bound to a volume, and whether it is being deleted (finalizers pending); undefined if there is none. */
  readClaim(name: string): Promise<ClaimState | undefined>;
  /** Creates or converges one claim (server-side apply). */
  applyClaim(claim: V1PersistentVolumeClaim): Promise<void>;
}

// ---- Node groups (EKS managed node groups and their Auto Scaling groups) ----

export interface NodeGroupState {
  name: string;
  status: string;
  minSize: number;
  maxSize: number;
  desiredSize: number;
  autoScalingGroup: string | undefined;
  healthIssues: { code: string; message: string }[];
}

export interface ScalingActivity {
  statusCode: string;
  statusMessage: string;
  description: string;
  startTime: Date;
}

export interface GroupInstance {
  instanceId: string;
  lifecycleState: string;
}

export interface NodeGroups {
  describe(name: string): Promise<NodeGroupState>;
  /** `busy`: another update is in progress; `unchanged`: the group already has that size. Neither is a failure. */
  setDesiredSize(name: string, desiredSize: number): Promise<'set' | 'busy' | 'unchanged'>;
  /** Scaling activities started at or after `since`, newest first. */
  scalingActivitiesSince(autoScalingGroup: string, since: Date): Promise<ScalingActivity[]>;
  instances(autoScalingGroup: string): Promise<GroupInstance[]>;
  /** The group's own desired capacity and its instances not terminating. */
  size(autoScalingGroup: string): Promise<{ desiredCapacity: number; liveInstances: number } | undefined>;
  /** Terminates exactly this instance, lowering the desired size by one; `already_released` if another operation did. */
  terminateInstance(instanceId: string): Promise<'terminated' | 'already_released'>;
}

// ---- Time ----

export interface Clock {
  now(): Date;
  /**
   * Cluster seconds per wall second's fraction: 1 in AWS; the local cloud runs faster, so
   * elapsed wall time is divided by it (deadlines mean the same in both).
   */
  readonly timeScale: number;
  /** Cluster seconds elapsed since `sinceIso`. */
  elapsedSeconds(sinceIso: string, at?: Date): number;
}

// ---- Smaller stores ----

/** Recent cold-start durations per model and GPU config (the ETA's samples). */
export interface ColdStartStats {
  samples(catalogId: string, gpuConfigId: string): Promise<number[]>;
  /** Appends one; a lost race may drop it. */
  record(catalogId: string, gpuConfigId: string, seconds: number): Promise<void>;
}

/** The admins' catalog entries; writes conditional on the version read (CatalogWriteConflict). */
export interface CatalogStore {
  get(id: string): Promise<CatalogEntry | undefined>;
  list(): Promise<CatalogEntry[]>;
  put(entry: CatalogEntry, expected: number | 'absent'): Promise<void>;
}

/** Hugging Face tokens, one secret per deployment; only the ARN travels. */
export interface TokenSecrets {
  store(deploymentId: string, token: string): Promise<string>;
  read(secretArn: string): Promise<string>;
  /** Gone is fine. */
  delete(secretArn: string): Promise<void>;
}

export interface ServingReading {
  /** Sum of request_success_total over the Ready pods. */
  counter: number;
  /** Sum of num_requests_running over the Ready pods. */
  running: number;
  pods: number;
  /** Sum of num_requests_waiting over the Ready pods (the load autoscaler; absent from older readers). */
  waiting?: number;
  /** The highest kv_cache_usage_perc (0..1) of the Ready pods: the fullest replica preempts first. */
  kvCacheUsage?: number;
}

/** What a deployment's model server serves (the idle check and the load autoscaler). */
export interface ServingMetrics {
  read(deploymentId: string): Promise<ServingReading>;
}

/** How model workloads are rendered in this installation. */
/** Where a ready model answers. */
export interface ServingEndpoint {
  namespace: string;
  /** A ready deployment's endpoint, with `{service}`, `{namespace}`, `{org}`, `{project}` and `{id}` to fill in. */
  endpointUrlTemplate: string;
}

export interface ServingSettings extends ServingEndpoint {
  image: string;
  ingress: ModelIngress;
}

/** Which errors of the outside world (throttling, 5xx, dropped connections) the same call will likely get past a little later. */
export interface TransientErrors {
  isTransient(error: unknown): boolean;
}

// ---- The data plane: inference keys, token usage, load ----

/**
 * Inference keys, one record per key, found by id alone (the id travels in the key), listed per
 * project. `create` fails with StaleWriteError if the id exists; `revoke` sets `revoked_at` once
 * and returns the record as it now is (undefined: no such key).
 */
export interface InferenceKeyStore {
  create(record: InferenceKeyRecord): Promise<void>;
  get(keyId: string): Promise<InferenceKeyRecord | undefined>;
  /** Newest first; `total` is the project's key count. */
  list(tenant: Tenant, page: { page: number; limit: number }): Promise<Page<InferenceKeyRecord>>;
  revoke(keyId: string, at: Date): Promise<InferenceKeyRecord | undefined>;
}

/** What the gateway metered for one key on one deployment in one UTC day, added to the counters. */
export interface UsageIncrement extends Tenant {
  keyId: string;
  deploymentId: string;
  /** YYYY-MM-DD, UTC. */
  day: string;
  requests: number;
  promptTokens: number;
  completionTokens: number;
  /** Requests whose counts were estimated (a stream cut before vLLM's usage chunk). */
  estimatedRequests: number;
}

export interface TokenUsageDay {
  day: string;
  deploymentId: string;
  requests: number;
  promptTokens: number;
  completionTokens: number;
  estimatedRequests: number;
}

/** Token counters per key and per deployment, per UTC day (atomic ADDs: several gateways write them). */
export interface TokenUsageStore {
  add(increments: readonly UsageIncrement[]): Promise<void>;
  /** A key's days, per deployment, oldest first. */
  ofKey(keyId: string): Promise<TokenUsageDay[]>;
  /** A deployment's days (every key summed), oldest first. */
  ofDeployment(deploymentId: string): Promise<TokenUsageDay[]>;
}

/** The keys derived from the gateway's master secret (domain/inference-keys.ts), read once per process. */
export interface GatewaySecrets {
  /** The pepper of the keys' stored hashes. */
  keyHashPepper(): Promise<Buffer>;
  /** The model server's own `--api-key` for one deployment. */
  modelServerKey(deploymentId: string): Promise<string>;
  /** The control plane's credential at the gateway for one deployment (domain/inference-keys.ts controlPlaneKey). */
  controlPlaneKey(deploymentId: string): Promise<string>;
}

/** What one gateway instance sees of a deployment's load, published every few seconds. */
export interface LoadSnapshot {
  deploymentId: string;
  /** Requests being proxied now. */
  inFlight: number;
  /** Requests held waiting for a replica (scale from zero). */
  held: number;
  /** Requests answered since the previous snapshot. */
  completed: number;
  at: string;
}

/** The gateways' load signals, summed over the instances that published recently (the autoscaler's input). */
export interface LoadSignals {
  publish(instanceId: string, snapshots: readonly LoadSnapshot[]): Promise<void>;
  /** The sum over instances whose snapshot is newer than `freshSince`. */
  read(deploymentId: string, freshSince: Date): Promise<{ inFlight: number; held: number; completed: number; instances: number }>;
}

export interface Ports {
  deployments: DeploymentStore;
  events: EventLog;
  ledger: CapacityLedger;
  workflows: WorkflowEngine;
  cluster: Cluster;
  modelServers: ModelServers;
  nodeGroups: NodeGroups;
  clock: Clock;
  coldStarts: ColdStartStats;
  catalog: CatalogStore;
  secrets: TokenSecrets;
  servingMetrics: ServingMetrics;
  serving: ServingSettings;
  transientErrors: TransientErrors;
  inferenceKeys: InferenceKeyStore;
  tokenUsage: TokenUsageStore;
  gatewaySecrets: GatewaySecrets;
  loadSignals: LoadSignals;
}
