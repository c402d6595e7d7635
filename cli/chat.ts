/**
 * `gpuctl chat`: one chat turn against a deployment's endpoint_url (the inference gateway) with an
 * inference key, the answer streamed to the terminal token by token as the model writes it.
 * Plain fetch and SSE: what any OpenAI-compatible client does, nothing of the control plane's API.
 */
import { createParser } from 'eventsource-parser';
import { ApiError, UnavailableError } from './client';

export interface ChatRequest {
  endpointUrl: string;
  key: string;
  model: string;
  prompt: string;
  maxTokens?: number;
  temperature?: number;
}

export interface ChatResult {
  finishReason: string | null;
  usage: { prompt_tokens: number; completion_tokens: number } | undefined;
}

/** The gateway's refusal, `{error: {message, code}}`, as gpuctl's errors: 4xx ApiError (exit 1), else UnavailableError (exit 4). */
const failure = async (response: Response): Promise<Error> => {
  const text = await response.text();
  let message = text.slice(0, 500) || `HTTP ${response.status}`;
  let code = 'error';
  try {
    const body = JSON.parse(text) as { error?: { message?: string; code?: string | number } };
    if (body.error?.message) message = body.error.message;
    if (body.error?.code !== undefined) code = String(body.error.code);
  } catch {
    // not JSON: the text as it came
  }
  const retry = response.headers.get('retry-after');
  const full = retry ? `${message} (retry after ${retry} s)` : message;
  return response.status < 500 ? new ApiError(response.status, code, full) : new UnavailableError(`${response.status}: ${full}`);
};

/** Streams one answer, writing each piece of content with `write` as it arrives. */
export const streamChat = async (request: ChatRequest, write: (text: string) => void, signal?: AbortSignal): Promise<ChatResult> => {
  let response: Response;
  try {
    response = await fetch(`${request.endpointUrl.replace(/\/$/, '')}/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${request.key}`, 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({
        model: request.model,
        messages: [{ role: 'user', content: request.prompt }],
        stream: true,
        stream_options: { include_usage: true },
        ...(request.maxTokens === undefined ? {} : { max_tokens: request.maxTokens }),
        ...(request.temperature === undefined ? {} : { temperature: request.temperature }),
      }),
      ...(signal ? { signal } : {}),
    });
  } catch (error) {
    throw new UnavailableError(`${request.endpointUrl} did not answer: ${(error as Error).message}`);
  }
  if (!response.ok || !response.body) throw await failure(response);
  const result: ChatResult = { finishReason: null, usage: undefined };
  let streamError: string | undefined;
  const parser = createParser({
    onEvent: (event) => {
      if (event.data === '[DONE]') return;
      const chunk = JSON.parse(event.data) as {
        choices?: { delta?: { content?: string | null }; finish_reason?: string | null }[];
        usage?: ChatResult['usage'] | null;
        error?: { message?: string };
      };
      if (chunk.error) streamError = chunk.error.message ?? 'the stream failed';
      for (const choice of chunk.choices ?? []) {
        if (choice.delta?.content) write(choice.delta.content);
        if (choice.finish_reason) result.finishReason = choice.finish_reason;
      }
      if (chunk.usage) result.usage = chunk.usage;
    },
  });
  const decoder = new TextDecoder();
  for await (const bytes of response.body) parser.feed(decoder.decode(bytes as Uint8Array, { stream: true }));
  if (streamError) throw new UnavailableError(streamError);
  return result;
};
