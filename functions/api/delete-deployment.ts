/** DELETE …/aimodels/{model_id}: accepted at once (204); the delete workflow releases everything. */
import { apiHandler, authorizeTenant, deploymentIdOf, noContent, type ApiEvent, type ApiResult, type RequestScope } from '../commons/http';
import { deleteDeployment as remove } from '../use-cases/deployments';
import { deploymentStore } from '../wiring/deployment-store';
import { workflowEngine } from '../wiring/workflow-engine';

const ports = { deployments: deploymentStore, workflows: workflowEngine };

export const deleteDeployment = async (event: ApiEvent, { now }: RequestScope): Promise<ApiResult> => {
  const tenant = authorizeTenant(event, 'write');
  await remove(ports, tenant, deploymentIdOf(event), now);
  return noContent();
};

export const handler = apiHandler(deleteDeployment);
