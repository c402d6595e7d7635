/**
 * Records why a workflow failed and, for a deploy or scale, gives its GPUs back exactly once
 * (use-cases/workflow/record-failure.ts).
 */
import { workflowTask } from '../commons/workflow';
import { recordFailure as record, type RecordFailureInput } from '../use-cases/workflow/record-failure';
import { capacityLedger } from '../wiring/capacity-ledger';
import { clock } from '../wiring/clock';
import { deploymentStore } from '../wiring/deployment-store';

const ports = { deployments: deploymentStore, ledger: capacityLedger, clock };

export const recordFailure = (input: RecordFailureInput) => record(ports, input);

export const handler = workflowTask('record-failure', recordFailure);
