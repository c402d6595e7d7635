/** Applies the model's Kubernetes objects, its token Secret first (use-cases/workflow/workload.ts). */
import { workflowTask, type TaskInput } from '../commons/workflow';
import { applyWorkload as apply } from '../use-cases/workflow/workload';
import { catalogStore } from '../wiring/catalog-store';
import { clock } from '../wiring/clock';
import { cluster } from '../wiring/cluster';
import { deploymentStore } from '../wiring/deployment-store';
import { gatewaySecrets } from '../wiring/gateway-secrets';
import { servingSettings } from '../wiring/serving-settings';
import { tokenSecrets } from '../wiring/token-secrets';

const ports = { deployments: deploymentStore, catalog: catalogStore, cluster, secrets: tokenSecrets, clock, serving: servingSettings, gatewaySecrets };

export const applyWorkload = (input: TaskInput) => apply(ports, input);

export const handler = workflowTask('apply-workload', applyWorkload);
