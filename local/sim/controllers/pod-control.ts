/**
 * What the ReplicaSet and DaemonSet controllers share to make and find their pods (upstream:
 * pkg/controller's PodControl.CreatePods and GetPodFromTemplate, and the controllerRef check).
 */
import type { SimContext } from '../context.js';
import { randomSuffix } from '../ids.js';
import type { EventSource } from '../apiserver/host.js';
import { POD } from '../apiserver/resources.js';
import { KubeError } from '../apiserver/status.js';
import type { KubeObject, Labels, Pod, PodSpec, PodTemplate } from '../apiserver/types.js';

/** Whether `uid` is the object's controller (its ownerReference with controller: true). */
export const ownedBy = (uid: string) => (obj: { metadata: { ownerReferences?: { uid: string; controller?: boolean }[] } }): boolean =>
  obj.metadata.ownerReferences?.some((r) => r.uid === uid && r.controller === true) ?? false;

/**
 * Creates a pod `<owner>-<suffix>` from the template, controlled by `owner`, and records
 * SuccessfulCreate on it; a suffix that is taken is drawn again, twice at the most.
 */
export const createPodFromTemplate = (
  world: SimContext,
  { owner, kind, template, labels, spec, source }: { owner: KubeObject; kind: 'ReplicaSet' | 'DaemonSet'; template: PodTemplate; labels: Labels; spec: PodSpec; source: EventSource },
): void => {
  const name = owner.metadata.name;
  for (let attempt = 0; attempt < 3; attempt += 1) {
    const object: Pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: `${name}-${randomSuffix(5)}`,
        generateName: `${name}-`,
        namespace: owner.metadata.namespace,
        uid: '',
        resourceVersion: '',
        creationTimestamp: '',
        labels,
        ...(template.metadata?.annotations ? { annotations: { ...template.metadata.annotations } } : {}),
        ownerReferences: [{ apiVersion: 'apps/v1', kind, name, uid: owner.metadata.uid, controller: true, blockOwnerDeletion: true }],
      },
      spec,
    };
    try {
      const created = world.api.createInternal(POD, object);
      world.events.record(owner, 'Normal', 'SuccessfulCreate', `Created pod: ${created.metadata.name}`, source);
      return;
    } catch (error) {
      if (!(error instanceof KubeError && error.status.reason === 'AlreadyExists')) throw error;
    }
  }
};
