/** DELETE …/aimodels/{model_id}/schedule: no more windows or idle pauses (204, also when there was none). */
import { apiHandler, authorizeTenant, deploymentIdOf, noContent, type ApiEvent, type ApiResult } from '../commons/http';
import { deleteSchedule as remove } from '../use-cases/schedules';
import { clock } from '../wiring/clock';
import { deploymentStore } from '../wiring/deployment-store';

const ports = { deployments: deploymentStore, clock };

export const deleteSchedule = async (event: ApiEvent): Promise<ApiResult> => {
  const tenant = authorizeTenant(event, 'write');
  await remove(ports, tenant, deploymentIdOf(event));
  return noContent();
};

export const handler = apiHandler(deleteSchedule);
