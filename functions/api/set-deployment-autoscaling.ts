/** PUT …/aimodels/{model_id}/autoscaling: a new scale range {min_replicas, max_replicas} and load-scaling settings (200, the deployment). */
import { apiHandler, authorizeTenant, deploymentIdOf, headerOf, json, type ApiEvent, type ApiResult, type RequestScope } from '../commons/http';
import { parseJsonBody } from '../commons/json-body';
import { toDeploymentView } from '../domain/deployment';
import { scaleRangeSchema } from '../../contract/requests/scale';
import { parseOrThrow } from '../domain/requests';
import { changeScaleRange } from '../use-cases/scale-range';
import { deploymentStore } from '../wiring/deployment-store';

const ports = { deployments: deploymentStore };

export const setDeploymentAutoscaling = async (event: ApiEvent, { now }: RequestScope): Promise<ApiResult> => {
  const tenant = authorizeTenant(event, 'write');
  const id = deploymentIdOf(event);
  const body = parseOrThrow(scaleRangeSchema, parseJsonBody(event.body, event.isBase64Encoded, headerOf(event, 'content-type')));
  return json(200, toDeploymentView(await changeScaleRange(ports, tenant, id, body, now), now));
};

export const handler = apiHandler(setDeploymentAutoscaling);
