/** What the endpoint knows about one execution; persisted as one JSON file per execution. */
import type { ExecutionStatus, HistoryEvent, HistoryEventType } from '@aws-sdk/client-sfn';

/** A history event as AWS shapes it, with the timestamp in epoch milliseconds. */
export type StoredHistoryEvent = Omit<HistoryEvent, 'timestamp' | 'type' | 'id' | 'previousEventId'> & {
  id: number;
  previousEventId: number;
  type: HistoryEventType;
  timestamp: number;
};

/** The details part of a history event (everything but id, previousEventId, type, timestamp). */
export type HistoryEventDetails = Omit<StoredHistoryEvent, 'id' | 'previousEventId' | 'type' | 'timestamp'>;

export type LocalExecutionStatus = Exclude<ExecutionStatus, 'PENDING_REDRIVE'>;

export interface ExecutionRecord {
  executionArn: string;
  stateMachineArn: string;
  stateMachineName: string;
  name: string;
  status: LocalExecutionStatus;
  /** JSON text as given to StartExecution. */
  input: string;
  output?: string;
  error?: string;
  cause?: string;
  /** Epoch milliseconds. */
  startDate: number;
  stopDate?: number;
  /** States entered plus retries, summed over all runs of this execution. */
  transitions: number;
  /** How often the execution was re-run from the start after the endpoint restarted. */
  restarts: number;
  restartDate?: number;
  history: StoredHistoryEvent[];
}

export function appendHistoryEvent(
  record: ExecutionRecord,
  type: HistoryEventType,
  details: HistoryEventDetails = {},
  timestamp: number = Date.now(),
): StoredHistoryEvent {
  const previousEventId = record.history.at(-1)?.id ?? 0;
  const event: StoredHistoryEvent = { ...details, id: previousEventId + 1, previousEventId, type, timestamp };
  record.history.push(event);
  return event;
}
