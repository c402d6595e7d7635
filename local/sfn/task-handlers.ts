/**
 * The library's `taskResourceLocalHandlers` for one execution: each Lambda-backed Task calls its
 * local function like Lambda would (JSON in, JSON out, thrown errors become errorType/cause),
 * and each rewritten Wait sleeps, scaled. Handlers stop calling functions once the execution
 * is stopped, so a Retry after StopExecution does not run the task again.
 */
import { randomUUID } from 'node:crypto';
import type { RunOptions } from 'aws-local-stepfunctions';
import type { PreparedDefinition, TaskBinding } from './definition';
import { lambdaFunctionName } from './definition';
import type { InvocationTracker } from './history';
import { isJsonObject, toJsonValue, type JsonValue } from './json';
import { raceAbort } from './sleep';
import { executionStopped, lambdaFailure, TaskFailure } from './task-errors';
import type { LocalTaskFunction } from './types';
import { createWaitHandler } from './wait-task';

export type TaskHandlers = NonNullable<NonNullable<RunOptions['overrides']>['taskResourceLocalHandlers']>;

export interface TaskHandlerContext {
  readonly definition: PreparedDefinition;
  readonly functions: Readonly<Record<string, LocalTaskFunction>>;
  readonly timeScale: number;
  readonly signal: AbortSignal;
  readonly tracker: InvocationTracker;
}

export function createTaskHandlers(context: TaskHandlerContext): TaskHandlers {
  const handlers: TaskHandlers = {};
  for (const binding of context.definition.tasks.values()) handlers[binding.stateName] = lambdaTaskHandler(binding, context);
  const wait = createWaitHandler(context.timeScale, context.signal);
  for (const name of context.definition.waitStates) handlers[name] = wait;
  return handlers;
}

/** What is sent to the function, and the function name, for one task input. */
function lambdaCall(binding: TaskBinding, input: JsonValue): { functionName: string | undefined; payload: JsonValue } {
  if (binding.kind === 'lambda') return { functionName: binding.functionName, payload: input };
  const parameters = isJsonObject(input) ? input : {};
  const name = parameters['FunctionName'];
  return {
    functionName: binding.functionName ?? (typeof name === 'string' ? lambdaFunctionName(name) : undefined),
    payload: parameters['Payload'] ?? {},
  };
}

/** The result of `arn:aws:states:::lambda:invoke`: the Invoke API response around the payload. */
const invokeResponse = (payload: JsonValue): JsonValue => ({
  ExecutedVersion: '$LATEST',
  Payload: payload,
  SdkHttpMetadata: { HttpHeaders: { 'Content-Type': 'application/json' }, HttpStatusCode: 200 },
  SdkResponseMetadata: { RequestId: randomUUID() },
  StatusCode: 200,
});

function lambdaTaskHandler(binding: TaskBinding, context: TaskHandlerContext): (input: JsonValue) => Promise<JsonValue> {
  const { functions, signal, tracker } = context;
  return async (input) => {
    if (signal.aborted) throw executionStopped();
    const { functionName, payload } = lambdaCall(binding, input);
    const invocation = await tracker.begin(binding, input);
    try {
      const fn = functionName === undefined ? undefined : functions[functionName];
      if (!fn) {
        throw new TaskFailure('Lambda.ResourceNotFoundException', `Function not found: ${functionName ?? JSON.stringify(input)}`);
      }
      const output = toJsonValue(await raceAbort(fn(toJsonValue(payload)), signal, executionStopped));
      const result = binding.kind === 'lambda' ? output : invokeResponse(output);
      tracker.succeed(invocation, result);
      return result;
    } catch (error) {
      if (signal.aborted) throw executionStopped();
      const failure = error instanceof TaskFailure ? error : lambdaFailure(error);
      tracker.fail(invocation, failure.name, failure.message);
      throw failure;
    }
  };
}
