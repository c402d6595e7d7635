/**
 * Errors thrown into the library from task handlers. The library matches Retry/Catch on
 * `error.name`, reports `error.cause ?? error.message` as the Cause, and skips Retry/Catch
 * when `isRetryable`/`isCatchable` are false.
 */

/** A failed task as Step Functions sees it: Error = name, Cause = message. */
export class TaskFailure extends Error {
  constructor(name: string, cause: string) {
    super(cause);
    this.name = name;
  }
}

/** What Lambda reports for an error thrown by a function: errorType = err.name, cause JSON. */
export function lambdaFailure(thrown: unknown): TaskFailure {
  const errorType = thrown instanceof Error ? thrown.name : 'Error';
  const errorMessage = thrown instanceof Error ? thrown.message : String(thrown);
  return new TaskFailure(errorType, JSON.stringify({ errorType, errorMessage }));
}

/** An error that no Retry or Catch may match (States.Runtime, execution stopped). */
export class UncatchableError extends Error {
  readonly isRetryable = false;
  readonly isCatchable = false;
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

export const executionStopped = (): UncatchableError =>
  new UncatchableError('States.ExecutionStopped', 'The execution was stopped');
