/**
 * The deployment lifecycle: every status and phase change of a deployment, as pure functions of
 * the record, the event and the time. Each returns the changes to write, the history event to
 * append and the milestones to stamp; the caller writes them with its own condition (version,
 * owning execution), so a superseded caller changes nothing.
 *
 *   accept ─▶ provisioning_nodes ─▶ scheduling ─▶ pulling_image ─▶ loading_model ─▶ markReady
 *   ready ─▶ startScale ─▶ (phases of the scale) ─▶ markReady | markPaused; paused ─▶ startScale (resume)
 *   deploy or scale ─▶ markFailed;  anything ─▶ startDelete ─▶ (markDeleteFailed ─▶ startDelete again)
 *
 * `markFailed` once had two copies (the workflow's failure path and the reconcile) that drifted
 * apart: the reconcile's left the usage segment open and the instance counts standing, so a failed
 * deployment kept accruing serving time and cost. One function per transition keeps that from recurring.
 */
import type { DeploymentPhase, DeploymentRecord, Milestone } from './deployment';
import { formatFailure, type Failure } from './errors';
import { closeSegment, serveFrom } from './usage';

export type { Failure } from './errors';

/** A history entry; `reason` only on failures. */
export interface LifecycleEvent {
  readonly type: string;
  readonly message: string;
  readonly reason?: string;
}

const FAIL_REASON_MAX = 2000;

/**
 * A deployment is in flight while an execution is supposed to be working on it: every phase
 * but the resting ones (ready, failed, paused). A new phase is in flight by default, so the
 * reconcile watches it.
 */
export const isInFlight = (phase: DeploymentPhase): boolean => phase !== 'ready' && phase !== 'failed' && phase !== 'paused';

/** A deploy request was accepted: its GPUs are reserved before the record is written. */
export const accept = (modelId: string) => ({
  changes: {
    status: 'initializing' as const,
    phase: 'accepted' as const,
    fail_reason: null,
    endpoint_url: null,
    ready_since: null,
    operation: 'deploy' as const,
  },
  event: { type: 'accepted', message: `deployment of ${modelId} accepted` } satisfies LifecycleEvent,
  milestones: ['accepted', 'capacity_reserved'] as const satisfies readonly Milestone[],
});

/** What a scale request is, from the replicas before and after: replicas 0 pauses, leaving 0 resumes. */
export type ScaleKind = 'pause' | 'resume' | 'scale';
export const scaleKind = (record: Pick<DeploymentRecord, 'phase'>, replicas: number): ScaleKind =>
  replicas === 0 ? 'pause' : record.phase === 'paused' ? 'resume' : 'scale';

/**
 * A scale (or pause, or resume) hands the deployment to the scale workflow: phase `scaling`
 * while the status stays what it was (a ready deployment keeps serving meanwhile).
 * `reservedGpus` is what it holds in the ledger from now on; `origin` says who asked.
 */
export const startScale = (record: Pick<DeploymentRecord, 'phase' | 'replicas'>, replicas: number, reservedGpus: number, origin: string) => {
  const kind = scaleKind(record, replicas);
  const message =
    kind === 'pause'
      ? `pause (scale from ${record.replicas} to 0 replicas) ${origin}`
      : kind === 'resume'
        ? `resume with ${replicas} replicas ${origin}`
        : `scale from ${record.replicas} to ${replicas} replicas ${origin}`;
  return {
    changes: { replicas, phase: 'scaling' as const, reserved_gpus: reservedGpus },
    event: { type: `${kind}_requested`, message } satisfies LifecycleEvent,
  };
};

/**
 * A delete hands the deployment to the delete workflow: terminating, no longer ready.
 * `restartedBecause`: the reconcile restarts a delete whose execution died.
 */
export const startDelete = (restartedBecause?: string) => ({
  changes: { status: 'terminating' as const, phase: 'deleting' as const, ready_since: null },
  event: (restartedBecause === undefined
    ? { type: 'delete_requested', message: 'deletion requested' }
    : { type: 'delete_restarted', message: `deletion restarted: ${restartedBecause}` }) satisfies LifecycleEvent,
});

/** The phases a deploy goes through on its way to ready, in order. */
export type ProgressPhase = 'provisioning_nodes' | 'scheduling' | 'pulling_image' | 'loading_model';

/** Milestones the pods have passed once they are in a phase (a fast phase may start and end between two polls). */
const MILESTONES_REACHED: Record<ProgressPhase, readonly Milestone[]> = {
  provisioning_nodes: [],
  scheduling: [],
  pulling_image: ['scheduled'],
  loading_model: ['scheduled', 'image_pulled', 'model_loading'],
};

/** Milestones reached in `phase` that the record has not stamped yet. */
export const milestonesReached = (record: Pick<DeploymentRecord, 'timeline'>, phase: ProgressPhase): Milestone[] =>
  MILESTONES_REACHED[phase].filter((m) => record.timeline?.[m] === undefined);

/**
 * A deploy's workload entered `phase`. Only a deploy records its progress phase (a scale stays
 * `scaling` until it settles), and only on a change: no changes and no event otherwise. The
 * milestones the phase implies are stamped either way.
 */
export const enterPhase = (
  record: Pick<DeploymentRecord, 'operation' | 'phase' | 'timeline'>,
  phase: ProgressPhase,
  detail?: string,
): { changes: { phase?: ProgressPhase }; event?: LifecycleEvent; milestones: Milestone[] } => {
  const milestones = milestonesReached(record, phase);
  if (record.operation !== 'deploy' || record.phase === phase) return { changes: {}, milestones };
  return {
    changes: { phase },
    event: { type: 'phase_changed', message: detail === undefined ? `phase ${phase}` : `phase ${phase}: ${detail}` },
    milestones,
  };
};

/**
 * The events the state machines (statemachines/*.asl.json) send to the record-phase task,
 * and the phase each one enters. The ASL names what happened; the lifecycle decides the phase.
 */
export const ASL_EVENTS = ['provisioning_started'] as const;
export type AslEvent = (typeof ASL_EVENTS)[number];
export const ASL_EVENT_PHASES: Record<AslEvent, ProgressPhase> = { provisioning_started: 'provisioning_nodes' };

/**
 * Every replica is Ready: serving at `endpointUrl`. `ready_since` keeps the moment it first
 * became ready when it already was (a scale of a ready deployment); the usage segment follows
 * the GPUs now serving.
 */
export const markReady = (
  record: Pick<DeploymentRecord, 'status' | 'ready_since' | 'usage' | 'replicas' | 'gpu_count'>,
  at: Date,
  endpointUrl: string,
) => ({
  changes: {
    status: 'ready' as const,
    phase: 'ready' as const,
    fail_reason: null,
    endpoint_url: endpointUrl,
    ready_since: record.status === 'ready' && record.ready_since ? record.ready_since : at.toISOString(),
    usage: serveFrom(record.usage, at, record.replicas * record.gpu_count),
  },
  event: { type: 'ready', message: `${record.replicas} replica(s) ready; serving at the endpoint` } satisfies LifecycleEvent,
  milestones: ['ready'] as const satisfies readonly Milestone[],
});

/**
 * A pause settled: no pods, so not serving (status `initializing`, no endpoint, uptime 0) and
 * its usage segment ends; it keeps its GPUs `releaseAfterSeconds` longer for a quick resume.
 */
export const markPaused = (record: Pick<DeploymentRecord, 'usage'>, at: Date, releaseAfterSeconds: number) => ({
  changes: {
    status: 'initializing' as const,
    phase: 'paused' as const,
    fail_reason: null,
    endpoint_url: null,
    ready_since: null,
    usage: closeSegment(record.usage, at),
  },
  event: { type: 'paused', message: `paused: no pods; GPUs and nodes are given back in ${releaseAfterSeconds} s unless it resumes` } satisfies LifecycleEvent,
});

/**
 * A deploy or scale failed: nothing serves or starts any more (its workload is being removed),
 * so the deployment stops being ready, its usage segment ends at `at`, and no instance counts.
 * `fail_reason` keeps the API's `Reason: message` form; the event keeps the reason apart.
 */
export const markFailed = (record: Pick<DeploymentRecord, 'usage'>, at: Date, failure: Failure) => {
  const failReason = formatFailure(failure).slice(0, FAIL_REASON_MAX);
  return {
    changes: {
      status: 'failed' as const,
      phase: 'failed' as const,
      fail_reason: failReason,
      ready_since: null,
      endpoint_url: null,
      usage: closeSegment(record.usage, at),
      instances: { running: 0, pending: 0, observed_at: at.toISOString() },
    },
    event: { type: 'failed', message: failReason, reason: failure.reason } satisfies LifecycleEvent,
  };
};

/** A delete failed: it stays terminating (`deleting`), so deleting again retries it; the reason is kept. */
export const markDeleteFailed = (failure: Failure) => {
  const failReason = formatFailure(failure).slice(0, FAIL_REASON_MAX);
  return {
    changes: { phase: 'deleting' as const, fail_reason: failReason },
    event: { type: 'delete_failed', message: failReason, reason: failure.reason } satisfies LifecycleEvent,
  };
};
