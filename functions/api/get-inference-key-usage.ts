/** GET …/inference-keys/{key_id}/usage: requests and tokens per deployment per UTC day. */
import { apiHandler, authorizeTenant, json, type ApiEvent, type ApiResult, type RequestScope } from '../commons/http';
import { keyUsageView } from '../domain/inference-key-views';
import { checkKeyId, inferenceKeyUsage } from '../use-cases/inference-keys';
import { inferenceKeyStore } from '../wiring/inference-keys';
import { tokenUsageStore } from '../wiring/token-usage';

const ports = { inferenceKeys: inferenceKeyStore, tokenUsage: tokenUsageStore };

export const getInferenceKeyUsage = async (event: ApiEvent, { now }: RequestScope): Promise<ApiResult> => {
  const tenant = authorizeTenant(event, 'read');
  const keyId = checkKeyId(event.pathParameters?.key_id);
  return json(200, keyUsageView(keyId, await inferenceKeyUsage(ports, tenant, keyId), now));
};

export const handler = apiHandler(getInferenceKeyUsage);
