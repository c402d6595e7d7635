/** Gives the deployment's reserved GPUs back to the ledger, exactly once (use-cases/workflow/release-reservation.ts). */
import { workflowTask, type TaskInput } from '../commons/workflow';
import { releaseReservation as release } from '../use-cases/workflow/release-reservation';
import { capacityLedger } from '../wiring/capacity-ledger';
import { deploymentStore } from '../wiring/deployment-store';

const ports = { deployments: deploymentStore, ledger: capacityLedger };

export const releaseReservation = (input: TaskInput) => release(ports, input);

export const handler = workflowTask('release-reservation', releaseReservation);
