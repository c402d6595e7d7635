/** POST …/aimodels/{id}/prompt: one prompt to a ready deployment's model server (functions/domain/prompt.ts). */
import * as z from 'zod';

/** Characters; a prompt is a test or a quick question, not a batch job (use the endpoint for those). */
export const MAX_PROMPT_CHARS = 32_768;
export const MAX_PROMPT_TOKENS = 4096;

export const promptRequestSchema = z.strictObject({
  prompt: z
    .string({ error: 'prompt is required and must be a string' })
    .min(1, { error: 'prompt must not be empty' })
    .max(MAX_PROMPT_CHARS, { error: `prompt must be at most ${MAX_PROMPT_CHARS} characters` }),
  /** The served model name; by default the deployment's (vLLM's --served-model-name). */
  model: z.string({ error: 'model must be a string' }).min(1, { error: 'model must not be empty' }).max(256, { error: 'model is too long' }).optional(),
  max_tokens: z
    .number({ error: 'max_tokens must be an integer' })
    .int({ error: 'max_tokens must be an integer' })
    .min(1, { error: `max_tokens must be between 1 and ${MAX_PROMPT_TOKENS}` })
    .max(MAX_PROMPT_TOKENS, { error: `max_tokens must be between 1 and ${MAX_PROMPT_TOKENS}` })
    .default(256),
  temperature: z
    .number({ error: 'temperature must be a number' })
    .min(0, { error: 'temperature must be between 0 and 2' })
    .max(2, { error: 'temperature must be between 0 and 2' })
    .optional(),
  /** `chat` (default: the prompt is one user message, the model's chat template applies) or `completion` (raw text continuation). */
  mode: z.enum(['chat', 'completion'], { error: 'mode must be chat or completion' }).default('chat'),
});
export type PromptRequest = z.infer<typeof promptRequestSchema>;
