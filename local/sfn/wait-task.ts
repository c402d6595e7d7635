/**
 * Wait states run as Tasks backed by a local sleep, because the library's waitTimeOverrides are
 * fixed per state name while our workflows compute the next wait at run time (SecondsPath).
 * The rewritten Task's Parameters let the library resolve the path (with `$$` context access);
 * the handler sleeps `timeScale x` the real duration and passes its input through unchanged.
 */
import { isJsonObject, type JsonObject, type JsonValue } from './json';
import { abortableSleep } from './sleep';
import { UncatchableError } from './task-errors';

export const LOCAL_WAIT_RESOURCE = 'arn:aws:states:::local:wait';

/** AWS's upper bound for Seconds/SecondsPath. */
const MAX_WAIT_SECONDS = 99_999_999;

/** Parameters of the Task replacing a Wait state: `{input, seconds}` or `{input, timestamp}`. */
export function waitTaskParameters(wait: JsonObject): JsonObject {
  const parameters: JsonObject = { 'input.$': '$' };
  if (wait['Seconds'] !== undefined) parameters['seconds'] = wait['Seconds'];
  else if (wait['SecondsPath'] !== undefined) parameters['seconds.$'] = wait['SecondsPath'];
  else if (wait['Timestamp'] !== undefined) parameters['timestamp'] = wait['Timestamp'];
  else if (wait['TimestampPath'] !== undefined) parameters['timestamp.$'] = wait['TimestampPath'];
  return parameters;
}

const runtimeError = (message: string): UncatchableError => new UncatchableError('States.Runtime', message);

/** Real milliseconds to sleep for a rewritten Wait's parameters. */
export function waitMilliseconds(parameters: JsonObject, timeScale: number, now: number): number {
  const seconds = parameters['seconds'];
  if (seconds !== undefined) {
    if (typeof seconds !== 'number' || !Number.isInteger(seconds) || seconds < 0 || seconds > MAX_WAIT_SECONDS) {
      throw runtimeError(`Wait seconds must be an integer between 0 and ${MAX_WAIT_SECONDS}, got ${JSON.stringify(seconds)}`);
    }
    return seconds * 1000 * timeScale;
  }
  const timestamp = parameters['timestamp'];
  const target = typeof timestamp === 'string' ? Date.parse(timestamp) : Number.NaN;
  if (Number.isNaN(target)) throw runtimeError(`Wait timestamp must be an RFC 3339 string, got ${JSON.stringify(timestamp)}`);
  return Math.max(0, target - now) * timeScale;
}

/** The handler of every rewritten Wait state of one execution. */
export function createWaitHandler(timeScale: number, signal: AbortSignal): (input: JsonValue) => Promise<JsonValue> {
  return async (input) => {
    if (!isJsonObject(input)) throw runtimeError('Wait task received no parameters');
    await abortableSleep(waitMilliseconds(input, timeScale, Date.now()), signal);
    return input['input'] ?? null;
  };
}
