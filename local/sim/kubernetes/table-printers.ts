/**
 * Server-side printing (`Accept: application/json;as=Table;g=meta.k8s.io`): the columns and cell
 * rules of kube-apiserver's printers (pkg/printers/internalversion), which is what `kubectl get`
 * shows. Priority-1 columns are the ones `-o wide` adds.
 */
import { selectorToString } from './selectors.js';
import { isRecord, type KubeObject, type LabelSelector } from './types.js';

export interface Column {
  name: string;
  type: 'string' | 'integer' | 'date';
  format?: 'name';
  description: string;
  priority?: 1;
}

export interface Printer {
  columns: Column[];
  cells(obj: KubeObject, now: number): unknown[];
}

const col = (name: string, description: string, priority?: 1, type: Column['type'] = 'string'): Column => ({
  name,
  type,
  description,
  ...(priority ? { priority } : {}),
});
const NAME: Column = { name: 'Name', type: 'string', format: 'name', description: 'Name must be unique within a namespace.' };
const AGE = col('Age', 'CreationTimestamp is a timestamp representing the server time when this object was created.');

type Rec = Record<string, unknown>;
const rec = (value: unknown): Rec => (isRecord(value) ? value : {});
const arr = (value: unknown): Rec[] => (Array.isArray(value) ? value.filter(isRecord) : []);
const str = (value: unknown): string => (typeof value === 'string' ? value : value === undefined || value === null ? '' : String(value));
const num = (value: unknown): number => (typeof value === 'number' ? value : 0);
const orNone = (value: string): string => (value === '' ? '<none>' : value);

/** apimachinery's duration.HumanDuration: the AGE format of every kubectl table. */
export const humanDuration = (ms: number): string => {
  const seconds = Math.floor(ms / 1000);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) return seconds % 60 === 0 ? `${minutes}m` : `${minutes}m${seconds % 60}s`;
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 8) return minutes % 60 === 0 ? `${hours}h` : `${hours}h${minutes % 60}m`;
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8) return hours % 24 === 0 ? `${Math.floor(hours / 24)}d` : `${Math.floor(hours / 24)}d${hours % 24}h`;
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24)}d`;
  const days = Math.floor(hours / 24) % 365;
  if (hours < 24 * 365 * 8) return days === 0 ? `${Math.floor(hours / 24 / 365)}y` : `${Math.floor(hours / 24 / 365)}y${days}d`;
  return `${Math.floor(hours / 24 / 365)}y`;
};

const since = (timestamp: unknown, now: number): string => {
  const t = Date.parse(str(timestamp));
  return Number.isNaN(t) ? '<unknown>' : humanDuration(now - t);
};
const age = (obj: KubeObject, now: number): string => since(obj.metadata.creationTimestamp, now);

const containersOf = (template: unknown): Rec[] => arr(rec(rec(template).spec).containers);
const wideWorkload = (template: unknown, selector: unknown): string[] => {
  const containers = containersOf(template);
  return [containers.map((c) => str(c.name)).join(','), containers.map((c) => str(c.image)).join(','), selectorToString(selector as LabelSelector)];
};
const WORKLOAD_WIDE = [
  col('Containers', 'Names of each container in the template.', 1),
  col('Images', 'Images referenced by each container in the template.', 1),
  col('Selector', 'Label selector for pods.', 1),
];

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
      const readyCondition = arr(status.conditions).find((c) => c.type === 'Ready');
      reason = readyCondition?.status === 'True' ? 'Running' : 'NotReady';
    }
  }
  if (pod.metadata.deletionTimestamp) reason = str(status.reason) === 'NodeLost' ? 'Unknown' : 'Terminating';
  return { ready: `${ready}/${total}`, reason, restarts: lastRestart ? `${restarts} (${humanDuration(now - lastRestart)} ago)` : String(restarts) };
};

const pods: Printer = {
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

const nodes: Printer = {
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
    const ready = arr(status.conditions).find((c) => c.type === 'Ready');
    const states = [ready === undefined ? 'Unknown' : ready.status === 'True' ? 'Ready' : 'NotReady'];
    if (rec(node.spec).unschedulable === true) states.push('SchedulingDisabled');
    const address = (type: string): string => orNone(arr(status.addresses).filter((a) => a.type === type).map((a) => str(a.address))[0] ?? '');
    const info = rec(status.nodeInfo);
    return [node.metadata.name, states.join(','), nodeRoles(node.metadata.labels), age(node, now), str(info.kubeletVersion), address('InternalIP'), address('ExternalIP'), orNone(str(info.osImage)), orNone(str(info.kernelVersion)), orNone(str(info.containerRuntimeVersion))];
  },
};

const deployments: Printer = {
  columns: [
    NAME,
    col('Ready', 'Number of the pod with ready state'),
    col('Up-to-date', 'Total number of non-terminated pods targeted by this deployment that have the desired template spec.', undefined, 'integer'),
    col('Available', 'Total number of available pods (ready for at least minReadySeconds) targeted by this deployment.', undefined, 'integer'),
    AGE,
    ...WORKLOAD_WIDE,
  ],
  cells(d, now) {
    const spec = rec(d.spec);
    const status = rec(d.status);
    return [d.metadata.name, `${num(status.readyReplicas)}/${num(spec.replicas)}`, num(status.updatedReplicas), num(status.availableReplicas), age(d, now), ...wideWorkload(spec.template, spec.selector)];
  },
};

const replicasets: Printer = {
  columns: [
    NAME,
    col('Desired', 'Replicas is the number of desired replicas.', undefined, 'integer'),
    col('Current', 'Replicas is the most recently observed number of replicas.', undefined, 'integer'),
    col('Ready', 'The number of ready replicas for this replica set.', undefined, 'integer'),
    AGE,
    ...WORKLOAD_WIDE,
  ],
  cells(rs, now) {
    const spec = rec(rs.spec);
    const status = rec(rs.status);
    return [rs.metadata.name, num(spec.replicas), num(status.replicas), num(status.readyReplicas), age(rs, now), ...wideWorkload(spec.template, spec.selector)];
  },
};

const daemonsets: Printer = {
  columns: [
    NAME,
    col('Desired', 'The total number of nodes that should be running the daemon pod.', undefined, 'integer'),
    col('Current', 'The number of nodes that are running at least 1 daemon pod and are supposed to run the daemon pod.', undefined, 'integer'),
    col('Ready', 'The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and ready.', undefined, 'integer'),
    col('Up-to-date', 'The total number of nodes that are running updated daemon pod', undefined, 'integer'),
    col('Available', 'The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and available (ready for at least spec.minReadySeconds)', undefined, 'integer'),
    col('Node Selector', 'NodeSelector is a selector which must be true for the pod to fit on a node.'),
    AGE,
    ...WORKLOAD_WIDE,
  ],
  cells(ds, now) {
    const spec = rec(ds.spec);
    const status = rec(ds.status);
    const nodeSelector = Object.entries(rec(rec(rec(spec.template).spec).nodeSelector)).map(([k, v]) => `${k}=${str(v)}`).join(',');
    return [ds.metadata.name, num(status.desiredNumberScheduled), num(status.currentNumberScheduled), num(status.numberReady), num(status.updatedNumberScheduled), num(status.numberAvailable), orNone(nodeSelector), age(ds, now), ...wideWorkload(spec.template, spec.selector)];
  },
};

const externalIp = (spec: Rec, status: Rec): string => {
  const external = (Array.isArray(spec.externalIPs) ? spec.externalIPs : []).map(str);
  switch (str(spec.type)) {
    case 'ExternalName':
      return str(spec.externalName);
    case 'LoadBalancer': {
      const ingress = arr(rec(status.loadBalancer).ingress).map((i) => str(i.ip) || str(i.hostname));
      const all = [...ingress, ...external];
      return all.length > 0 ? all.join(',') : '<pending>';
    }
    default:
      return external.length > 0 ? external.join(',') : '<none>';
  }
};

const services: Printer = {
  columns: [
    NAME,
    col('Type', 'type determines how the Service is exposed.'),
    col('Cluster-IP', 'clusterIP is the IP address of the service and is usually assigned randomly.'),
    col('External-IP', 'externalIPs is a list of IP addresses for which nodes in the cluster will also accept traffic for this service.'),
    col('Port(s)', 'The list of ports that are exposed by this service.'),
    AGE,
    col('Selector', 'Route service traffic to pods with label keys and values matching this selector.', 1),
  ],
  cells(svc, now) {
    const spec = rec(svc.spec);
    const ports = arr(spec.ports).map((p) => (p.nodePort ? `${num(p.port)}:${num(p.nodePort)}/${str(p.protocol)}` : `${num(p.port)}/${str(p.protocol)}`));
    const selector = Object.entries(rec(spec.selector)).map(([k, v]) => `${k}=${str(v)}`).sort().join(',');
    return [svc.metadata.name, str(spec.type), orNone(str(spec.clusterIP)), externalIp(spec, rec(svc.status)), ports.length > 0 ? ports.join(',') : '<none>', age(svc, now), orNone(selector)];
  },
};

/** formatEndpoints: up to three ip:port pairs, then "+ N more...". */
const endpointsCell = (subsets: Rec[]): string => {
  const pairs: string[] = [];
  let count = 0;
  for (const subset of subsets) {
    const ports = arr(subset.ports);
    for (const address of arr(subset.addresses)) {
      for (const port of ports.length > 0 ? ports : [{}]) {
        count += 1;
        if (pairs.length < 3) pairs.push(ports.length > 0 ? `${str(address.ip)}:${num(port.port)}` : str(address.ip));
      }
    }
  }
  if (count === 0) return '<none>';
  return count > 3 ? `${pairs.join(',')} + ${count - 3} more...` : pairs.join(',');
};

const endpoints: Printer = {
  columns: [NAME, col('Endpoints', 'Endpoints of the service'), AGE],
  cells: (ep, now) => [ep.metadata.name, endpointsCell(arr(ep.subsets)), age(ep, now)],
};

const endpointslices: Printer = {
  columns: [
    NAME,
    col('AddressType', 'addressType specifies the type of address carried by this EndpointSlice.'),
    col('Ports', 'ports specifies the list of network ports exposed by each endpoint in this slice.'),
    col('Endpoints', 'endpoints is a list of unique endpoints in this slice.'),
    AGE,
  ],
  cells(slice, now) {
    const ports = arr(slice.ports).map((p) => String(num(p.port)));
    const addresses = arr(slice.endpoints).flatMap((e) => (Array.isArray(e.addresses) ? e.addresses.map(str) : []));
    const shown = addresses.length > 3 ? `${addresses.slice(0, 3).join(',')} + ${addresses.length - 3} more...` : addresses.join(',');
    return [slice.metadata.name, str(slice.addressType), ports.length > 0 ? ports.join(',') : '<unset>', addresses.length > 0 ? shown : '<unset>', age(slice, now)];
  },
};

const events: Printer = {
  columns: [
    col('Last Seen', 'Time when last this event was observed.'),
    col('Type', 'Type of this event (Normal, Warning), new types could be added in the future.'),
    col('Reason', 'This should be a short, machine understandable string that gives the reason for this event being generated.'),
    col('Object', 'The object this Event is about.'),
    col('Subobject', 'The field of the object this Event is about.', 1),
    col('Source', 'The component reporting this event.', 1),
    col('Message', 'A human-readable description of the status of this operation.'),
    col('First Seen', 'The time at which the event was first recorded.', 1),
    col('Count', 'The number of times this event has occurred.', 1, 'integer'),
    { ...NAME, priority: 1 },
  ],
  cells(ev, now) {
    const involved = rec(ev.involvedObject);
    const first = ev.firstTimestamp ?? ev.eventTime ?? ev.metadata.creationTimestamp;
    const last = ev.lastTimestamp ?? ev.eventTime ?? first;
    const count = num(ev.count) || 1;
    const lastSeen = count > 1 ? `${since(last, now)} (x${count} over ${since(first, now)})` : since(last, now);
    const source = rec(ev.source);
    const sourceCell = [str(source.component), str(source.host)].filter((s) => s).join(', ') || str(ev.reportingComponent);
    return [lastSeen, str(ev.type), str(ev.reason), `${str(involved.kind).toLowerCase()}/${str(involved.name)}`, str(involved.fieldPath), sourceCell, str(ev.message), since(first, now), count, ev.metadata.name];
  },
};

const namespaces: Printer = {
  columns: [NAME, col('Status', 'The status of the namespace'), AGE],
  cells: (ns, now) => [ns.metadata.name, str(rec(ns.status).phase), age(ns, now)],
};

const secrets: Printer = {
  columns: [NAME, col('Type', 'The type of the secret'), col('Data', 'The number of entries in the secret', undefined, 'integer'), AGE],
  cells: (s, now) => [s.metadata.name, str(s.type), Object.keys(rec(s.data)).length, age(s, now)],
};

const configmaps: Printer = {
  columns: [NAME, col('Data', 'Number of data in the configmap', undefined, 'integer'), AGE],
  cells: (cm, now) => [cm.metadata.name, Object.keys(rec(cm.data)).length + Object.keys(rec(cm.binaryData)).length, age(cm, now)],
};

const ACCESS_MODES: Record<string, string> = { ReadWriteOnce: 'RWO', ReadOnlyMany: 'ROX', ReadWriteMany: 'RWX', ReadWriteOncePod: 'RWOP' };

const persistentvolumeclaims: Printer = {
  columns: [
    NAME,
    col('Status', 'The phase of the claim'),
    col('Volume', 'volumeName is the binding reference to the PersistentVolume backing this claim.'),
    col('Capacity', 'capacity represents the actual resources of the underlying volume.'),
    col('Access Modes', 'accessModes contains the desired access modes the volume should have.'),
    col('StorageClass', 'storageClassName is the name of the StorageClass required by the claim.'),
    col('VolumeAttributesClass', 'volumeAttributesClassName may be used to set the VolumeAttributesClass used by this claim.'),
    AGE,
    col('VolumeMode', 'volumeMode defines what type of volume is required by the claim.', 1),
  ],
  cells(pvc, now) {
    const spec = rec(pvc.spec);
    const status = rec(pvc.status);
    const phase = pvc.metadata.deletionTimestamp ? 'Terminating' : str(status.phase);
    const modes = (Array.isArray(status.accessModes) ? status.accessModes : []).map((m) => ACCESS_MODES[str(m)] ?? str(m)).join(',');
    return [pvc.metadata.name, phase, str(spec.volumeName), str(rec(status.capacity).storage), modes, orNone(str(spec.storageClassName)), orNone(str(spec.volumeAttributesClassName)), age(pvc, now), orNone(str(spec.volumeMode))];
  },
};

const PRINTERS: Record<string, Printer> = {
  pods,
  nodes,
  deployments,
  replicasets,
  daemonsets,
  services,
  endpoints,
  endpointslices,
  events,
  namespaces,
  secrets,
  configmaps,
  persistentvolumeclaims,
};

/** Kinds without a dedicated printer (RBAC objects, policies, …): NAME and AGE. */
const fallback: Printer = {
  columns: [NAME, AGE],
  cells: (obj, now) => [obj.metadata.name, age(obj, now)],
};

export const printerFor = (plural: string): Printer => PRINTERS[plural] ?? fallback;
