/** GET …/aimodels/{model_id}/schedule: the schedule, its next window fires and the idle state (404 if none). */
import { apiHandler, authorizeTenant, deploymentIdOf, json, type ApiEvent, type ApiResult, type RequestScope } from '../commons/http';
import { getSchedule as get } from '../use-cases/schedules';
import { deploymentStore } from '../wiring/deployment-store';

const ports = { deployments: deploymentStore };

export const getSchedule = async (event: ApiEvent, { now }: RequestScope): Promise<ApiResult> => {
  const tenant = authorizeTenant(event, 'read');
  return json(200, await get(ports, tenant, deploymentIdOf(event), now));
};

export const handler = apiHandler(getSchedule);
