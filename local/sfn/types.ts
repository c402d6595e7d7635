/** Public options and handle of the local Step Functions endpoint (re-exported by index.ts). */
import type { LocalFaults } from '../faults';
import type { LocalAuthorizer } from '../iam/authorizer';

export interface LocalStateMachine {
  /** State machine name, e.g. 'gpu-control-plane-deploy'. */
  name: string;
  /** ASL JSON text with `${Placeholders}` already substituted by the caller. */
  definition: string;
}

/** An in-process stand-in for a Lambda function: receives the event, returns the result. */
export type LocalTaskFunction = (event: unknown) => Promise<unknown>;

export interface LocalStepFunctionsOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0: a random free port. */
  port?: number;
  /** Default 'us-east-1'. */
  region?: string;
  /** Default '000000000000'. */
  accountId?: string;
  stateMachines: LocalStateMachine[];
  /**
   * Lambda functions by function NAME; a Task whose Resource is
   * `arn:aws:lambda:<region>:<account>:function:<name>` (or `arn:aws:states:::lambda:invoke`
   * with Parameters.FunctionName = that ARN or name) calls it.
   */
  functions: Record<string, LocalTaskFunction>;
  /** Multiplies Wait durations, Retry intervals and the execution TimeoutSeconds; default 1. */
  timeScale?: number;
  /** If set: executions are persisted under `<dataDir>/executions/` and resumed after a restart. */
  dataDir?: string;
  /** IAM for the functions' calls (local/iam); without it every call is served. */
  authorizer?: LocalAuthorizer;
  /** Injected throttling of the API and Lambda task timeouts in the runner (local/faults.ts). */
  faults?: LocalFaults;
}

export interface RunningStepFunctions {
  /** Endpoint for `new SFNClient({ endpoint })`, e.g. http://127.0.0.1:43123 */
  url: string;
  stateMachineArn(name: string): string;
  /** State transitions of an execution so far (AWS billing unit: states entered plus retries); throws for an unknown ARN. */
  transitions(executionArn: string): number;
  /** Aborts running executions without finishing them on disk, flushes, closes the server. */
  close(): Promise<void>;
}
