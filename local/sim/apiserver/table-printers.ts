/**
 * Server-side printing (`Accept: application/json;as=Table;g=meta.k8s.io`): the columns and cell
 * rules of kube-apiserver's printers (pkg/printers/internalversion), which is what `kubectl get`
 * shows. Priority-1 columns are the ones `-o wide` adds.
 */
import { selectorToString } from './selectors.js';
import { AGE, age, arr, col, NAME, num, orNone, rec, since, str, type Printer, type Rec } from './table-format.js';
import { nodes, pods } from './table-printers-pods.js';
import type { LabelSelector } from './types.js';

export { humanDuration } from './table-format.js';

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
