/**
 * The execution state the state machines carry between tasks (ASL ResultPaths): what each
 * task returns for the next one to read. One module, so sibling tasks share these types
 * without importing each other.
 */
export type { DeploymentRef, TaskInput } from '../../commons/workflow';

/** `$.capacity`: the node group grow this deployment waits for (ensure-node-capacity, then check-nodes). */
export interface NodeWait {
  needed: number;
  started_at: string;
  ready: boolean;
  wait_seconds: number;
  /** Consecutive polls that met a transient API error (commons/poll.ts). */
  transient_errors?: number;
}

/** `$.removal`: how far the removal of a model's objects and pods got (remove-workload's poll). */
export interface Removal {
  pods_remaining: number;
  gone: boolean;
  wait_seconds: number;
  attempts: number;
  force_deleted?: number;
  gave_up?: true;
}

/** `$.workload`: the rollout this operation waits for (apply-workload, then check-workload). */
export interface WorkloadWait {
  started_at: string;
  ready: boolean;
  wait_seconds: number;
  phase?: string;
  /** When the pods entered `phase` (deadlines are per phase). */
  phase_since?: string;
  /** The replica count applied (0: a pause, which the scale workflow settles differently). */
  replicas?: number;
  /** Consecutive polls that met a transient API error (commons/poll.ts). */
  transient_errors?: number;
}
