/**
 * The local EventBridge: fires each entry of the schedule list (contract/schedules.ts)
 * in-process, every `everyMinutes` x 60 s x the time scale, with the event EventBridge sends.
 * A run of one schedule never overlaps another run of the same schedule: a tick that finds
 * the previous run still going is skipped, and `run(name)` waits for it, then runs once more
 * (so a test gets a complete, fresh run).
 */
import { randomUUID } from 'node:crypto';

export interface CronJob {
  name: string;
  /** Wall milliseconds between ticks. */
  everyMs: number;
  run(event: ScheduledEventLike): Promise<unknown>;
}

/** The fields of an EventBridge "Scheduled Event" a handler may read. */
export interface ScheduledEventLike {
  version: '0';
  id: string;
  'detail-type': 'Scheduled Event';
  source: 'aws.events';
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: Record<string, never>;
}

export interface CronOptions {
  /** Tick on the timer (default true); false leaves every run to `run(name)`. */
  timer?: boolean;
  region?: string;
  account?: string;
  /** A timer-fired run that threw (the handler's own errors; EventBridge would retry). */
  onError?: (name: string, error: unknown) => void;
}

export interface RunningCron {
  /**
   * Runs the schedule now (after any run in progress) and returns the handler's result.
   * `time` sets the event's time (a test's clock: the schedule sweeper works at it).
   */
  run(name: string, options?: { time?: Date }): Promise<unknown>;
  /** Stops the timers and waits for runs in progress. */
  close(): Promise<void>;
}

interface JobState {
  job: CronJob;
  running: Promise<unknown> | undefined;
  timer: NodeJS.Timeout | undefined;
}

export const startCron = (jobs: readonly CronJob[], options: CronOptions = {}): RunningCron => {
  const region = options.region ?? 'us-east-1';
  const account = options.account ?? '000000000000';
  let closed = false;
  const states = new Map<string, JobState>(jobs.map((job) => [job.name, { job, running: undefined, timer: undefined }]));

  const eventFor = (job: CronJob, time = new Date()): ScheduledEventLike => ({
    version: '0',
    id: randomUUID(),
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
    account,
    time: time.toISOString().replace(/\.\d+Z$/, 'Z'),
    region,
    resources: [`arn:aws:scheduler:${region}:${account}:schedule/default/${job.name}`],
    detail: {},
  });

  /** Waits for the run in progress, then starts one; never two at once for one job. */
  const runExclusive = async (state: JobState, time?: Date): Promise<unknown> => {
    while (state.running) await state.running.catch(() => undefined);
    const run = state.job.run(eventFor(state.job, time));
    state.running = run;
    try {
      return await run;
    } finally {
      if (state.running === run) state.running = undefined;
    }
  };

  const arm = (state: JobState): void => {
    state.timer = setTimeout(() => {
      if (closed) return;
      arm(state);
      if (state.running) return; // the previous run is still going: skip this tick
      runExclusive(state).catch((error: unknown) => options.onError?.(state.job.name, error));
    }, state.job.everyMs);
    state.timer.unref();
  };

  if (options.timer !== false) for (const state of states.values()) arm(state);

  return {
    run: (name, runOptions) => {
      const state = states.get(name);
      if (!state) return Promise.reject(new Error(`no schedule named '${name}' (known: ${[...states.keys()].join(', ')})`));
      if (closed) return Promise.reject(new Error('the local cron is closed'));
      return runExclusive(state, runOptions?.time);
    },
    close: async () => {
      closed = true;
      for (const state of states.values()) clearTimeout(state.timer);
      await Promise.all([...states.values()].map((s) => s.running?.catch(() => undefined)));
    },
  };
};
