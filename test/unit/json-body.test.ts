import { describe, expect, it } from 'vitest';
import { jsonDepth, MAX_JSON_DEPTH, parseJsonBody } from '../../functions/commons/json-body';
import { ApiError, ValidationError } from '../../functions/domain/errors';

describe('parseJsonBody', () => {
  it('parses a JSON object', () => {
    expect(parseJsonBody('{"a":1}', false, 'application/json')).toEqual({ a: 1 });
    expect(parseJsonBody(Buffer.from('{"a":1}').toString('base64'), true, 'application/json; charset=utf-8')).toEqual({ a: 1 });
  });

  it.each([
    ['', 'request body is required'],
    ['{', 'not valid JSON'],
    ['[1,2]', 'must be a JSON object'],
    ['"text"', 'must be a JSON object'],
    ['null', 'must be a JSON object'],
    [`${'['.repeat(MAX_JSON_DEPTH + 1)}${']'.repeat(MAX_JSON_DEPTH + 1)}`, 'nested deeper'],
    [`{"a":${'['.repeat(100_000)}`, 'nested deeper'],
  ])('rejects %j with a 400 that says why', (body, message) => {
    expect(() => parseJsonBody(body, false, 'application/json')).toThrow(ValidationError);
    expect(() => parseJsonBody(body, false, 'application/json')).toThrow(message);
  });

  it('rejects invalid UTF-8 and non-JSON content types', () => {
    expect(() => parseJsonBody(Buffer.from([0x7b, 0xff, 0x7d]).toString('base64'), true, undefined)).toThrow('UTF-8');
    const error = (() => {
      try {
        parseJsonBody('{}', false, 'text/plain');
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).statusCode).toBe(415);
  });

  it('counts depth outside strings only', () => {
    expect(jsonDepth('{"a":"[[[[{{{{"}')).toBe(1);
    expect(jsonDepth('{"a":"\\"[[["}')).toBe(1);
    expect(jsonDepth('[[{"a":[1]}]]')).toBe(4);
  });
});
