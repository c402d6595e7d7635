/**
 * Turns an ASL definition into the one the local runner executes:
 * - every Task is bound to a local Lambda function (direct function ARN or `lambda:invoke`);
 * - every Wait becomes a Task backed by a scaled, abortable sleep (see wait-task.ts), so that
 *   dynamic SecondsPath/TimestampPath waits are scaled too; the history still reports it as a Wait;
 * - Retry intervals (IntervalSeconds, MaxDelaySeconds) and the execution TimeoutSeconds are
 *   multiplied by the time scale; BackoffRate, MaxAttempts and JitterStrategy stay as written.
 * The original definition is validated first (asl-validator, via the library's constructor).
 */
import { StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import { isJsonObject, tryParseJson, type JsonObject } from './json';
import { LOCAL_WAIT_RESOURCE, waitTaskParameters } from './wait-task';

export interface TaskBinding {
  readonly stateName: string;
  /** 'lambda': Resource is a function ARN; 'lambda-invoke': arn:aws:states:::lambda:invoke. */
  readonly kind: 'lambda' | 'lambda-invoke';
  readonly resource: string;
  /** Statically known function name; undefined for a dynamic `FunctionName.$`. */
  readonly functionName: string | undefined;
  readonly timeoutSeconds: number | undefined;
}

export interface PreparedDefinition {
  /** What the library runs. */
  readonly runnable: StateMachineDefinition;
  /** Names of the (rewritten) Wait states. */
  readonly waitStates: ReadonlySet<string>;
  /** Lambda-backed Task states by state name. */
  readonly tasks: ReadonlyMap<string, TaskBinding>;
}

export interface PrepareOptions {
  readonly machineName: string;
  readonly timeScale: number;
  readonly functionNames: ReadonlySet<string>;
}

/** Longest timer Node can arm (2^31-1 ms), the ceiling for a rewritten Wait's own timeout. */
export const MAX_TIMER_SECONDS = 2_147_483;

const LAMBDA_FUNCTION_ARN = /^arn:aws[a-z-]*:lambda:[^:]*:[^:]*:function:([^:]+)(?::[^:]+)?$/;
const PARTIAL_FUNCTION_ARN = /^[0-9]{12}:function:([^:]+)(?::[^:]+)?$/;
const PLAIN_FUNCTION_NAME = /^([A-Za-z0-9_-]+)(?::[^:]+)?$/;
const LAMBDA_INVOKE = /^arn:aws[a-z-]*:states:::lambda:invoke$/;

/** The function name in a function name, partial ARN or ARN (qualifier dropped). */
export function lambdaFunctionName(nameOrArn: string): string | undefined {
  for (const pattern of [LAMBDA_FUNCTION_ARN, PARTIAL_FUNCTION_ARN, PLAIN_FUNCTION_NAME]) {
    const match = pattern.exec(nameOrArn);
    if (match?.[1]) return match[1];
  }
  return undefined;
}

interface Scope {
  States: Record<string, JsonObject>;
}

function scopeOf(value: unknown, where: string): Scope {
  if (!isJsonObject(value) || !isJsonObject(value['States'])) throw new Error(`${where}: missing States`);
  const states: Record<string, JsonObject> = {};
  for (const [name, state] of Object.entries(value['States'])) {
    if (!isJsonObject(state)) throw new Error(`${where}: state ${name} is not an object`);
    states[name] = state;
  }
  value['States'] = states;
  return { States: states };
}

const optionalNumber = (value: unknown): number | undefined => (typeof value === 'number' ? value : undefined);

export function prepareDefinition(text: string, options: PrepareOptions): PreparedDefinition {
  const where = `state machine ${options.machineName}`;
  const parsed = tryParseJson(text);
  if (!parsed || !isJsonObject(parsed.value)) throw new Error(`${where}: definition is not a JSON object`);
  try {
    new StateMachine(parsed.value as unknown as StateMachineDefinition);
  } catch (error) {
    throw new Error(`${where}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }

  const root = structuredClone(parsed.value);
  const waitStates = new Set<string>();
  const tasks = new Map<string, TaskBinding>();
  const seen = new Set<string>();

  const visitScope = (scope: Scope): void => {
    for (const [name, state] of Object.entries(scope.States)) {
      if (seen.has(name)) throw new Error(`${where}: state name ${name} is used twice (names must be unique)`);
      seen.add(name);
      if (Array.isArray(state['Retry'])) state['Retry'] = state['Retry'].map((r) => scaleRetrier(r, options.timeScale));
      switch (state['Type']) {
        case 'Task':
          tasks.set(name, bindTask(name, state, options, where));
          break;
        case 'Wait':
          scope.States[name] = waitAsTask(state);
          waitStates.add(name);
          break;
        case 'Parallel':
          for (const [i, branch] of (Array.isArray(state['Branches']) ? state['Branches'] : []).entries()) {
            visitScope(scopeOf(branch, `${where}: ${name}.Branches[${i}]`));
          }
          break;
        case 'Map':
          visitScope(scopeOf(state['ItemProcessor'] ?? state['Iterator'], `${where}: ${name}.ItemProcessor`));
          break;
      }
    }
  };
  visitScope(scopeOf(root, where));

  const timeout = optionalNumber(root['TimeoutSeconds']);
  if (timeout !== undefined) root['TimeoutSeconds'] = timeout * options.timeScale;

  return { runnable: root as unknown as StateMachineDefinition, waitStates, tasks };
}

function bindTask(stateName: string, state: JsonObject, options: PrepareOptions, where: string): TaskBinding {
  const resource = String(state['Resource']);
  const timeoutSeconds = optionalNumber(state['TimeoutSeconds']);
  const known = (name: string | undefined): string | undefined => {
    if (name !== undefined && !options.functionNames.has(name)) {
      throw new Error(`${where}: Task ${stateName} calls function ${name}, which is not among the local functions`);
    }
    return name;
  };
  const direct = LAMBDA_FUNCTION_ARN.exec(resource);
  if (direct?.[1]) {
    return { stateName, kind: 'lambda', resource, functionName: known(direct[1]), timeoutSeconds };
  }
  if (LAMBDA_INVOKE.test(resource)) {
    const parameters = isJsonObject(state['Parameters']) ? state['Parameters'] : {};
    const staticName = parameters['FunctionName'];
    if (typeof staticName === 'string') {
      const functionName = lambdaFunctionName(staticName);
      if (!functionName) throw new Error(`${where}: Task ${stateName} has an invalid FunctionName ${staticName}`);
      return { stateName, kind: 'lambda-invoke', resource, functionName: known(functionName), timeoutSeconds };
    }
    if (typeof parameters['FunctionName.$'] === 'string') {
      return { stateName, kind: 'lambda-invoke', resource, functionName: undefined, timeoutSeconds };
    }
    throw new Error(`${where}: Task ${stateName} (lambda:invoke) needs Parameters.FunctionName`);
  }
  throw new Error(
    `${where}: Task ${stateName} has Resource ${resource}; the local endpoint supports Lambda function ARNs ` +
      'and arn:aws:states:::lambda:invoke only',
  );
}

function waitAsTask(wait: JsonObject): JsonObject {
  const task: JsonObject = {
    Type: 'Task',
    Resource: LOCAL_WAIT_RESOURCE,
    Parameters: waitTaskParameters(wait),
    TimeoutSeconds: MAX_TIMER_SECONDS,
  };
  for (const field of ['Comment', 'InputPath', 'OutputPath', 'Next', 'End']) {
    if (field in wait) task[field] = wait[field];
  }
  return task;
}

function scaleRetrier(retrier: unknown, timeScale: number): unknown {
  if (!isJsonObject(retrier)) return retrier;
  const scaled: JsonObject = { ...retrier, IntervalSeconds: (optionalNumber(retrier['IntervalSeconds']) ?? 1) * timeScale };
  const maxDelay = optionalNumber(retrier['MaxDelaySeconds']);
  if (maxDelay !== undefined) scaled['MaxDelaySeconds'] = maxDelay * timeScale;
  return scaled;
}
