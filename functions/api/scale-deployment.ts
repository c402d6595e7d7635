/** PUT …/aimodels/{model_id}/scale: change replicas; the scale workflow does the work. */
import { apiHandler, authorizeTenant, deploymentIdOf, headerOf, json, type ApiEvent, type ApiResult, type RequestScope } from '../commons/http';
import { parseJsonBody } from '../commons/json-body';
import { toDeploymentView } from '../domain/deployment';
import { scaleDeploymentSchema } from '../../contract/requests/scale';
import { parseOrThrow } from '../domain/requests';
import { scaleDeployment as scale } from '../use-cases/deployments';
import { capacityLedger } from '../wiring/capacity-ledger';
import { deploymentStore } from '../wiring/deployment-store';
import { workflowEngine } from '../wiring/workflow-engine';

const ports = { deployments: deploymentStore, ledger: capacityLedger, workflows: workflowEngine };

export const scaleDeployment = async (event: ApiEvent, { now }: RequestScope): Promise<ApiResult> => {
  const tenant = authorizeTenant(event, 'write');
  const id = deploymentIdOf(event);
  const { replicas } = parseOrThrow(scaleDeploymentSchema, parseJsonBody(event.body, event.isBase64Encoded, headerOf(event, 'content-type')));
  const record = await scale(ports, tenant, id, replicas, now);
  return json(200, toDeploymentView(record, now));
};

export const handler = apiHandler(scaleDeployment);
