/**
 * Error classes that carry their API code and HTTP status. One mapper
 * (functions/commons/http.ts) turns them into `{code, message}` responses; workflow tasks
 * throw them too and Step Functions matches on `name`.
 */
import type { ErrorCode } from '../../contract/errors';
import type { CaughtError } from '../../contract/execution-state';

export class ApiError extends Error {
  constructor(
    readonly code: ErrorCode,
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class ValidationError extends ApiError {
  constructor(
    message: string,
    readonly field?: string,
  ) {
    super('invalid_request', 400, message);
  }
}
export class UnauthorizedError extends ApiError {
  constructor(message = 'a valid Bearer token is required') {
    super('unauthorized', 401, message);
  }
}
export class ForbiddenError extends ApiError {
  constructor(message: string) {
    super('forbidden', 403, message);
  }
}
export class NotFoundError extends ApiError {
  constructor(message: string) {
    super('not_found', 404, message);
  }
}
export class ConflictError extends ApiError {
  constructor(message: string) {
    super('conflict', 409, message);
  }
}
export class ServiceUnavailableError extends ApiError {
  constructor(message: string) {
    super('service_unavailable', 503, message);
  }
}

/** The model server behind a deployment answered with an error, or with something unreadable. */
export class BadGatewayError extends ApiError {
  constructor(message: string) {
    super('bad_gateway', 502, message);
  }
}
/** The model server did not answer in time. */
export class GatewayTimeoutError extends ApiError {
  constructor(message: string) {
    super('gateway_timeout', 504, message);
  }
}

/**
 * Thrown by a workflow task whose deployment has been taken over by a newer operation
 * (typically a delete): the state machine ends quietly instead of recording a failure.
 */
export class SupersededError extends Error {
  override name = 'Superseded';
}

/**
 * Why a workflow failed, as Kubernetes conditions say it: a machine-readable reason
 * (`ImagePullBackOff`, `WorkflowLost`, `States.Timeout`) and a human message.
 */
export interface Failure {
  readonly reason: string;
  readonly message: string;
}

/** The one text form of a failure: the API's `fail_reason` and a DeploymentFailedError's message. */
export const formatFailure = (failure: Failure): string => `${failure.reason}: ${failure.message}`;

/** A workflow failure with a classified reason, recorded as `fail_reason`. */
export class DeploymentFailedError extends Error {
  override name = 'DeploymentFailed';
  constructor(
    readonly reason: string,
    message: string,
  ) {
    super(formatFailure({ reason, message }));
  }

  /** A getter, not a field: logs already show the reason and the message once. */
  get failure(): Failure {
    return { reason: this.reason, message: this.message.slice(this.reason.length + 2) };
  }
}

export type { CaughtError };

/**
 * The failure behind a caught error. Lambda errors arrive as `{Error: name, Cause:
 * '{"errorType","errorMessage",...}'}` and a DeploymentFailedError's reason crosses only inside
 * its message (Lambda serializes no other field), so this is where `formatFailure` is undone.
 * Any other error (a States.* error, an unexpected exception) is its name and its message.
 */
export const failureOfCaught = (caught: CaughtError): Failure => {
  let message = caught.Cause ?? '';
  try {
    const cause = JSON.parse(caught.Cause ?? '') as { errorMessage?: unknown };
    if (typeof cause.errorMessage === 'string') message = cause.errorMessage;
  } catch {
    // Cause is plain text (States.* errors)
  }
  if (caught.Error !== 'DeploymentFailed') return { reason: caught.Error, message };
  const colon = message.indexOf(': ');
  return colon > 0 ? { reason: message.slice(0, colon), message: message.slice(colon + 2) } : { reason: 'Failed', message };
};
