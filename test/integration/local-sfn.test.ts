/**
 * The local Step Functions endpoint, driven by the real @aws-sdk/client-sfn over HTTP.
 * Each test names what it proves; all waits are bounded.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DescribeExecutionCommand,
  DescribeStateMachineCommand,
  ExecutionAlreadyExists,
  ExecutionDoesNotExist,
  GetExecutionHistoryCommand,
  InvalidExecutionInput,
  InvalidName,
  ListExecutionsCommand,
  ListStateMachinesCommand,
  SFNClient,
  StartExecutionCommand,
  StateMachineDoesNotExist,
  StopExecutionCommand,
  type DescribeExecutionCommandOutput,
  type HistoryEvent,
} from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  startStepFunctions,
  type LocalStateMachine,
  type LocalTaskFunction,
  type RunningStepFunctions,
} from '../../local/sfn/index';

const REGION = 'us-east-1';
const ACCOUNT = '000000000000';
const FUNCTION_NAMES: Record<string, string> = {
  GreetFunctionArn: 'greet',
  StartWorkFunctionArn: 'start-work',
  CheckWorkFunctionArn: 'check-work',
  ReserveCapacityFunctionArn: 'reserve-capacity',
  RecordFailureFunctionArn: 'record-failure',
  PrepareFunctionArn: 'prepare',
  FinishFunctionArn: 'finish',
  SlowFunctionArn: 'slow',
};

/** A fixture ASL file with its `${XFunctionArn}` placeholders substituted, as local/main.ts does. */
function fixture(name: string, file: string): LocalStateMachine {
  const text = readFileSync(new URL(`../fixtures/sfn/${file}`, import.meta.url), 'utf8');
  const definition = text.replace(/\$\{(\w+)\}/g, (placeholder, key: string) => {
    const functionName = FUNCTION_NAMES[key];
    if (!functionName) throw new Error(`fixture ${file}: no substitution for ${placeholder}`);
    return `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${functionName}`;
  });
  return { name, definition };
}

const STATE_MACHINES = [
  fixture('test-echo', 'echo.asl.json'),
  fixture('test-poll', 'poll.asl.json'),
  fixture('test-retry-catch', 'retry-catch.asl.json'),
  fixture('test-long-wait', 'long-wait.asl.json'),
  fixture('test-branches', 'branches.asl.json'),
  fixture('test-task-timeout', 'task-timeout.asl.json'),
  fixture('test-execution-timeout', 'execution-timeout.asl.json'),
];

class DeploymentFailed extends Error {
  override name = 'DeploymentFailed';
}

interface Field {
  id?: string;
  execution?: string;
  name?: string;
  failuresBeforeSuccess?: number;
  crash?: boolean;
}
const fields = (event: unknown): Field => (typeof event === 'object' && event !== null ? (event as Field) : {});

/** The in-process "Lambda functions"; per-execution state is keyed by the input's id. */
function createFunctions() {
  const checks = new Map<string, number>();
  const reserveAttempts = new Map<string, number>();
  const recordedFailures: unknown[] = [];
  const finishedIds: unknown[] = [];
  let releaseSlow: () => void = () => undefined;
  const slowReleased = new Promise<void>((resolve) => {
    releaseSlow = resolve;
  });
  const functions: Record<string, LocalTaskFunction> = {
    greet: async (event) => ({ message: `hello ${fields(event).name ?? 'nobody'}` }),
    'start-work': async (event) => ({ startedAt: new Date(0), execution: fields(event).execution }),
    'check-work': async (event) => {
      const id = fields(event).id ?? '';
      const count = (checks.get(id) ?? 0) + 1;
      checks.set(id, count);
      return { ready: count >= 3, nextWaitSeconds: 30, checks: count };
    },
    'reserve-capacity': async (event) => {
      const { id = '', failuresBeforeSuccess = 0, crash = false } = fields(event);
      if (crash) throw new TypeError('cannot read properties of undefined');
      const attempt = (reserveAttempts.get(id) ?? 0) + 1;
      reserveAttempts.set(id, attempt);
      if (attempt <= failuresBeforeSuccess) throw new DeploymentFailed(`no GPU capacity (attempt ${attempt})`);
      return { gpus: 8, attempt };
    },
    'record-failure': async (event) => {
      recordedFailures.push(event);
      return { recorded: true };
    },
    prepare: async (event) => ({ preparedFor: fields(event).id }),
    finish: async (event) => {
      finishedIds.push(fields(event).id);
      return { finished: true, input: event };
    },
    slow: async () => {
      await slowReleased;
      return { slow: 'finally' };
    },
  };
  return { functions, reserveAttempts, recordedFailures, finishedIds, releaseSlow: () => releaseSlow() };
}

const clientFor = (url: string): SFNClient =>
  new SFNClient({ endpoint: url, region: REGION, credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls DescribeExecution until the execution left RUNNING, at most `timeoutMs`. */
async function waitForEnd(client: SFNClient, executionArn: string, timeoutMs = 5000): Promise<DescribeExecutionCommandOutput> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const execution = await client.send(new DescribeExecutionCommand({ executionArn }));
    if (execution.status !== 'RUNNING') return execution;
    if (Date.now() > deadline) throw new Error(`${executionArn} still RUNNING after ${timeoutMs} ms`);
    await sleep(10);
  }
}

async function historyOf(client: SFNClient, executionArn: string): Promise<HistoryEvent[]> {
  const { events = [] } = await client.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 1000 }));
  return events;
}

/** Polls the history until an event of `type` appears, at most `timeoutMs`. */
async function waitForEvent(client: SFNClient, executionArn: string, type: string, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await historyOf(client, executionArn)).some((event) => event.type === type)) {
    if (Date.now() > deadline) throw new Error(`no ${type} event in ${executionArn} after ${timeoutMs} ms`);
    await sleep(10);
  }
}

const types = (events: HistoryEvent[]): (string | undefined)[] => events.map((event) => event.type);

describe('local Step Functions endpoint', () => {
  let sfn: RunningStepFunctions;
  let client: SFNClient;
  let fns: ReturnType<typeof createFunctions>;
  const start = async (machine: string, input: unknown, name?: string): Promise<string> => {
    const { executionArn } = await client.send(
      new StartExecutionCommand({ stateMachineArn: sfn.stateMachineArn(machine), input: JSON.stringify(input), name }),
    );
    if (!executionArn) throw new Error('StartExecution returned no executionArn');
    return executionArn;
  };

  beforeAll(async () => {
    fns = createFunctions();
    sfn = await startStepFunctions({ stateMachines: STATE_MACHINES, functions: fns.functions, timeScale: 0.001 });
    client = clientFor(sfn.url);
  });

  afterAll(async () => {
    client.destroy();
    await sfn.close();
  });

  it('runs an execution to SUCCEEDED and describes its input, output and dates', async () => {
    // Prepare
    const input = { id: 'echo-1', name: 'ada' };
    // Act
    const executionArn = await start('test-echo', input, 'echo-1');
    const execution = await waitForEnd(client, executionArn);
    // Assess
    expect(executionArn).toBe(`arn:aws:states:${REGION}:${ACCOUNT}:execution:test-echo:echo-1`);
    expect(execution.status).toBe('SUCCEEDED');
    expect(execution.name).toBe('echo-1');
    expect(execution.stateMachineArn).toBe(sfn.stateMachineArn('test-echo'));
    expect(JSON.parse(execution.input ?? 'null')).toEqual(input);
    expect(JSON.parse(execution.output ?? 'null')).toEqual({ ...input, greeting: { message: 'hello ada' } });
    expect(execution.startDate).toBeInstanceOf(Date);
    expect(execution.stopDate!.getTime()).toBeGreaterThanOrEqual(execution.startDate!.getTime());
    expect(Math.abs(execution.startDate!.getTime() - Date.now())).toBeLessThan(10_000);
  });

  it('serves ListStateMachines and DescribeStateMachine for the configured machines', async () => {
    const { stateMachines = [] } = await client.send(new ListStateMachinesCommand({}));
    const described = await client.send(new DescribeStateMachineCommand({ stateMachineArn: sfn.stateMachineArn('test-poll') }));

    expect(stateMachines.map((machine) => machine.name)).toEqual(STATE_MACHINES.map((machine) => machine.name));
    expect(stateMachines[0]?.creationDate).toBeInstanceOf(Date);
    expect(described.status).toBe('ACTIVE');
    expect(described.type).toBe('STANDARD');
    expect(described.definition).toBe(STATE_MACHINES[1]?.definition);
  });

  it('loops through a Choice and a 30 s SecondsPath Wait in milliseconds at timeScale 0.001', async () => {
    const started = Date.now();
    const executionArn = await start('test-poll', { id: 'poll-1' });
    const execution = await waitForEnd(client, executionArn);
    const history = await historyOf(client, executionArn);

    expect(execution.status).toBe('SUCCEEDED');
    expect(JSON.parse(execution.output ?? '{}')).toMatchObject({ check: { ready: true, checks: 3 }, work: { execution: executionArn } });
    expect(Date.now() - started).toBeLessThan(2000); // two 30 s waits, scaled to 30 ms each
    expect(types(history).filter((type) => type === 'WaitStateEntered')).toHaveLength(2);
    expect(types(history).filter((type) => type === 'WaitStateExited')).toHaveLength(2);
    const waitEntered = history.find((event) => event.type === 'WaitStateEntered');
    expect(waitEntered?.stateEnteredEventDetails?.name).toBe('WaitBeforeNextCheck');
    const taskNames = history.filter((event) => event.type === 'TaskStateEntered').map((event) => event.stateEnteredEventDetails?.name);
    expect(taskNames).not.toContain('WaitBeforeNextCheck');
    // StartWork + 3 x (CheckWork, IsReady) + 2 x WaitBeforeNextCheck + Ready
    expect(sfn.transitions(executionArn)).toBe(10);
  });

  it('runs tasks and scaled waits nested in Parallel branches and a Map, after a scaled TimestampPath wait', async () => {
    const until = new Date(Date.now() + 60_000).toISOString(); // a minute away: 60 ms at timeScale 0.001
    const started = Date.now();
    const executionArn = await start('test-branches', { name: 'bo', names: ['x', 'y', 'z'], until });
    const execution = await waitForEnd(client, executionArn);

    expect(execution.status).toBe('SUCCEEDED');
    expect(Date.now() - started).toBeLessThan(2000);
    const output = JSON.parse(execution.output ?? '{}') as Record<string, unknown>;
    expect(output['branches']).toEqual([{ message: 'hello bo' }, 'paused']);
    expect(output['greetings']).toEqual([{ message: 'hello x' }, { message: 'hello y' }, { message: 'hello z' }]);
    const history = types(await historyOf(client, executionArn));
    expect(history).toEqual(expect.arrayContaining(['ParallelStateEntered', 'ParallelStateExited', 'MapStateEntered', 'MapIterationStarted', 'MapStateExited']));
    expect(history.filter((type) => type === 'TaskScheduled')).toHaveLength(3);
  });

  it('retries a task that throws a custom error name, then succeeds', async () => {
    const executionArn = await start('test-retry-catch', { id: 'retry-1', deployment: 'd1', failuresBeforeSuccess: 2 });
    const execution = await waitForEnd(client, executionArn);
    const history = await historyOf(client, executionArn);

    expect(execution.status).toBe('SUCCEEDED');
    expect(JSON.parse(execution.output ?? '{}')).toMatchObject({ reservation: { gpus: 8, attempt: 3 } });
    expect(fns.reserveAttempts.get('retry-1')).toBe(3);
    expect(types(history)).toEqual([
      'ExecutionStarted',
      'TaskStateEntered',
      'LambdaFunctionScheduled',
      'LambdaFunctionStarted',
      'LambdaFunctionFailed',
      'LambdaFunctionScheduled',
      'LambdaFunctionStarted',
      'LambdaFunctionFailed',
      'LambdaFunctionScheduled',
      'LambdaFunctionStarted',
      'LambdaFunctionSucceeded',
      'TaskStateExited',
      'SucceedStateEntered',
      'SucceedStateExited',
      'ExecutionSucceeded',
    ]);
    const failed = history.find((event) => event.type === 'LambdaFunctionFailed')?.lambdaFunctionFailedEventDetails;
    expect(failed?.error).toBe('DeploymentFailed');
    expect(JSON.parse(failed?.cause ?? '{}')).toEqual({ errorType: 'DeploymentFailed', errorMessage: 'no GPU capacity (attempt 1)' });
    // ReserveCapacity entered once + 2 retries, then Reserved
    expect(sfn.transitions(executionArn)).toBe(4);
  });

  it('catches a custom error after the retries are exhausted and fails the execution with its error and cause', async () => {
    const executionArn = await start('test-retry-catch', { id: 'catch-1', deployment: 'd2', failuresBeforeSuccess: 99 });
    const execution = await waitForEnd(client, executionArn);
    const history = await historyOf(client, executionArn);

    expect(execution.status).toBe('FAILED');
    expect(execution.error).toBe('DeploymentFailed');
    expect(JSON.parse(execution.cause ?? '{}')).toEqual({ errorType: 'DeploymentFailed', errorMessage: 'no GPU capacity (attempt 3)' });
    expect(fns.reserveAttempts.get('catch-1')).toBe(3);
    expect(fns.recordedFailures).toContainEqual({
      deployment: 'd2',
      failure: { Error: 'DeploymentFailed', Cause: execution.cause },
    });
    expect(types(history).slice(-9)).toEqual([
      'LambdaFunctionFailed',
      'TaskStateExited',
      'TaskStateEntered',
      'TaskScheduled',
      'TaskStarted',
      'TaskSucceeded',
      'TaskStateExited',
      'FailStateEntered',
      'ExecutionFailed',
    ]);
    const scheduled = history.find((event) => event.type === 'TaskScheduled')?.taskScheduledEventDetails;
    expect(scheduled).toMatchObject({ resourceType: 'lambda', resource: 'invoke', region: REGION });
    expect(JSON.parse(scheduled?.parameters ?? '{}')).toMatchObject({ Payload: { deployment: 'd2' } });
    expect(history.at(-1)?.executionFailedEventDetails).toEqual({ error: 'DeploymentFailed', cause: execution.cause });
  });

  it('catches any other thrown error with States.ALL, without retrying it', async () => {
    const executionArn = await start('test-retry-catch', { id: 'crash-1', deployment: 'd3', crash: true });
    const execution = await waitForEnd(client, executionArn);

    expect(execution.status).toBe('FAILED');
    expect(execution.error).toBe('Crashed');
    expect(JSON.parse(execution.cause ?? '{}')).toEqual({ errorType: 'TypeError', errorMessage: 'cannot read properties of undefined' });
    expect(types(await historyOf(client, executionArn)).filter((type) => type === 'LambdaFunctionFailed')).toHaveLength(1);
  });

  it('aborts a waiting execution on StopExecution and records error, cause and the aborted state', async () => {
    const executionArn = await start('test-long-wait', { id: 'stop-1' });
    await waitForEvent(client, executionArn, 'WaitStateEntered');

    const { stopDate } = await client.send(new StopExecutionCommand({ executionArn, error: 'Superseded', cause: 'deleted by user' }));
    const execution = await client.send(new DescribeExecutionCommand({ executionArn }));
    const history = await historyOf(client, executionArn);

    expect(stopDate).toBeInstanceOf(Date);
    expect(execution).toMatchObject({ status: 'ABORTED', error: 'Superseded', cause: 'deleted by user' });
    expect(types(history).slice(-2)).toEqual(['WaitStateAborted', 'ExecutionAborted']);
    expect(history.at(-1)?.executionAbortedEventDetails).toEqual({ error: 'Superseded', cause: 'deleted by user' });
    await sleep(50); // the Wait would have ended (3.6 s scaled) only much later; Finish must never run
    expect(types(await historyOf(client, executionArn))).not.toContain('WaitStateExited');
    expect(fns.finishedIds).not.toContain('stop-1');
  });

  it('rejects a taken execution name with ExecutionAlreadyExists, but answers a repeated identical start idempotently', async () => {
    const input = { id: 'dup-1' };
    const first = await start('test-long-wait', input, 'dup-1');

    const repeated = await start('test-long-wait', input, 'dup-1'); // AWS: same name and input while RUNNING
    const otherInput = start('test-long-wait', { id: 'dup-1', other: true }, 'dup-1');
    await expect(otherInput).rejects.toBeInstanceOf(ExecutionAlreadyExists);

    await client.send(new StopExecutionCommand({ executionArn: first }));
    const afterFinish = start('test-long-wait', input, 'dup-1'); // names stay taken after the execution ends
    await expect(afterFinish).rejects.toBeInstanceOf(ExecutionAlreadyExists);
    await expect(afterFinish).rejects.toMatchObject({ name: 'ExecutionAlreadyExists', $metadata: { httpStatusCode: 400 } });
    expect(repeated).toBe(first);
  });

  it('rejects unknown machines and executions, invalid names and non-JSON input with the SDK exception classes', async () => {
    const unknownMachine = client.send(
      new StartExecutionCommand({ stateMachineArn: `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:nope` }),
    );
    const invalidName = start('test-echo', {}, 'has space');
    const invalidInput = client.send(new StartExecutionCommand({ stateMachineArn: sfn.stateMachineArn('test-echo'), input: '{not json' }));
    const unknownExecution = client.send(
      new DescribeExecutionCommand({ executionArn: `arn:aws:states:${REGION}:${ACCOUNT}:execution:test-echo:nope` }),
    );

    await expect(unknownMachine).rejects.toBeInstanceOf(StateMachineDoesNotExist);
    await expect(invalidName).rejects.toBeInstanceOf(InvalidName);
    await expect(invalidInput).rejects.toBeInstanceOf(InvalidExecutionInput);
    await expect(unknownExecution).rejects.toBeInstanceOf(ExecutionDoesNotExist);
  });

  it('records the history with AWS event types and every input and output, paged and reversible', async () => {
    const marker = 'secret-marker-7f3a';
    const executionArn = await start('test-echo', { id: 'history-1', name: marker });
    await waitForEnd(client, executionArn);

    const history = await historyOf(client, executionArn);
    const page1 = await client.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 4 }));
    const page2 = await client.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 4, nextToken: page1.nextToken }));
    const reversed = await client.send(new GetExecutionHistoryCommand({ executionArn, reverseOrder: true }));
    const withoutData = await client.send(new GetExecutionHistoryCommand({ executionArn, includeExecutionData: false }));

    expect(types(history)).toEqual([
      'ExecutionStarted',
      'TaskStateEntered',
      'LambdaFunctionScheduled',
      'LambdaFunctionStarted',
      'LambdaFunctionSucceeded',
      'TaskStateExited',
      'PassStateEntered',
      'PassStateExited',
      'ExecutionSucceeded',
    ]);
    expect(history.map((event) => event.id)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(history.map((event) => event.previousEventId)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    expect(history.every((event) => event.timestamp instanceof Date)).toBe(true);
    const byType = (type: string): HistoryEvent | undefined => history.find((event) => event.type === type);
    expect(byType('ExecutionStarted')?.executionStartedEventDetails?.input).toContain(marker);
    expect(byType('TaskStateEntered')?.stateEnteredEventDetails).toMatchObject({ name: 'Greet' });
    expect(byType('TaskStateEntered')?.stateEnteredEventDetails?.input).toContain(marker);
    expect(byType('LambdaFunctionScheduled')?.lambdaFunctionScheduledEventDetails).toMatchObject({
      resource: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:greet`,
    });
    expect(byType('LambdaFunctionScheduled')?.lambdaFunctionScheduledEventDetails?.input).toContain(marker);
    expect(JSON.parse(byType('LambdaFunctionSucceeded')?.lambdaFunctionSucceededEventDetails?.output ?? '{}')).toEqual({
      message: `hello ${marker}`,
    });
    expect(byType('TaskStateExited')?.stateExitedEventDetails?.output).toContain(`hello ${marker}`);
    expect(byType('ExecutionSucceeded')?.executionSucceededEventDetails?.output).toContain(`hello ${marker}`);
    expect([...(page1.events ?? []), ...(page2.events ?? [])].map((event) => event.id)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(reversed.events?.map((event) => event.id)).toEqual([9, 8, 7, 6, 5, 4, 3, 2, 1]);
    expect(JSON.stringify(withoutData.events)).not.toContain(marker);
  });

  it('lists executions newest first, filtered by status and paged with nextToken', async () => {
    const stateMachineArn = sfn.stateMachineArn('test-echo');
    const finished = [await start('test-echo', { id: 'list-1' }, 'list-1')];
    await sleep(5);
    finished.push(await start('test-echo', { id: 'list-2' }, 'list-2'));
    await Promise.all(finished.map((arn) => waitForEnd(client, arn)));
    const running = await start('test-long-wait', { id: 'list-running' }, 'list-running');

    const all = await client.send(new ListExecutionsCommand({ stateMachineArn }));
    const succeeded = await client.send(new ListExecutionsCommand({ stateMachineArn, statusFilter: 'SUCCEEDED' }));
    const runningOnly = await client.send(
      new ListExecutionsCommand({ stateMachineArn: sfn.stateMachineArn('test-long-wait'), statusFilter: 'RUNNING' }),
    );
    const page1 = await client.send(new ListExecutionsCommand({ stateMachineArn, maxResults: 1 }));
    const page2 = await client.send(new ListExecutionsCommand({ stateMachineArn, maxResults: 1, nextToken: page1.nextToken }));

    const arns = (all.executions ?? []).map((execution) => execution.executionArn);
    expect(arns.indexOf(finished[1])).toBeLessThan(arns.indexOf(finished[0]));
    const startDates = (all.executions ?? []).map((execution) => execution.startDate!.getTime());
    expect(startDates).toEqual([...startDates].sort((a, b) => b - a));
    expect(succeeded.executions?.every((execution) => execution.status === 'SUCCEEDED')).toBe(true);
    expect(runningOnly.executions?.map((execution) => execution.executionArn)).toContain(running);
    expect(runningOnly.executions?.every((execution) => execution.status === 'RUNNING')).toBe(true);
    expect(page1.executions).toHaveLength(1);
    expect(page2.executions?.[0]?.executionArn).toBe(arns[1]);
    await client.send(new StopExecutionCommand({ executionArn: running }));
  });

  it('counts state transitions including retries and serves them on the debug route', async () => {
    const executionArn = await start('test-retry-catch', { id: 'count-1', deployment: 'd4', failuresBeforeSuccess: 1 });
    await waitForEnd(client, executionArn);

    const response = await fetch(`${sfn.url}/_local/executions/${encodeURIComponent(executionArn)}`);
    const debug = (await response.json()) as { transitions: number; status: string };
    const missing = await fetch(`${sfn.url}/_local/executions/${encodeURIComponent(`${executionArn}-nope`)}`);

    expect(sfn.transitions(executionArn)).toBe(3); // ReserveCapacity, its retry, Reserved
    expect(debug).toMatchObject({ transitions: 3, status: 'SUCCEEDED' });
    expect(missing.status).toBe(404);
  });

  it('runs many executions at once, each with its own input and output', async () => {
    const names = Array.from({ length: 25 }, (_, i) => `many-${i}`);

    const arns = await Promise.all(names.map((name) => start('test-poll', { id: name }, name)));
    const executions = await Promise.all(arns.map((arn) => waitForEnd(client, arn)));

    const lambdaTask = ['TaskStateEntered', 'LambdaFunctionScheduled', 'LambdaFunctionStarted', 'LambdaFunctionSucceeded', 'TaskStateExited'];
    const check = [...lambdaTask, 'ChoiceStateEntered', 'ChoiceStateExited'];
    const wait = ['WaitStateEntered', 'WaitStateExited'];
    const expectedHistory = ['ExecutionStarted', ...lambdaTask, ...check, ...wait, ...check, ...wait, ...check, 'SucceedStateEntered', 'SucceedStateExited', 'ExecutionSucceeded'];
    for (const [i, execution] of executions.entries()) {
      expect(execution.status).toBe('SUCCEEDED');
      expect(JSON.parse(execution.output ?? '{}')).toMatchObject({ id: names[i], check: { checks: 3 } });
      expect(types(await historyOf(client, arns[i]!))).toEqual(expectedHistory);
    }
  });

  it('times out a task slower than its TimeoutSeconds as States.Timeout, which Catch can handle', async () => {
    const executionArn = await start('test-task-timeout', { id: 'slow-1' });
    const execution = await waitForEnd(client, executionArn, 4000);
    fns.releaseSlow(); // the late result must not reach the history
    await sleep(20);
    const history = await historyOf(client, executionArn);

    expect(execution.status).toBe('SUCCEEDED');
    expect(JSON.parse(execution.output ?? '{}')).toMatchObject({ timeout: { Error: 'States.Timeout' } });
    expect(types(history)).toEqual([
      'ExecutionStarted',
      'TaskStateEntered',
      'LambdaFunctionScheduled',
      'LambdaFunctionStarted',
      'LambdaFunctionTimedOut',
      'TaskStateExited',
      'PassStateEntered',
      'PassStateExited',
      'ExecutionSucceeded',
    ]);
    expect(history[2]?.lambdaFunctionScheduledEventDetails?.timeoutInSeconds).toBe(1);
    expect(history[4]?.lambdaFunctionTimedOutEventDetails?.error).toBe('States.Timeout');
  });

  it('times out an execution after its TimeoutSeconds, scaled like its waits', async () => {
    const executionArn = await start('test-execution-timeout', {});
    const execution = await waitForEnd(client, executionArn, 2000); // 60 s scaled: 60 ms; the 3600 s wait: 3.6 s

    expect(execution.status).toBe('TIMED_OUT');
    expect(execution.error).toBe('States.Timeout');
    expect(types(await historyOf(client, executionArn))).toEqual(['ExecutionStarted', 'WaitStateEntered', 'ExecutionTimedOut']);
  });
});

describe('local Step Functions persistence', () => {
  let dataDir: string;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'local-sfn-'));
  });

  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('resumes an execution that was RUNNING when the endpoint closed, from the start, to SUCCEEDED', async () => {
    // Prepare: real-time waits, so the execution is stuck in its hour-long Wait when we close.
    const first = createFunctions();
    const before = await startStepFunctions({ stateMachines: STATE_MACHINES, functions: first.functions, dataDir, timeScale: 1 });
    const beforeClient = clientFor(before.url);
    const { executionArn } = await beforeClient.send(
      new StartExecutionCommand({ stateMachineArn: before.stateMachineArn('test-long-wait'), name: 'resume-1', input: '{"id":"resume-1"}' }),
    );
    await waitForEvent(beforeClient, executionArn!, 'WaitStateEntered');
    beforeClient.destroy();
    await before.close();

    // Act: same dataDir, fast clock.
    const second = createFunctions();
    const after = await startStepFunctions({ stateMachines: STATE_MACHINES, functions: second.functions, dataDir, timeScale: 0.0001 });
    const afterClient = clientFor(after.url);
    try {
      const execution = await waitForEnd(afterClient, executionArn!);
      const history = await historyOf(afterClient, executionArn!);

      // Assess
      expect(execution.status).toBe('SUCCEEDED');
      expect(JSON.parse(execution.output ?? '{}')).toMatchObject({ finished: true, input: { id: 'resume-1', prepared: { preparedFor: 'resume-1' } } });
      expect(execution.redriveCount).toBe(1);
      expect(execution.redriveDate).toBeInstanceOf(Date);
      const restart = history.findIndex((event) => event.type === 'ExecutionRedriven');
      expect(history[restart]?.executionRedrivenEventDetails).toEqual({ redriveCount: 1 });
      expect(types(history.slice(0, restart))).toEqual([
        'ExecutionStarted',
        'TaskStateEntered',
        'LambdaFunctionScheduled',
        'LambdaFunctionStarted',
        'LambdaFunctionSucceeded',
        'TaskStateExited',
        'WaitStateEntered',
      ]);
      expect(types(history.slice(restart + 1))).toEqual([
        'TaskStateEntered',
        'LambdaFunctionScheduled',
        'LambdaFunctionStarted',
        'LambdaFunctionSucceeded',
        'TaskStateExited',
        'WaitStateEntered',
        'WaitStateExited',
        'TaskStateEntered',
        'LambdaFunctionScheduled',
        'LambdaFunctionStarted',
        'LambdaFunctionSucceeded',
        'TaskStateExited',
        'ExecutionSucceeded',
      ]);
      expect(history.map((event) => event.id)).toEqual(history.map((_, i) => i + 1));
      expect(after.transitions(executionArn!)).toBe(5); // Prepare, Sleep before the restart; Prepare, Sleep, Finish after
    } finally {
      afterClient.destroy();
      await after.close();
    }
  });
});
