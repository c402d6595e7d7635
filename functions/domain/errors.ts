/**
 * Error classes that carry their API code and HTTP status. One mapper
 * (functions/commons/http.ts) turns them into `{code, message}` responses; workflow tasks
 * throw them too and Step Functions matches on `name`.
 */
/** Every `code` an error response may carry (the gateway's own errors use the same ones). */
export const ERROR_CODES = [
  'invalid_request',
  'unauthorized',
  'forbidden',
  'not_found',
  'conflict',
  'payload_too_large',
  'unsupported_media_type',
  'method_not_allowed',
  'internal_error',
  'service_unavailable',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

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

/**
 * Thrown by a workflow task whose deployment has been taken over by a newer operation
 * (typically a delete): the state machine ends quietly instead of recording a failure.
 */
export class SupersededError extends Error {
  override name = 'Superseded';
}

/** A workflow failure with a classified reason, recorded as `fail_reason`. */
export class DeploymentFailedError extends Error {
  override name = 'DeploymentFailed';
  constructor(
    readonly reason: string,
    message: string,
  ) {
    super(`${reason}: ${message}`);
  }
}
