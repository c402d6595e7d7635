/**
 * The HTTP surface of one simulated `vllm serve` (0.11) process: /health, /ping, /version,
 * /metrics, /v1/models, /v1/chat/completions, /v1/completions (JSON or SSE), /v1/embeddings
 * (refused on a generative model), --api-key on /v1 paths, --enable-request-id-headers.
 * Completions go through the replica's Engine, so they take the time the throughput model says.
 */
import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { jsonResponse, parseJsonBody, textResponse, type SimRequest, type SimResponse } from '../../http.js';
import type { Engine } from './engine.js';
import { renderMetrics, type MetricsSnapshot } from './metrics.js';
import { OpenAiError, planRequest, type ChoicePlan, type RequestPlan } from './requests.js';

export const VLLM_VERSION = '0.11.0';

export interface PodServer {
  servedModelName: string;
  model: string;
  maxModelLen: number;
  /** Seconds since epoch the server started (the `created` of /v1/models). */
  startedAt: number;
  apiKeys: string[];
  requestIdHeaders: boolean;
  /** --enable-force-include-usage */
  forceIncludeUsage?: boolean;
  engine: Engine;
  metrics(): MetricsSnapshot;
}

type StreamingResponse = SimResponse;

const errorBody = (e: OpenAiError) => ({ error: { message: e.message, type: e.type, param: null, code: e.status } });

const hash = (text: string): number => {
  let h = 2166136261;
  for (let i = 0; i < text.length; i += 1) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return h >>> 0;
};

const ALTERNATIVES = [' the', ',', ' a', '.', ' and', ' is', ' of', ' to', ' I', ' it', ' that', ' in', ' you', ' for', ' on', ' with', ' as', ' was', ' be', ' at'];

/** Deterministic logprobs: the sampled token is the most likely; the alternatives trail it. */
const logprobsOf = (token: string, position: number, k: number): { logprob: number; top: [string, number][] } => {
  const logprob = -((hash(`${token}#${position}`) % 900) / 1000) - 0.001;
  const top: [string, number][] = [[token, logprob]];
  for (const alt of ALTERNATIVES) {
    if (top.length >= k) break;
    if (alt !== token) top.push([alt, logprob - 1 - top.length * 0.75]);
  }
  return { logprob, top: top.slice(0, k) };
};

const bytes = (s: string): number[] => [...Buffer.from(s, 'utf8')];

const chatLogprobs = (tokens: string[], from: number, k: number) => ({
  content: tokens.map((token, i) => {
    const lp = logprobsOf(token, from + i, k);
    return { token, logprob: lp.logprob, bytes: bytes(token), top_logprobs: lp.top.map(([t, l]) => ({ token: t, logprob: l, bytes: bytes(t) })) };
  }),
});

const completionLogprobs = (tokens: string[], from: number, offset: number, k: number) => {
  const text_offset: number[] = [];
  let at = offset;
  for (const t of tokens) {
    text_offset.push(at);
    at += t.length;
  }
  const lps = tokens.map((t, i) => logprobsOf(t, from + i, Math.max(1, k)));
  return { text_offset, token_logprobs: lps.map((l) => l.logprob), tokens, top_logprobs: lps.map((l) => Object.fromEntries(l.top.slice(0, Math.max(1, k)))) };
};

const completion = (server: PodServer, plan: RequestPlan, requestId: string, headers: Record<string, string>): StreamingResponse => {
  const id = `${plan.chat ? 'chatcmpl' : 'cmpl'}-${requestId}`;
  const created = Math.floor(Date.now() / 1000);
  const object = plan.chat ? 'chat.completion' : 'text_completion';
  const chunkObject = plan.chat ? 'chat.completion.chunk' : 'text_completion';
  const choices = plan.prompts.flatMap((p) => p.choices);
  const promptTokens = plan.prompts.reduce((sum, p) => sum + p.promptTokens, 0);
  const produced = new Map<number, number>(choices.map((c) => [c.index, 0]));
  const completionTokens = (): number => [...produced.values()].reduce((a, b) => a + b, 0);
  const usage = () => ({ prompt_tokens: promptTokens, total_tokens: promptTokens + completionTokens(), completion_tokens: completionTokens() });

  const stream = (res: ServerResponse): void => {
    let ended = false;
    const sequences: { abort(): void }[] = [];
    let remaining = choices.length;
    res.on('close', () => {
      if (ended) return;
      ended = true;
      for (const s of sequences) s.abort();
    });
    const send = (payload: Record<string, unknown>): string => {
      const chunk = { id, object: chunkObject, created, model: plan.model, ...payload };
      return `data: ${JSON.stringify(plan.continuousUsage && !('usage' in chunk) ? { ...chunk, usage: usage() } : chunk)}\n\n`;
    };
    if (plan.stream) {
      res.writeHead(200, { ...headers, 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' });
      if (plan.chat) {
        res.write(choices.map((c) => send({ choices: [{ index: c.index, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }] })).join(''));
      }
    }
    const offsets = new Map<number, number>();
    const deltas = (choice: ChoicePlan, from: number, to: number, reason: string | null): string => {
      let out = '';
      for (let k = from; k < to; k += 1) {
        const token = choice.tokens[k] as string;
        produced.set(choice.index, k + 1);
        const last = k === to - 1 ? reason : null;
        const offset = offsets.get(choice.index) ?? 0;
        offsets.set(choice.index, offset + token.length);
        const lp = plan.logprobs === undefined ? null : plan.chat ? chatLogprobs([token], k, plan.logprobs) : completionLogprobs([token], k, offset, plan.logprobs);
        const body = plan.chat
          ? { index: choice.index, delta: { content: token }, logprobs: lp, finish_reason: last, ...(last ? { stop_reason: null } : {}) }
          : { index: choice.index, text: token, logprobs: lp, finish_reason: last, stop_reason: null };
        out += send({ choices: [body] });
      }
      return out;
    };
    const done = (): void => {
      ended = true;
      if (plan.stream) {
        if (plan.includeUsage) res.write(`data: ${JSON.stringify({ id, object: chunkObject, created, model: plan.model, choices: [], usage: usage() })}\n\n`);
        res.end('data: [DONE]\n\n');
        return;
      }
      const body = {
        id,
        object,
        created,
        model: plan.model,
        choices: choices.map((c) => {
          const text = c.tokens.join('');
          const lp = plan.logprobs === undefined ? null : plan.chat ? chatLogprobs(c.tokens, 0, plan.logprobs) : completionLogprobs(c.tokens, 0, 0, plan.logprobs);
          return plan.chat
            ? { index: c.index, message: { role: 'assistant', content: text, refusal: null, annotations: null, audio: null, function_call: null, tool_calls: [], reasoning_content: null }, logprobs: lp, finish_reason: c.finishReason, stop_reason: null }
            : { index: c.index, text, logprobs: lp, finish_reason: c.finishReason, stop_reason: null, prompt_logprobs: null };
        }),
        service_tier: null,
        system_fingerprint: null,
        usage: { ...usage(), prompt_tokens_details: null },
        ...(plan.chat ? { prompt_logprobs: null } : {}),
        kv_transfer_params: null,
      };
      const text = JSON.stringify(body);
      res.writeHead(200, { ...headers, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)) });
      res.end(text);
    };
    for (const prompt of plan.prompts) {
      prompt.choices.forEach((choice, i) => {
        let sent = 0;
        sequences.push(
          server.engine.submit({
            promptTokens: prompt.promptTokens,
            outputTokens: choice.tokens.length,
            finishReason: choice.finishReason,
            countPrompt: i === 0,
            onTokens: (count) => {
              if (ended) return;
              if (plan.stream) res.write(deltas(choice, sent, count, count === choice.tokens.length ? choice.finishReason : null));
              else produced.set(choice.index, count);
              sent = count;
            },
            onKilled: () => {
              if (ended) return;
              ended = true;
              res.destroy();
            },
            onFinish: (reason) => {
              if (ended || reason === 'abort') return;
              remaining -= 1;
              if (remaining === 0) done();
            },
          }),
        );
      });
    }
  };
  return { status: 200, headers, body: '', respond: stream };
};

const authorized = (server: PodServer, req: SimRequest, path: string): boolean => {
  if (server.apiKeys.length === 0 || !path.startsWith('/v1') || req.method === 'OPTIONS') return true;
  const given = req.headers.authorization;
  return server.apiKeys.some((key) => given === `Bearer ${key}`);
};

const ROUTES: Record<string, string[]> = {
  '/health': ['GET'],
  '/ping': ['GET', 'POST'],
  '/version': ['GET'],
  '/metrics': ['GET'],
  '/v1/models': ['GET'],
  '/v1/chat/completions': ['POST'],
  '/v1/completions': ['POST'],
  '/v1/embeddings': ['POST'],
};

/** One request to the pod's server. */
export const servePod = (server: PodServer, req: SimRequest, path: string): StreamingResponse => {
  const headers: Record<string, string> = {};
  let requestId = randomUUID().replace(/-/g, '');
  if (server.requestIdHeaders) {
    const given = req.headers['x-request-id'];
    if (typeof given === 'string' && given.length > 0) requestId = given;
    headers['x-request-id'] = requestId;
  }
  const withHeaders = (r: SimResponse): StreamingResponse => ({ ...r, headers: { ...r.headers, ...headers } });
  if (!authorized(server, req, path)) return withHeaders(jsonResponse(401, { error: 'Unauthorized' }));
  const methods = ROUTES[path];
  if (!methods) return withHeaders(jsonResponse(404, { detail: 'Not Found' }));
  if (!methods.includes(req.method)) return withHeaders(jsonResponse(405, { detail: 'Method Not Allowed' }));
  switch (path) {
    case '/health':
    case '/ping':
      return withHeaders(textResponse(200, ''));
    case '/version':
      return withHeaders(jsonResponse(200, { version: VLLM_VERSION }));
    case '/metrics':
      return withHeaders(textResponse(200, renderMetrics(server.metrics()), 'text/plain; version=0.0.4; charset=utf-8'));
    case '/v1/models':
      return withHeaders(
        jsonResponse(200, {
          object: 'list',
          data: [
            {
              id: server.servedModelName,
              object: 'model',
              created: server.startedAt,
              owned_by: 'vllm',
              root: server.model,
              parent: null,
              max_model_len: server.maxModelLen,
              permission: [
                { id: `modelperm-${requestId}`, object: 'model_permission', created: server.startedAt, allow_create_engine: false, allow_sampling: true, allow_logprobs: true, allow_search_indices: false, allow_view: true, allow_fine_tuning: false, organization: '*', group: null, is_blocking: false },
              ],
            },
          ],
        }),
      );
    case '/v1/embeddings':
      return withHeaders(jsonResponse(400, errorBody(new OpenAiError(400, 'BadRequestError', 'The model does not support Embeddings API'))));
    default: {
      const chat = path === '/v1/chat/completions';
      try {
        let body: unknown;
        try {
          body = parseJsonBody(req);
        } catch {
          throw new OpenAiError(400, 'BadRequestError', 'JSON decode error: the request body is not valid JSON');
        }
        return completion(server, planRequest(body, chat, server.servedModelName, server.maxModelLen, server.forceIncludeUsage), requestId, headers);
      } catch (error) {
        if (error instanceof OpenAiError) return withHeaders(jsonResponse(error.status, errorBody(error)));
        throw error;
      }
    }
  }
};
