/** DELETE …/inference-keys/{key_id}: revoked (204), also when it already was; it stays listed with `revoked_at`. */
import { apiHandler, authorizeTenant, noContent, type ApiEvent, type ApiResult, type RequestScope } from '../commons/http';
import { checkKeyId, revokeInferenceKey as revoke } from '../use-cases/inference-keys';
import { inferenceKeyStore } from '../wiring/inference-keys';

const ports = { inferenceKeys: inferenceKeyStore };

export const revokeInferenceKey = async (event: ApiEvent, { now }: RequestScope): Promise<ApiResult> => {
  const tenant = authorizeTenant(event, 'write');
  await revoke(ports, tenant, checkKeyId(event.pathParameters?.key_id), now);
  return noContent();
};

export const handler = apiHandler(revokeInferenceKey);
