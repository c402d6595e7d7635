/**
 * The endpoints and EndpointSlice controllers: for every Service with a selector, the matching
 * pods that have an IP, ready ones as addresses and the others as notReadyAddresses, with
 * each Service port's targetPort resolved against the pod's named container ports.
 */
import { isPodReady } from '../apiserver/conditions.js';
import { nowIso, safeHash, uuid } from '../ids.js';
import type { SimContext } from '../context.js';
import { ENDPOINTS, ENDPOINTSLICE, POD, SERVICE } from '../apiserver/resources.js';
import { labelsMatch, requirementsFromSelector } from '../apiserver/selectors.js';
import { isRecord, type KubeObject, type Pod } from '../apiserver/types.js';

interface ServicePort {
  name?: string;
  port: number;
  targetPort?: number | string;
  protocol?: string;
}


const resolvePort = (pod: Pod, port: ServicePort): number | undefined => {
  const target = port.targetPort ?? port.port;
  if (typeof target === 'number') return target;
  for (const c of pod.spec.containers) {
    const found = (Array.isArray(c.ports) ? (c.ports as { name?: string; containerPort: number }[]) : []).find((p) => p.name === target);
    if (found) return found.containerPort;
  }
  return undefined;
};

const targetRef = (pod: Pod) => ({ kind: 'Pod', namespace: pod.metadata.namespace, name: pod.metadata.name, uid: pod.metadata.uid });

/** What the controller owns of an object: everything but the server-set metadata. */
const desiredContent = (o: KubeObject): string => {
  const { metadata, kind: _k, apiVersion: _a, ...rest } = o;
  return JSON.stringify({ rest, labels: metadata.labels ?? {}, owners: metadata.ownerReferences ?? [] });
};

const upsert = (world: SimContext, type: typeof ENDPOINTS, obj: KubeObject): void => {
  const existing = world.store.get(type.plural, obj.metadata.namespace, obj.metadata.name);
  if (!existing) {
    world.api.createInternal(type, obj);
    return;
  }
  if (desiredContent(existing) === desiredContent(obj)) return;
  world.store.mutate(type, obj.metadata.namespace, obj.metadata.name, (draft) => {
    const { metadata, kind: _k, apiVersion: _a, ...rest } = obj;
    for (const key of Object.keys(draft)) if (!['metadata', 'kind', 'apiVersion'].includes(key)) delete (draft as Record<string, unknown>)[key];
    Object.assign(draft, rest);
    if (metadata.labels) draft.metadata.labels = metadata.labels;
    else delete draft.metadata.labels;
    if (type.tracksGeneration) draft.metadata.generation = (draft.metadata.generation ?? 1) + 1;
  });
};

export const reconcileEndpoints = (world: SimContext, now: number): void => {
  const services = world.store.list(SERVICE.plural);
  const wanted = new Set<string>();
  for (const svc of services) {
    const spec = isRecord(svc.spec) ? svc.spec : {};
    if (!isRecord(spec.selector) || Object.keys(spec.selector).length === 0 || spec.type === 'ExternalName') continue;
    const namespace = svc.metadata.namespace ?? 'default';
    wanted.add(`${namespace}/${svc.metadata.name}`);
    const selector = requirementsFromSelector({ matchLabels: spec.selector as Record<string, string> });
    const ports = (Array.isArray(spec.ports) ? spec.ports : []).filter(isRecord) as unknown as ServicePort[];
    const pods = world.store
      .list<Pod>(POD.plural, namespace)
      .filter((p) => labelsMatch(selector, p.metadata.labels) && p.status?.podIP && !['Succeeded', 'Failed'].includes(p.status.phase ?? ''));
    const publishNotReady = spec.publishNotReadyAddresses === true;

    // Endpoints: one subset per distinct resolved port set; terminating pods are left out.
    const subsets = new Map<string, { addresses: unknown[]; notReadyAddresses: unknown[]; ports: unknown[] }>();
    for (const pod of pods.filter((p) => !p.metadata.deletionTimestamp)) {
      const resolved = ports.flatMap((p) => {
        const port = resolvePort(pod, p);
        return port === undefined ? [] : [{ ...(p.name ? { name: p.name } : {}), port, protocol: p.protocol ?? 'TCP' }];
      });
      const key = JSON.stringify(resolved);
      const subset = subsets.get(key) ?? { addresses: [], notReadyAddresses: [], ports: resolved };
      subsets.set(key, subset);
      const address = { ip: pod.status?.podIP, ...(pod.spec.nodeName ? { nodeName: pod.spec.nodeName } : {}), targetRef: targetRef(pod) };
      (isPodReady(pod) || publishNotReady ? subset.addresses : subset.notReadyAddresses).push(address);
    }
    const byIp = (a: unknown, b: unknown): number => String((a as { ip: string }).ip).localeCompare(String((b as { ip: string }).ip));
    const endpoints: KubeObject = {
      apiVersion: 'v1',
      kind: 'Endpoints',
      metadata: { name: svc.metadata.name, namespace, uid: uuid(), resourceVersion: '', creationTimestamp: nowIso(now), ...(svc.metadata.labels ? { labels: svc.metadata.labels } : {}) },
      subsets: [...subsets.values()].map((s) => ({
        ...(s.addresses.length > 0 ? { addresses: s.addresses.sort(byIp) } : {}),
        ...(s.notReadyAddresses.length > 0 ? { notReadyAddresses: s.notReadyAddresses.sort(byIp) } : {}),
        ...(s.ports.length > 0 ? { ports: s.ports } : {}),
      })),
    };
    if ((endpoints.subsets as unknown[]).length === 0) delete endpoints.subsets;
    upsert(world, ENDPOINTS, endpoints);

    // EndpointSlice: terminating pods stay, flagged, as the EndpointSlice controller keeps them.
    const sliceEndpoints = pods.map((pod) => {
      const ready = isPodReady(pod) && !pod.metadata.deletionTimestamp;
      return {
        addresses: [pod.status?.podIP],
        conditions: { ready, serving: isPodReady(pod), terminating: Boolean(pod.metadata.deletionTimestamp) },
        ...(pod.spec.nodeName ? { nodeName: pod.spec.nodeName } : {}),
        targetRef: targetRef(pod),
      };
    });
    const first = pods[0];
    const slicePorts = ports.map((p) => ({ ...(p.name ? { name: p.name } : { name: '' }), port: first ? (resolvePort(first, p) ?? null) : null, protocol: p.protocol ?? 'TCP' }));
    const slice: KubeObject = {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: {
        name: `${svc.metadata.name}-${safeHash(svc.metadata.uid, 5)}`,
        namespace,
        uid: uuid(),
        resourceVersion: '',
        creationTimestamp: nowIso(now),
        labels: { ...(svc.metadata.labels ?? {}), 'kubernetes.io/service-name': svc.metadata.name, 'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io' },
        ownerReferences: [{ apiVersion: 'v1', kind: 'Service', name: svc.metadata.name, uid: svc.metadata.uid, controller: true, blockOwnerDeletion: true }],
      },
      addressType: 'IPv4',
      endpoints: sliceEndpoints.length > 0 ? sliceEndpoints : null,
      ports: slicePorts,
    };
    upsert(world, ENDPOINTSLICE, slice);
  }
  // The endpoints controller deletes the Endpoints of a Service that is gone (slices go by GC).
  for (const ep of world.store.list(ENDPOINTS.plural)) {
    if (!wanted.has(`${ep.metadata.namespace ?? ''}/${ep.metadata.name}`) && !world.store.get(SERVICE.plural, ep.metadata.namespace, ep.metadata.name)) {
      world.api.delete(ENDPOINTS, ep.metadata.namespace, ep.metadata.name);
    }
  }
};
