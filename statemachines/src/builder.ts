/**
 * A small builder for the Amazon States Language the workflows are written in. The retry and
 * catch policies are defined once here; statemachines/src/{deploy,scale,delete}.ts say only
 * what each machine does. `npm run statemachines` writes the JSON that CDK (`fromFile`) and the
 * local Step Functions endpoint load; test/unit/statemachines.test.ts keeps it fresh.
 */
import type { NodeWait, Removal, StateKey, WorkloadWait } from '../../contract/execution-state';

type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

export interface Retrier {
  ErrorEquals: string[];
  IntervalSeconds?: number;
  MaxAttempts: number;
  BackoffRate?: number;
  MaxDelaySeconds?: number;
  JitterStrategy?: 'FULL' | 'NONE';
}

export interface Catcher {
  ErrorEquals: string[];
  ResultPath: string;
  Next: string;
}

export type State = Record<string, unknown>;
export type States = Record<string, State>;

export interface Machine {
  Comment: string;
  StartAt: string;
  States: States;
}

/** `$.<key>` of the execution state (contract/execution-state.ts). */
export const path = (key: StateKey): string => `$.${key}`;

/** Error names the tasks throw (functions/domain/errors.ts, functions/domain/polling.ts). */
const SUPERSEDED = 'Superseded';
const DEPLOYMENT_FAILED = 'DeploymentFailed';
const NOT_READY_YET = 'NotReadyYet';

/** The state every task's Superseded goes to, and the state a caught failure goes to. */
export const SUPERSEDED_STATE = 'Superseded';
export const RECORD_FAILURE = 'RecordFailure';

/**
 * Every task's retry policy. Superseded and DeploymentFailed are final: another operation owns
 * the deployment, or the failure is classified and no retry can help. Lambda throttling gets a
 * long budget (a burst of deploys can hit the account's concurrency); anything else is retried
 * a few times with jittered backoff.
 */
export const STANDARD_RETRY: readonly Retrier[] = [
  { ErrorEquals: [SUPERSEDED, DEPLOYMENT_FAILED], MaxAttempts: 0 },
  { ErrorEquals: ['Lambda.TooManyRequestsException'], IntervalSeconds: 2, MaxAttempts: 10, BackoffRate: 2, MaxDelaySeconds: 60, JitterStrategy: 'FULL' },
  { ErrorEquals: ['States.ALL'], IntervalSeconds: 2, MaxAttempts: 5, BackoffRate: 2, MaxDelaySeconds: 30, JitterStrategy: 'FULL' },
];

/**
 * A poll near its expected time throws NotReadyYet: a Retry costs 1 state transition where
 * Wait, Task and Choice cost 3. Its own retrier, first, so it never spends the standard budget.
 */
const POLL_RETRY: Retrier = { ErrorEquals: [NOT_READY_YET], IntervalSeconds: 2, BackoffRate: 1.3, MaxDelaySeconds: 10, MaxAttempts: 60, JitterStrategy: 'NONE' };

/** Superseded ends the execution quietly; every other error goes to `onFailure` with `$.error` set. */
const catchers = (onFailure: string, pollWait?: string): Catcher[] => [
  { ErrorEquals: [SUPERSEDED], ResultPath: path('superseded'), Next: SUPERSEDED_STATE },
  // A poll that used up its NotReadyYet retries goes back to its Wait: still polling, not failed.
  ...(pollWait ? [{ ErrorEquals: [NOT_READY_YET], ResultPath: path('poll_retries_exhausted'), Next: pollWait }] : []),
  { ErrorEquals: ['States.ALL'], ResultPath: path('error'), Next: onFailure },
];

/** The substitution CDK and the local cloud replace with the function's ARN (contract/workflows.ts). */
const functionArn = (fn: string): string => `\${${fn.replace(/(?:^|-)([a-z])/g, (_match, c: string) => c.toUpperCase())}FunctionArn}`;

export type Transition = { next: string } | { end: true };

const transition = (to: Transition): State => ('end' in to ? { End: true } : { Next: to.next });

export interface TaskOptions {
  comment?: string;
  /** The task function's name in contract/workflows.ts TASK_FUNCTIONS, e.g. `check-nodes`. */
  fn: string;
  /** Execution-state keys passed to the task besides `deployment` and `execution`. */
  reads?: StateKey[];
  /** Constant parameters. */
  parameters?: Record<string, Json>;
  /** Where the result goes; null drops it. */
  result: StateKey | null;
  /** Where errors other than Superseded go; none for the tasks of a failure path, which end there anyway. */
  onFailure?: string;
  /** A poll: it may throw NotReadyYet, retried (then caught back to this Wait state). */
  pollWait?: string;
}

/** A Lambda task: every task gets the deployment reference and its own execution ARN. */
export const task = (options: TaskOptions, to: Transition): State => ({
  ...(options.comment ? { Comment: options.comment } : {}),
  Type: 'Task',
  Resource: functionArn(options.fn),
  Parameters: {
    'deployment.$': path('deployment'),
    'execution.$': '$$.Execution.Id',
    ...Object.fromEntries((options.reads ?? []).map((key) => [`${key}.$`, path(key)])),
    ...options.parameters,
  },
  ResultPath: options.result === null ? null : path(options.result),
  TimeoutSeconds: 120,
  Retry: [...(options.pollWait ? [POLL_RETRY] : []), ...STANDARD_RETRY],
  ...(options.onFailure ? { Catch: catchers(options.onFailure, options.pollWait) } : {}),
  ...transition(to),
});

/** What a poll loop's key holds once its check has run: a readiness flag and the next wait. */
interface Polled {
  capacity: NodeWait;
  workload: WorkloadWait;
  removal: Removal;
}
type PolledKey = keyof Polled;
/** The boolean fields of T: what a Choice can test. */
type Flag<T> = { [F in keyof T]-?: T[F] extends boolean ? F : never }[keyof T] & string;

/** A Wait for the `wait_seconds` the last check wrote at `$.<key>`. */
export const wait = (comment: string, key: PolledKey, next: string): State => ({
  Comment: comment,
  Type: 'Wait',
  SecondsPath: `${path(key)}.wait_seconds`,
  Next: next,
});

/** A Choice on one boolean field of the execution state. */
export const whenTrue = (variable: string, then: string, otherwise: string, comment?: string): State => ({
  ...(comment ? { Comment: comment } : {}),
  Type: 'Choice',
  Choices: [{ Variable: variable, BooleanEquals: true, Next: then }],
  Default: otherwise,
});

export interface PollLoop<K extends PolledKey> {
  /** The execution-state key the check reads and writes. */
  key: K;
  /** The check task (reads and writes `key`); its Next is the choice. */
  check: { name: string } & Omit<TaskOptions, 'reads' | 'result' | 'pollWait'>;
  /** The Wait between checks. */
  wait: { name: string; comment: string };
  /** The Choice on the flag `field` (`ready`, `gone`) of `key`: `then` once true, else the Wait. */
  choice: { name: string; comment?: string; field: Flag<Polled[K]>; then: string };
  /** The check throws NotReadyYet near its expected time (see POLL_RETRY). */
  retryNotReady: boolean;
  /** Where the loop is entered (the states are written from there, in the order they run). */
  entry: 'check' | 'choice' | 'wait';
}

/** Check, choose, wait, check again: the three states of one poll loop. */
export const pollLoop = <K extends PolledKey>(loop: PollLoop<K>): States => {
  const { name, ...check } = loop.check;
  const states = {
    check: [name, task({ ...check, reads: [loop.key], result: loop.key, ...(loop.retryNotReady ? { pollWait: loop.wait.name } : {}) }, { next: loop.choice.name })],
    choice: [loop.choice.name, whenTrue(`${path(loop.key)}.${loop.choice.field}`, loop.choice.then, loop.wait.name, loop.choice.comment)],
    wait: [loop.wait.name, wait(loop.wait.comment, loop.key, name)],
  } as const;
  const order = ['check', 'choice', 'wait', 'check', 'choice'] as const;
  const start = order.indexOf(loop.entry);
  return Object.fromEntries(order.slice(start, start + 3).map((step) => states[step]));
};

/** A Pass state that starts the removal's poll counter (functions/domain/pod-removal.ts bounds it). */
export const startRemoval = (comment: string, next: string): State => ({
  Comment: comment,
  Type: 'Pass',
  Result: { attempts: 0 },
  ResultPath: path('removal'),
  Next: next,
});

/** A Fail state that reports the caught error. */
export const failWithError = (comment?: string): State => ({
  ...(comment ? { Comment: comment } : {}),
  Type: 'Fail',
  ErrorPath: `${path('error')}.Error`,
  CausePath: `${path('error')}.Cause`,
});

/** The committed file's text: 2-space JSON, one trailing newline. */
export const render = (machine: Machine): string => `${JSON.stringify(machine, null, 2)}\n`;
