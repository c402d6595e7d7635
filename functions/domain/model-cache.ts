/**
 * The PVC model cache and Availability Zones. Pure.
 *
 * The cache is an EBS volume (the gp3 class of contract/cluster-manifests.ts), provisioned in the
 * zone of the node its first pod was scheduled to, and an EBS volume attaches in its own zone
 * only. The GPU node group spans several zones, so a resume after a pause (the node was released,
 * the claim kept) or the replacement of a dead node may get a node in another zone: the
 * scheduler then refuses it with `volume node affinity conflict` and the pod would stay Pending
 * until the workflow's deadline while the new GPU node burns. The claim holds only downloaded
 * weights, so the workflow deletes it and applies it again: the new volume is provisioned in the
 * new node's zone (WaitForFirstConsumer) and the weights are downloaded once more.
 */
import type { V1Pod } from '@kubernetes/client-node';
import type { LifecycleEvent } from './lifecycle';

/** How the scheduler's VolumeBinding plugin counts a node in another zone than a bound volume. */
const VOLUME_ZONE_CONFLICT = 'volume node affinity conflict';

const isBound = (pod: V1Pod): boolean => Boolean(pod.spec?.nodeName);

const refusedForVolumeZone = (pod: V1Pod): boolean =>
  pod.status?.conditions?.some((c) => c.type === 'PodScheduled' && c.status === 'False' && (c.message ?? '').includes(VOLUME_ZONE_CONFLICT)) ?? false;

/**
 * Whether the deployment's cache volume is stranded in another zone: a pod is refused on a
 * volume zone conflict, and no pod of the deployment is on a node (one that is, even
 * terminating, still holds the volume, and its node's zone is the volume's: nothing to move).
 */
export const cacheStrandedInAnotherZone = (pods: readonly V1Pod[]): boolean => !pods.some(isBound) && pods.some(refusedForVolumeZone);

/**
 * Whether the deployment's pods wait for a claim that is gone or going (the scheduler's
 * `persistentvolumeclaim "<name>" not found` / `is being deleted`), none of them on a node: a
 * move that deleted the stranded claim and has yet to apply it again.
 */
export const cacheClaimAwaited = (pods: readonly V1Pod[], claimName: string): boolean =>
  !pods.some(isBound) &&
  pods.some((pod) =>
    pod.status?.conditions?.some(
      (c) => c.type === 'PodScheduled' && c.status === 'False' && [`persistentvolumeclaim "${claimName}" not found`, `persistentvolumeclaim "${claimName}" is being deleted`].some((m) => (c.message ?? '').includes(m)),
    ),
  );

/** The history entry of a cache provisioned again. */
export const cacheReprovisioned = (claimName: string): LifecycleEvent => ({
  type: 'model_cache_reprovisioned',
  message: `model cache ${claimName}: its EBS volume is in another Availability Zone than the GPU node (volume node affinity conflict); the claim was deleted and is provisioned again in the node's zone, so the weights download again`,
});
