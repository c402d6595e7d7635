/** Deletes the model's Kubernetes objects and reports how many of its pods still exist. */
import { deleteWorkloadObjects, listPods } from '../adapters/kubernetes';
import { workflowTask, type TaskInput } from '../commons/workflow';
import { workloadName } from '../domain/deployment';
import { deploymentSelector } from '../domain/manifests';

export const removeWorkload = async (input: TaskInput) => {
  await deleteWorkloadObjects(workloadName(input.deployment.id));
  const remaining = (await listPods(deploymentSelector(input.deployment.id))).length;
  return { pods_remaining: remaining, gone: remaining === 0, wait_seconds: 2 };
};

export const handler = workflowTask('remove-workload', removeWorkload);
