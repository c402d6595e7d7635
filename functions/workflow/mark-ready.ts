/** Records that a deploy or scale settled with every replica Ready (use-cases/workflow/settle.ts). */
import { workflowTask, type TaskInput } from '../commons/workflow';
import { markReady as settle } from '../use-cases/workflow/settle';
import { clock } from '../wiring/clock';
import { coldStartStats } from '../wiring/cold-start-stats';
import { deploymentStore } from '../wiring/deployment-store';
import { servingEndpoint } from '../wiring/serving-endpoint';

const ports = { deployments: deploymentStore, coldStarts: coldStartStats, clock, serving: servingEndpoint };

export const markReady = (input: TaskInput) => settle(ports, input);

export const handler = workflowTask('mark-ready', markReady);
