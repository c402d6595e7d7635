/**
 * POST …/aimodels/{model_id}/prompt: one prompt to the deployment's model server, on the
 * inference gateway's path (its Service, with its own key); answers with the model's text (409 until ready, 502/504 when
 * the model server fails or is too slow).
 */
import { apiHandler, authorizeTenant, deploymentIdOf, headerOf, json, type ApiEvent, type ApiResult, type RequestScope } from '../commons/http';
import { parseJsonBody } from '../commons/json-body';
import { promptRequestSchema } from '../../contract/requests/prompt';
import { parseOrThrow } from '../domain/requests';
import { promptDeployment as prompt } from '../use-cases/model-server';
import { deploymentStore } from '../wiring/deployment-store';
import { gatewaySecrets } from '../wiring/gateway-secrets';
import { modelServers } from '../wiring/model-servers';

const ports = { deployments: deploymentStore, modelServers, gatewaySecrets };

export const promptDeployment = async (event: ApiEvent, { context }: RequestScope): Promise<ApiResult> => {
  const tenant = authorizeTenant(event, 'read');
  const id = deploymentIdOf(event);
  const request = parseOrThrow(promptRequestSchema, parseJsonBody(event.body, event.isBase64Encoded, headerOf(event, 'content-type')));
  return json(200, await prompt(ports, tenant, id, request, context.getRemainingTimeInMillis()));
};

export const handler = apiHandler(promptDeployment);
