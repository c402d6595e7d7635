/**
 * Talking to a deployment's own model server (vLLM's OpenAI-compatible API) the way its customers
 * do: through the inference gateway at its endpoint_url, with the control plane's own credential
 * for that deployment. A prompt, and the list of models it serves. Only a ready deployment is
 * asked; another tenant's is a 404 like any read.
 */
import type { DeploymentRecord, Tenant } from '../domain/deployment';
import { ConflictError } from '../domain/errors';
import {
  checkServing,
  modelServerBudgetMs,
  modelServerError,
  modelServerRequest,
  promptAnswer,
  servedModels,
  type PromptAnswer,
  type PromptRequest,
} from '../domain/prompt';
import type { Ports } from '../ports';
import { findDeployment } from './ownership';

type ModelServerPorts = Pick<Ports, 'deployments' | 'modelServers' | 'gatewaySecrets'>;

/** Where and as whom the control plane calls a ready deployment: its endpoint, with the control plane's own credential for it. */
const through = async (ports: ModelServerPorts, record: DeploymentRecord): Promise<{ endpointUrl: string; apiKey: string }> => {
  if (!record.endpoint_url) throw new ConflictError(`deployment ${record.id} has no endpoint yet`);
  return { endpointUrl: record.endpoint_url, apiKey: await ports.gatewaySecrets.controlPlaneKey(record.id) };
};

/** `remainingMs`: what the invocation has left (Lambda's getRemainingTimeInMillis), so a slow model server is a 504, not a killed function. */
export const promptDeployment = async (ports: ModelServerPorts, tenant: Tenant, id: string, request: PromptRequest, remainingMs: number): Promise<PromptAnswer> => {
  const record = await findDeployment(ports, tenant, id);
  checkServing(record);
  const { path, body } = modelServerRequest(record, request);
  const timeoutMs = modelServerBudgetMs(remainingMs);
  const result = await ports.modelServers.call({ method: 'POST', path, body, timeoutMs, ...(await through(ports, record)) });
  if (result.kind !== 'ok') throw modelServerError(id, result, timeoutMs);
  return promptAnswer(id, request.mode, result.body);
};

export const listServedModels = async (ports: ModelServerPorts, tenant: Tenant, id: string, remainingMs: number) => {
  const record = await findDeployment(ports, tenant, id);
  checkServing(record);
  const timeoutMs = modelServerBudgetMs(remainingMs);
  const result = await ports.modelServers.call({ method: 'GET', path: 'v1/models', timeoutMs, ...(await through(ports, record)) });
  if (result.kind !== 'ok') throw modelServerError(id, result, timeoutMs);
  return servedModels(id, result.body);
};
