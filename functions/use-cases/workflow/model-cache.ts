/**
 * Moves a PVC model cache stranded in another Availability Zone (domain/model-cache.ts): delete
 * the claim, then, once it is gone, apply it again; the EBS CSI driver provisions the new volume
 * in the zone of the node the scheduler picks. The claim may outlive the delete for a while (the
 * pvc-protection finalizer), so this is a step the readiness poll repeats until it is done.
 */
import type { V1PersistentVolumeClaim } from '@kubernetes/client-node';
import type { Ports } from '../../ports';

/**
 * `deleted`: this step deleted the stranded claim (the history says so once); `replacing`: its
 * uid while it is still being deleted, for the next step.
 */
export type CacheMove = { done: true; deleted: boolean } | { done: false; deleted: boolean; replacing: string };

/**
 * One step of the move. `replacing` is what the previous step returned (absent on the first):
 * the stranded claim's uid, so a claim of another uid is known to be the fresh one. Only a Bound
 * claim has a volume, hence a zone: a Pending one (the fresh claim, before its pod is scheduled)
 * is left alone, so a scheduler message that has not caught up yet deletes nothing.
 */
export const moveModelCache = async (cluster: Pick<Ports['cluster'], 'readClaim' | 'deleteManagedObject' | 'applyClaim'>, claim: V1PersistentVolumeClaim, replacing?: string): Promise<CacheMove> => {
  const name = claim.metadata?.name ?? '';
  let current = await cluster.readClaim(name);
  const stranded = replacing ?? (current?.bound ? current.uid : undefined);
  let deleted = false;
  if (current && current.uid === stranded && !current.deleting) {
    // By uid: a claim re-created meanwhile is left alone.
    deleted = (await cluster.deleteManagedObject({ kind: 'PersistentVolumeClaim', name, uid: current.uid, labels: claim.metadata?.labels ?? {} })) === 'deleted';
    current = await cluster.readClaim(name);
  }
  if (!current) {
    await cluster.applyClaim(claim);
    return { done: true, deleted };
  }
  return stranded !== undefined && current.uid === stranded ? { done: false, deleted, replacing: stranded } : { done: true, deleted };
};
