/**
 * Scaling schedules of one deployment (contract/requests/schedule.ts): cron windows in an IANA
 * time zone ("0 at 20:00 on weekdays in Europe/Berlin, 1 at 08:00") and an idle timeout. Pure:
 * the checks the schema cannot make, next-fire computation with croner, and the sweeper's
 * decision for one deployment at a given `now`.
 */
import type { ScheduleView } from '../../contract/api-schemas';
import type { Schedule, ScheduleWindow } from '../../contract/requests/schedule';
import { Cron } from 'croner';
import type { AutoscalerState } from './autoscaling-policy';
import { ValidationError } from './errors';

/** How far ahead two windows are checked for firing at the same instant (runs of each). */
const OVERLAP_RUNS = 2000;

const cronOf = (window: Pick<ScheduleWindow, 'cron'>, timeZone: string): Cron =>
  new Cron(window.cron, { timezone: timeZone, mode: '5-part', paused: true });

const knownTimeZone = (zone: string): boolean => {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return zone.includes('/') || zone === 'UTC';
  } catch {
    return false;
  }
};

/**
 * Checks what the schema cannot: each cron parses (5 fields), the zone is known, replicas fit
 * the node group (`maxReplicas`), and no two windows with different replicas ever fire at the
 * same instant (checked over the next OVERLAP_RUNS runs of each).
 */
export const validateSchedule = (schedule: Schedule, maxReplicas: number, now: Date): Schedule => {
  if (schedule.windows.length === 0 && schedule.idle_timeout_minutes === null) {
    // Both are optional since time_zone defaults to UTC; an empty body must not pass as "a schedule that does nothing".
    throw new ValidationError('a schedule needs windows or idle_timeout_minutes (DELETE …/schedule removes one)', 'windows');
  }
  if (!knownTimeZone(schedule.time_zone)) {
    throw new ValidationError(`time_zone '${schedule.time_zone}' is not a known IANA time zone (e.g. Europe/Berlin, America/New_York, UTC)`, 'time_zone');
  }
  const crons = schedule.windows.map((window, i) => {
    const field = `windows.${i}`;
    try {
      return cronOf(window, schedule.time_zone);
    } catch (error) {
      throw new ValidationError(`${field}.cron '${window.cron}' is not a valid 5-field cron expression: ${(error as Error).message}`, `${field}.cron`);
    }
  });
  schedule.windows.forEach((window, i) => {
    if (window.replicas > maxReplicas) {
      throw new ValidationError(`windows.${i}.replicas ${window.replicas} exceeds what the node group can hold for this deployment (${maxReplicas})`, `windows.${i}.replicas`);
    }
  });
  for (let i = 0; i < crons.length; i++) {
    for (let j = i + 1; j < crons.length; j++) {
      if (schedule.windows[i]?.replicas === schedule.windows[j]?.replicas) continue;
      const clash = (crons[i] as Cron).nextRuns(OVERLAP_RUNS, now).find((run) => (crons[j] as Cron).match(run));
      if (clash) {
        throw new ValidationError(
          `windows.${j} contradicts windows.${i}: both fire at ${clash.toISOString()} with different replicas (${schedule.windows[j]?.replicas} vs ${schedule.windows[i]?.replicas})`,
          `windows.${j}.cron`,
        );
      }
    }
  }
  return schedule;
};

/** PUT …/schedule's body and GET/PUT …/schedule's answer. */
export type { Schedule, ScheduleView, ScheduleWindow };

export interface WindowFire {
  at: Date;
  replicas: number;
}

/** The next `count` fires of all windows after `after`, in order. */
export const nextFires = (schedule: Schedule, after: Date, count: number): WindowFire[] =>
  schedule.windows
    .flatMap((window) => cronOf(window, schedule.time_zone).nextRuns(count, after).map((at) => ({ at, replicas: window.replicas })))
    .sort((a, b) => a.at.getTime() - b.at.getTime())
    .slice(0, count);

/** The latest fire in (after, upTo], if any: what the windows ask for now. */
export const latestFireIn = (schedule: Schedule, after: Date, upTo: Date): WindowFire | undefined => {
  let latest: WindowFire | undefined;
  for (const window of schedule.windows) {
    const cron = cronOf(window, schedule.time_zone);
    // previousRuns(1, upTo) is strictly before upTo; a run at exactly upTo is due too.
    const at = cron.match(upTo) && upTo.getMilliseconds() === 0 ? upTo : cron.previousRuns(1, upTo)[0];
    if (at && at.getTime() > after.getTime() && at.getTime() <= upTo.getTime() && (!latest || at.getTime() > latest.at.getTime())) {
      latest = { at, replicas: window.replicas };
    }
  }
  return latest;
};

/** What the sweeper remembers per deployment (on its record). */
export interface ScheduleState {
  /** Window fires up to here are handled. */
  windows_checked_at: string;
  /** Idle detection: the summed request counter last seen, and when it last changed. */
  idle?: { counter: number; changed_at: string };
  /** The load autoscaler's memory (domain/autoscaling-policy.ts), for a deployment with load scaling on. */
  autoscaler?: AutoscalerState;
}

/** Cluster seconds between idle checks of one deployment (scaled by the workflow time scale). */
export const IDLE_CHECK_SECONDS = 60;

/**
 * When the sweeper should look at the deployment next: the next window fire after `now`,
 * or sooner, the next idle check. Null: never (no windows, no idle timeout).
 */
export const nextDueAt = (schedule: Schedule, now: Date, timeScale: number): Date | null => {
  const candidates: number[] = [];
  const [fire] = nextFires(schedule, now, 1);
  if (fire) candidates.push(fire.at.getTime());
  if (schedule.idle_timeout_minutes !== null) {
    candidates.push(now.getTime() + Math.min(IDLE_CHECK_SECONDS, schedule.idle_timeout_minutes * 60) * 1000 * timeScale);
  }
  return candidates.length > 0 ? new Date(Math.min(...candidates)) : null;
};

/** Idle bookkeeping after reading the counter; `servingSince` restarts the clock after a resume. */
export const observeActivity = (
  previous: ScheduleState['idle'],
  reading: { counter: number; running: number },
  now: Date,
  servingSince: string | null,
): NonNullable<ScheduleState['idle']> => {
  // Any change counts, a drop too: a restarted or new pod resets its counter to 0.
  const changed = previous === undefined || reading.counter !== previous.counter || reading.running > 0;
  let changedAt = changed ? now.toISOString() : previous.changed_at;
  if (servingSince && Date.parse(servingSince) > Date.parse(changedAt)) changedAt = servingSince;
  return { counter: reading.counter, changed_at: changedAt };
};

/** True when nothing changed for the idle timeout (cluster minutes, so scaled locally). */
export const isIdle = (idle: NonNullable<ScheduleState['idle']>, timeoutMinutes: number, now: Date, timeScale: number): boolean =>
  now.getTime() - Date.parse(idle.changed_at) >= timeoutMinutes * 60_000 * timeScale;
