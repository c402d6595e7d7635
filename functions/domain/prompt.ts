/**
 * POST …/aimodels/{id}/prompt and GET …/{id}/models (the SLURM server's vLLM routes): the
 * OpenAI-compatible call a prompt (contract/requests/prompt.ts) becomes, and how the model
 * server's answer (or failure) becomes ours. Pure.
 */
import type { PromptAnswer, ServedModelList } from '../../contract/api-schemas';
import type { PromptRequest } from '../../contract/requests/prompt';
import * as z from 'zod';
import type { DeploymentRecord } from './deployment';
import { BadGatewayError, ConflictError, GatewayTimeoutError, ValidationError } from './errors';

/**
 * How long a model server may take: what the invocation has left minus a margin to answer, so a
 * slow model server is our 504 before the function is killed (which the caller would see as a
 * bare 500/503 from the API gateway). The route's Lambda timeout is the only limit.
 */
const ANSWER_MARGIN_MS = 1_000;

export const modelServerBudgetMs = (remainingMs: number): number => Math.max(1, remainingMs - ANSWER_MARGIN_MS);

/** Only a ready deployment serves (while scaling it still does, on its current replicas). */
export const checkServing = (record: Pick<DeploymentRecord, 'id' | 'status' | 'phase'>): void => {
  if (record.status !== 'ready') {
    throw new ConflictError(`deployment '${record.id}' is ${record.status} (${record.phase}); it answers prompts once it is ready`);
  }
};

export const servedModelName = (record: Pick<DeploymentRecord, 'name'>): string => record.name;

/** The OpenAI-compatible call a prompt becomes: path on the model server and body. */
export const modelServerRequest = (record: Pick<DeploymentRecord, 'name'>, request: PromptRequest): { path: string; body: Record<string, unknown> } => {
  const common = {
    model: request.model ?? servedModelName(record),
    max_tokens: request.max_tokens,
    ...(request.temperature === undefined ? {} : { temperature: request.temperature }),
  };
  return request.mode === 'chat'
    ? { path: 'v1/chat/completions', body: { ...common, messages: [{ role: 'user', content: request.prompt }] } }
    : { path: 'v1/completions', body: { ...common, prompt: request.prompt } };
};

const usageSchema = z.object({ prompt_tokens: z.number(), completion_tokens: z.number(), total_tokens: z.number() });
const chatAnswer = z.object({
  id: z.string().optional(),
  model: z.string(),
  choices: z.array(z.object({ message: z.object({ content: z.string().nullable() }), finish_reason: z.string().nullable() })).min(1),
  usage: usageSchema.optional(),
});
const completionAnswer = z.object({
  id: z.string().optional(),
  model: z.string(),
  choices: z.array(z.object({ text: z.string(), finish_reason: z.string().nullable() })).min(1),
  usage: usageSchema.optional(),
});

export type { PromptAnswer, PromptRequest };

/** Our answer from the model server's OpenAI response; anything else is a 502. */
export const promptAnswer = (deploymentId: string, mode: PromptRequest['mode'], body: unknown): PromptAnswer => {
  if (mode === 'chat') {
    const parsed = chatAnswer.safeParse(body);
    if (!parsed.success) throw new BadGatewayError(`the model server of deployment '${deploymentId}' sent an answer that is not an OpenAI chat completion`);
    const [choice] = parsed.data.choices;
    return { deployment_id: deploymentId, model: parsed.data.model, mode, answer: choice?.message.content ?? '', finish_reason: choice?.finish_reason ?? null, usage: parsed.data.usage ?? null };
  }
  const parsed = completionAnswer.safeParse(body);
  if (!parsed.success) throw new BadGatewayError(`the model server of deployment '${deploymentId}' sent an answer that is not an OpenAI completion`);
  const [choice] = parsed.data.choices;
  return { deployment_id: deploymentId, model: parsed.data.model, mode, answer: choice?.text ?? '', finish_reason: choice?.finish_reason ?? null, usage: parsed.data.usage ?? null };
};

const servedModel = z.object({ id: z.string(), object: z.string().optional(), created: z.number().optional(), owned_by: z.string().optional(), root: z.string().nullable().optional(), max_model_len: z.number().nullable().optional() });
const modelList = z.object({ data: z.array(servedModel) });

/** GET …/models: vLLM's /v1/models list, as items. */
export const servedModels = (deploymentId: string, body: unknown): ServedModelList => {
  const parsed = modelList.safeParse(body);
  if (!parsed.success) throw new BadGatewayError(`the model server of deployment '${deploymentId}' sent a /v1/models answer that is not an OpenAI model list`);
  return {
    deployment_id: deploymentId,
    items: parsed.data.data.map((m) => ({ id: m.id, root: m.root ?? null, max_model_len: m.max_model_len ?? null, owned_by: m.owned_by ?? null, created: m.created ?? null })),
  };
};

/** The message inside an OpenAI-style error (`{error: {message}}` or `{message}`), or a Kubernetes Status. */
const messageOf = (body: unknown): string | undefined => {
  if (typeof body === 'string') return body.slice(0, 500) || undefined;
  if (typeof body !== 'object' || body === null) return undefined;
  const record = body as { error?: unknown; message?: unknown };
  if (typeof record.error === 'object' && record.error !== null && typeof (record.error as { message?: unknown }).message === 'string') {
    return ((record.error as { message: string }).message).slice(0, 500);
  }
  if (typeof record.message === 'string') return record.message.slice(0, 500);
  return undefined;
};

export type ModelServerFailure =
  | { kind: 'http_error'; status: number; body: unknown }
  | { kind: 'timeout' }
  | { kind: 'unreachable'; message: string };

/**
 * A failed call as the API error the caller gets: the model server refusing the request
 * (its 4xx: a wrong `model` is vLLM's 404, too many tokens for the context a 400) is the
 * caller's 400; its 5xx, the gateway's own refusals (no ready replica, the credential) or a
 * Kubernetes Status, or no connection, are 502; no answer in time is 504.
 */
export const modelServerError = (deploymentId: string, failure: ModelServerFailure, timeoutMs: number): Error => {
  if (failure.kind === 'timeout') {
    return new GatewayTimeoutError(
      `the model server of deployment '${deploymentId}' did not answer within ${(timeoutMs / 1000).toFixed(1)} s; ask for fewer max_tokens, or call the deployment's endpoint_url for long generations`,
    );
  }
  if (failure.kind === 'unreachable') {
    return new BadGatewayError(`the model server of deployment '${deploymentId}' could not be reached: ${failure.message}`);
  }
  const detail = messageOf(failure.body) ?? `HTTP ${failure.status}`;
  // A Kubernetes Status is not vLLM's answer either (a proxy in between: no Ready endpoint, Service gone).
  // 401/403 are the gateway or the model server refusing the control plane's credential: ours to fix, not the caller's.
  const fromProxy =
    failure.status === 401 || failure.status === 403 || (typeof failure.body === 'object' && failure.body !== null && (failure.body as { kind?: unknown }).kind === 'Status');
  if (!fromProxy && failure.status >= 400 && failure.status < 500 && failure.status !== 429) {
    return new ValidationError(`the model server refused the request: ${detail}`, /model/i.test(detail) ? 'model' : undefined);
  }
  return new BadGatewayError(`the model server of deployment '${deploymentId}' failed (HTTP ${failure.status}): ${detail}`);
};
