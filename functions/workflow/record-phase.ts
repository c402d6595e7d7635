/**
 * Records a workflow's phase. With `release_capacity` the deployment also gives its GPUs
 * back to the ledger and stops counting toward node group demand (exactly once).
 */
import { releaseGpus } from '../adapters/capacity-ledger';
import { now } from '../adapters/clock';
import { takeReservation } from '../adapters/deployment-indexes';
import { updateDeployment } from '../adapters/deployment-records';
import { asSuperseded, workflowTask, type TaskInput } from '../commons/workflow';
import type { DeploymentPhase } from '../domain/deployment';

export interface RecordPhaseInput extends TaskInput {
  phase: DeploymentPhase;
  release_capacity?: boolean;
}

export const recordPhase = async (input: RecordPhaseInput): Promise<{ phase: DeploymentPhase; released_gpus: number }> => {
  await updateDeployment(input.deployment, input.deployment.id, { phase: input.phase }, { executionArn: input.execution }, {
    now: now(),
    event: { type: 'phase_changed', message: `phase ${input.phase}` },
  }).catch(asSuperseded);
  let released = 0;
  if (input.release_capacity === true) {
    const taken = await takeReservation(input.deployment, input.deployment.id, input.execution);
    await releaseGpus(input.deployment.gpu_config_id, taken.gpus);
    released = taken.gpus;
  }
  return { phase: input.phase, released_gpus: released };
};

export const handler = workflowTask('record-phase', recordPhase);
