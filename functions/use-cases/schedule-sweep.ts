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
 * Its own module, so the schedule routes do not bundle the Kubernetes client it reads metrics
 * with. Every function takes `now`: a test drives a day of windows in milliseconds.
 */
import { logger } from '../commons/logger';
import { ConflictError, NotFoundError, ServiceUnavailableError } from '../domain/errors';
import { isIdle, latestFireIn, nextDueAt, observeActivity, type ScheduleState } from '../domain/schedule';
import { clampReplicas } from '../domain/autoscaling';
import type { DueDeployment, Ports } from '../ports';
import { scaleDeployment } from './deployments';

type SweepPorts = Pick<Ports, 'deployments' | 'ledger' | 'workflows' | 'clock' | 'servingMetrics'>;

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
  /** Scales started (windows and idle pauses). */
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
  if (!schedule) {
    await deployments.finishDue(record, lease, { windows_checked_at: now.toISOString() }, null);
    return;
  }
  const state: ScheduleState = record.schedule_state ?? { windows_checked_at: record.created_at };
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
