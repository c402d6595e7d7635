/**
 * Server-side field validation (`?fieldValidation=Strict|Warn|Ignore`, Warn when absent):
 * unknown fields fail a Strict request with the strict-decoding BadRequest and come back as
 * `Warning: 299` headers under Warn, worded as kube-apiserver words them.
 */
import { decodeProblems, modelForResource } from './openapi-models.js';
import type { ResourceType } from './resources.js';
import { badRequest, KubeError } from './status.js';
import { isRecord } from './types.js';

export type WriteKind = 'create' | 'update' | 'patch' | 'apply' | 'json-patch';

/** Strategic-merge directives are not fields. */
const withoutDirectives = (value: unknown): unknown => {
  if (Array.isArray(value)) return value.map(withoutDirectives);
  if (!isRecord(value)) return value;
  return Object.fromEntries(Object.entries(value).filter(([key]) => !key.startsWith('$')).map(([key, v]) => [key, withoutDirectives(v)]));
};

const header = (messages: string[]): Record<string, string> =>
  messages.length === 0 ? {} : { warning: messages.map((m) => `299 - ${JSON.stringify(m)}`).join(', ') };

/** Adds admission warnings (Pod Security) after the field-validation ones, in one `Warning` header. */
export const withWarnings = (headers: Record<string, string>, messages: readonly string[]): Record<string, string> => {
  if (messages.length === 0) return headers;
  const added = header([...messages]).warning ?? '';
  return { ...headers, warning: headers.warning ? `${headers.warning}, ${added}` : added };
};

/** Throws for Strict, returns the Warning header for Warn. */
export const fieldValidation = (type: ResourceType, body: unknown, params: URLSearchParams, kind: WriteKind): Record<string, string> => {
  const directive = params.get('fieldValidation') ?? 'Warn';
  if (!['Strict', 'Warn', 'Ignore'].includes(directive)) {
    throw badRequest(`fieldValidation: Unsupported value: "${directive}": supported values: "Ignore", "Strict", "Warn"`);
  }
  const model = modelForResource(type);
  if (directive === 'Ignore' || !model || !isRecord(body) || kind === 'json-patch') return {};
  const { unknown, mistyped } = decodeProblems(model, withoutDirectives(body));
  if (mistyped.length > 0 && kind !== 'apply') {
    const first = mistyped[0];
    // A type mismatch fails decoding whatever the directive, as encoding/json does.
    throw badRequest(`${type.kind} in version "${type.version}" cannot be handled as a ${type.kind}: json: cannot unmarshal ${first?.got ?? ''} into Go struct field ${first?.path ?? ''} of type ${first?.expected ?? ''}`);
  }
  if (unknown.length === 0) return {};
  if (kind === 'apply') {
    const messages = unknown.map((path) => `.${path}: field not declared in schema`);
    if (directive === 'Strict') {
      const group = type.group ? `${type.group}/` : '/';
      throw badRequest(`failed to create typed patch object (${group}${type.version}, Kind=${type.kind}): ${messages.join(', ')}`);
    }
    return header(messages);
  }
  const messages = unknown.map((path) => `unknown field "${path}"`);
  if (directive === 'Strict') {
    throw new KubeError({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: `${type.kind} in version "${type.version}" cannot be handled as a ${type.kind}: strict decoding error: ${messages.join(', ')}`, reason: 'BadRequest', code: 400 });
  }
  return header(messages);
};
