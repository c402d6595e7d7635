/** GET …/aimodels/{model_id}: the deployment's current state. */
import { apiHandler, authorizeTenant, deploymentIdOf, json, type ApiEvent, type ApiResult, type RequestScope } from '../commons/http';
import { toDeploymentView } from '../domain/deployment';
import { getDeployment as get } from '../use-cases/deployments';

export const getDeployment = async (event: ApiEvent, { now }: RequestScope): Promise<ApiResult> => {
  const tenant = authorizeTenant(event, 'read');
  const record = await get(tenant, deploymentIdOf(event));
  return json(200, toDeploymentView(record, now));
};

export const handler = apiHandler(getDeployment);
