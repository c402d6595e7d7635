/**
 * Deletes the model's Kubernetes objects and reports how many of its pods still exist.
 *
 * Every workflow that removes a model (delete, and the failure paths of deploy and scale) polls
 * this with `removal` (its poll counter) and waits `wait_seconds` between polls: a growing
 * wait, pods stuck on lost nodes force-deleted, and after MAX_REMOVAL_POLLS it reports `gone`
 * with `gave_up`, so the execution ends (domain/pod-removal.ts says why each step).
 */
import type { V1Pod } from '@kubernetes/client-node';
import { logger } from '../../commons/logger';
import { workloadName } from '../../domain/deployment';
import { deploymentSelector } from '../../domain/manifests';
import { MAX_REMOVAL_POLLS, podsToForceDelete, removalWaitSeconds, type RemainingPod } from '../../domain/pod-removal';
import type { Ports } from '../../ports';
import type { Removal, TaskInput } from '../../../contract/execution-state';

type RemovalPorts = Pick<Ports, 'cluster' | 'clock'>;

const remainingPod = (pod: V1Pod): RemainingPod => ({
  name: pod.metadata?.name ?? '',
  nodeName: pod.spec?.nodeName,
  deletionTimestamp: pod.metadata?.deletionTimestamp ? new Date(pod.metadata.deletionTimestamp) : undefined,
  gracePeriodSeconds: pod.metadata?.deletionGracePeriodSeconds ?? pod.spec?.terminationGracePeriodSeconds ?? 30,
});

/** Force-deletes the pods a lost node holds; returns how many it deleted. */
const releaseLostPods = async ({ cluster, clock }: RemovalPorts, pods: V1Pod[]): Promise<number> => {
  const remaining = pods.map(remainingPod);
  const nodes = [...new Set(remaining.flatMap((p) => (p.deletionTimestamp && p.nodeName ? [p.nodeName] : [])))];
  if (nodes.length === 0) return 0;
  const stuck = podsToForceDelete(remaining, await cluster.notReadyNodeNames(nodes), clock.now());
  if (stuck.length === 0) return 0;
  logger.warn('force-deleting pods stuck Terminating on nodes that no longer answer', { pods: stuck });
  return cluster.forceDeletePods(stuck);
};

export const removeWorkload = async (ports: RemovalPorts, input: TaskInput & { removal?: { attempts?: number } }): Promise<Removal> => {
  const { cluster } = ports;
  await cluster.deleteWorkloadObjects(workloadName(input.deployment.id));
  const selector = deploymentSelector(input.deployment.id);
  let pods = await cluster.listPods(selector);
  const attempts = (input.removal?.attempts ?? 0) + 1;
  const forced = pods.length > 0 ? await releaseLostPods(ports, pods) : 0;
  if (forced > 0) pods = await cluster.listPods(selector);
  const remaining = pods.length;
  const report = { pods_remaining: remaining, wait_seconds: removalWaitSeconds(attempts), attempts, ...(forced > 0 ? { force_deleted: forced } : {}) };
  if (remaining > 0 && attempts >= MAX_REMOVAL_POLLS) {
    logger.warn('pods still terminating after the cleanup wait; releasing what is idle and leaving the rest to the leak audit', { remaining });
    return { ...report, gone: true, gave_up: true };
  }
  return { ...report, gone: remaining === 0 };
};
