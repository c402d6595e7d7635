/** startStepFunctions: prepares the state machines, restores executions, serves the SFN API. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { StateMachine } from 'aws-local-stepfunctions';
import { serve } from '../http/serve';
import { callerOf } from '../identity';
import { createActions, type ActionHandler } from './actions';
import { invalidNameReason, stateMachineArn, type ArnScope } from './arns';
import { prepareDefinition } from './definition';
import { ExecutionEngine, type StateMachineRuntime } from './executions';
import { ExecutionFileStore } from './persistence';
import { readJsonBody, sendDebugJson, sendError, sendResult, SfnServiceError, TARGET_PREFIX } from './protocol';
import type { LocalStepFunctionsOptions, RunningStepFunctions } from './types';

const DEBUG_EXECUTIONS_PATH = '/_local/executions/';

function prepareStateMachines(options: LocalStepFunctionsOptions, scope: ArnScope, timeScale: number): Map<string, StateMachineRuntime> {
  const functionNames = new Set(Object.keys(options.functions));
  const creationDate = Date.now();
  const machines = new Map<string, StateMachineRuntime>();
  for (const { name, definition: definitionText } of options.stateMachines) {
    const nameProblem = invalidNameReason(name);
    if (nameProblem) throw new Error(`state machine name: ${nameProblem}`);
    if (machines.has(name)) throw new Error(`state machine ${name} is listed twice`);
    const definition = prepareDefinition(definitionText, { machineName: name, timeScale, functionNames });
    // The rewritten definition was derived from a validated one; its extra fields need no second check.
    const runner = new StateMachine(definition.runnable, { validationOptions: { noValidate: true } });
    machines.set(name, { name, arn: stateMachineArn(scope, name), definitionText, creationDate, definition, runner });
  }
  return machines;
}

export async function startStepFunctions(options: LocalStepFunctionsOptions): Promise<RunningStepFunctions> {
  const host = options.host ?? '127.0.0.1';
  const timeScale = options.timeScale ?? 1;
  if (!Number.isFinite(timeScale) || timeScale < 0) throw new Error(`timeScale must be a number >= 0, got ${timeScale}`);
  const scope: ArnScope = { region: options.region ?? 'us-east-1', accountId: options.accountId ?? '000000000000' };
  const machines = prepareStateMachines(options, scope, timeScale);
  const store = options.dataDir === undefined ? undefined : await ExecutionFileStore.open(options.dataDir);
  const engine = new ExecutionEngine({ scope, machines, functions: options.functions, timeScale, store });
  const actions = createActions({ scope, machines, engine });

  const guard = guardFor(options);
  const server = await serve({ host, port: options.port, closeGraceMs: 0, handler: (request, response) => void route(request, response, actions, engine, guard) });
  if (store) engine.restore(await store.loadAll());

  let closed: Promise<void> | undefined;
  return {
    url: server.url,
    stateMachineArn: (name) => stateMachineArn(scope, name),
    transitions: (executionArn) => {
      const record = engine.get(executionArn);
      if (!record) throw new Error(`No such execution: ${executionArn}`);
      return record.transitions;
    },
    close: () => {
      closed ??= (async () => {
        await engine.close();
        await server.close();
      })();
      return closed;
    },
  };
}

async function route(
  request: IncomingMessage,
  response: ServerResponse,
  actions: ReadonlyMap<string, ActionHandler>,
  engine: ExecutionEngine,
  guard: Guard,
): Promise<void> {
  try {
    const path = (request.url ?? '/').split('?')[0] ?? '/';
    if (request.method === 'GET' && path.startsWith(DEBUG_EXECUTIONS_PATH)) {
      debugExecution(response, engine, decodeURIComponent(path.slice(DEBUG_EXECUTIONS_PATH.length)));
      return;
    }
    if (request.method !== 'POST') throw new SfnServiceError('UnknownOperationException', 'Only POST / is served', 404);
    const target = request.headers['x-amz-target'];
    const action = typeof target === 'string' && target.startsWith(TARGET_PREFIX) ? actions.get(target.slice(TARGET_PREFIX.length)) : undefined;
    if (!action) throw new SfnServiceError('UnknownOperationException', `Unknown operation: ${String(target)}`);
    const body = await readJsonBody(request);
    const refusal = guard(String(target).slice(TARGET_PREFIX.length), body, callerOf(request.headers));
    if (refusal) {
      sendJson(response, 400, refusal);
      return;
    }
    sendResult(response, action(body));
  } catch (error) {
    sendError(
      response,
      error instanceof SfnServiceError
        ? error
        : new SfnServiceError('InternalFailure', error instanceof Error ? error.message : String(error), 500),
    );
  }
}

/** GET /_local/executions/<arn>: what the SDK shapes cannot carry (transitions, restarts). */
function debugExecution(response: ServerResponse, engine: ExecutionEngine, executionArn: string): void {
  const record = engine.get(executionArn);
  if (!record) {
    sendDebugJson(response, 404, { message: `No such execution: ${executionArn}` });
    return;
  }
  const { history, ...summary } = record;
  sendDebugJson(response, 200, { ...summary, historyEvents: history.length });
}

/** What Step Functions answers instead of serving a call: IAM's AccessDenied or an injected throttle. */
type Guard = (operation: string, body: unknown, caller: string | undefined) => { __type: string; message?: string; Message?: string } | undefined;

// The resource each action is authorized on (Service Authorization Reference, AWS Step Functions).
const ON_STATE_MACHINE = new Set(['StartExecution', 'StartSyncExecution', 'DescribeStateMachine', 'ListExecutions']);
const ON_EXECUTION = new Set(['DescribeExecution', 'StopExecution', 'GetExecutionHistory', 'DescribeStateMachineForExecution', 'RedriveExecution']);

function guardFor(options: LocalStepFunctionsOptions): Guard {
  return (operation, body, caller) => {
    if (caller === undefined) return undefined;
    const input = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
    const arn = (field: string) => (typeof input[field] === 'string' ? (input[field] as string) : '*');
    const resource = ON_STATE_MACHINE.has(operation) ? arn('stateMachineArn') : ON_EXECUTION.has(operation) ? arn('executionArn') : '*';
    const denial = options.authorizer?.check(caller, [{ action: `states:${operation}`, resource }]);
    if (denial) return { __type: 'com.amazon.coral.service#AccessDeniedException', Message: denial.message };
    if (options.faults?.take('stepfunctions', operation, caller)) return { __type: 'com.amazon.coral.availability#ThrottlingException', message: 'Rate exceeded' };
    return undefined;
  };
}

function sendJson(response: ServerResponse, status: number, body: { __type: string }): void {
  const text = JSON.stringify(body);
  const type = body.__type.slice(body.__type.indexOf('#') + 1);
  response.writeHead(status, {
    'content-type': 'application/x-amz-json-1.0',
    'content-length': Buffer.byteLength(text),
    'x-amzn-errortype': type,
    'x-amzn-requestid': crypto.randomUUID(),
  });
  response.end(text);
}
