/**
 * ExecutionEngine: starts, stops, resumes and remembers executions. Each execution is one
 * library run with its own handlers, abort signal and journal, so executions are independent.
 */
import type { StateMachine } from 'aws-local-stepfunctions';
import { executionArn, roleArn, type ArnScope } from './arns';
import type { PreparedDefinition } from './definition';
import { appendHistoryEvent, type ExecutionRecord } from './execution-record';
import { ExecutionJournal, type LibraryEvent } from './history';
import { tryParseJson } from './json';
import type { ExecutionFileStore } from './persistence';
import { createTaskHandlers } from './task-handlers';
import type { LocalTaskFunction } from './types';

/** A configured state machine, ready to run. */
export interface StateMachineRuntime {
  readonly name: string;
  readonly arn: string;
  /** The definition as given (what DescribeStateMachine returns). */
  readonly definitionText: string;
  readonly creationDate: number;
  readonly definition: PreparedDefinition;
  readonly runner: StateMachine;
}

export interface EngineOptions {
  readonly scope: ArnScope;
  readonly machines: ReadonlyMap<string, StateMachineRuntime>;
  readonly functions: Readonly<Record<string, LocalTaskFunction>>;
  readonly timeScale: number;
  readonly store: ExecutionFileStore | undefined;
}

export type StartOutcome =
  /** A new execution. */
  | { kind: 'started'; record: ExecutionRecord }
  /** Same name and input as a RUNNING execution: AWS answers with that execution. */
  | { kind: 'existing'; record: ExecutionRecord }
  /** The name is taken (running with other input, or finished): ExecutionAlreadyExists. */
  | { kind: 'conflict'; record: ExecutionRecord };

interface ActiveRun {
  readonly journal: ExecutionJournal;
  readonly abort: () => void;
  readonly done: Promise<void>;
}

type LibraryRun = ReturnType<StateMachine['run']>;

/** How long close() waits for aborted runs to unwind. */
const CLOSE_GRACE_MS = 2000;
const noTruncation = { truncated: false };

export class ExecutionEngine {
  private readonly records = new Map<string, ExecutionRecord>();
  private readonly active = new Map<string, ActiveRun>();
  private closing = false;

  constructor(private readonly options: EngineOptions) {}

  /** Adds executions loaded from disk and re-runs, from the start, those that were RUNNING. */
  restore(records: readonly ExecutionRecord[]): void {
    for (const record of records) this.records.set(record.executionArn, record);
    for (const record of records) {
      const machine = this.options.machines.get(record.stateMachineName);
      if (record.status === 'RUNNING' && machine?.arn === record.stateMachineArn) this.resume(record, machine);
    }
  }

  start(machine: StateMachineRuntime, name: string, input: string): StartOutcome {
    if (this.closing) throw new Error('The local Step Functions endpoint is shutting down');
    const arn = executionArn(this.options.scope, machine.name, name);
    const existing = this.records.get(arn);
    if (existing) {
      const sameRequest = existing.status === 'RUNNING' && existing.input === input;
      return { kind: sameRequest ? 'existing' : 'conflict', record: existing };
    }
    const startDate = Date.now();
    const record: ExecutionRecord = {
      executionArn: arn,
      stateMachineArn: machine.arn,
      stateMachineName: machine.name,
      name,
      status: 'RUNNING',
      input,
      startDate,
      transitions: 0,
      restarts: 0,
      history: [],
    };
    appendHistoryEvent(
      record,
      'ExecutionStarted',
      { executionStartedEventDetails: { input, inputDetails: noTruncation, roleArn: roleArn(this.options.scope) } },
      startDate,
    );
    this.records.set(arn, record);
    this.save(record, true);
    this.launch(record, machine);
    return { kind: 'started', record };
  }

  /** StopExecution: the execution is ABORTED when this returns; a finished one is left as it is. */
  stop(record: ExecutionRecord, error: string | undefined, cause: string | undefined): void {
    if (record.status !== 'RUNNING') return;
    const run = this.active.get(record.executionArn);
    if (run) {
      run.journal.stop(error, cause);
      run.abort();
      return;
    }
    // RUNNING on disk but its state machine is not configured now: nothing runs, just close it.
    appendHistoryEvent(record, 'ExecutionAborted', { executionAbortedEventDetails: { error, cause } });
    Object.assign(record, { status: 'ABORTED', stopDate: Date.now(), error, cause });
    this.save(record, true);
  }

  get(executionArn: string): ExecutionRecord | undefined {
    return this.records.get(executionArn);
  }

  /** Executions of one state machine, newest first (ties broken by ARN, so paging is stable). */
  list(stateMachineArn: string): ExecutionRecord[] {
    return [...this.records.values()]
      .filter((record) => record.stateMachineArn === stateMachineArn)
      .sort((a, b) => b.startDate - a.startDate || (a.executionArn < b.executionArn ? 1 : -1));
  }

  /** Aborts what runs without finishing it (it stays RUNNING on disk) and flushes all writes. */
  async close(): Promise<void> {
    this.closing = true;
    const runs = [...this.active.values()];
    for (const run of runs) {
      run.journal.detach();
      run.abort();
    }
    await settleWithin(
      runs.map((run) => run.done),
      CLOSE_GRACE_MS,
    );
    await this.options.store?.flush();
  }

  private resume(record: ExecutionRecord, machine: StateMachineRuntime): void {
    record.restarts += 1;
    record.restartDate = Date.now();
    delete record.output;
    delete record.error;
    delete record.cause;
    delete record.stopDate;
    appendHistoryEvent(record, 'ExecutionRedriven', { executionRedrivenEventDetails: { redriveCount: record.restarts } });
    this.save(record, true);
    this.launch(record, machine);
  }

  private launch(record: ExecutionRecord, machine: StateMachineRuntime): void {
    const { scope, functions, timeScale } = this.options;
    const controller = new AbortController();
    const journal = new ExecutionJournal(record, machine.definition, scope.region, (urgent) => this.save(record, urgent));
    const input = tryParseJson(record.input);
    if (!input) {
      journal.finishUnexpectedly('States.Runtime', 'The stored execution input is not JSON');
      return;
    }
    const handlers = createTaskHandlers({
      definition: machine.definition,
      functions,
      timeScale,
      signal: controller.signal,
      tracker: journal,
    });
    const run = machine.runner.run(input.value, {
      overrides: { taskResourceLocalHandlers: handlers },
      context: {
        Execution: { Id: record.executionArn, Name: record.name, RoleArn: roleArn(scope), RedriveCount: record.restarts },
        StateMachine: { Id: machine.arn, Name: machine.name },
      },
    });
    const done = follow(run, journal).finally(() => {
      // The library may end a run on its own (TimeoutSeconds, a failed branch): stop our sleeps and tasks too.
      controller.abort();
      this.active.delete(record.executionArn);
    });
    this.active.set(record.executionArn, {
      journal,
      abort: () => {
        controller.abort();
        run.abort();
      },
      done,
    });
  }

  private save(record: ExecutionRecord, urgent: boolean): void {
    const { store } = this.options;
    if (!store) return;
    if (urgent) store.saveNow(record);
    else store.schedule(record);
  }
}

/** Feeds the run's events to its journal until the execution ends or the journal closes. */
async function follow(run: LibraryRun, journal: ExecutionJournal): Promise<void> {
  const events: AsyncGenerator<LibraryEvent> = run.eventLogs;
  for await (const event of events) {
    journal.handle(event);
    if (journal.isClosed) break;
  }
  try {
    await run.result;
  } catch {
    // The outcome was recorded from the event stream (ExecutionFailed/Aborted/Timeout).
  }
  journal.finishUnexpectedly('States.Runtime', 'The execution ended without a final event');
}

async function settleWithin(promises: readonly Promise<unknown>[], ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  await Promise.race([Promise.allSettled(promises), deadline]);
  clearTimeout(timer);
}
