/** The deployment store on DynamoDB (adapters/deployment-repository.ts). */
import * as repository from '../adapters/deployment-repository';
import type { DeploymentStore } from '../ports';

export const deploymentStore: DeploymentStore = {
  create: repository.createDeployment,
  get: repository.getDeployment,
  list: repository.listDeployments,
  update: repository.updateDeployment,
  takeReservation: repository.takeReservation,
  remove: repository.deleteDeployment,
  discard: repository.discardDeployment,
  gpuDemandOf: repository.gpuDemandOf,
  inFlight: repository.inFlightDeployments,
  reservationsOn: repository.reservationsOn,
  putSchedule: repository.putSchedule,
  dueDeployments: repository.dueDeployments,
  claimDue: repository.claimDue,
  finishDue: repository.finishDue,
  scheduleDueAt: repository.scheduleDueAt,
};
