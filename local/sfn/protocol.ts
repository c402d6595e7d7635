/**
 * The AWS JSON 1.0 protocol as @aws-sdk/client-sfn speaks it (AwsJson1_0Protocol):
 * POST / with `X-Amz-Target: AWSStepFunctions.<Action>` and a JSON body; timestamps are
 * epoch seconds (numbers); errors carry `__type` in the body and `x-amzn-errortype` in a header,
 * which the SDK maps to its named exception classes.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { discardUnreadBody, readBody } from '../http/body';

export const CONTENT_TYPE = 'application/x-amz-json-1.0';
export const TARGET_PREFIX = 'AWSStepFunctions.';
const ERROR_NAMESPACE = 'com.amazonaws.sfn';
/** StartExecution input may be 256 KiB; leave room for the rest of the request. */
const MAX_BODY_BYTES = 1024 * 1024;

/** An SDK output shape as it travels: Dates are epoch seconds. */
export type Wire<T> = T extends Date
  ? number
  : T extends readonly (infer U)[]
    ? Wire<U>[]
    : T extends object
      ? { [K in keyof T]: Wire<T[K]> }
      : T;

export const epochSeconds = (epochMs: number): number => epochMs / 1000;

export type SfnErrorCode =
  | 'ExecutionAlreadyExists'
  | 'ExecutionDoesNotExist'
  | 'InvalidArn'
  | 'InvalidExecutionInput'
  | 'InvalidName'
  | 'InvalidToken'
  | 'StateMachineDoesNotExist'
  | 'ValidationException'
  | 'SerializationException'
  | 'UnknownOperationException'
  | 'ServiceUnavailable'
  | 'InternalFailure';

/** An error the SDK will raise as the exception class of the same name. */
export class SfnServiceError extends Error {
  constructor(
    readonly code: SfnErrorCode,
    message: string,
    readonly statusCode: number = 400,
  ) {
    super(message);
    this.name = code;
  }
}

function send(response: ServerResponse, statusCode: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  response.writeHead(statusCode, {
    'content-type': CONTENT_TYPE,
    'content-length': Buffer.byteLength(text),
    'x-amzn-requestid': randomUUID(),
    ...headers,
  });
  response.end(text);
}

export const sendResult = (response: ServerResponse, body: unknown): void => send(response, 200, body);

export function sendError(response: ServerResponse, error: SfnServiceError): void {
  send(
    response,
    error.statusCode,
    { __type: `${ERROR_NAMESPACE}#${error.code}`, message: error.message },
    { 'x-amzn-errortype': error.code },
  );
}

/** Plain JSON for the local debug routes. */
export function sendDebugJson(response: ServerResponse, statusCode: number, body: unknown): void {
  const text = JSON.stringify(body, null, 2);
  response.writeHead(statusCode, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  response.end(text);
}

export async function readJsonBody(request: IncomingMessage): Promise<unknown> {
  const body = await readBody(request, MAX_BODY_BYTES);
  if (body.kind === 'aborted') throw new Error('the client closed the request');
  if (body.kind === 'too_large') {
    discardUnreadBody(request);
    throw new SfnServiceError('ValidationException', 'Request body is too large', 413);
  }
  const text = body.bytes.toString('utf8');
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new SfnServiceError('SerializationException', 'Request body is not valid JSON');
  }
}
