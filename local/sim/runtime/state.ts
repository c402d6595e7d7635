/** The simulator's whole state, and its persistence to a JSON file. */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { SimNodeGroupConfig, SimTaint } from '../config.js';
import type { FaultRule, PodFault } from '../faults.js';
import type { StoreSnapshot } from '../apiserver/store.js';
import type { TlsMaterial } from '../server/tls.js';

export interface HealthIssue {
  code: string;
  message: string;
  resourceIds: string[];
}

export interface NodegroupUpdate {
  id: string;
  type: 'ConfigUpdate';
  status: 'InProgress' | 'Successful' | 'Failed';
  params: { type: string; value: string }[];
  createdAt: number;
  completesAt: number;
  errors: { errorCode: string; errorMessage: string; resourceIds: string[] }[];
  clientRequestToken?: string;
}

export interface ScalingActivity {
  activityId: string;
  description: string;
  cause: string;
  startTime: number;
  endTime?: number;
  statusCode: 'InProgress' | 'Successful' | 'Failed';
  statusMessage?: string;
  progress: number;
  /** Where the launch was tried (the activity's Details). */
  subnetId?: string;
  availabilityZone?: string;
}

export interface NodeGroupState {
  name: string;
  config: SimNodeGroupConfig;
  asgName: string;
  createdAt: number;
  modifiedAt: number;
  minSize: number;
  maxSize: number;
  /** The single source of truth: EKS desiredSize and ASG DesiredCapacity are both this number. */
  desiredSize: number;
  labels: Record<string, string>;
  taints: SimTaint[];
  subnets: string[];
  healthIssues: HealthIssue[];
  updates: NodegroupUpdate[];
  activities: ScalingActivity[];
  /** Consecutive failed launch attempts, and when the ASG tries again (its retry back-off). */
  launchFailures?: number;
  nextLaunchAt?: number;
}

export type InstanceLifecycle = 'Pending' | 'InService' | 'Terminating';

export interface InstanceState {
  instanceId: string;
  group: string;
  availabilityZone: string;
  subnetId: string;
  privateIp: string;
  nodeName: string;
  launchedAt: number;
  /** When the node has booted and registers Ready. */
  bootedAt: number;
  lifecycle: InstanceLifecycle;
  terminatingSince?: number;
  /** When the instance is gone, with its Node and pods. */
  goneAt?: number;
  /** Images already pulled on this node (second pulls are instant). */
  images: string[];
}

/**
 * Where a bound pod's container is in its life. Timestamps are absolute (epoch ms) so a
 * restarted simulator resumes where it stopped.
 */
export type PodStage =
  | 'pulling'
  | 'pull_error'
  | 'pull_backoff'
  | 'loading'
  | 'ready'
  | 'crashed'
  | 'crash_backoff'
  | 'node_lost';

export interface ContainerTermination {
  reason: 'Error' | 'OOMKilled';
  exitCode: number;
  startedAt: number;
  finishedAt: number;
  fault: PodFault;
}

export interface PodRuntime {
  uid: string;
  namespace: string;
  name: string;
  nodeName: string;
  podIP: string;
  scheduledAt: number;
  stage: PodStage;
  stageSince: number;
  /** When the stage ends by itself; null if it never does. */
  nextAt: number | null;
  pullAttempts: number;
  /** Why the last pull failed (Docker Hub's limit, or the image is not there). */
  pullError?: 'rate_limited' | 'not_found';
  restartCount: number;
  containerStartedAt?: number;
  readyAt?: number;
  /** The fault the current container run suffers, decided when it started. */
  runFault?: PodFault;
  lastTermination?: ContainerTermination;
  /** Set when the pod is being deleted: when it disappears. */
  removeAt?: number;
  /** The vLLM server's request counters for the current container run (vllm-server.ts). */
  traffic?: PodTraffic;
}

/** Per-pod serving counters, as the process of the current container run would count them. */
export interface PodTraffic {
  /** containerStartedAt of the run these counters belong to; another run starts from zero. */
  run: number;
  completed: number;
  running: number;
  waiting: number;
  promptTokens: number;
  generationTokens: number;
  /** Of `completed`: how many a length limit cut, and how many the client aborted (the rest stopped). */
  length?: number;
  aborted?: number;
  preemptions?: number;
  /** vLLM's latency histograms (vllm/metrics.ts): counts per bucket, sum and count, in model seconds. */
  histograms?: Record<string, { counts: number[]; sum: number; count: number }>;
}

export interface DeploymentProgress {
  fingerprint: string;
  at: number;
}

export interface SimState {
  version: 1;
  clusterName: string;
  region: string;
  createdAt: number;
  nodeGroups: Record<string, NodeGroupState>;
  instances: Record<string, InstanceState>;
  pods: Record<string, PodRuntime>;
  faults: FaultRule[];
  deploymentProgress: Record<string, DeploymentProgress>;
  ipCounter: number;
  tls: TlsMaterial;
}

export interface PersistedSimulator {
  state: SimState;
  kube: StoreSnapshot;
}

export const loadPersisted = (file: string): PersistedSimulator | undefined => {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const parsed = JSON.parse(text) as PersistedSimulator;
  if (parsed.state?.version !== 1) throw new Error(`${file}: not a simulator state file (version ${String(parsed.state?.version)})`);
  return parsed;
};

/** Debounced, atomic (write + rename) persistence. */
export class StatePersister {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly file: string,
    private readonly snapshot: () => PersistedSimulator,
    private readonly debounceMs = 100,
  ) {
    mkdirSync(dirname(file), { recursive: true });
  }

  schedule(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.flush();
    }, this.debounceMs);
    this.timer.unref();
  }

  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const tmp = `${this.file}.${process.pid}.tmp`;
    mkdirSync(dirname(this.file), { recursive: true });
    writeFileSync(tmp, JSON.stringify(this.snapshot()));
    renameSync(tmp, this.file);
  }

  cancel(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
