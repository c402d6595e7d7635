/**
 * Deletes the model's Kubernetes objects and reports how many of its pods still exist.
 *
 * With `removal` (the failure paths' poll counter), the workflow waits for the pods to go
 * before it releases nodes, but not forever: after MAX_REMOVAL_POLLS it reports `gone` with
 * `gave_up`, so the failure is recorded and the execution ends; the reconcile's leak audit
 * then finds what is left. Without it (delete), it only reports.
 */
import { deleteWorkloadObjects, listPods } from '../adapters/kubernetes';
import { logger } from '../commons/logger';
import { workflowTask, type TaskInput } from '../commons/workflow';
import { workloadName } from '../domain/deployment';
import { deploymentSelector } from '../domain/manifests';

/** Polls of WAIT_SECONDS: two minutes, four times the pods' 30 s grace period. */
export const MAX_REMOVAL_POLLS = 60;
const WAIT_SECONDS = 2;

export interface Removal {
  pods_remaining: number;
  gone: boolean;
  wait_seconds: number;
  attempts: number;
  gave_up?: true;
}

export const removeWorkload = async (input: TaskInput & { removal?: { attempts?: number } }): Promise<Removal> => {
  await deleteWorkloadObjects(workloadName(input.deployment.id));
  const remaining = (await listPods(deploymentSelector(input.deployment.id))).length;
  const attempts = (input.removal?.attempts ?? 0) + 1;
  if (remaining > 0 && input.removal !== undefined && attempts >= MAX_REMOVAL_POLLS) {
    logger.warn('pods still terminating after the cleanup wait; releasing what is idle and leaving the rest to the leak audit', { remaining });
    return { pods_remaining: remaining, gone: true, wait_seconds: WAIT_SECONDS, attempts, gave_up: true };
  }
  return { pods_remaining: remaining, gone: remaining === 0, wait_seconds: WAIT_SECONDS, attempts };
};

export const handler = workflowTask('remove-workload', removeWorkload);
