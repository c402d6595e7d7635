/**
 * The `Idempotency-Key` request header of POST …/aimodels: its format, for the check in
 * functions/commons/idempotency.ts and for the OpenAPI document (contract/openapi.ts), so the
 * two say the same.
 */
import * as z from 'zod';

export const IDEMPOTENCY_HEADER = 'Idempotency-Key';
/** 1-255 printable ASCII characters, not starting with a space. */
export const IDEMPOTENCY_KEY_PATTERN = /^[\x21-\x7e][\x20-\x7e]{0,254}$/;
export const IDEMPOTENCY_TTL_SECONDS = 24 * 60 * 60;

/** The header as a documented parameter: optional, so a client that never sends it never notices. */
export const idempotencyHeadersSchema = z.object({
  [IDEMPOTENCY_HEADER]: z
    .string()
    .regex(IDEMPOTENCY_KEY_PATTERN)
    .max(255)
    .optional()
    .describe(
      'Extension: makes the deploy safe to retry. A retry with the same key and the same body within 24 h gets the first answer again ' +
        '(with `idempotency-replayed: true`) and creates nothing; the same key with another body is a 422, while the first request still runs a 409. Scoped to the org and project; ' +
        'a failed request does not consume its key; ignored with `?dry_run=true`.',
    ),
});
