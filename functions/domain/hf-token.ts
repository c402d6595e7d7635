/**
 * The write-only `hf_token` of a deploy: its schema and where it is kept. The API stores it
 * in Secrets Manager as `<prefix>/hf-token/<deployment id>` (infra/constructs/secrets.ts owns
 * the prefix); the record and the workflows carry only that secret's ARN. Pure.
 */
import * as z from 'zod';

/** Hugging Face user access tokens are `hf_` + 34 characters today; room for future formats. */
export const hfTokenSchema = z
  .string({ error: 'hf_token must be a string' })
  .min(8, { error: 'hf_token is too short to be a Hugging Face token' })
  .max(512, { error: 'hf_token is too long' })
  .regex(/^[\x21-\x7e]+$/, { error: 'hf_token must be printable ASCII without spaces' });

export const hfTokenSecretName = (namePrefix: string, deploymentId: string): string => `${namePrefix}${deploymentId}`;

/** The key of the token in the Kubernetes Secret, and the variable the model server reads. */
export const HF_TOKEN_ENV = 'HF_TOKEN';
