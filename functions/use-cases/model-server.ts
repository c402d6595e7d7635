/**
 * Talking to a deployment's own model server (vLLM's OpenAI-compatible API) through the
 * Kubernetes service proxy: a prompt, and the list of models it serves. Only a ready
 * deployment is asked; another tenant's is a 404 like any read.
 */
import { callModelServer } from '../adapters/kubernetes';
import { workloadName, type Tenant } from '../domain/deployment';
import {
  checkServing,
  MODELS_TIMEOUT_MS,
  modelServerError,
  modelServerRequest,
  PROMPT_TIMEOUT_MS,
  promptAnswer,
  servedModels,
  type PromptAnswer,
  type PromptRequest,
} from '../domain/prompt';
import { getDeployment } from './deployments';

export const promptDeployment = async (tenant: Tenant, id: string, request: PromptRequest): Promise<PromptAnswer> => {
  const record = await getDeployment(tenant, id);
  checkServing(record);
  const { path, body } = modelServerRequest(record, request);
  const result = await callModelServer(workloadName(record.id), { method: 'POST', path, body, timeoutMs: PROMPT_TIMEOUT_MS });
  if (result.kind !== 'ok') throw modelServerError(id, result, PROMPT_TIMEOUT_MS);
  return promptAnswer(id, request.mode, result.body);
};

export const listServedModels = async (tenant: Tenant, id: string) => {
  const record = await getDeployment(tenant, id);
  checkServing(record);
  const result = await callModelServer(workloadName(record.id), { method: 'GET', path: 'v1/models', timeoutMs: MODELS_TIMEOUT_MS });
  if (result.kind !== 'ok') throw modelServerError(id, result, MODELS_TIMEOUT_MS);
  return servedModels(id, result.body);
};
