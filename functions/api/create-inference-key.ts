/** POST …/inference-keys: a new key, shown in this answer only. */
import { apiHandler, authorizeTenant, callerOf, headerOf, json, type ApiEvent, type ApiResult, type RequestScope } from '../commons/http';
import { parseJsonBody } from '../commons/json-body';
import { createInferenceKeySchema } from '../../contract/requests/inference-keys';
import type { CreatedInferenceKeyView } from '../../contract/api-schemas';
import { toInferenceKeyView } from '../domain/inference-key-views';
import { parseOrThrow } from '../domain/requests';
import { createInferenceKey as create } from '../use-cases/inference-keys';
import { deploymentStore } from '../wiring/deployment-store';
import { gatewaySecrets } from '../wiring/gateway-secrets';
import { inferenceKeyStore } from '../wiring/inference-keys';

const ports = { inferenceKeys: inferenceKeyStore, gatewaySecrets, deployments: deploymentStore };

export const createInferenceKey = async (event: ApiEvent, { now }: RequestScope): Promise<ApiResult> => {
  const tenant = authorizeTenant(event, 'write');
  const request = parseOrThrow(createInferenceKeySchema, parseJsonBody(event.body, event.isBase64Encoded, headerOf(event, 'content-type')));
  const { record, key } = await create(ports, tenant, request, callerOf(event).sub, now);
  const view: CreatedInferenceKeyView = { ...toInferenceKeyView(record, now), key };
  return json(201, view);
};

export const handler = apiHandler(createInferenceKey);
