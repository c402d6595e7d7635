/**
 * Polls the model's pods until every replica is Ready, stamping the cold-start milestones and
 * failing fast with a classified reason (use-cases/workflow/workload.ts).
 */
import { workflowTask, type TaskInput } from '../commons/workflow';
import type { WorkloadWait } from '../../contract/execution-state';
import { checkWorkload as check } from '../use-cases/workflow/workload';
import { catalogStore } from '../wiring/catalog-store';
import { clock } from '../wiring/clock';
import { cluster } from '../wiring/cluster';
import { coldStartStats } from '../wiring/cold-start-stats';
import { deploymentStore } from '../wiring/deployment-store';
import { modelNamespace } from '../wiring/model-namespace';
import { transientErrors } from '../wiring/transient-errors';

const ports = { deployments: deploymentStore, catalog: catalogStore, cluster, coldStarts: coldStartStats, clock, transientErrors, serving: modelNamespace };

export const checkWorkload = (input: TaskInput & { workload: WorkloadWait }) => check(ports, input);

export const handler = workflowTask('check-workload', checkWorkload);
