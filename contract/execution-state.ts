/**
 * The execution state: the JSON document a deploy, scale or delete execution carries from
 * state to state. It starts as the execution input (`deployment`, references only, never a
 * secret); each task's result lands at its ResultPath (`$.<key>` below) and the tasks after it
 * read it back as input. The state machines (statemachines/src/) name their paths from these
 * keys, so a path no task writes does not compile.
 */

/** The deployment an execution works on: the execution input, passed to every task. */
export interface DeploymentRef {
  org_id: string;
  project_id: string;
  id: string;
  gpu_config_id: string;
}

/** What every task receives: the deployment and its own execution's ARN (`$$.Execution.Id`), so it acts only while that execution owns the deployment. */
export interface TaskInput {
  deployment: DeploymentRef;
  execution: string;
}

/** `$.capacity`: the wait for GPU nodes (GrowNodeGroup writes it, CheckNodes polls it). */
export interface NodeWait {
  needed: number;
  started_at: string;
  ready: boolean;
  wait_seconds: number;
  /** Consecutive polls that met a transient API error (functions/commons/poll.ts). */
  transient_errors?: number;
  /** The uid of a model cache claim stranded in another AZ, deleted and not gone yet; it is applied again once gone. */
  cache_claim_replacing?: string;
}

/** `$.workload`: the wait for the model's pods (ApplyWorkload writes it, CheckModel polls it). */
export interface WorkloadWait {
  started_at: string;
  ready: boolean;
  wait_seconds: number;
  phase?: string;
  /** When the pods entered `phase` (deadlines are per phase). */
  phase_since?: string;
  /** The replica count applied (0: a pause, which the scale workflow settles differently). */
  replicas?: number;
  /** Consecutive polls that met a transient API error (functions/commons/poll.ts). */
  transient_errors?: number;
  /** The uid of a model cache claim stranded in another AZ, deleted and not gone yet; it is applied again once gone. */
  cache_claim_replacing?: string;
}

/** `$.removal`: the wait for the model's pods to go (a Pass state starts it at `{attempts: 0}`). */
export interface Removal {
  pods_remaining: number;
  gone: boolean;
  wait_seconds: number;
  attempts: number;
  force_deleted?: number;
  gave_up?: true;
}

/** What a Catch puts at its ResultPath: Lambda errors carry `{errorType, errorMessage}` JSON in Cause. */
export interface CaughtError {
  Error: string;
  Cause?: string;
}

/** `$.result` of MarkReady and MarkPaused: where a deploy or scale settled. */
export interface Settled {
  status: string;
  replicas: number;
  ready_since: string | null;
  paused: boolean;
  /** Paused only: cluster seconds the GPUs and nodes are kept (WaitReleaseDelay waits them). */
  release_after_seconds?: number;
}

export interface ExecutionState {
  deployment: DeploymentRef;
  capacity?: NodeWait;
  workload?: WorkloadWait;
  removal?: Removal | { attempts: number };
  /** The error that sent the execution to its failure path; the Fail state reports it. */
  error?: CaughtError;
  /** Why the execution ended quietly: a newer operation owns the deployment. */
  superseded?: CaughtError;
  /** A poll that ran out of NotReadyYet retries goes back to its Wait (kept for the history only). */
  poll_retries_exhausted?: CaughtError;
  /** MarkReady or MarkPaused (Settled); FinishDelete (the id it deleted). */
  result?: Settled | { deleted: string };
  /** What ReleaseIdleNodes gave back (functions/use-cases/release-nodes.ts NodeRelease; for the history only). */
  released?: unknown;
  /** What ReleasePausedReservation gave back to the ledger (for the history only). */
  capacity_released?: unknown;
}

/** A top-level key of the execution state; `$.<key>` is its JSONPath. */
export type StateKey = keyof ExecutionState;
