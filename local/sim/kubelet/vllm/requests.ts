/**
 * Parsing and validating OpenAI requests the way vLLM 0.11's serving layer does, into a plan:
 * the prompt's token count and, per choice, the tokens the model will produce and why it stops.
 */
import { isRecord } from '../../apiserver/types.js';
import { chatPromptTokens, countTokens, pieces, type ChatMessage } from './tokenizer.js';

export class OpenAiError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

const bad = (message: string): OpenAiError => new OpenAiError(400, 'BadRequestError', message);

/** vLLM's --max-logprobs default. */
export const MAX_LOGPROBS = 20;
/** Without ignore_eos the simulated model ends its answer (EOS) after at most this many tokens. */
export const NATURAL_REPLY_TOKENS = 128;
/** The completions API's max_tokens default (OpenAI's, kept by vLLM). */
const COMPLETIONS_DEFAULT_MAX_TOKENS = 16;

export interface ChoicePlan {
  index: number;
  tokens: string[];
  finishReason: 'stop' | 'length';
}

export interface PromptPlan {
  promptTokens: number;
  choices: ChoicePlan[];
}

export interface RequestPlan {
  chat: boolean;
  model: string;
  stream: boolean;
  includeUsage: boolean;
  continuousUsage: boolean;
  /** Chat: top_logprobs when logprobs is true; completions: the `logprobs` integer. Undefined: none. */
  logprobs?: number;
  prompts: PromptPlan[];
}

const integer = (body: Record<string, unknown>, key: string, min: number): number | undefined => {
  const v = body[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v)) throw bad(`${key}: Input should be a valid integer`);
  if (v < min) throw bad(`${key} must be at least ${min}, got ${v}.`);
  return v;
};

const messagesOf = (raw: unknown): ChatMessage[] => {
  if (!Array.isArray(raw) || raw.length === 0) throw bad('messages: Field required (a non-empty list of messages)');
  return raw.map((m, i) => {
    if (!isRecord(m) || typeof m.role !== 'string') throw bad(`messages.${i}.role: Field required`);
    if (typeof m.content === 'string') return { role: m.role, content: m.content };
    if (m.content === null || m.content === undefined) return { role: m.role, content: '' };
    if (Array.isArray(m.content)) {
      const text = m.content.map((part) => (isRecord(part) && typeof part.text === 'string' ? part.text : '')).join('\n');
      return { role: m.role, content: text };
    }
    throw bad(`messages.${i}.content: Input should be a valid string or a list of content parts`);
  });
};

/** The deterministic answer (choice 0 keeps the simulator's historical wording). */
const answer = (model: string, prompt: string, choice: number): string[] => {
  const said = prompt.replace(/\s+/g, ' ').trim();
  const who = choice === 0 ? `This is ${model}, simulated.` : `This is ${model}, simulated (choice ${choice + 1}).`;
  return pieces(`${who} You said: ${said}`);
};

const choicesFor = (
  natural: string[],
  budget: number,
  minTokens: number,
  ignoreEos: boolean,
): { tokens: string[]; finishReason: 'stop' | 'length' } => {
  const base = natural.slice(0, NATURAL_REPLY_TOKENS);
  const wanted = ignoreEos ? budget : Math.max(base.length, Math.min(minTokens, budget));
  const tokens: string[] = [];
  while (tokens.length < Math.min(wanted, budget)) tokens.push(base[tokens.length % base.length] ?? ' ok');
  return { tokens, finishReason: ignoreEos || base.length > budget || wanted > tokens.length ? 'length' : 'stop' };
};

/** `forceIncludeUsage`: --enable-force-include-usage, a usage chunk on every stream whatever the client asked. */
export const planRequest = (body: unknown, chat: boolean, servedModelName: string, maxModelLen: number, forceIncludeUsage = false): RequestPlan => {
  if (!isRecord(body)) throw bad('the request body must be a JSON object');
  if (body.model !== undefined && body.model !== null && body.model !== servedModelName) {
    throw new OpenAiError(404, 'NotFoundError', `The model \`${String(body.model)}\` does not exist.`);
  }
  const stream = body.stream === true;
  const options = body.stream_options;
  if (options !== undefined && options !== null) {
    if (!stream) throw bad('Stream options can only be defined when `stream=True`.');
    if (!isRecord(options)) throw bad('stream_options: Input should be a valid dictionary');
  }
  const includeUsage = stream && (forceIncludeUsage || (isRecord(options) && options.include_usage === true));
  const continuousUsage = includeUsage && isRecord(options) && options.continuous_usage_stats === true;
  const n = integer(body, 'n', 1) ?? 1;
  const minTokens = integer(body, 'min_tokens', 0) ?? 0;
  const ignoreEos = body.ignore_eos === true;
  let logprobs: number | undefined;
  if (chat) {
    const top = integer(body, 'top_logprobs', 0);
    if (top !== undefined && body.logprobs !== true) throw bad('when using `top_logprobs`, `logprobs` must be set to true.');
    if (body.logprobs === true) logprobs = top ?? 0;
  } else {
    logprobs = integer(body, 'logprobs', 0);
  }
  if (logprobs !== undefined && logprobs > MAX_LOGPROBS) {
    throw bad(`Requested sample logprobs of ${logprobs}, which is greater than max allowed: ${MAX_LOGPROBS}`);
  }
  if (chat && Array.isArray(body.tools) && body.tools.length > 0) {
    const choice = body.tool_choice ?? 'auto';
    if (choice === 'auto') throw bad('"auto" tool choice requires --enable-auto-tool-choice and --tool-call-parser to be set');
  }

  let texts: { text: string; tokens: number }[];
  if (chat) {
    const messages = messagesOf(body.messages);
    const last = messages.at(-1) as ChatMessage;
    texts = [{ text: last.content, tokens: chatPromptTokens(messages) }];
  } else {
    const p = body.prompt;
    if (typeof p === 'string') texts = [{ text: p, tokens: countTokens(p) }];
    else if (Array.isArray(p) && p.length > 0 && p.every((x) => typeof x === 'string')) texts = (p as string[]).map((t) => ({ text: t, tokens: countTokens(t) }));
    else if (Array.isArray(p) && p.length > 0 && p.every((x) => typeof x === 'number' && Number.isInteger(x))) texts = [{ text: `${p.length} tokens`, tokens: p.length }];
    else throw bad('prompt: Input should be a string, a list of strings or a list of token ids');
  }
  const maxTokensKey = chat && body.max_completion_tokens !== undefined && body.max_completion_tokens !== null ? 'max_completion_tokens' : 'max_tokens';
  const requested = integer(body, maxTokensKey, 1);
  if (requested !== undefined && minTokens > requested) throw bad(`min_tokens must be less than or equal to max_tokens=${requested}, got ${minTokens}.`);

  const prompts = texts.map(({ text, tokens }, p) => {
    if (tokens >= maxModelLen) {
      throw bad(`This model's maximum context length is ${maxModelLen} tokens. However, your request has ${tokens} input tokens. Please reduce the length of the input messages.`);
    }
    if (requested !== undefined && tokens + requested > maxModelLen) {
      throw bad(
        `'${maxTokensKey}' or 'max_completion_tokens' is too large: ${requested}. This model's maximum context length is ${maxModelLen} tokens and your request has ${tokens} input tokens (${requested} > ${maxModelLen} - ${tokens}).`,
      );
    }
    const budget = requested ?? (chat ? maxModelLen - tokens : Math.min(COMPLETIONS_DEFAULT_MAX_TOKENS, maxModelLen - tokens));
    return {
      promptTokens: tokens,
      choices: Array.from({ length: n }, (_, i) => ({ index: p * n + i, ...choicesFor(answer(servedModelName, text, i), budget, minTokens, ignoreEos) })),
    };
  });
  return { chat, model: servedModelName, stream, includeUsage, continuousUsage, ...(logprobs === undefined ? {} : { logprobs }), prompts };
};
