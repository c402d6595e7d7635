// Over 300 lines: one journal whose events depend on the order of the library's events and the task handlers' reports; split, that ordering would be spread over files.
/**
 * ExecutionJournal: turns the library's event stream into an AWS-shaped execution history,
 * keeps the execution's status, and counts state transitions.
 *
 * Lambda events (LambdaFunctionScheduled/Started/Succeeded/Failed, or TaskScheduled/... for
 * `lambda:invoke`) do not exist in the library; the task handlers report them through the
 * InvocationTracker interface. The library calls a handler synchronously right after it
 * dispatches StateEntered (or StateRetried), and its events reach us asynchronously, so a
 * handler first waits until the journal has recorded that StateEntered/StateRetried: then the
 * Scheduled/Started events land right after it, and Succeeded/Failed before the StateExited
 * that the library can only dispatch once the handler has settled.
 */
import type { HistoryEventType } from '@aws-sdk/client-sfn';
import type { StateMachine } from 'aws-local-stepfunctions';
import type { PreparedDefinition, TaskBinding } from './definition';
import {
  appendHistoryEvent,
  type ExecutionRecord,
  type HistoryEventDetails,
  type LocalExecutionStatus,
} from './execution-record';
import type { JsonValue } from './json';
import { executionStopped } from './task-errors';

export type LibraryEvent = ReturnType<StateMachine['run']>['eventLogs'] extends AsyncGenerator<infer E> ? E : never;

type StateKind = 'Task' | 'Wait' | 'Pass' | 'Choice' | 'Succeed' | 'Fail' | 'Map' | 'Parallel';

const ENTERED: Record<StateKind, HistoryEventType> = {
  Task: 'TaskStateEntered',
  Wait: 'WaitStateEntered',
  Pass: 'PassStateEntered',
  Choice: 'ChoiceStateEntered',
  Succeed: 'SucceedStateEntered',
  Fail: 'FailStateEntered',
  Map: 'MapStateEntered',
  Parallel: 'ParallelStateEntered',
};
const EXITED: Partial<Record<StateKind, HistoryEventType>> = {
  Task: 'TaskStateExited',
  Wait: 'WaitStateExited',
  Pass: 'PassStateExited',
  Choice: 'ChoiceStateExited',
  Succeed: 'SucceedStateExited',
  Map: 'MapStateExited',
  Parallel: 'ParallelStateExited',
};
const ABORTED: Partial<Record<StateKind, HistoryEventType>> = {
  Task: 'TaskStateAborted',
  Wait: 'WaitStateAborted',
  Map: 'MapStateAborted',
  Parallel: 'ParallelStateAborted',
};

/** One call of a task function, as the journal tracks it. */
export interface Invocation {
  readonly binding: TaskBinding;
  settled: boolean;
}

/** How task handlers report Lambda invocations into the history. */
export interface InvocationTracker {
  /** Resolves once the history is ready for this call's Scheduled/Started events (appended by then). */
  begin(binding: TaskBinding, request: JsonValue): Promise<Invocation>;
  succeed(invocation: Invocation, output: JsonValue): void;
  fail(invocation: Invocation, error: string, cause: string): void;
}

interface Waiter {
  start(): void;
  reject(error: Error): void;
}

const json = (value: unknown): string => JSON.stringify(value ?? null);
const causeText = (cause: unknown): string =>
  typeof cause === 'string' ? cause : cause instanceof Error ? cause.message : json(cause);
const noTruncation = { truncated: false };

export class ExecutionJournal implements InvocationTracker {
  private closed = false;
  private readonly waiters = new Map<string, Waiter[]>();
  /** Entries recorded before their handler asked (should not happen; kept so nothing can hang). */
  private readonly credits = new Map<string, number>();
  private readonly inFlight = new Map<string, Invocation[]>();
  private readonly openStates = new Map<string, { name: string; kind: StateKind }>();

  constructor(
    private readonly record: ExecutionRecord,
    private readonly definition: PreparedDefinition,
    private readonly region: string,
    /** Called after every change; urgent when the execution just finished. */
    private readonly changed: (urgent: boolean) => void,
  ) {}

  /** True once the execution finished, was stopped, or the journal was detached. */
  get isClosed(): boolean {
    return this.closed;
  }

  handle(event: LibraryEvent): void {
    if (this.closed) return;
    switch (event.type) {
      case 'StateEntered': {
        const kind = this.kindOf(event.state.name, event.state.type);
        this.record.transitions += 1;
        this.openStates.set(stateKey(event.state.name, event.index), { name: event.state.name, kind });
        this.append(ENTERED[kind], {
          stateEnteredEventDetails: { name: event.state.name, input: json(event.state.input), inputDetails: noTruncation },
        });
        if (kind === 'Map') this.append('MapStateStarted', { mapStateStartedEventDetails: {} });
        if (kind === 'Parallel') this.append('ParallelStateStarted');
        if (kind === 'Task') this.invocationMayStart(event.state.name);
        break;
      }
      case 'StateRetried': {
        this.record.transitions += 1;
        const kind = this.kindOf(event.state.name, event.state.type);
        this.openStates.set(stateKey(event.state.name, event.index), { name: event.state.name, kind });
        if (kind === 'Task') this.invocationMayStart(event.state.name);
        break;
      }
      case 'StateFailed': {
        const kind = this.kindOf(event.state.name, event.state.type);
        this.openStates.delete(stateKey(event.state.name, event.index));
        if (kind === 'Task' && event.Error === 'States.Timeout') this.timeOutInvocation(event.state.name, causeText(event.Cause));
        if (kind === 'Map') this.append('MapStateFailed');
        if (kind === 'Parallel') this.append('ParallelStateFailed');
        break;
      }
      case 'StateExited': {
        const kind = this.kindOf(event.state.name, event.state.type);
        this.openStates.delete(stateKey(event.state.name, event.index));
        this.credits.delete(event.state.name);
        if (kind === 'Map') this.append('MapStateSucceeded');
        if (kind === 'Parallel') this.append('ParallelStateSucceeded');
        const exited = EXITED[kind];
        if (exited) {
          this.append(exited, {
            stateExitedEventDetails: { name: event.state.name, output: json(event.state.output), outputDetails: noTruncation },
          });
        }
        break;
      }
      case 'MapIterationStarted':
        this.append('MapIterationStarted', { mapIterationStartedEventDetails: { name: event.parentState.name, index: event.index } });
        break;
      case 'MapIterationSucceeded':
        this.append('MapIterationSucceeded', { mapIterationSucceededEventDetails: { name: event.parentState.name, index: event.index } });
        break;
      case 'MapIterationFailed':
        this.append('MapIterationFailed', { mapIterationFailedEventDetails: { name: event.parentState.name, index: event.index } });
        break;
      case 'ExecutionSucceeded':
        this.append('ExecutionSucceeded', { executionSucceededEventDetails: { output: json(event.output), outputDetails: noTruncation } });
        this.finish('SUCCEEDED', { output: json(event.output) });
        return;
      case 'ExecutionFailed': {
        const error = String(event.Error);
        const cause = causeText(event.Cause);
        this.append('ExecutionFailed', { executionFailedEventDetails: { error, cause } });
        this.finish('FAILED', { error, cause });
        return;
      }
      case 'ExecutionTimeout': {
        const error = 'States.Timeout';
        const cause = 'The execution ran longer than its TimeoutSeconds';
        this.append('ExecutionTimedOut', { executionTimedOutEventDetails: { error, cause } });
        this.finish('TIMED_OUT', { error, cause });
        return;
      }
      case 'ExecutionAborted':
        this.stop(undefined, undefined);
        return;
      default:
        // ExecutionStarted is recorded by the engine; Parallel branch events and StateCaught have no AWS counterpart.
        return;
    }
    this.changed(false);
  }

  /** StopExecution: closes open states, records ExecutionAborted, status ABORTED. */
  stop(error: string | undefined, cause: string | undefined): void {
    if (this.closed) return;
    for (const { name, kind } of [...this.openStates.values()].reverse()) {
      const aborted = ABORTED[kind];
      if (aborted) this.append(aborted, { stateExitedEventDetails: { name } });
    }
    this.append('ExecutionAborted', { executionAbortedEventDetails: { error, cause } });
    this.finish('ABORTED', { error, cause });
  }

  /** Endpoint shutting down: record nothing more, leave the execution RUNNING. */
  detach(): void {
    this.close();
  }

  /** Fallback when the library settled without a terminal event. */
  finishUnexpectedly(error: string, cause: string): void {
    if (this.closed) return;
    this.append('ExecutionFailed', { executionFailedEventDetails: { error, cause } });
    this.finish('FAILED', { error, cause });
  }

  begin(binding: TaskBinding, request: JsonValue): Promise<Invocation> {
    if (this.closed) return Promise.reject(executionStopped());
    return new Promise((resolve, reject) => {
      const start = (): void => resolve(this.startInvocation(binding, request));
      const credits = this.credits.get(binding.stateName) ?? 0;
      if (credits > 0) {
        this.credits.set(binding.stateName, credits - 1);
        start();
        return;
      }
      const queue = this.waiters.get(binding.stateName) ?? [];
      queue.push({ start, reject });
      this.waiters.set(binding.stateName, queue);
    });
  }

  succeed(invocation: Invocation, output: JsonValue): void {
    if (!this.settle(invocation)) return;
    const { kind, resource } = invocation.binding;
    const outputDetails = { output: json(output), outputDetails: noTruncation };
    if (kind === 'lambda') this.append('LambdaFunctionSucceeded', { lambdaFunctionSucceededEventDetails: outputDetails });
    else this.append('TaskSucceeded', { taskSucceededEventDetails: { ...lambdaInvokeResource(resource), ...outputDetails } });
    this.changed(false);
  }

  fail(invocation: Invocation, error: string, cause: string): void {
    if (!this.settle(invocation)) return;
    const { kind, resource } = invocation.binding;
    if (kind === 'lambda') this.append('LambdaFunctionFailed', { lambdaFunctionFailedEventDetails: { error, cause } });
    else this.append('TaskFailed', { taskFailedEventDetails: { ...lambdaInvokeResource(resource), error, cause } });
    this.changed(false);
  }

  private startInvocation(binding: TaskBinding, request: JsonValue): Invocation {
    const invocation: Invocation = { binding, settled: false };
    if (this.closed) {
      invocation.settled = true;
      return invocation;
    }
    const queue = this.inFlight.get(binding.stateName) ?? [];
    queue.push(invocation);
    this.inFlight.set(binding.stateName, queue);
    const timeoutInSeconds = binding.timeoutSeconds;
    if (binding.kind === 'lambda') {
      this.append('LambdaFunctionScheduled', {
        lambdaFunctionScheduledEventDetails: { resource: binding.resource, input: json(request), inputDetails: noTruncation, timeoutInSeconds },
      });
      this.append('LambdaFunctionStarted');
    } else {
      const resource = lambdaInvokeResource(binding.resource);
      this.append('TaskScheduled', {
        taskScheduledEventDetails: { ...resource, region: this.region, parameters: json(request), timeoutInSeconds },
      });
      this.append('TaskStarted', { taskStartedEventDetails: resource });
    }
    this.changed(false);
    return invocation;
  }

  private invocationMayStart(stateName: string): void {
    if (!this.definition.tasks.has(stateName)) return;
    const waiter = this.waiters.get(stateName)?.shift();
    if (waiter) waiter.start();
    else this.credits.set(stateName, (this.credits.get(stateName) ?? 0) + 1);
  }

  private timeOutInvocation(stateName: string, cause: string): void {
    const invocation = this.inFlight.get(stateName)?.find((candidate) => !candidate.settled);
    if (!invocation || !this.settle(invocation)) return;
    const error = 'States.Timeout';
    if (invocation.binding.kind === 'lambda') {
      this.append('LambdaFunctionTimedOut', { lambdaFunctionTimedOutEventDetails: { error, cause } });
    } else {
      this.append('TaskTimedOut', { taskTimedOutEventDetails: { ...lambdaInvokeResource(invocation.binding.resource), error, cause } });
    }
  }

  /** Marks an invocation settled; false when it already was or the journal is closed. */
  private settle(invocation: Invocation): boolean {
    if (invocation.settled || this.closed) return false;
    invocation.settled = true;
    const queue = this.inFlight.get(invocation.binding.stateName);
    const index = queue?.indexOf(invocation) ?? -1;
    if (queue && index >= 0) queue.splice(index, 1);
    return true;
  }

  private kindOf(stateName: string, libraryType: StateKind): StateKind {
    return this.definition.waitStates.has(stateName) ? 'Wait' : libraryType;
  }

  private append(type: HistoryEventType, details: HistoryEventDetails = {}): void {
    appendHistoryEvent(this.record, type, details);
  }

  private finish(status: LocalExecutionStatus, result: { output?: string; error?: string; cause?: string }): void {
    this.record.status = status;
    this.record.stopDate = Date.now();
    if (result.output !== undefined) this.record.output = result.output;
    if (result.error !== undefined) this.record.error = result.error;
    if (result.cause !== undefined) this.record.cause = result.cause;
    this.close();
    this.changed(true);
  }

  private close(): void {
    this.closed = true;
    for (const queue of this.waiters.values()) for (const waiter of queue) waiter.reject(executionStopped());
    this.waiters.clear();
    for (const queue of this.inFlight.values()) for (const invocation of queue) invocation.settled = true;
    this.inFlight.clear();
  }
}

const stateKey = (name: string, index: number | undefined): string => `${name}#${index ?? ''}`;

const lambdaInvokeResource = (resource: string): { resourceType: string; resource: string } => {
  const [, service = 'lambda', action = 'invoke'] = /:::([a-z]+):(.+)$/.exec(resource) ?? [];
  return { resourceType: service, resource: action };
};
