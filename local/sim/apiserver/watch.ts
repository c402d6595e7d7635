/**
 * `?watch=true` on a collection: newline-delimited watch events from a resourceVersion, as
 * the watch cache serves them. A change that makes an object stop (start) matching the
 * selectors is a DELETED (ADDED) event; a resume point older than the history is an ERROR
 * event carrying a 410 Expired Status, which makes client-go relist.
 */
import type { SimResponse, StreamSink } from '../http.js';
import type { ApiServing } from './serving.js';
import type { ListOptions } from './api-server.js';
import type { ResourceType } from './resources.js';
import { badRequest } from './status.js';
import type { StoreEvent } from './store.js';
import { toTable, type TableRequest } from './table.js';
import type { KubeObject } from './types.js';

/** client-go's default is a random 5-10 min; without timeoutSeconds the server picks 30-60 min. */
const MAX_TIMEOUT_S = 3600;
const BOOKMARK_EVERY_MS = 10_000;

interface WatchEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: unknown;
}

const expired = (requested: number, oldest: number): WatchEvent => ({
  type: 'ERROR',
  object: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: `too old resource version: ${requested} (${oldest})`, reason: 'Expired', code: 410 },
});

export const isWatch = (params: URLSearchParams): boolean => params.get('watch') === 'true' || params.get('watch') === '1';

export const watchResponse = (
  world: ApiServing,
  type: ResourceType,
  namespace: string | undefined,
  options: ListOptions,
  params: URLSearchParams,
  table: TableRequest | undefined,
): SimResponse => {
  const matches = world.api.matcher(type, namespace, options);
  const rawVersion = params.get('resourceVersion') ?? '';
  if (rawVersion !== '' && !/^\d+$/.test(rawVersion)) throw badRequest(`resourceVersion: Invalid value: "${rawVersion}": must be a non-negative integer`);
  const timeout = params.get('timeoutSeconds');
  const timeoutS = timeout === null || timeout === '' ? MAX_TIMEOUT_S : Number(timeout);
  if (!Number.isFinite(timeoutS) || timeoutS < 0) throw badRequest(`invalid timeoutSeconds: ${timeout ?? ''}`);
  const bookmarks = params.get('allowWatchBookmarks') === 'true';
  const initialEvents = params.get('sendInitialEvents') === 'true';
  if (params.has('sendInitialEvents') && params.get('resourceVersionMatch') !== 'NotOlderThan') {
    throw badRequest('resourceVersionMatch: Forbidden: sendInitialEvents requires setting resourceVersionMatch to NotOlderThan');
  }
  if (initialEvents && !bookmarks) throw badRequest('allowWatchBookmarks: Forbidden: sendInitialEvents requires setting allowWatchBookmarks to true');

  let first = true;
  const encode = (event: WatchEvent): string => {
    if (!table || event.type === 'BOOKMARK' || event.type === 'ERROR') return `${JSON.stringify(event)}\n`;
    const obj = event.object as KubeObject;
    const converted = toTable(type.plural, [obj], { ...table, noHeaders: !first }, { resourceVersion: obj.metadata.resourceVersion }, world.now());
    first = false;
    return `${JSON.stringify({ type: event.type, object: converted })}\n`;
  };
  const bookmark = (annotations?: Record<string, string>): WatchEvent => ({
    type: 'BOOKMARK',
    object: { kind: type.kind, apiVersion: type.apiVersion, metadata: { resourceVersion: world.store.currentResourceVersion(), ...(annotations ? { annotations } : {}) } },
  });

  const stream = (sink: StreamSink): void => {
    const send = (event: WatchEvent): void => sink.write(encode(event));
    const translate = (change: StoreEvent): WatchEvent | undefined => {
      if (change.resource !== type.plural) return undefined;
      const now = matches(change.object);
      if (change.type !== 'MODIFIED') return now ? { type: change.type, object: change.object } : undefined;
      const before = change.previous !== undefined && matches(change.previous);
      if (now) return { type: before ? 'MODIFIED' : 'ADDED', object: change.object };
      return before ? { type: 'DELETED', object: change.object } : undefined;
    };
    // Subscribe before replaying so nothing written in between is lost.
    const pending: StoreEvent[] = [];
    let live = false;
    const unsubscribe = world.store.subscribe((change) => {
      if (!live) {
        pending.push(change);
        return;
      }
      const event = translate(change);
      if (event) send(event);
    });
    const timers: NodeJS.Timeout[] = [];
    sink.onClose(() => {
      unsubscribe();
      timers.forEach((t) => clearTimeout(t));
    });

    let from: number;
    if (rawVersion === '' || rawVersion === '0' || initialEvents) {
      // "Get state and start at most recent": synthetic ADDED events for what exists now.
      for (const obj of world.store.list(type.plural, type.namespaced ? namespace : undefined)) {
        if (matches(obj)) send({ type: 'ADDED', object: obj });
      }
      from = Number(world.store.currentResourceVersion());
      if (initialEvents) send(bookmark({ 'k8s.io/initial-events-end': 'true' }));
    } else {
      from = Number(rawVersion);
      const changes = world.store.changesSince(from);
      if (!changes) {
        send(expired(from, world.store.oldestResumable()));
        unsubscribe();
        sink.end();
        return;
      }
      for (const change of changes) {
        const event = translate(change);
        if (event) send(event);
      }
      from = Number(world.store.currentResourceVersion());
    }
    for (const change of pending.splice(0)) {
      if (change.resourceVersion <= from) continue;
      const event = translate(change);
      if (event) send(event);
    }
    live = true;
    timers.push(setTimeout(() => sink.end(), timeoutS * 1000).unref());
    if (bookmarks) {
      const tick = (): void => {
        send(bookmark());
        timers.push(setTimeout(tick, BOOKMARK_EVERY_MS).unref());
      };
      timers.push(setTimeout(tick, BOOKMARK_EVERY_MS).unref());
    }
  };
  return { status: 200, headers: { 'content-type': 'application/json' }, body: '', stream };
};
