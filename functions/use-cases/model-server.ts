/**
 * Talking to a deployment's own model server (vLLM's OpenAI-compatible API) through the
 * Kubernetes service proxy: a prompt, and the list of models it serves. Only a ready
 * deployment is asked; another tenant's is a 404 like any read.
 */
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
import type { Ports } from '../ports';
import { findDeployment } from './ownership';

type ModelServerPorts = Pick<Ports, 'deployments' | 'cluster'>;

/** `remainingMs`: what the invocation has left (Lambda's getRemainingTimeInMillis), so a slow model server is a 504, not a killed function. */
export const promptDeployment = async (ports: ModelServerPorts, tenant: Tenant, id: string, request: PromptRequest, remainingMs: number): Promise<PromptAnswer> => {
  const record = await findDeployment(ports, tenant, id);
  checkServing(record);
  const { path, body } = modelServerRequest(record, request);
  const timeoutMs = modelServerBudgetMs(PROMPT_TIMEOUT_MS, remainingMs);
  const result = await ports.cluster.callModelServer(workloadName(record.id), { method: 'POST', path, body, timeoutMs });
  if (result.kind !== 'ok') throw modelServerError(id, result, timeoutMs);
  return promptAnswer(id, request.mode, result.body);
};

export const listServedModels = async (ports: ModelServerPorts, tenant: Tenant, id: string, remainingMs: number) => {
  const record = await findDeployment(ports, tenant, id);
  checkServing(record);
  const timeoutMs = modelServerBudgetMs(MODELS_TIMEOUT_MS, remainingMs);
  const result = await ports.cluster.callModelServer(workloadName(record.id), { method: 'GET', path: 'v1/models', timeoutMs });
  if (result.kind !== 'ok') throw modelServerError(id, result, timeoutMs);
  return servedModels(id, result.body);
};
