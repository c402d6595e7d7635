/** POST …/aimodels: validate against catalog and inventory, record, start the deploy workflow. */
import { apiHandler, authorizeTenant, headerOf, json, type ApiEvent, type ApiResult, type RequestScope } from '../commons/http';
import { parseJsonBody } from '../commons/json-body';
import { toDeploymentView } from '../domain/deployment';
import { createDeploymentSchema, parseOrThrow, resolveDeploymentSpec } from '../domain/requests';
import { createDeployment as create } from '../use-cases/deployments';

export const createDeployment = async (event: ApiEvent, { now }: RequestScope): Promise<ApiResult> => {
  const tenant = authorizeTenant(event, 'write');
  const body = parseJsonBody(event.body, event.isBase64Encoded, headerOf(event, 'content-type'));
  const spec = resolveDeploymentSpec(parseOrThrow(createDeploymentSchema, body));
  const record = await create(tenant, spec, now);
  return json(201, toDeploymentView(record, now));
};

export const handler = apiHandler(createDeployment);
