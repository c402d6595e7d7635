/**
 * Queries that span pages, through lib-dynamodb's `paginateQuery` (Query requests only, so no
 * function needs another IAM action for them). DynamoDB ends a page at `Limit` items or 1 MB
 * read, whichever comes first; these helpers carry on from `LastEvaluatedKey` until done.
 */
import { paginateQuery, type QueryCommandInput, type QueryCommandOutput } from '@aws-sdk/lib-dynamodb';
import { documentClient } from '../dynamodb';

type Item = Record<string, unknown>;

/**
 * The pages of a Query, stopping once `max` items are read; each page asks only for what is
 * still missing (and at most `pageLimit`). `paginateQuery` builds every page's request from
 * the input object it is given, so the Limit set on it between pages is the next page's.
 */
async function* pages(input: QueryCommandInput, max = Number.POSITIVE_INFINITY, pageLimit = Number.POSITIVE_INFINITY): AsyncGenerator<QueryCommandOutput> {
  const limitAfter = (read: number) => Math.min(pageLimit, max - read);
  const request: QueryCommandInput = { ...input };
  if (Number.isFinite(limitAfter(0))) request.Limit = limitAfter(0);
  let read = 0;
  for await (const page of paginateQuery({ client: documentClient }, request)) {
    yield page;
    read += page.Count ?? 0;
    if (read >= max) return;
    if (Number.isFinite(limitAfter(read))) request.Limit = limitAfter(read);
  }
}

/** Every item a Query matches, page after page. */
export const queryAll = async (input: QueryCommandInput): Promise<Item[]> => {
  const items: Item[] = [];
  for await (const page of pages(input)) items.push(...(page.Items ?? []));
  return items;
};

/** The first `max` items a Query matches (from `input.ExclusiveStartKey` on), reading no more than that; pages of at most `pageLimit`. */
export const queryUpTo = async (input: QueryCommandInput, max: number, pageLimit?: number): Promise<Item[]> => {
  const items: Item[] = [];
  for await (const page of pages(input, max, pageLimit)) items.push(...(page.Items ?? []));
  // Limit keeps every page within `max`; the slice only guards against a page that did not honour it
  return items.slice(0, max);
};

/** How many items a Query matches, counted with COUNT queries (no item data moves over the wire). */
export const countAll = async (input: QueryCommandInput): Promise<number> => {
  let total = 0;
  for await (const page of pages({ ...input, Select: 'COUNT' })) total += page.Count ?? 0;
  return total;
};

/**
 * Skips the first `count` items of a Query with COUNT queries and returns the key to start the
 * next Query from; undefined when no item follows them. Skipped items are still read (and
 * billed), only not sent.
 */
export const keyAfter = async (input: QueryCommandInput, count: number): Promise<Item | undefined> => {
  let start: Item | undefined;
  for await (const page of pages({ ...input, Select: 'COUNT' }, count)) start = page.LastEvaluatedKey;
  return start;
};
