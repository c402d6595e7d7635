/** Removes the record (and its token secret) once the deployment's objects and GPUs are gone (use-cases/workflow/finish-delete.ts). */
import { workflowTask, type TaskInput } from '../commons/workflow';
import { finishDelete as finish } from '../use-cases/workflow/finish-delete';
import { deploymentStore } from '../wiring/deployment-store';
import { tokenSecrets } from '../wiring/token-secrets';

const ports = { deployments: deploymentStore, secrets: tokenSecrets };

export const finishDelete = (input: TaskInput) => finish(ports, input);

export const handler = workflowTask('finish-delete', finishDelete);
