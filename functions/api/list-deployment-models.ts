/** GET …/aimodels/{model_id}/models: what the deployment's model server serves (vLLM's /v1/models). */
import { apiHandler, authorizeTenant, deploymentIdOf, json, type ApiEvent, type ApiResult, type RequestScope } from '../commons/http';
import { listServedModels } from '../use-cases/model-server';
import { deploymentStore } from '../wiring/deployment-store';
import { gatewaySecrets } from '../wiring/gateway-secrets';
import { modelServers } from '../wiring/model-servers';

const ports = { deployments: deploymentStore, modelServers, gatewaySecrets };

export const listDeploymentModels = async (event: ApiEvent, { context }: RequestScope): Promise<ApiResult> => {
  const tenant = authorizeTenant(event, 'read');
  return json(200, await listServedModels(ports, tenant, deploymentIdOf(event), context.getRemainingTimeInMillis()));
};

export const handler = apiHandler(listDeploymentModels);
