import { alreadyExists, notFound, type ResourceRef } from './status.js';
import { clone, type KubeObject } from './types.js';

/** One change, as a watch sees it; `object` carries the resourceVersion of the change. */
export interface StoreEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  resource: string;
  object: KubeObject;
  resourceVersion: number;
  /** For MODIFIED: the object before the change (a watch with selectors needs both). */
  previous?: KubeObject;
}

/** How many changes a watch can resume from, like the apiserver's watch cache window. */
const EVENT_HISTORY = 5_000;
/** Trim in batches so a busy store does not shift the whole array on every write. */
const TRIM_BATCH = 500;

/** What the store persists: every object with the resource it belongs to. */
export interface StoreSnapshot {
  resourceVersion: number;
  objects: { resource: string; object: KubeObject }[];
}

const keyOf = (resource: string, namespace: string | undefined, name: string): string =>
  `${resource}/${namespace ?? ''}/${name}`;

const withoutVersion = (obj: KubeObject): string =>
  JSON.stringify({ ...obj, metadata: { ...obj.metadata, resourceVersion: '' } });

/**
 * The simulated etcd. Objects handed out by get/list are the stored instances and must be
 * treated as read-only; writes go through create/update/mutate, which bump resourceVersion
 * only when something actually changed.
 */
export class KubeStore {
  private readonly objects = new Map<string, { resource: string; object: KubeObject }>();
  private readonly uids = new Map<string, string>();
  private resourceVersion: number;
  /** Incremented on every write; lets the reconcile loop detect a fixpoint. */
  revision = 0;
  private readonly history: StoreEvent[] = [];
  /** Changes up to this resourceVersion are no longer in `history` (a watch from before gets 410). */
  private compactedAt: number;
  private readonly listeners = new Set<(event: StoreEvent) => void>();

  constructor(snapshot?: StoreSnapshot) {
    this.resourceVersion = snapshot?.resourceVersion ?? 1000;
    this.compactedAt = this.resourceVersion;
    for (const entry of snapshot?.objects ?? []) {
      const key = keyOf(entry.resource, entry.object.metadata.namespace, entry.object.metadata.name);
      this.objects.set(key, entry);
      this.uids.set(entry.object.metadata.uid, key);
    }
  }

  snapshot(): StoreSnapshot {
    return { resourceVersion: this.resourceVersion, objects: [...this.objects.values()] };
  }

  currentResourceVersion(): string {
    return String(this.resourceVersion);
  }

  get<T extends KubeObject = KubeObject>(resource: string, namespace: string | undefined, name: string): T | undefined {
    return this.objects.get(keyOf(resource, namespace, name))?.object as T | undefined;
  }

  byUid(uid: string): KubeObject | undefined {
    const key = this.uids.get(uid);
    return key === undefined ? undefined : this.objects.get(key)?.object;
  }

  /** Objects of a resource, optionally in one namespace, ordered by namespace then name. */
  list<T extends KubeObject = KubeObject>(resource: string, namespace?: string): T[] {
    const found: T[] = [];
    for (const entry of this.objects.values()) {
      if (entry.resource !== resource) continue;
      if (namespace !== undefined && entry.object.metadata.namespace !== namespace) continue;
      found.push(entry.object as T);
    }
    return found.sort((a, b) =>
      (a.metadata.namespace ?? '').localeCompare(b.metadata.namespace ?? '') || a.metadata.name.localeCompare(b.metadata.name),
    );
  }

  /** Stores a fully prepared object (uid and timestamps already set). */
  create<T extends KubeObject>(ref: ResourceRef, object: T): T {
    const key = keyOf(ref.plural, object.metadata.namespace, object.metadata.name);
    if (this.objects.has(key)) throw alreadyExists(ref, object.metadata.name);
    const stored = clone(object);
    stored.metadata.resourceVersion = this.bump();
    this.objects.set(key, { resource: ref.plural, object: stored });
    this.uids.set(stored.metadata.uid, key);
    this.emit('ADDED', ref.plural, stored);
    return stored;
  }

  /** Replaces an existing object; a no-op (same content) keeps its resourceVersion. */
  update<T extends KubeObject>(ref: ResourceRef, object: T): T {
    const key = keyOf(ref.plural, object.metadata.namespace, object.metadata.name);
    const existing = this.objects.get(key);
    if (!existing) throw notFound(ref, object.metadata.name);
    if (withoutVersion(existing.object) === withoutVersion(object)) return existing.object as T;
    const stored = clone(object);
    stored.metadata.resourceVersion = this.bump();
    this.objects.set(key, { resource: ref.plural, object: stored });
    this.emit('MODIFIED', ref.plural, stored, existing.object);
    return stored;
  }

  /** Clones the stored object, lets `change` edit the clone, and stores it if it differs. */
  mutate<T extends KubeObject>(ref: ResourceRef, namespace: string | undefined, name: string, change: (draft: T) => void): T | undefined {
    const current = this.get<T>(ref.plural, namespace, name);
    if (!current) return undefined;
    const draft = clone(current);
    change(draft);
    return this.update(ref, draft);
  }

  remove(resource: string, namespace: string | undefined, name: string): KubeObject | undefined {
    const key = keyOf(resource, namespace, name);
    const existing = this.objects.get(key);
    if (!existing) return undefined;
    this.objects.delete(key);
    this.uids.delete(existing.object.metadata.uid);
    const gone = clone(existing.object);
    gone.metadata.resourceVersion = this.bump();
    this.emit('DELETED', resource, gone);
    return existing.object;
  }

  clear(): void {
    this.objects.clear();
    this.uids.clear();
    this.bump();
    // Watchers cannot follow a wipe: every resume point before it is gone.
    this.history.length = 0;
    this.compactedAt = this.resourceVersion;
  }

  /** Changes after `resourceVersion`, or undefined when they have been compacted away. */
  changesSince(resourceVersion: number): StoreEvent[] | undefined {
    if (resourceVersion < this.compactedAt) return undefined;
    return this.history.filter((e) => e.resourceVersion > resourceVersion);
  }

  /** The oldest resourceVersion a watch can still start from. */
  oldestResumable(): number {
    return this.compactedAt;
  }

  subscribe(listener: (event: StoreEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(type: StoreEvent['type'], resource: string, object: KubeObject, previous?: KubeObject): void {
    const event: StoreEvent = { type, resource, object, resourceVersion: Number(object.metadata.resourceVersion), ...(previous ? { previous } : {}) };
    this.history.push(event);
    if (this.history.length > EVENT_HISTORY + TRIM_BATCH) {
      const dropped = this.history.splice(0, this.history.length - EVENT_HISTORY);
      this.compactedAt = dropped[dropped.length - 1]?.resourceVersion ?? this.compactedAt;
    }
    for (const listener of this.listeners) listener(event);
  }

  private bump(): string {
    this.resourceVersion += 1;
    this.revision += 1;
    return String(this.resourceVersion);
  }
}
