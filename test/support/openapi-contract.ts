/**
 * Checks an HTTP answer against the OpenAPI document (contract/openapi.ts) with ajv:
 * the operation is found by method and path template (literal segments beat `{param}`, as in
 * the gateway), the answer's status must be documented for it, and a JSON body must validate
 * against that status's schema. The local-cloud api() helper runs it on every answer, so every
 * integration test is also a contract test.
 */
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { buildOpenApiDocument, type OpenApiDocument } from '../../contract/openapi';

type Schema = Record<string, unknown>;
interface Operation {
  readonly method: string;
  readonly template: string;
  readonly segments: readonly (string | null)[];
  readonly responses: Record<string, { content?: Record<string, { schema?: Schema }> }>;
}

export const OPENAPI: OpenApiDocument = buildOpenApiDocument();

const ajv = new Ajv2020({ strict: false, allErrors: true });
(addFormats as unknown as (a: Ajv2020) => void)(ajv);

const operations: Operation[] = Object.entries(OPENAPI.paths).flatMap(([template, methods]) =>
  Object.entries(methods).map(([method, op]) => ({
    method: method.toUpperCase(),
    template,
    segments: template.slice(1).split('/').map((part) => (/^\{\w+\}$/.test(part) ? null : part)),
    responses: (op as { responses: Operation['responses'] }).responses,
  })),
);

const matches = (op: Operation, parts: readonly string[]) =>
  op.segments.length === parts.length && op.segments.every((segment, i) => (segment === null ? (parts[i] ?? '') !== '' : segment === parts[i]));

/** Literal segments first at the first difference, like the gateway's routing. */
const specificity = (a: Operation, b: Operation) => {
  for (let i = 0; i < Math.min(a.segments.length, b.segments.length); i++) {
    const difference = (a.segments[i] === null ? 1 : 0) - (b.segments[i] === null ? 1 : 0);
    if (difference !== 0) return difference;
  }
  return 0;
};

/** The documented path template a request path falls under, if any (any method). */
export const findOperation = (method: string, path: string): { operation?: Operation; pathKnown: boolean } => {
  const parts = path.split('?')[0]!.slice(1).split('/');
  const candidates = operations.filter((op) => matches(op, parts)).sort(specificity);
  const template = candidates[0]?.template;
  const operation = candidates.find((op) => op.template === template && op.method === method.toUpperCase());
  return { operation, pathKnown: template !== undefined };
};

const validators = new Map<string, ValidateFunction>();
const validatorFor = (key: string, schema: Schema): ValidateFunction => {
  let validate = validators.get(key);
  if (!validate) {
    // The components travel with each schema, so its `#/components/schemas/…` refs resolve.
    validate = ajv.compile({ ...schema, $id: `urn:contract:${encodeURIComponent(key)}`, components: OPENAPI.components });
    validators.set(key, validate);
  }
  return validate;
};

const errorSchema = { $ref: '#/components/schemas/ErrorResponse' };

/** Why the answer breaks the contract, or undefined when it keeps it. */
export const contractViolation = (method: string, path: string, status: number, contentType: string | null, body: unknown): string | undefined => {
  const { operation, pathKnown } = findOperation(method, path);
  const what = `${method} ${path.split('?')[0]} -> ${status}`;
  if (!operation) {
    // Not an operation of the API: only the gateway's own 404 (no such path) or 405 (no such method) may answer.
    const expected = pathKnown ? 405 : 404;
    if (status !== expected) return `${what}: no documented operation, so the answer must be ${expected}`;
    return check(`gateway-${expected}`, errorSchema, body, what);
  }
  const response = operation.responses[String(status)];
  if (!response) return `${what}: status ${status} is not documented for ${operation.method} ${operation.template} (documented: ${Object.keys(operation.responses).join(', ')})`;
  const [documentedType, media] = Object.entries(response.content ?? {})[0] ?? [];
  if (!documentedType) return body === undefined ? undefined : `${what}: documented without a body, but one came: ${JSON.stringify(body).slice(0, 200)}`;
  if (!contentType?.startsWith(documentedType)) return `${what}: content-type ${contentType} is not the documented ${documentedType}`;
  if (documentedType !== 'application/json') return undefined;
  return check(`${operation.method} ${operation.template} ${status}`, media?.schema ?? {}, body, what);
};

const check = (key: string, schema: Schema, body: unknown, what: string): string | undefined => {
  const validate = validatorFor(key, schema);
  if (validate(body)) return undefined;
  const problems = (validate.errors ?? []).slice(0, 5).map((e) => `${e.instancePath || '/'} ${e.message}${e.params && 'additionalProperty' in e.params ? ` (${String(e.params.additionalProperty)})` : ''}`);
  return `${what}: body does not match the document: ${problems.join('; ')}; body: ${JSON.stringify(body).slice(0, 300)}`;
};
