/** Records a workflow's phase; with release_capacity the deployment stops counting toward GPU demand. */
import { updateDeployment } from '../adapters/deployment-repository';
import { now } from '../adapters/clock';
import { asSuperseded, workflowTask, type TaskInput } from '../commons/workflow';
import type { DeploymentPhase } from '../domain/deployment';

export interface RecordPhaseInput extends TaskInput {
  phase: DeploymentPhase;
  release_capacity?: boolean;
}

export const recordPhase = async (input: RecordPhaseInput): Promise<{ phase: DeploymentPhase }> => {
  await updateDeployment(
    input.deployment,
    input.deployment.id,
    { phase: input.phase },
    { executionArn: input.execution },
    { now: now(), releaseCapacity: input.release_capacity === true },
  ).catch(asSuperseded);
  return { phase: input.phase };
};

export const handler = workflowTask('record-phase', recordPhase);
