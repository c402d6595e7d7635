/** GET …/inference-keys/{key_id}: one key of the project, never the key itself. */
import { apiHandler, authorizeTenant, json, type ApiEvent, type ApiResult, type RequestScope } from '../commons/http';
import { toInferenceKeyView } from '../domain/inference-key-views';
import { checkKeyId, findInferenceKey } from '../use-cases/inference-keys';
import { inferenceKeyStore } from '../wiring/inference-keys';

const ports = { inferenceKeys: inferenceKeyStore };

export const getInferenceKey = async (event: ApiEvent, { now }: RequestScope): Promise<ApiResult> => {
  const tenant = authorizeTenant(event, 'read');
  return json(200, toInferenceKeyView(await findInferenceKey(ports, tenant, checkKeyId(event.pathParameters?.key_id)), now));
};

export const handler = apiHandler(getInferenceKey);
