/**
 * A deterministic stand-in for a BPE tokenizer. Real tokenizers (Qwen, Llama) average about
 * four characters of English a token, split words from punctuation, and cut long words into
 * pieces. This one does the same with fixed rules, so a text always has the same count:
 *
 *   - a run of letters/digits is one token per started 4 characters ("token" = 2, "a" = 1),
 *     and carries the space before it (like BPE's "Ġword" pieces);
 *   - every other non-space character is one token;
 *   - whitespace is folded into the next piece (a trailing run of it is one token).
 *
 * `pieces(text).join('') === text`, so a streamed reply can be cut into exactly the tokens
 * that `usage.completion_tokens` counts. Chat prompts add the ChatML template's tokens
 * (`<|im_start|>role\n … <|im_end|>\n` = 5 a message, `<|im_start|>assistant\n` = 3), which
 * is what vLLM counts: the templated prompt, not the raw message text.
 */

const WORD_CHUNK = 4;
const PIECE = /(\s*)([\p{L}\p{N}_]+|[^\s\p{L}\p{N}_])|(\s+)$/gu;

/** The text cut into tokens; concatenated they give the text back. */
export const pieces = (text: string): string[] => {
  const out: string[] = [];
  for (const match of text.matchAll(PIECE)) {
    const [, space = '', word, tail] = match;
    if (tail !== undefined) {
      out.push(tail);
      continue;
    }
    if (word === undefined) continue;
    if (!/^[\p{L}\p{N}_]/u.test(word) || word.length <= WORD_CHUNK) {
      out.push(space + word);
      continue;
    }
    for (let i = 0; i < word.length; i += WORD_CHUNK) out.push((i === 0 ? space : '') + word.slice(i, i + WORD_CHUNK));
  }
  return out;
};

export const countTokens = (text: string): number => pieces(text).length;

export interface ChatMessage {
  role: string;
  content: string;
}

const PER_MESSAGE = 5;
const GENERATION_PROMPT = 3;

/** Tokens of the templated chat prompt vLLM feeds the model (role names are single tokens in real vocabularies). */
export const chatPromptTokens = (messages: ChatMessage[]): number =>
  messages.reduce((sum, m) => sum + PER_MESSAGE + countTokens(m.content), 0) + GENERATION_PROMPT;
