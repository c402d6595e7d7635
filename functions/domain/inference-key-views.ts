/** What the API shows of inference keys and token counters (contract/api-schemas.ts): never a key's hash. */
import type { InferenceKeyView, InferenceKeyUsageView, TokenFigures } from '../../contract/api-schemas';
import type { TokenUsageDay } from '../ports';
import { keyState, type InferenceKeyRecord } from './inference-keys';

export const toInferenceKeyView = (record: InferenceKeyRecord, now: Date): InferenceKeyView => ({
  id: record.id,
  name: record.name,
  key_prefix: record.key_prefix,
  created_at: record.created_at,
  expires_at: record.expires_at,
  revoked_at: record.revoked_at,
  state: keyState(record, now),
  deployment_ids: record.deployment_ids,
  limits: record.limits,
});

const figuresOf = (day: TokenUsageDay): TokenFigures => ({
  requests: day.requests,
  prompt_tokens: day.promptTokens,
  completion_tokens: day.completionTokens,
  estimated_requests: day.estimatedRequests,
});

const sum = (days: readonly TokenFigures[]): TokenFigures =>
  days.reduce(
    (total, day) => ({
      requests: total.requests + day.requests,
      prompt_tokens: total.prompt_tokens + day.prompt_tokens,
      completion_tokens: total.completion_tokens + day.completion_tokens,
      estimated_requests: total.estimated_requests + day.estimated_requests,
    }),
    { requests: 0, prompt_tokens: 0, completion_tokens: 0, estimated_requests: 0 },
  );

/** One key's counters per day and deployment, with their total. */
export const keyUsageView = (keyId: string, days: readonly TokenUsageDay[], now: Date): InferenceKeyUsageView => {
  const rows = days.map((day) => ({ date: day.day, deployment_id: day.deploymentId, ...figuresOf(day) }));
  return { key_id: keyId, as_of: now.toISOString(), total: sum(rows), days: rows };
};

/** A deployment's counters per day (every key summed), with their total: the `tokens` of its usage. */
export const deploymentTokensView = (days: readonly TokenUsageDay[]): { total: TokenFigures; days: (TokenFigures & { date: string })[] } => {
  const rows = days.map((day) => ({ date: day.day, ...figuresOf(day) }));
  return { total: sum(rows), days: rows };
};
