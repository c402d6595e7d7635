/**
 * One JSON file per execution under `<dataDir>/executions/`, written atomically (temp file +
 * rename), debounced while an execution runs and at once when it starts or finishes.
 * Writes of one file are chained, so an older snapshot never overwrites a newer one.
 */
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as z from 'zod';
import type { ExecutionRecord, StoredHistoryEvent } from './execution-record';

const DEBOUNCE_MS = 50;

const storedEventSchema = z.looseObject({
  id: z.number(),
  previousEventId: z.number(),
  type: z.string(),
  timestamp: z.number(),
});

const recordSchema = z.object({
  executionArn: z.string(),
  stateMachineArn: z.string(),
  stateMachineName: z.string(),
  name: z.string(),
  status: z.enum(['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED']),
  input: z.string(),
  output: z.string().optional(),
  error: z.string().optional(),
  cause: z.string().optional(),
  startDate: z.number(),
  stopDate: z.number().optional(),
  transitions: z.number(),
  restarts: z.number(),
  restartDate: z.number().optional(),
  history: z.array(storedEventSchema),
});

/** A readable, collision-free file name for an execution ARN. */
function fileNameOf(executionArn: string): string {
  const readable = executionArn.split(':').slice(-2).join('--').replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 100);
  const hash = createHash('sha256').update(executionArn).digest('hex').slice(0, 16);
  return `${readable}-${hash}.json`;
}

export class ExecutionFileStore {
  private readonly timers = new Map<string, { timer: NodeJS.Timeout; record: ExecutionRecord }>();
  private readonly writes = new Map<string, Promise<void>>();
  private readonly failures: unknown[] = [];
  private tempCounter = 0;

  private constructor(private readonly directory: string) {}

  static async open(dataDir: string): Promise<ExecutionFileStore> {
    const directory = join(dataDir, 'executions');
    await mkdir(directory, { recursive: true });
    return new ExecutionFileStore(directory);
  }

  /** Every readable execution file; unreadable or foreign files are skipped. */
  async loadAll(): Promise<ExecutionRecord[]> {
    const records: ExecutionRecord[] = [];
    for (const file of await readdir(this.directory)) {
      if (!file.endsWith('.json')) continue;
      try {
        const parsed = recordSchema.safeParse(JSON.parse(await readFile(join(this.directory, file), 'utf8')));
        // The events were written by this module from StoredHistoryEvent values.
        if (parsed.success) records.push({ ...parsed.data, history: parsed.data.history as StoredHistoryEvent[] });
      } catch {
        // A half-written or foreign file: the temp+rename protocol means it is not one of ours.
      }
    }
    return records;
  }

  /** Writes the record soon; several changes in a row become one write. */
  schedule(record: ExecutionRecord): void {
    if (this.timers.has(record.executionArn)) return;
    const timer = setTimeout(() => this.saveNow(record), DEBOUNCE_MS);
    timer.unref();
    this.timers.set(record.executionArn, { timer, record });
  }

  /** Writes the record's current state now (asynchronously, after earlier writes of the same file). */
  saveNow(record: ExecutionRecord): void {
    const pending = this.timers.get(record.executionArn);
    if (pending) clearTimeout(pending.timer);
    this.timers.delete(record.executionArn);
    const previous = this.writes.get(record.executionArn) ?? Promise.resolve();
    const next = previous
      .then(() => this.write(record))
      .catch((error: unknown) => {
        this.failures.push(error);
      });
    this.writes.set(record.executionArn, next);
    void next.then(() => {
      if (this.writes.get(record.executionArn) === next) this.writes.delete(record.executionArn);
    });
  }

  /** Writes everything pending and waits for all writes; throws if any write failed. */
  async flush(): Promise<void> {
    for (const { record } of [...this.timers.values()]) this.saveNow(record);
    await Promise.all(this.writes.values());
    if (this.failures.length > 0) {
      const failures = this.failures.splice(0);
      throw new AggregateError(failures, `local Step Functions: ${failures.length} execution file write(s) failed`);
    }
  }

  private async write(record: ExecutionRecord): Promise<void> {
    const file = join(this.directory, fileNameOf(record.executionArn));
    const temp = `${file}.${process.pid}.${++this.tempCounter}.tmp`;
    await writeFile(temp, JSON.stringify(record));
    await rename(temp, file);
  }
}
