/**
 * Gives the deployment's reserved GPUs back to the capacity ledger, exactly once: the record's
 * reservation is taken (atomically, only while this execution owns it) before the ledger is
 * released, so a retry or a second caller finds nothing left to give back. The deployment then
 * no longer counts toward its node group's demand. Used by a delete and by a pause's release.
 */
import type { Ports } from '../../ports';
import { ownedDeployment } from '../ownership';
import type { TaskInput } from '../../../contract/execution-state';

export const releaseReservation = async (ports: Pick<Ports, 'deployments' | 'ledger'>, input: TaskInput): Promise<{ released_gpus: number }> => {
  // A newer operation (a resume, a delete) owns the deployment and its reservation: end quietly.
  await ownedDeployment(ports, input);
  const taken = await ports.deployments.takeReservation(input.deployment, input.deployment.id, input.execution);
  await ports.ledger.release(input.deployment.gpu_config_id, taken.gpus);
  return { released_gpus: taken.gpus };
};
