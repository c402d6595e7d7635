/**
 * The sweeper that carries out the schedules (functions/use-cases/schedules.ts keeps them). A
 * sweep (every minute, EventBridge Scheduler -> functions/scheduled/schedule-sweep.ts) Queries
 * the sparse index `schedule-due` for what is due and, with bounded concurrency:
 *
 *  1. claims it (conditional on the due time it read: two sweeps never handle one entry),
 *  2. decides: the latest window fire not yet handled wins; else, with an idle timeout, reads
 *     the serving metrics and pauses a deployment with no request for that long,
 *  3. scales through the same use case as PUT …/scale (same admission, same workflow); a
 *     conflict (another operation runs, or the GPUs are taken) is retried at the next sweep,
 *  4. writes the new state and next due time, conditional on its claim.
 *
 * A deployment with load scaling on (record.load_scaling) is due every AUTOSCALER_CHECK_SECONDS
 * too: the sweep reads its gateways' load signals and vLLM's gauges, and the policy
 * (domain/autoscaling-policy.ts) decides; a window fire then moves the policy's floor instead of
 * setting replicas, and a schedule's idle timeout shortens its scale-to-zero delay. A deployment
 * without load scaling costs nothing more than before.
 *
 * Its own module, so the schedule routes do not bundle the Kubernetes client it reads metrics
 * with. Every function takes `now`: a test drives a day of windows in milliseconds.
 */
import { logger } from '../commons/logger';
import { ConflictError, NotFoundError, ServiceUnavailableError } from '../domain/errors';
import { isIdle, latestFireIn, nextDueAt, observeActivity, type ScheduleState } from '../domain/schedule';
import { clampReplicas, replicaBounds } from '../domain/autoscaling';
import { decide, describeInputs, nextAutoscalerCheck, type AutoscalerState, type LoadSample, type PolicyState } from '../domain/autoscaling-policy';
import type { DeploymentRecord } from '../domain/deployment';
import type { DueDeployment, Ports } from '../ports';
import { scaleDeployment } from './deployments';

type SweepPorts = Pick<Ports, 'deployments' | 'ledger' | 'workflows' | 'clock' | 'servingMetrics' | 'loadSignals'>;

export interface SweepOptions {
  /** Wall milliseconds this sweep may spend; what is left stays due for the next one. */
  budgetMs?: number;
  /** Deployments handled at once (bounds concurrent StartExecution and table writes). */
  concurrency?: number;
  /** At most this many due entries per sweep. */
  maxItems?: number;
}

export interface SweepReport {
  now: string;
  items_read: number;
  claimed: number;
  /** Claimed by another sweep first (or the schedule changed). */
  taken: number;
  /** Scales started (windows, idle pauses and the load autoscaler). */
  scaled: { id: string; replicas: number; why: string }[];
  /** A window or idle pause that met a running operation or taken GPUs: retried next sweep. */
  deferred: { id: string; reason: string }[];
  errors: { id: string; error: string }[];
  /** Left for the next sweep because the time budget ran out. */
  left_over: number;
  elapsed_ms: number;
}

/** Cluster seconds a claim holds an entry, and a deferred fire waits before the next try. */
const LEASE_SECONDS = 300;
const RETRY_SECONDS = 60;

/** Wall milliseconds a gateway's load snapshot stays fresh: it publishes every 5 s, so three missed ones mean it is gone. */
const LOAD_FRESH_MS = 15_000;

const later = (timeScale: number, now: Date, clusterSeconds: number) => new Date(now.getTime() + clusterSeconds * 1000 * timeScale);

export const sweepSchedules = async (ports: SweepPorts, now: Date, options: SweepOptions = {}): Promise<SweepReport> => {
  const started = Date.now();
  const budgetMs = options.budgetMs ?? 240_000;
  const concurrency = options.concurrency ?? 32;
  const { due, itemsRead } = await ports.deployments.dueDeployments(now, options.maxItems ?? 50_000);
  const report: SweepReport = {
    now: now.toISOString(),
    items_read: itemsRead,
    claimed: 0,
    taken: 0,
    scaled: [],
    deferred: [],
    errors: [],
    left_over: 0,
    elapsed_ms: 0,
  };
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < due.length) {
      if (Date.now() - started > budgetMs) {
        report.left_over = due.length - next;
        next = due.length;
        return;
      }
      const entry = due[next++] as DueDeployment;
      try {
        await handleDue(ports, entry, now, report);
      } catch (error) {
        // The claim lapses after its lease; the next sweep after that tries again.
        logger.warn('schedule entry failed', { deploymentId: entry.record.id, error: error as Error });
        report.errors.push({ id: entry.record.id, error: (error as Error).message });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, due.length) }, worker));
  report.elapsed_ms = Date.now() - started;
  return report;
};

const handleDue = async (ports: SweepPorts, entry: DueDeployment, now: Date, report: SweepReport): Promise<void> => {
  const { deployments, clock, servingMetrics } = ports;
  const { timeScale } = clock;
  const { record, dueAt } = entry;
  const lease = later(timeScale, now, LEASE_SECONDS).toISOString();
  if (!(await deployments.claimDue(record, dueAt, lease))) {
    report.taken++;
    return;
  }
  report.claimed++;
  const schedule = record.schedule;
  const state: ScheduleState = record.schedule_state ?? { windows_checked_at: record.created_at };
  if (record.load_scaling) {
    const fire = schedule ? latestFireIn(schedule, new Date(state.windows_checked_at), now) : undefined;
    const autoscaler = await autoscale(ports, record, state.autoscaler, fire?.replicas, now, report);
    // A failed deployment can only be deleted: no more looks, unless its windows call.
    const check = record.status === 'failed' ? null : nextAutoscalerCheck(now, timeScale);
    const windowDue = schedule ? nextDueAt(schedule, now, timeScale) : null;
    const dueNext = check && windowDue ? (windowDue < check ? windowDue : check) : (check ?? windowDue);
    const { idle: _idle, ...kept } = state;
    await deployments.finishDue(record, lease, { ...kept, windows_checked_at: now.toISOString(), autoscaler }, dueNext?.toISOString() ?? null);
    return;
  }
  if (!schedule) {
    await deployments.finishDue(record, lease, { windows_checked_at: now.toISOString() }, null);
    return;
  }
  let next: ScheduleState = { ...state, windows_checked_at: now.toISOString() };
  let target: { replicas: number; why: string } | undefined;

  const fire = latestFireIn(schedule, new Date(state.windows_checked_at), now);
  if (fire) {
    target = { replicas: fire.replicas, why: `by the schedule window of ${fire.at.toISOString()}` };
  } else if (schedule.idle_timeout_minutes !== null && record.status === 'ready' && record.phase === 'ready' && record.replicas > 0) {
    // Metrics that cannot be read say nothing about idleness: keep the state, look again next check.
    const reading = await servingMetrics.read(record.id).catch((error: unknown) => {
      logger.warn('serving metrics unreadable; idle check skipped', { deploymentId: record.id, error: error as Error });
      return undefined;
    });
    if (reading) {
      const idle = observeActivity(state.idle, reading, now, record.ready_since);
      next = { ...next, idle };
      if (isIdle(idle, schedule.idle_timeout_minutes, now, timeScale)) {
        target = { replicas: 0, why: `after ${schedule.idle_timeout_minutes} minutes without requests` };
      }
    }
  }

  // Automatic changes keep to the scale range: a window (or the idle timeout) asking for 0 keeps min_replicas serving.
  if (target) target = { ...target, replicas: clampReplicas(record, target.replicas) };
  let dueNext = nextDueAt(schedule, now, timeScale);
  if (target) {
    try {
      const scaled = await scaleDeployment(ports, record, record.id, target.replicas, now, target.why);
      if (scaled.phase === 'scaling') report.scaled.push({ id: record.id, ...target }); // else already there
      // A paused deployment starts its idle clock afresh when it serves again.
      if (target.replicas === 0) next = { windows_checked_at: next.windows_checked_at };
    } catch (error) {
      if (!(error instanceof ConflictError || error instanceof ServiceUnavailableError || error instanceof NotFoundError)) throw error;
      report.deferred.push({ id: record.id, reason: error.message });
      // Keep the fire pending: the next sweep tries again, until a later window supersedes it.
      next = { ...next, windows_checked_at: state.windows_checked_at };
      const retry = later(timeScale, now, RETRY_SECONDS);
      if (dueNext === null || retry < dueNext) dueNext = retry;
    }
  }
  await deployments.finishDue(record, lease, next, dueNext?.toISOString() ?? null);
};

const deferrable = (error: unknown): error is Error => error instanceof ConflictError || error instanceof ServiceUnavailableError || error instanceof NotFoundError;

/**
 * One look of the load autoscaler at one deployment: read the signals, decide, and start the
 * scale workflow through the same use case as PUT …/scale (one scaling authority: its write is
 * conditional on the version read, so two sweeps never start two scales). A scale that cannot
 * start (GPUs taken, another operation running) is not a failure: an event says why, once per
 * reason, and the next sweep decides again. Returns the state to keep.
 */
const autoscale = async (
  ports: SweepPorts,
  record: DeploymentRecord,
  previous: AutoscalerState | undefined,
  windowReplicas: number | undefined,
  now: Date,
  report: SweepReport,
): Promise<AutoscalerState> => {
  const settings = record.load_scaling!;
  const floor = windowReplicas ?? previous?.floor ?? 0;
  const kept: AutoscalerState = { ...previous, floor };
  const serving = record.status === 'ready' && record.phase === 'ready';
  // While an operation runs, its outcome is the next look's input.
  if (!serving && record.phase !== 'paused') return kept;
  const { min, max } = replicaBounds(record);
  const [load, vllm] = await Promise.all([
    ports.loadSignals.read(record.id, new Date(ports.clock.now().getTime() - LOAD_FRESH_MS)).catch((error: unknown) => {
      logger.warn('load signals unreadable', { deploymentId: record.id, error: error as Error });
      return { inFlight: 0, held: 0, completed: 0, instances: 0 };
    }),
    serving && record.replicas > 0
      ? ports.servingMetrics.read(record.id).catch((error: unknown) => {
          logger.warn('serving metrics unreadable; the autoscaler decides on the gateway signals', { deploymentId: record.id, error: error as Error });
          return undefined;
        })
      : undefined,
  ]);
  const sample: LoadSample = {
    gatewayInstances: load.instances,
    inFlight: load.inFlight,
    held: load.held,
    completed: load.completed,
    vllm: vllm && vllm.pods > 0 ? { pods: vllm.pods, running: vllm.running, waiting: vllm.waiting ?? 0, kvCacheUsage: vllm.kvCacheUsage ?? 0 } : null,
  };
  // A schedule's idle timeout still pauses: it shortens the scale-to-zero delay.
  const idleMinutes = record.schedule?.idle_timeout_minutes ?? null;
  const zeroDelay = idleMinutes === null ? settings.scale_to_zero_delay_seconds : Math.min(settings.scale_to_zero_delay_seconds, idleMinutes * 60);
  const { last_decision: _last, desired: _desired, floor: _floor, ...policyState } = kept;
  const { decision, state } = decide({
    now,
    timeScale: ports.clock.timeScale,
    replicas: record.replicas,
    range: { min_replicas: min, max_replicas: max },
    floor,
    settings: { ...settings, scale_to_zero_delay_seconds: zeroDelay },
    maxNumSeqs: record.config.max_num_seqs,
    sample,
    state: policyState,
  });
  let outcome = 'unchanged';
  let next: PolicyState = state;
  if (decision.desired !== record.replicas) {
    const why = `by the autoscaler: ${decision.reason} (${describeInputs(decision.inputs)})`;
    try {
      const scaled = await scaleDeployment(ports, record, record.id, decision.desired, now, why);
      outcome = scaled.phase === 'scaling' ? 'scale started' : 'already there';
      if (scaled.phase === 'scaling') report.scaled.push({ id: record.id, replicas: decision.desired, why });
    } catch (error) {
      if (!deferrable(error)) throw error;
      outcome = `not started, retried next sweep: ${error.message}`;
      report.deferred.push({ id: record.id, reason: error.message });
      // Nothing changed: keep the streaks (the next look acts at once) and the last real change.
      next = { ...policyState, ...(state.idle_since ? { idle_since: state.idle_since } : {}) };
      if (previous?.last_decision?.outcome !== outcome) await recordDeferral(ports, record, decision.desired, why, error.message, now);
    }
  }
  return { ...next, floor, desired: decision.desired, last_decision: { at: now.toISOString(), desired: decision.desired, direction: decision.direction, reason: decision.reason, inputs: decision.inputs, outcome } };
};

/** A scale the autoscaler wanted but could not start, in the history (once per reason: the sweep retries every minute). */
const recordDeferral = async (ports: SweepPorts, record: DeploymentRecord, desired: number, why: string, reason: string, now: Date): Promise<void> => {
  await ports.deployments
    .update(record, record.id, {}, { version: record.version }, {
      now,
      event: { type: 'autoscaling_deferred', message: `scale from ${record.replicas} to ${desired} replicas ${why} not started, retried next sweep: ${reason}`, reason },
    })
    .catch((error: unknown) => logger.warn('could not record a deferred autoscaling decision', { deploymentId: record.id, error: error as Error }));
};
