/**
 * The query strings of the deployment reads: GET …/aimodels (a page), …/{id}/events (a page of
 * history) and …/{id}/logs. Query values arrive as strings; each parses to what it means.
 */
import * as z from 'zod';
import { MAX_REPLICAS, queryFlag } from './fields';

const queryInteger = (field: string, min: number, max: number, fallback: number) =>
  z
    .string()
    .regex(/^\d{1,9}$/, { error: `${field} must be an integer between ${min} and ${max}` })
    .transform(Number)
    .pipe(z.number().min(min, { error: `${field} must be an integer between ${min} and ${max}` }).max(max, { error: `${field} must be an integer between ${min} and ${max}` }))
    .default(fallback)
    // What the OpenAPI document says of the query parameter: an integer on the wire.
    .meta({ type: 'integer', minimum: min, maximum: max, description: `Default ${fallback}.`, pattern: undefined });

/**
 * GET …/aimodels. `page` is the contract's page number; `cursor` (an extension) is the
 * `pagination.next_cursor` of the previous page: base64url of `<page>:<last deployment id>`, so
 * the next page starts right after that deployment instead of skipping every earlier one
 * (a deep page by number reads all the items before it; by cursor, only its own).
 */
const LIST_CURSOR = /^(\d{1,7}):(dep-[a-z0-9]{1,40})$/;
const LIST_CURSOR_ERROR = 'cursor is not one this API returned: pass pagination.next_cursor unchanged';

export const encodeListCursor = (page: number, lastId: string): string => Buffer.from(`${page}:${lastId}`, 'utf8').toString('base64url');

export const listQuerySchema = z.object({
  page: queryInteger('page', 1, 1_000_000, 1),
  limit: queryInteger('limit', 1, 100, 20),
  cursor: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,100}$/, { error: LIST_CURSOR_ERROR })
    .transform((cursor, ctx) => {
      const match = LIST_CURSOR.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
      if (!match) {
        ctx.addIssue({ code: 'custom', message: LIST_CURSOR_ERROR });
        return z.NEVER;
      }
      return { page: Number(match[1]), after: match[2] ?? '' };
    })
    .optional()
    .describe('Extension: `pagination.next_cursor` of the previous page (then `page` is taken from it); reads only that page, however deep.'),
});

/** The page to read: the cursor's when one is given, else the page number's. */
export const listPageOf = (query: z.infer<typeof listQuerySchema>): { page: number; limit: number; after: string | undefined } =>
  query.cursor ? { page: query.cursor.page, limit: query.limit, after: query.cursor.after } : { page: query.page, limit: query.limit, after: undefined };

/**
 * GET …/{id}/events. The cursor is opaque to clients: base64url of the event's sort-key
 * suffix after the deployment id (`<ISO time>#<6-digit sequence>`, written by
 * functions/adapters/event-log.ts). Decoded and checked here, so a forged or damaged cursor is a
 * 400 naming `cursor`; the adapter prefixes tenant and deployment, so a cursor can only continue
 * inside the caller's own deployment's history.
 */
const EVENT_KEY_SUFFIX = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z#\d{6}$/;
const CURSOR_ERROR = 'cursor is not one this API returned: pass next_cursor unchanged';

export const encodeEventCursor = (keySuffix: string): string => Buffer.from(keySuffix, 'utf8').toString('base64url');

export const eventsQuerySchema = z.object({
  limit: queryInteger('limit', 1, 100, 50),
  cursor: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,200}$/, { error: CURSOR_ERROR })
    .transform((cursor) => Buffer.from(cursor, 'base64url').toString('utf8'))
    .refine((suffix) => EVENT_KEY_SUFFIX.test(suffix), { error: CURSOR_ERROR })
    .optional(),
});

/**
 * GET …/{id}/logs. `replica` picks one pod: its index among the deployment's pods (oldest
 * first, 0-based) or its name; digits only means an index (a Deployment's pod names never are).
 */
export const MAX_LOG_TAIL_LINES = 5000;
const POD_NAME = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;
const REPLICA_ERROR = `replica must be a pod index between 0 and ${MAX_REPLICAS - 1} or a pod name`;

export const logsQuerySchema = z.object({
  tail_lines: queryInteger('tail_lines', 1, MAX_LOG_TAIL_LINES, 100),
  replica: z
    .string()
    .transform((value, ctx) => {
      if (/^\d{1,2}$/.test(value) && Number(value) < MAX_REPLICAS) return { index: Number(value) };
      if (!/^\d+$/.test(value) && POD_NAME.test(value)) return { name: value };
      ctx.addIssue({ code: 'custom', message: REPLICA_ERROR });
      return z.NEVER;
    })
    .optional(),
  previous: queryFlag('previous').meta({ description: 'Default false.' }),
});
export type ReplicaSelector = { index: number } | { name: string };
