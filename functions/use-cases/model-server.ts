/**
 * Talking to a deployment's own model server (vLLM's OpenAI-compatible API) the way the
 * inference gateway does: its Service, with the model server's own key. A prompt, and the list
 * of models it serves. Only a ready deployment is asked; another tenant's is a 404 like any read.
 */
import { workloadName, type Tenant } from '../domain/deployment';
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

type ModelServerPorts = Pick<Ports, 'deployments' | 'cluster' | 'gatewaySecrets'>;

/** `remainingMs`: what the invocation has left (Lambda's getRemainingTimeInMillis), so a slow model server is a 504, not a killed function. */
export const promptDeployment = async (ports: ModelServerPorts, tenant: Tenant, id: string, request: PromptRequest, remainingMs: number): Promise<PromptAnswer> => {
  const record = await findDeployment(ports, tenant, id);
  checkServing(record);
  const { path, body } = modelServerRequest(record, request);
  const timeoutMs = modelServerBudgetMs(remainingMs);
  const apiKey = await ports.gatewaySecrets.modelServerKey(record.id);
  const result = await ports.cluster.callModelServer(workloadName(record.id), { method: 'POST', path, body, timeoutMs, apiKey });
  if (result.kind !== 'ok') throw modelServerError(id, result, timeoutMs);
  return promptAnswer(id, request.mode, result.body);
};

export const listServedModels = async (ports: ModelServerPorts, tenant: Tenant, id: string, remainingMs: number) => {
  const record = await findDeployment(ports, tenant, id);
  checkServing(record);
  const timeoutMs = modelServerBudgetMs(remainingMs);
  const apiKey = await ports.gatewaySecrets.modelServerKey(record.id);
  const result = await ports.cluster.callModelServer(workloadName(record.id), { method: 'GET', path: 'v1/models', timeoutMs, apiKey });
  if (result.kind !== 'ok') throw modelServerError(id, result, timeoutMs);
  return servedModels(id, result.body);
};
