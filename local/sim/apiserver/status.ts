/** Kubernetes `Status` failures, shaped exactly like the API server's. */

export type StatusReason =
  | 'NotFound'
  | 'AlreadyExists'
  | 'Conflict'
  | 'Invalid'
  | 'BadRequest'
  | 'Forbidden'
  | 'MethodNotAllowed'
  | 'UnsupportedMediaType'
  | 'NotAcceptable'
  | 'InternalError'
  | 'ServiceUnavailable'
  | 'TooManyRequests';

export interface StatusCause {
  reason: string;
  message: string;
  field?: string;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: StatusCause[];
  /** With 429 TooManyRequests: when to retry (API Priority and Fairness). */
  retryAfterSeconds?: number;
}

export interface StatusBody {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Failure' | 'Success';
  message?: string;
  reason?: StatusReason;
  details?: StatusDetails;
  code?: number;
}

/** A failure that the HTTP layer renders as a Status object. */
export class KubeError extends Error {
  readonly code: number;
  constructor(readonly status: StatusBody) {
    super(status.message);
    this.name = 'KubeError';
    this.code = status.code ?? 500;
  }
}

/** How a resource names itself in messages: `deployments.apps`, `pods`. */
export interface ResourceRef {
  plural: string;
  group: string;
  kind: string;
}

const qualified = (ref: ResourceRef): string => (ref.group ? `${ref.plural}.${ref.group}` : ref.plural);

/** A failure Status object, as kube-apiserver writes it. */
export const failureStatus = (code: number, reason: StatusReason, message: string, details?: StatusDetails): StatusBody => ({
  kind: 'Status',
  apiVersion: 'v1',
  metadata: {},
  status: 'Failure',
  message,
  reason,
  ...(details ? { details } : {}),
  code,
});

const failure = (code: number, reason: StatusReason, message: string, details?: StatusDetails): KubeError =>
  new KubeError(failureStatus(code, reason, message, details));

const detailsFor = (ref: ResourceRef, name: string): StatusDetails => ({
  name,
  ...(ref.group ? { group: ref.group } : {}),
  kind: ref.plural,
});

export const notFound = (ref: ResourceRef, name: string): KubeError =>
  failure(404, 'NotFound', `${qualified(ref)} "${name}" not found`, detailsFor(ref, name));

export const alreadyExists = (ref: ResourceRef, name: string): KubeError =>
  failure(409, 'AlreadyExists', `${qualified(ref)} "${name}" already exists`, detailsFor(ref, name));

export const conflict = (ref: ResourceRef, name: string): KubeError =>
  failure(
    409,
    'Conflict',
    `Operation cannot be fulfilled on ${qualified(ref)} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
    detailsFor(ref, name),
  );

export const badRequest = (message: string): KubeError => failure(400, 'BadRequest', message);

export const forbidden = (ref: ResourceRef, name: string, message: string): KubeError =>
  failure(403, 'Forbidden', `${qualified(ref)} "${name}" is forbidden: ${message}`, detailsFor(ref, name));

export const pathNotFound = (): KubeError =>
  failure(404, 'NotFound', 'the server could not find the requested resource', {});

export const methodNotAllowed = (): KubeError =>
  failure(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource', {});

export const unsupportedMediaType = (contentType: string): KubeError =>
  failure(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json (got ${contentType || 'none'})`);

export type FieldErrorType = 'Required' | 'Invalid' | 'Forbidden' | 'NotSupported' | 'Duplicate' | 'TooLong';

/** One validation failure, rendered the way apimachinery's field.Error does. */
export interface FieldError {
  field: string;
  type: FieldErrorType;
  value?: unknown;
  detail?: string;
}

const CAUSE_REASON: Record<FieldErrorType, string> = {
  Required: 'FieldValueRequired',
  Invalid: 'FieldValueInvalid',
  Forbidden: 'FieldValueForbidden',
  NotSupported: 'FieldValueNotSupported',
  Duplicate: 'FieldValueDuplicate',
  TooLong: 'FieldValueTooLong',
};

const renderValue = (value: unknown): string => (typeof value === 'string' ? JSON.stringify(value) : JSON.stringify(value) ?? 'null');

const causeMessage = (error: FieldError): string => {
  switch (error.type) {
    case 'Required':
      return error.detail ? `Required value: ${error.detail}` : 'Required value';
    case 'Forbidden':
      return `Forbidden: ${error.detail ?? ''}`;
    case 'NotSupported':
      return `Unsupported value: ${renderValue(error.value)}${error.detail ? `: supported values: ${error.detail}` : ''}`;
    case 'Duplicate':
      return `Duplicate value: ${renderValue(error.value)}`;
    case 'TooLong':
      return `Too long: ${error.detail ?? ''}`;
    case 'Invalid':
      return `Invalid value: ${renderValue(error.value)}${error.detail ? `: ${error.detail}` : ''}`;
  }
};

/** 422 Invalid: `Deployment.apps "x" is invalid: [a: ..., b: ...]`. */
export const invalid = (ref: ResourceRef, name: string, errors: FieldError[]): KubeError => {
  const rendered = errors.map((e) => `${e.field}: ${causeMessage(e)}`);
  const summary = rendered.length === 1 ? rendered[0] : `[${rendered.join(', ')}]`;
  const kind = ref.group ? `${ref.kind}.${ref.group}` : ref.kind;
  return failure(422, 'Invalid', `${kind} "${name}" is invalid: ${summary}`, {
    name,
    ...(ref.group ? { group: ref.group } : {}),
    kind: ref.kind,
    causes: errors.map((e) => ({ reason: CAUSE_REASON[e.type], message: causeMessage(e), field: e.field })),
  });
};

export const successStatus = (ref: ResourceRef, name: string, uid: string): StatusBody => ({
  kind: 'Status',
  apiVersion: 'v1',
  metadata: {},
  status: 'Success',
  details: { name, ...(ref.group ? { group: ref.group } : {}), kind: ref.plural, uid },
});
