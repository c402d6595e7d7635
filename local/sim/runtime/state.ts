/**
 * The simulator's persistence: its state (context.ts SimState, each slice typed by its owner)
 * and the Kubernetes store, in one JSON file whose format is unchanged by the re-layering.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { SimState } from '../context.js';
import type { StoreSnapshot } from '../apiserver/store.js';

export interface PersistedSimulator {
  state: SimState;
  kube: StoreSnapshot;
}

export const loadPersisted = (file: string): PersistedSimulator | undefined => {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const parsed = JSON.parse(text) as PersistedSimulator;
  if (parsed.state?.version !== 1) throw new Error(`${file}: not a simulator state file (version ${String(parsed.state?.version)})`);
  return parsed;
};

/** Debounced, atomic (write + rename) persistence. */
export class StatePersister {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly file: string,
    private readonly snapshot: () => PersistedSimulator,
    private readonly debounceMs = 100,
  ) {
    mkdirSync(dirname(file), { recursive: true });
  }

  schedule(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.flush();
    }, this.debounceMs);
    this.timer.unref();
  }

  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const tmp = `${this.file}.${process.pid}.tmp`;
    mkdirSync(dirname(this.file), { recursive: true });
    writeFileSync(tmp, JSON.stringify(this.snapshot()));
    renameSync(tmp, this.file);
  }

  cancel(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
