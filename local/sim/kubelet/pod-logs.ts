/** The pods/log subresource: which container run to show, and the API server's refusals. */
import { loadDurationMs } from './kubelet.js';
import { badRequest } from '../apiserver/status.js';
import { agentContainerLog, podAgentProfile } from './node-agents.js';
import type { LogQuery } from '../apiserver/host.js';
import type { Pod } from '../apiserver/types.js';
import type { StreamSink } from '../http.js';
import { containerLogEntries, type LogEntry } from './vllm-logs.js';
import type { SimContext } from '../context.js';


const WAITING_REASONS: Record<string, string> = {
  pulling: 'ContainerCreating',
  pull_error: 'trying and failing to pull image',
  pull_backoff: 'trying and failing to pull image',
};

interface ContainerLog {
  entries: LogEntry[];
  /** The container is still writing: a follower waits for more. */
  live: boolean;
}

const containerEntries = (world: SimContext, pod: Pod, query: LogQuery, now: number): ContainerLog => {
  const names = pod.spec.containers.map((c) => c.name);
  const name = query.container ?? (names.length === 1 ? names[0] : undefined);
  if (name === undefined) {
    throw badRequest(`a container name must be specified for pod ${pod.metadata.name}, choose one of: [${names.join(' ')}]`);
  }
  if (!names.includes(name)) throw badRequest(`container ${name} is not valid for pod ${pod.metadata.name}`);
  const rt = world.state.pods[pod.metadata.uid];
  if (!rt) throw badRequest(`container "${name}" in pod "${pod.metadata.name}" is waiting to start: ContainerCreating`);
  const isMain = names[0] === name;
  const loadMs = loadDurationMs(world, pod);
  const last = rt.lastTermination;
  let entries: LogEntry[];
  let live = false;
  if (query.previous) {
    if (!last) throw badRequest(`previous terminated container "${name}" in pod "${pod.metadata.name}" not found`);
    entries = containerLogEntries(pod, { startedAt: last.startedAt, endedAt: last.finishedAt, fault: last.fault, loadMs, ready: false }, now);
  } else if (rt.stage === 'crashed' || rt.stage === 'crash_backoff') {
    // Like `kubectl logs` on a crash-looping pod: the most recent (terminated) run.
    entries = last ? containerLogEntries(pod, { startedAt: last.startedAt, endedAt: last.finishedAt, fault: last.fault, loadMs, ready: false }, now) : [];
  } else if (WAITING_REASONS[rt.stage]) {
    throw badRequest(`container "${name}" in pod "${pod.metadata.name}" is waiting to start: ${WAITING_REASONS[rt.stage] ?? ''}`);
  } else if (podAgentProfile(pod)) {
    const startedAt = rt.containerStartedAt ?? rt.stageSince;
    // Node agents log JSON lines with their own "ts"; lines without one are dated at start.
    entries = agentContainerLog(pod, name, rt.nodeName, startedAt, rt.stage === 'ready', now).map((text) => ({
      at: Date.parse(/"ts":"([^"]+)"/.exec(text)?.[1] ?? '') || startedAt,
      text,
    }));
    live = rt.removeAt === undefined;
  } else {
    entries = containerLogEntries(pod, { startedAt: rt.containerStartedAt ?? rt.stageSince, loadMs, ready: rt.stage === 'ready' }, now);
    live = rt.removeAt === undefined;
  }
  // A model server's sidecars print nothing here; each node-agent container prints its own log.
  if (!isMain && !podAgentProfile(pod)) entries = [];
  return { entries, live };
};

/** Go's time.RFC3339Nano: UTC, fractional seconds without trailing zeros. */
export const rfc3339Nano = (ms: number): string => new Date(ms).toISOString().replace(/\.(\d*?)0*Z$/, (_m, digits: string) => (digits ? `.${digits}Z` : 'Z'));

const render = (entries: LogEntry[], timestamps: boolean | undefined): string =>
  entries.map((e) => `${timestamps ? `${rfc3339Nano(e.at)} ` : ''}${e.text}\n`).join('');

const selectEntries = (entries: LogEntry[], query: LogQuery): LogEntry[] => {
  let selected = query.since !== undefined ? entries.filter((e) => e.at >= (query.since ?? 0)) : entries;
  if (query.tailLines !== undefined && query.tailLines >= 0) selected = query.tailLines === 0 ? [] : selected.slice(-query.tailLines);
  return selected;
};

const truncate = (text: string, limitBytes: number | undefined): string => {
  if (limitBytes === undefined) return text;
  const bytes = Buffer.from(text);
  return bytes.length <= limitBytes ? text : bytes.subarray(0, limitBytes).toString('utf8');
};

export const podLog = (world: SimContext, pod: Pod, query: LogQuery, now: number): string =>
  truncate(render(selectEntries(containerEntries(world, pod, query, now).entries, query), query.timestamps), query.limitBytes);

const FOLLOW_POLL_MS = 250;

/**
 * `follow=true`: the selected lines, then every new line as the container writes it, until the
 * container stops (pod deleted or crashed), limitBytes is reached, or the client goes away.
 */
export const followPodLog = (world: SimContext, pod: Pod, query: LogQuery, sink: StreamSink): void => {
  const first = containerEntries(world, pod, query, world.now());
  let sent = first.entries.length;
  let budget = query.limitBytes ?? Number.POSITIVE_INFINITY;
  const emit = (text: string): boolean => {
    const out = truncate(text, Number.isFinite(budget) ? budget : undefined);
    budget -= Buffer.byteLength(out);
    if (out) sink.write(out);
    return budget > 0;
  };
  if (!emit(render(selectEntries(first.entries, query), query.timestamps)) || !first.live) {
    sink.end();
    return;
  }
  const timer = setInterval(() => {
    const current = world.store.get<Pod>('pods', pod.metadata.namespace, pod.metadata.name);
    let next: ContainerLog | undefined;
    try {
      next = current && current.metadata.uid === pod.metadata.uid ? containerEntries(world, current, { ...query, previous: false }, world.now()) : undefined;
    } catch {
      next = undefined;
    }
    const fresh = next ? next.entries.slice(sent) : [];
    sent += fresh.length;
    const more = emit(render(fresh, query.timestamps));
    if (!next?.live || !more) sink.end();
  }, FOLLOW_POLL_MS);
  timer.unref();
  sink.onClose(() => clearInterval(timer));
};
