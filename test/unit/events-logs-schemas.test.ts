import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../functions/domain/errors';
import { encodeEventCursor, eventsQuerySchema, logsQuerySchema } from '../../contract/requests/queries';
import { parseOrThrow } from '../../functions/domain/requests';

const rejectedField = (run: () => unknown): string | undefined => {
  try {
    run();
  } catch (error) {
    if (error instanceof ValidationError) return error.field;
    throw error;
  }
  throw new Error('expected a ValidationError');
};

describe('events query', () => {
  it('defaults to 50 events from the start', () => {
    expect(parseOrThrow(eventsQuerySchema, {})).toEqual({ limit: 50 });
  });

  it('decodes a cursor it encoded back to the sort-key suffix', () => {
    const suffix = '2026-01-02T03:04:05.678Z#000042';
    expect(parseOrThrow(eventsQuerySchema, { cursor: encodeEventCursor(suffix), limit: '1' })).toEqual({ limit: 1, cursor: suffix });
  });

  it.each([
    ['not base64url', { cursor: 'a+b/c=' }, 'cursor'],
    ['base64url of something else', { cursor: encodeEventCursor('DEP#dep-x') }, 'cursor'],
    ['a key suffix that tries to leave the deployment', { cursor: encodeEventCursor('2026-01-02T03:04:05Z#000001#../EVT#dep-other') }, 'cursor'],
    ['empty', { cursor: '' }, 'cursor'],
    ['limit 0', { limit: '0' }, 'limit'],
    ['limit 101', { limit: '101' }, 'limit'],
    ['limit abc', { limit: 'abc' }, 'limit'],
  ])('rejects %s, naming the field', (_what, query, field) => {
    expect(rejectedField(() => parseOrThrow(eventsQuerySchema, query, 'query string'))).toBe(field);
  });
});

describe('logs query', () => {
  it('defaults to the last 100 lines of the current run of every pod', () => {
    expect(parseOrThrow(logsQuerySchema, {})).toEqual({ tail_lines: 100, previous: false });
  });

  it('reads a replica as a pod index when it is digits, else as a pod name', () => {
    expect(parseOrThrow(logsQuerySchema, { replica: '3', previous: 'true', tail_lines: '5000' })).toEqual({
      tail_lines: 5000,
      previous: true,
      replica: { index: 3 },
    });
    expect(parseOrThrow(logsQuerySchema, { replica: 'model-abc-5d8f9-x2k4q' }).replica).toEqual({ name: 'model-abc-5d8f9-x2k4q' });
  });

  it.each([
    [{ tail_lines: '0' }, 'tail_lines'],
    [{ tail_lines: '5001' }, 'tail_lines'],
    [{ tail_lines: 'abc' }, 'tail_lines'],
    [{ previous: 'yes' }, 'previous'],
    [{ replica: '16' }, 'replica'],
    [{ replica: 'Bad_Name' }, 'replica'],
    [{ replica: '' }, 'replica'],
  ])('rejects %o, naming the field', (query, field) => {
    expect(rejectedField(() => parseOrThrow(logsQuerySchema, query, 'query string'))).toBe(field);
  });
});
