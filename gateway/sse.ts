/**
 * The model server's SSE stream, event by event: each `data:` event is written to the client as
 * soon as it is parsed (nothing is held back), and the usage vLLM reports is kept for metering.
 * The usage the gateway forced into the stream (a final usage-only chunk, and usage on every chunk
 * so that a cut stream is still metered from vLLM's counts) is removed when the client did not ask
 * for it, so a client reading `chunk.choices[0]` sees the stream it asked for.
 */
import { createParser, type EventSourceParser } from 'eventsource-parser';
import type { Usage } from './metering';

export interface StreamTally {
  /** The latest usage seen (continuous usage on every chunk, or the final chunk's). */
  usage: Usage | undefined;
  /** Whether the final usage chunk (choices empty) or `[DONE]` arrived: the counts are vLLM's own. */
  complete: boolean;
  /** Content chunks seen: one token each in vLLM's streams, the estimate when no usage came. */
  chunks: number;
}

/** vLLM writes `usage` last in a chunk: cutting it off is cheaper than serializing the chunk again. */
const TRAILING_USAGE = /,"usage":\{[^{}]*\}\}$/;
const PROMPT_TOKENS = /"prompt_tokens":(\d+)/;
const COMPLETION_TOKENS = /"completion_tokens":(\d+)/;

/** A chunk without the continuous usage the gateway asked for and the client did not. */
const withoutUsage = (data: string): string => {
  if (TRAILING_USAGE.test(data)) return data.replace(TRAILING_USAGE, '}');
  const { usage: _usage, ...rest } = JSON.parse(data) as Record<string, unknown>;
  return JSON.stringify(rest);
};

/**
 * `clientWantsUsage`: the final usage chunk; `clientWantsContinuous`: usage on every chunk. What
 * the client did not ask for is removed, so it sees the stream it would see from vLLM directly.
 * The chunks are read with string searches, not JSON.parse: at 100 streams that is most of the
 * relay's CPU (vLLM's chunks are flat JSON with `choices` first and `usage` last).
 */
export const sseRelay = (write: (text: string) => void, clientWantsUsage: boolean, clientWantsContinuous = false): { parser: EventSourceParser; tally: StreamTally } => {
  const tally: StreamTally = { usage: undefined, complete: false, chunks: 0 };
  const parser = createParser({
    onEvent: (event) => {
      const data = event.data;
      if (data === '[DONE]') {
        tally.complete = true;
        write('data: [DONE]\n\n');
        return;
      }
      const usageAt = data.lastIndexOf('"usage":{');
      if (usageAt !== -1) {
        const tail = data.slice(usageAt);
        tally.usage = { prompt_tokens: Number(PROMPT_TOKENS.exec(tail)?.[1] ?? 0), completion_tokens: Number(COMPLETION_TOKENS.exec(tail)?.[1] ?? 0) };
      }
      const usageOnly = usageAt !== -1 && data.includes('"choices":[]');
      if (usageOnly) tally.complete = true;
      else if (data.includes('"choices":[{')) tally.chunks += 1;
      if (usageOnly && !clientWantsUsage) return;
      const fields = `${event.event ? `event: ${event.event}\n` : ''}${event.id ? `id: ${event.id}\n` : ''}`;
      let out = data;
      if (!usageOnly && usageAt !== -1 && !clientWantsContinuous) {
        try {
          out = withoutUsage(data);
        } catch {
          out = data; // not JSON: passed on as it came
        }
      }
      write(`${fields}data: ${out}\n\n`);
    },
  });
  return { parser, tally };
};
