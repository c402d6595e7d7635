/** The pods/log subresource: which container run to show, and the API server's refusals. */
import { loadDurationMs } from './kubelet.js';
import { badRequest } from './kubernetes/status.js';
import { agentContainerLog, podAgentProfile } from './node-agents.js';
import type { Pod } from './kubernetes/types.js';
import { containerLog } from './vllm-logs.js';
import type { World } from './world.js';

export interface LogQuery {
  container?: string;
  previous?: boolean;
  tailLines?: number;
}

const WAITING_REASONS: Record<string, string> = {
  pulling: 'ContainerCreating',
  pull_error: 'trying and failing to pull image',
  pull_backoff: 'trying and failing to pull image',
};

export const podLog = (world: World, pod: Pod, query: LogQuery, now: number): string => {
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
  let lines: string[];
  if (query.previous) {
    if (!last) throw badRequest(`previous terminated container "${name}" in pod "${pod.metadata.name}" not found`);
    lines = containerLog(pod, { startedAt: last.startedAt, endedAt: last.finishedAt, fault: last.fault, loadMs, ready: false }, now);
  } else if (rt.stage === 'crashed' || rt.stage === 'crash_backoff') {
    // Like `kubectl logs` on a crash-looping pod: the most recent (terminated) run.
    lines = last ? containerLog(pod, { startedAt: last.startedAt, endedAt: last.finishedAt, fault: last.fault, loadMs, ready: false }, now) : [];
  } else if (WAITING_REASONS[rt.stage]) {
    throw badRequest(`container "${name}" in pod "${pod.metadata.name}" is waiting to start: ${WAITING_REASONS[rt.stage] ?? ''}`);
  } else if (podAgentProfile(pod)) {
    lines = agentContainerLog(pod, name, rt.nodeName, rt.containerStartedAt ?? rt.stageSince, rt.stage === 'ready', now);
  } else {
    lines = containerLog(pod, { startedAt: rt.containerStartedAt ?? rt.stageSince, loadMs, ready: rt.stage === 'ready' }, now);
  }
  // A model server's sidecars print nothing here; each node-agent container prints its own log.
  if (!isMain && !podAgentProfile(pod)) lines = [];
  if (query.tailLines !== undefined && query.tailLines >= 0) lines = query.tailLines === 0 ? [] : lines.slice(-query.tailLines);
  return lines.length > 0 ? `${lines.join('\n')}\n` : '';
};
