/** The pod and node printers: the STATUS reasons kubectl shows, READY, RESTARTS, ROLES. */
import { findCondition } from './conditions.js';
import { AGE, arr, col, humanDuration, NAME, num, orNone, rec, str, age, type Printer } from './table-format.js';
import { isRecord, type KubeObject } from './types.js';

/** printPod: the STATUS kubectl shows is a reason derived from phase and container states. */
const podStatus = (pod: KubeObject, now: number): { ready: string; reason: string; restarts: string } => {
  const spec = rec(pod.spec);
  const status = rec(pod.status);
  let reason = str(status.reason) || str(status.phase);
  const total = arr(spec.containers).length;
  let restarts = 0;
  let ready = 0;
  let lastRestart = 0;
  let initializing = false;
  const inits = arr(status.initContainerStatuses);
  inits.forEach((c, i) => {
    restarts += num(c.restartCount);
    const state = rec(c.state);
    const terminated = rec(state.terminated);
    const waiting = rec(state.waiting);
    if (isRecord(state.terminated) && num(terminated.exitCode) === 0) return;
    if (initializing) return;
    initializing = true;
    if (isRecord(state.terminated)) reason = str(terminated.reason) ? `Init:${str(terminated.reason)}` : `Init:ExitCode:${num(terminated.exitCode)}`;
    else if (str(waiting.reason) && str(waiting.reason) !== 'PodInitializing') reason = `Init:${str(waiting.reason)}`;
    else reason = `Init:${i}/${arr(spec.initContainers).length}`;
  });
  if (!initializing) {
    restarts = 0;
    let hasRunning = false;
    for (const c of arr(status.containerStatuses).reverse()) {
      restarts += num(c.restartCount);
      const last = rec(rec(c.lastState).terminated);
      const finished = Date.parse(str(last.finishedAt));
      if (!Number.isNaN(finished) && finished > lastRestart) lastRestart = finished;
      const state = rec(c.state);
      const waiting = rec(state.waiting);
      const terminated = rec(state.terminated);
      if (str(waiting.reason)) reason = str(waiting.reason);
      else if (str(terminated.reason)) reason = str(terminated.reason);
      else if (isRecord(state.terminated)) reason = num(terminated.signal) ? `Signal:${num(terminated.signal)}` : `ExitCode:${num(terminated.exitCode)}`;
      else if (c.ready === true && isRecord(state.running)) {
        hasRunning = true;
        ready += 1;
      }
    }
    if (reason === 'Completed' && hasRunning) {
      const readyCondition = findCondition(arr(status.conditions), 'Ready');
      reason = readyCondition?.status === 'True' ? 'Running' : 'NotReady';
    }
  }
  if (pod.metadata.deletionTimestamp) reason = str(status.reason) === 'NodeLost' ? 'Unknown' : 'Terminating';
  return { ready: `${ready}/${total}`, reason, restarts: lastRestart ? `${restarts} (${humanDuration(now - lastRestart)} ago)` : String(restarts) };
};

export const pods: Printer = {
  columns: [
    NAME,
    col('Ready', 'The aggregate readiness state of this pod for accepting traffic.'),
    col('Status', 'The aggregate status of the containers in this pod.'),
    col('Restarts', 'The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.'),
    AGE,
    col('IP', 'IP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated.', 1),
    col('Node', 'NodeName is a request to schedule this pod onto a specific node.', 1),
    col('Nominated Node', 'nominatedNodeName is set only when this pod preempts other pods on the node.', 1),
    col('Readiness Gates', 'If specified, all readiness gates will be evaluated for pod readiness.', 1),
  ],
  cells(pod, now) {
    const { ready, reason, restarts } = podStatus(pod, now);
    const status = rec(pod.status);
    const gates = arr(rec(pod.spec).readinessGates);
    const conditions = arr(status.conditions);
    const gateCell = gates.length === 0 ? '<none>' : `${gates.filter((g) => conditions.some((c) => c.type === g.conditionType && c.status === 'True')).length}/${gates.length}`;
    return [pod.metadata.name, ready, reason, restarts, age(pod, now), orNone(str(status.podIP)), orNone(str(rec(pod.spec).nodeName)), orNone(str(status.nominatedNodeName)), gateCell];
  },
};

const nodeRoles = (labels: Record<string, string> | undefined): string => {
  const roles = new Set<string>();
  for (const [key, value] of Object.entries(labels ?? {})) {
    if (key.startsWith('node-role.kubernetes.io/')) roles.add(key.slice('node-role.kubernetes.io/'.length));
    else if (key === 'kubernetes.io/role' && value) roles.add(value);
  }
  return roles.size === 0 ? '<none>' : [...roles].sort().join(',');
};

export const nodes: Printer = {
  columns: [
    NAME,
    col('Status', 'The status of the node'),
    col('Roles', 'The roles of the node'),
    AGE,
    col('Version', 'Kubelet Version reported by the node.'),
    col('Internal-IP', 'List of addresses reachable to the node', 1),
    col('External-IP', 'List of addresses reachable to the node', 1),
    col('OS-Image', 'OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy)).', 1),
    col('Kernel-Version', "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64).", 1),
    col('Container-Runtime', 'Container Runtime Version reported by the node through runtime remote API (e.g. containerd://1.4.2).', 1),
  ],
  cells(node, now) {
    const status = rec(node.status);
    const ready = findCondition(arr(status.conditions), 'Ready');
    const states = [ready === undefined ? 'Unknown' : ready.status === 'True' ? 'Ready' : 'NotReady'];
    if (rec(node.spec).unschedulable === true) states.push('SchedulingDisabled');
    const address = (type: string): string => orNone(arr(status.addresses).filter((a) => a.type === type).map((a) => str(a.address))[0] ?? '');
    const info = rec(status.nodeInfo);
    return [node.metadata.name, states.join(','), nodeRoles(node.metadata.labels), age(node, now), str(info.kubeletVersion), address('InternalIP'), address('ExternalIP'), orNone(str(info.osImage)), orNone(str(info.kernelVersion)), orNone(str(info.containerRuntimeVersion))];
  },
};

