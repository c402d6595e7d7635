/**
 * What the scheduler's VolumeBinding plugin and the PV controller both read from a
 * PersistentVolumeClaim and its StorageClass (upstream: component-helpers/storage/volume).
 */
import { STORAGE_CLASS } from './rbac-resources.js';
import type { KubeStore } from './store.js';
import { isRecord, type KubeObject, type Pod } from './types.js';

/** Set by the scheduler on a delayed-binding claim once it has picked the node of a pod using it. */
export const SELECTED_NODE_ANNOTATION = 'volume.kubernetes.io/selected-node';
export const PVC_PLURAL = 'persistentvolumeclaims';

export interface ClaimSpec {
  storageClassName?: string | null;
  accessModes?: string[];
  resources?: { requests?: { storage?: string } };
  volumeName?: string;
}

export const claimSpec = (claim: KubeObject): ClaimSpec => (isRecord(claim.spec) ? (claim.spec as ClaimSpec) : {});
export const claimPhase = (claim: KubeObject): string | undefined => (isRecord(claim.status) ? (claim.status.phase as string | undefined) : undefined);
export const isClaimBound = (claim: KubeObject): boolean => claimPhase(claim) === 'Bound';

/** The claim's StorageClass name ("" for none) and the object when it exists. */
export const claimClass = (store: KubeStore, claim: KubeObject): { name: string; storageClass?: KubeObject } => {
  const name = claimSpec(claim).storageClassName ?? '';
  const storageClass = name ? store.get(STORAGE_CLASS.plural, undefined, name) : undefined;
  return { name, ...(storageClass ? { storageClass } : {}) };
};

/** Binding waits for a pod to be scheduled (IsDelayBindingMode: no class, or a missing one, binds immediately). */
export const isDelayBinding = (store: KubeStore, claim: KubeObject): boolean => claimClass(store, claim).storageClass?.volumeBindingMode === 'WaitForFirstConsumer';

/** The claims a pod mounts, by name. */
export const podClaimNames = (pod: Pod): string[] =>
  ((pod.spec.volumes as { persistentVolumeClaim?: { claimName?: string } }[] | undefined) ?? []).flatMap((v) => (v.persistentVolumeClaim?.claimName ? [v.persistentVolumeClaim.claimName] : []));

/**
 * The attach/detach controller's Multi-Attach check for a pod about to start on its node: a
 * ReadWriteOnce volume is attached to one node at a time, held by the pods already started there
 * (`started`) until they are gone. Returns the FailedAttachVolume message, or undefined.
 */
export const multiAttachError = (store: KubeStore, pod: Pod, started: (other: Pod) => boolean): string | undefined => {
  const namespace = pod.metadata.namespace ?? 'default';
  const pods = store.list<Pod>('pods', namespace);
  for (const name of podClaimNames(pod)) {
    const claim = store.get(PVC_PLURAL, namespace, name);
    if (!claim || !isClaimBound(claim) || !(claimSpec(claim).accessModes ?? []).includes('ReadWriteOnce')) continue;
    const holders = pods.filter(
      (other) =>
        other.metadata.uid !== pod.metadata.uid &&
        other.spec.nodeName !== undefined &&
        other.spec.nodeName !== pod.spec.nodeName &&
        other.status?.phase !== 'Succeeded' &&
        other.status?.phase !== 'Failed' &&
        podClaimNames(other).includes(name) &&
        started(other),
    );
    if (holders.length > 0) {
      return `Multi-Attach error for volume "${claimSpec(claim).volumeName ?? ''}" Volume is already used by pod(s) ${holders.map((h) => h.metadata.name).join(', ')}`;
    }
  }
  return undefined;
};
