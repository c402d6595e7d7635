/**
 * Garbage collection by ownerReferences (background propagation), the namespace controller
 * (a deleted namespace empties, then disappears) and the pod GC for pods on vanished nodes.
 */
import type { SimContext } from '../context.js';
import { NAMESPACE, NODE, POD, RESOURCES } from '../apiserver/resources.js';
import type { KubeObject, Pod } from '../apiserver/types.js';
import { forgetCreateFailures } from './pod-control.js';

const ownerGone = (world: SimContext, obj: KubeObject): boolean => {
  const refs = obj.metadata.ownerReferences;
  if (!refs || refs.length === 0) return false;
  return refs.every((ref) => world.store.byUid(ref.uid) === undefined);
};

const deleteQuietly = (world: SimContext, obj: KubeObject, plural: string): void => {
  const type = RESOURCES.find((r) => r.plural === plural);
  if (!type) return;
  if (type === POD && (obj as Pod).metadata.deletionTimestamp) return;
  world.api.delete(type, obj.metadata.namespace, obj.metadata.name, { propagationPolicy: 'Background' });
};

export const collectGarbage = (world: SimContext, _now: number): void => {
  for (const { resource, object } of world.store.snapshot().objects) {
    if (ownerGone(world, object)) deleteQuietly(world, object, resource);
  }

  const nodes = new Set(world.store.list(NODE.plural).map((n) => n.metadata.name));
  for (const pod of world.store.list<Pod>(POD.plural)) {
    if (pod.spec.nodeName && !nodes.has(pod.spec.nodeName) && !world.instanceByNodeName(pod.spec.nodeName)) {
      // PodGC force-deletes: the API server drops the pod and its runtime record at once (grace 0).
      world.api.delete(POD, pod.metadata.namespace, pod.metadata.name, { gracePeriodSeconds: 0 });
    }
  }

  for (const ns of world.store.list(NAMESPACE.plural)) {
    if (!ns.metadata.deletionTimestamp) continue;
    let remaining = 0;
    for (const type of RESOURCES.filter((r) => r.namespaced)) {
      for (const obj of world.store.list(type.plural, ns.metadata.name)) {
        remaining += 1;
        deleteQuietly(world, obj, type.plural);
      }
    }
    // The namespace controller's finalize: an API delete would only mark it again, so the store drops it.
    if (remaining === 0) world.store.remove(NAMESPACE.plural, undefined, ns.metadata.name);
  }
  forgetCreateFailures(world);
};
