/**
 * Grows the deployment's GPU node group to what all live deployments on it need
 * (use-cases/workflow/node-capacity.ts). Never shrinks it (release-idle-nodes does that).
 */
import { workflowTask, type TaskInput } from '../commons/workflow';
import { ensureNodeCapacity as ensure } from '../use-cases/workflow/node-capacity';
import { clock } from '../wiring/clock';
import { deploymentStore } from '../wiring/deployment-store';
import { nodeGroups } from '../wiring/node-groups';

const ports = { deployments: deploymentStore, nodeGroups, clock };

export const ensureNodeCapacity = (input: TaskInput) => ensure(ports, input);

export const handler = workflowTask('ensure-node-capacity', ensureNodeCapacity);
