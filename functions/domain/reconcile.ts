/**
 * The reconcile's judgements. Pure: given a deployment and what Step Functions says about its
 * execution, or a ledger and the records' sum, say what to do. Every duration here is in
 * cluster seconds (wall seconds divided by the time scale, see adapters/clock.ts).
 */
import { findCatalogModel, INVENTORY, type CatalogModel } from '../../contract/catalog';
import { customLoadBudgetSeconds } from './custom-model';
import type { DeploymentRecord } from './deployment';
import type { Failure } from './errors';
import { IMAGE_PULL_DEADLINE_SECONDS, modelLoadBudgetSeconds, NODE_DEADLINE_SECONDS, nodeProvisioning, UNSCHEDULABLE_DEADLINE_SECONDS } from './startup';

/** What DescribeExecution says, reduced to what the reconcile needs. */
export type ExecutionState =
  | { status: 'RUNNING' | 'PENDING_REDRIVE'; startedAt: string }
  | { status: 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED'; startedAt: string; stoppedAt: string }
  | { status: 'NOT_FOUND' };

/**
 * The API writes the record naming an execution, then starts it (within its 10 s timeout).
 * An execution that does not exist is only lost once the record is older than this.
 */
export const START_GRACE_SECONDS = 120;
/**
 * The same grace in real seconds, whatever the time scale: the API starts the execution within
 * its own Lambda timeout (10 s) plus the SDK's retries of a throttled StartExecution, and the
 * local cloud's time scale shrinks neither. Without it, a scaled-down grace (1.2 s at 0.01) called
 * an execution still being started lost (found by the chaos run).
 */
export const START_GRACE_WALL_SECONDS = 30;
/**
 * A task Lambda may still finish a write after its execution stopped (timeout 60 s). A dead
 * execution is only repaired once it has been over for longer, so no late write follows ours.
 */
export const SETTLE_SECONDS = 120;
/** Slack on top of the sum of a deploy's phase deadlines before the reconcile stops it. */
export const DEADLINE_SLACK_SECONDS = 900;

/**
 * The longest a deploy or scale can legitimately run: every phase deadline the workflow
 * enforces itself, plus slack. Past it, the workflow's own deadlines failed to fire.
 */
export const hardDeadlineSeconds = (
  record: Pick<DeploymentRecord, 'catalog_id' | 'initial_delay_seconds' | 'custom'>,
  /** The catalog model with admin changes (use-cases/catalog.ts); none for a custom model. */
  model: CatalogModel | undefined = record.custom ? undefined : findCatalogModel(record.catalog_id),
): number => {
  const load = model ? modelLoadBudgetSeconds(model, record.initial_delay_seconds) : customLoadBudgetSeconds(record.custom ?? { model_size_gib: null }, record.initial_delay_seconds);
  // The longest node deadline of any config: the record's own config may have left the inventory.
  const nodeDeadline = Math.max(NODE_DEADLINE_SECONDS, ...INVENTORY.gpu_configs.map((c) => nodeProvisioning(c).deadlineSeconds));
  return nodeDeadline + UNSCHEDULABLE_DEADLINE_SECONDS + IMAGE_PULL_DEADLINE_SECONDS + load + DEADLINE_SLACK_SECONDS;
};

export type OperationVerdict =
  /** The execution is working on it. */
  | { kind: 'alive' }
  /** Not started yet, or ended moments ago: look again next run. */
  | { kind: 'settling'; why: string }
  /** A deploy or scale running past its hard deadline: stop it (repaired once it settled). */
  | { kind: 'overdue'; runningSeconds: number; deadlineSeconds: number }
  /** A delete running for very long: reported, not stopped (a new delete would wait the same). */
  | { kind: 'slow_delete'; runningSeconds: number }
  /** Nobody works on it any more; `failure` is what the deployment fails with (WorkflowLost). */
  | { kind: 'lost'; failure: Failure };

/** A delete that takes longer than this is reported (pods that do not go away). */
export const SLOW_DELETE_SECONDS = 1800;

const executionName = (arn: string): string => arn.split(':').pop() ?? arn;

/** Judges an in-flight deployment by its owning execution. */
export const judgeOperation = (
  record: Pick<DeploymentRecord, 'operation' | 'status' | 'execution_arn' | 'updated_at' | 'catalog_id' | 'initial_delay_seconds' | 'custom'>,
  execution: ExecutionState,
  at: Date,
  timeScale: number,
  /** The deployment's catalog model as resolved with admin changes (use-cases/catalog.ts); by default the built-in one; none for a custom model. */
  model?: CatalogModel,
): OperationVerdict => {
  const since = (iso: string) => (at.getTime() - Date.parse(iso)) / 1000 / timeScale;
  const name = executionName(record.execution_arn);
  if (execution.status === 'NOT_FOUND') {
    const wallSeconds = (at.getTime() - Date.parse(record.updated_at)) / 1000;
    if (since(record.updated_at) <= START_GRACE_SECONDS || wallSeconds <= START_GRACE_WALL_SECONDS) {
      return { kind: 'settling', why: `execution ${name} not started yet` };
    }
    return { kind: 'lost', failure: { reason: 'WorkflowLost', message: `the ${record.operation} execution ${name} was never started` } };
  }
  if (!('stoppedAt' in execution)) {
    const running = since(execution.startedAt);
    if (record.status === 'terminating') return running > SLOW_DELETE_SECONDS ? { kind: 'slow_delete', runningSeconds: Math.round(running) } : { kind: 'alive' };
    const deadline = hardDeadlineSeconds(record, model);
    return running > deadline ? { kind: 'overdue', runningSeconds: Math.round(running), deadlineSeconds: deadline } : { kind: 'alive' };
  }
  if (since(execution.stoppedAt) <= SETTLE_SECONDS) return { kind: 'settling', why: `execution ${name} ended ${execution.status} moments ago` };
  return {
    kind: 'lost',
    failure: { reason: 'WorkflowLost', message: `the ${record.operation} execution ${name} ended ${execution.status} at ${execution.stoppedAt} without recording an outcome` },
  };
};

/** One sighting of a ledger that disagrees with the records, kept on the ledger item. */
export interface LedgerObservation {
  ledger: number;
  records: number;
  ledger_updated_at: string | null;
  at: string;
}

/**
 * A drift must be seen twice, this far apart, with the very same ledger value, ledger
 * updated_at and records sum before it is repaired. Longer than any Lambda that reserves or
 * releases can run (API 10 s, tasks 60 s), so no reservation or release was in flight
 * across both sightings.
 */
export const LEDGER_CONFIRM_SECONDS = 180;

export type LedgerVerdict =
  | { kind: 'in_sync' }
  /** First sighting, or the values moved since the last one: remember this one. */
  | { kind: 'observe'; observation: LedgerObservation }
  /** Same drift as last time, not long enough ago. */
  | { kind: 'wait'; since: string }
  | { kind: 'repair'; from: number; to: number };

export const judgeLedger = (
  current: { ledger: number; ledgerUpdatedAt: string | null; records: number; previous?: LedgerObservation | undefined },
  at: Date,
  timeScale: number,
  confirmSeconds: number = LEDGER_CONFIRM_SECONDS,
): LedgerVerdict => {
  if (current.ledger === current.records) return { kind: 'in_sync' };
  const previous = current.previous;
  const same =
    previous !== undefined &&
    previous.ledger === current.ledger &&
    previous.records === current.records &&
    previous.ledger_updated_at === current.ledgerUpdatedAt;
  if (!same) {
    return {
      kind: 'observe',
      observation: { ledger: current.ledger, records: current.records, ledger_updated_at: current.ledgerUpdatedAt, at: at.toISOString() },
    };
  }
  const elapsed = (at.getTime() - Date.parse(previous.at)) / 1000 / timeScale;
  if (elapsed < confirmSeconds) return { kind: 'wait', since: previous.at };
  return { kind: 'repair', from: current.ledger, to: current.records };
};

/**
 * A resting ready deployment whose recorded `instances` no longer match its pods (a pod
 * crashed, was evicted or came back since the last workflow looked): the reconcile refreshes
 * them. In-flight deployments are left to their workflow, which records counts as it polls.
 */
export const instanceCountsStale = (
  record: Pick<DeploymentRecord, 'status' | 'phase' | 'instances'>,
  counts: { running: number; pending: number },
): boolean =>
  record.status === 'ready' && record.phase === 'ready' && (record.instances?.running !== counts.running || record.instances?.pending !== counts.pending);
