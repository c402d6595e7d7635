/**
 * Talking to a deployment's own model server (vLLM's OpenAI-compatible API) through the
 * Kubernetes service proxy: a prompt, and the list of models it serves. Only a ready
 * deployment is asked; another tenant's is a 404 like any read.
 */
import { callModelServer } from '../adapters/model-server-proxy';
import { workloadName, type Tenant } from '../domain/deployment';
import {
  checkServing,
  MODELS_TIMEOUT_MS,
  modelServerBudgetMs,
  modelServerError,
  modelServerRequest,
  PROMPT_TIMEOUT_MS,
  promptAnswer,
  servedModels,
  type PromptAnswer,
  type PromptRequest,
} from '../domain/prompt';
import { getDeployment } from './deployments';

/** `remainingMs`: what the invocation has left (Lambda's getRemainingTimeInMillis), so a slow model server is a 504, not a killed function. */
export const promptDeployment = async (tenant: Tenant, id: string, request: PromptRequest, remainingMs: number): Promise<PromptAnswer> => {
  const record = await getDeployment(tenant, id);
  checkServing(record);
  const { path, body } = modelServerRequest(record, request);
  const timeoutMs = modelServerBudgetMs(PROMPT_TIMEOUT_MS, remainingMs);
  const result = await callModelServer(workloadName(record.id), { method: 'POST', path, body, timeoutMs });
  if (result.kind !== 'ok') throw modelServerError(id, result, timeoutMs);
  return promptAnswer(id, request.mode, result.body);
};

export const listServedModels = async (tenant: Tenant, id: string, remainingMs: number) => {
  const record = await getDeployment(tenant, id);
  checkServing(record);
  const timeoutMs = modelServerBudgetMs(MODELS_TIMEOUT_MS, remainingMs);
  const result = await callModelServer(workloadName(record.id), { method: 'GET', path: 'v1/models', timeoutMs });
  if (result.kind !== 'ok') throw modelServerError(id, result, timeoutMs);
  return servedModels(id, result.body);
};
