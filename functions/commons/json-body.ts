/**
 * Decodes and parses a JSON request body with the limits DynamoDB and our schemas need.
 * Every failure is a ValidationError (400) or a 415, never a crash.
 */
import { ApiError, ValidationError } from '../domain/errors';

/** DynamoDB stores at most 32 levels of nesting. */
export const MAX_JSON_DEPTH = 32;

/**
 * A request body is stored (in part) in one DynamoDB item, and an item holds at most 400 KB.
 * A deploy request is a few KB; 64 KiB leaves room for every field and keeps any accepted
 * body far from that limit (found by the API fuzzer: a 1 MB body the gateway passed was a 500).
 */
export const MAX_JSON_BODY_BYTES = 64 * 1024;

/** Deepest bracket nesting outside string literals; linear, no recursion. */
export const jsonDepth = (text: string): number => {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped char
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) max = Math.max(max, ++depth);
    else if (c === 0x7d || c === 0x5d) depth--;
  }
  return max;
};

const utf8 = new TextDecoder('utf-8', { fatal: true });

export const parseJsonBody = (
  body: string | undefined,
  isBase64Encoded: boolean,
  contentType: string | undefined,
): unknown => {
  if (contentType !== undefined && !/^application\/([\w.+-]+\+)?json\b/i.test(contentType.trim())) {
    throw new ApiError('unsupported_media_type', 415, `content-type must be application/json, got '${contentType.slice(0, 100)}'`);
  }
  if (body === undefined || body === '') throw new ValidationError('request body is required and must be a JSON object');
  let text = body;
  if (isBase64Encoded) {
    try {
      text = utf8.decode(Buffer.from(body, 'base64'));
    } catch {
      throw new ValidationError('request body is not valid UTF-8');
    }
  }
  if (jsonDepth(text) > MAX_JSON_DEPTH) {
    throw new ValidationError(`request body is nested deeper than ${MAX_JSON_DEPTH} levels`);
  }
  if (Buffer.byteLength(text, 'utf8') > MAX_JSON_BODY_BYTES) {
    throw new ApiError('payload_too_large', 413, `request body exceeds ${MAX_JSON_BODY_BYTES} bytes`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new ValidationError(`request body is not valid JSON: ${(error as Error).message.slice(0, 200)}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ValidationError('request body must be a JSON object');
  }
  return parsed;
};
