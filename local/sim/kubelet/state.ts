/** The kubelet's slice of the simulator state: one container runtime record per bound pod. */
import type { PodFault } from '../faults.js';

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
