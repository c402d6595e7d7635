/**
 * Deletes the model's Kubernetes objects and reports how many of its pods still exist, for the
 * removal poll of every workflow that removes a model (use-cases/workflow/remove-workload.ts).
 */
import { workflowTask, type TaskInput } from '../commons/workflow';
import { removeWorkload as remove } from '../use-cases/workflow/remove-workload';
import { clock } from '../wiring/clock';
import { cluster } from '../wiring/cluster';

const ports = { cluster, clock };

export const removeWorkload = (input: TaskInput & { removal?: { attempts?: number } }) => remove(ports, input);

export const handler = workflowTask('remove-workload', removeWorkload);
