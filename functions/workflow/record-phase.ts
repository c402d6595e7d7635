/**
 * Records what the state machine says happened (an ASL event); the lifecycle picks the phase
 * (use-cases/workflow/record-phase.ts).
 */
import { workflowTask } from '../commons/workflow';
import { recordPhase as record, type RecordPhaseInput } from '../use-cases/workflow/record-phase';
import { clock } from '../wiring/clock';
import { deploymentStore } from '../wiring/deployment-store';

const ports = { deployments: deploymentStore, clock };

export const recordPhase = (input: RecordPhaseInput) => record(ports, input);

export const handler = workflowTask('record-phase', recordPhase);
