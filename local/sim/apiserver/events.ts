/** core/v1 Events, deduplicated like the kubelet's recorder (same object+reason+message bumps count). */
import { randomBytes } from 'node:crypto';
import { nowIso } from '../ids.js';
import type { ApiServer } from './api-server.js';
import type { EventSink, EventSource } from './host.js';
import type { KubeStore } from './store.js';
import { EVENT, NAMESPACE } from './resources.js';
import type { KubeObject } from './types.js';

const MAX_EVENTS_PER_NAMESPACE = 300;

interface EventObject extends KubeObject {
  involvedObject: { kind: string; namespace?: string; name: string; uid: string; apiVersion: string; resourceVersion?: string };
  reason: string;
  message: string;
  count: number;
  firstTimestamp: string;
  lastTimestamp: string;
  type: 'Normal' | 'Warning';
}

export type { EventSource } from './host.js';

/**
 * Whether an event with this reason and message was already recorded about the object. A
 * controller that re-reports an unchanged condition on every pass uses it to record once, so
 * the reconcile loop does not spin on the event's count.
 */
export const eventRecorded = (store: KubeStore, about: KubeObject, reason: string, message: string): boolean =>
  store
    .list<EventObject>(EVENT.plural, about.metadata.namespace ?? 'default')
    .some((e) => e.involvedObject.uid === about.metadata.uid && e.reason === reason && e.message === message);

/** What the recorder writes through. */
interface EventHost {
  readonly store: KubeStore;
  readonly api: ApiServer;
  now(): number;
}

export class EventRecorder implements EventSink {
  constructor(private readonly world: EventHost) {}

  record(about: KubeObject, type: 'Normal' | 'Warning', reason: string, message: string, source: EventSource, host?: string): void {
    const namespace = about.metadata.namespace ?? 'default';
    if (!this.world.store.get(NAMESPACE.plural, undefined, namespace)) return;
    const now = nowIso(this.world.now());
    const existing = this.world.store
      .list<EventObject>(EVENT.plural, namespace)
      .find((e) => e.involvedObject.uid === about.metadata.uid && e.reason === reason && e.message === message);
    if (existing) {
      this.world.store.mutate<EventObject>(EVENT, namespace, existing.metadata.name, (draft) => {
        draft.count += 1;
        draft.lastTimestamp = now;
      });
      return;
    }
    const event: EventObject = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: `${about.metadata.name}.${randomBytes(8).toString('hex')}`, namespace, uid: '', resourceVersion: '', creationTimestamp: '' },
      involvedObject: {
        kind: about.kind,
        ...(about.metadata.namespace ? { namespace: about.metadata.namespace } : {}),
        name: about.metadata.name,
        uid: about.metadata.uid,
        apiVersion: about.apiVersion,
        resourceVersion: about.metadata.resourceVersion,
      },
      reason,
      message,
      source: { component: source, ...(host ? { host } : {}) },
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
      type,
      eventTime: null,
      reportingComponent: source,
      reportingInstance: host ?? '',
    };
    this.world.api.createInternal(EVENT, event);
    this.prune(namespace);
  }

  private prune(namespace: string): void {
    const events = this.world.store.list<EventObject>(EVENT.plural, namespace);
    if (events.length <= MAX_EVENTS_PER_NAMESPACE) return;
    events
      .sort((a, b) => Number(a.metadata.resourceVersion) - Number(b.metadata.resourceVersion))
      .slice(0, events.length - MAX_EVENTS_PER_NAMESPACE)
      .forEach((e) => this.world.store.remove(EVENT.plural, namespace, e.metadata.name));
  }
}
