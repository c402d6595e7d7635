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

/** client-go's default controller rate limiter: 5 ms doubling per failure, at most 1000 s (model seconds). */
const retryDelaySeconds = (failures: number): number => Math.min(0.005 * 2 ** failures, 1000);

/** The message of the owner's last failed pod creation while it still fails (the ReplicaFailure condition). */
export const lastCreateFailure = (world: SimContext, owner: KubeObject): string | undefined => world.state.createFailures?.[owner.metadata.uid]?.message;

/** Drops the failure records of owners that are gone. */
export const forgetCreateFailures = (world: SimContext): void => {
  const failures = world.state.createFailures;
  if (!failures) return;
  for (const uid of Object.keys(failures)) {
    if (world.store.byUid(uid) === undefined) {
      delete failures[uid];
      world.touch();
    }
  }
};

/**
 * Creates a pod `<owner>-<suffix>` from the template, controlled by `owner`, and records
 * SuccessfulCreate on it; a suffix that is taken is drawn again, twice at the most. When the
 * API server refuses the pod (Pod Security, a terminating namespace), the controller records
 * FailedCreate with the refusal and tries again only after a growing delay, as the ReplicaSet
 * and DaemonSet controllers' rate-limited queues do. Returns whether a pod was created.
 */
export const createPodFromTemplate = (
  world: SimContext,
  { owner, kind, template, labels, spec, source }: { owner: KubeObject; kind: 'ReplicaSet' | 'DaemonSet'; template: PodTemplate; labels: Labels; spec: PodSpec; source: EventSource },
  now: number,
): boolean => {
  const failure = world.state.createFailures?.[owner.metadata.uid];
  if (failure && failure.retryAt > now) {
    world.wakeAt(failure.retryAt);
    return false;
  }
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
      if (failure && world.state.createFailures) {
        delete world.state.createFailures[owner.metadata.uid];
        world.touch();
      }
      return true;
    } catch (error) {
      if (!(error instanceof KubeError)) throw error;
      if (error.status.reason === 'AlreadyExists') continue;
      const count = (failure?.count ?? 0) + 1;
      const retryAt = now + world.ms(retryDelaySeconds(count));
      (world.state.createFailures ??= {})[owner.metadata.uid] = { count, retryAt, message: error.message };
      world.touch();
      world.wakeAt(retryAt);
      world.events.record(owner, 'Warning', 'FailedCreate', `Error creating: ${error.message}`, source);
      return false;
    }
  }
  return false;
};
