/** Admin catalog entries in memory, writes conditional on the version read (CatalogWriteConflict). */
import type { CatalogEntry } from '../../../functions/domain/catalog-admin';
import { CatalogWriteConflict, type CatalogStore } from '../../../functions/ports';

export class InMemoryCatalogStore implements CatalogStore {
  private readonly entries = new Map<string, CatalogEntry>();

  async get(id: string): Promise<CatalogEntry | undefined> {
    const entry = this.entries.get(id);
    return entry ? structuredClone(entry) : undefined;
  }

  async list(): Promise<CatalogEntry[]> {
    return [...this.entries.values()].map((e) => structuredClone(e));
  }

  async put(entry: CatalogEntry, expected: number | 'absent'): Promise<void> {
    const current = this.entries.get(entry.model.id);
    if (expected === 'absent' ? current !== undefined : current?.version !== expected) {
      throw new CatalogWriteConflict(`catalog model ${entry.model.id} changed meanwhile`);
    }
    this.entries.set(entry.model.id, structuredClone(entry));
  }
}
