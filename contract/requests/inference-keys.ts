/**
 * POST …/inference-keys and the keys' list query. Every rejection names its field. Whether the
 * named deployments exist in the project is checked by the use case (functions/use-cases/inference-keys.ts).
 */
import * as z from 'zod';
import { integer } from './fields';
import { listQuerySchema } from './queries';

/** The most deployments one key may be restricted to (leave the list out for all of the project's). */
export const MAX_KEY_DEPLOYMENTS = 20;
/** Upper bounds of a key's limits: far above one deployment's capacity, low enough to catch a typo. */
export const KEY_LIMIT_MAXIMA = { requests_per_minute: 100_000, tokens_per_minute: 100_000_000, concurrent_requests: 1_000 } as const;

const limit = (field: keyof typeof KEY_LIMIT_MAXIMA, description: string) =>
  integer(field)
    .min(1, { error: `${field} must be an integer between 1 and ${KEY_LIMIT_MAXIMA[field]}` })
    .max(KEY_LIMIT_MAXIMA[field], { error: `${field} must be an integer between 1 and ${KEY_LIMIT_MAXIMA[field]}` })
    .optional()
    .describe(description);

export const inferenceKeyLimitsSchema = z
  .object(
    {
      requests_per_minute: limit('requests_per_minute', 'Requests per minute, over all deployments the key calls; unlimited when left out.'),
      tokens_per_minute: limit('tokens_per_minute', 'Prompt plus completion tokens per minute; unlimited when left out.'),
      concurrent_requests: limit('concurrent_requests', 'Requests in flight at once; unlimited when left out.'),
    },
    { error: 'limits must be an object' },
  )
  .strict();

export const createInferenceKeySchema = z
  .object({
    name: z
      .string({ error: 'name must be a string of 1 to 64 characters' })
      .min(1, { error: 'name must be a string of 1 to 64 characters' })
      .max(64, { error: 'name must be a string of 1 to 64 characters' })
      // eslint-disable-next-line no-control-regex
      .regex(/^[^\u0000-\u001f\u007f]*$/, { error: 'name must not contain control characters' })
      .describe('What the key is for, to tell keys apart (not unique).'),
    expires_at: z.iso
      .datetime({ offset: true, error: 'expires_at must be an RFC 3339 timestamp, e.g. 2027-01-31T00:00:00Z' })
      .optional()
      .describe('When the key stops working; it must be in the future. Never, when left out.'),
    deployment_ids: z
      .array(z.string().regex(/^dep-[a-z0-9]{1,40}$/, { error: 'deployment_ids must hold deployment ids (dep-...)' }), { error: 'deployment_ids must be an array of deployment ids' })
      .min(1, { error: 'deployment_ids must hold at least one id (leave it out for every deployment of the project)' })
      .max(MAX_KEY_DEPLOYMENTS, { error: `deployment_ids may hold at most ${MAX_KEY_DEPLOYMENTS} ids` })
      .refine((ids) => new Set(ids).size === ids.length, { error: 'deployment_ids must not repeat an id' })
      .optional()
      .describe('The deployments of this project the key may call, each existing when the key is created; every deployment of the project when left out.'),
    limits: inferenceKeyLimitsSchema.optional(),
  })
  .strict();

export type CreateInferenceKeyRequest = z.infer<typeof createInferenceKeySchema>;

/** GET …/inference-keys: a page number and size, as the deployments' list (no cursor: a project holds few keys). */
export const keyListQuerySchema = listQuerySchema.pick({ page: true, limit: true });
