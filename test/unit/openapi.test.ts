/**
 * The OpenAPI document: one operation per route and nothing else, a valid and resolvable
 * document, and compatible with the NeevCloud contract (/work/shared/seeds/neevcloud-openapi.json,
 * kept in test/fixtures/neevcloud-openapi.json): same paths, and every field it defines in
 * parameters, request bodies and answers present in ours under the same name with a type its
 * clients accept.
 */
import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { renderApiDocsPage, typeOf } from '../../contract/api-docs-page';
import { buildOpenApiDocument } from '../../contract/openapi';
import { ROUTES, type ApiRoute } from '../../contract/routes';
import { contractViolation } from '../support/openapi-contract';

type Schema = Record<string, any>;
const doc = buildOpenApiDocument() as Schema;
const seed = JSON.parse(readFileSync(new URL('../fixtures/neevcloud-openapi.json', import.meta.url), 'utf8')) as Schema;

const documented = (d: Schema) => Object.entries(d.paths as Schema).flatMap(([path, methods]) => Object.keys(methods).map((m) => `${m.toUpperCase()} ${path}`));

describe('the OpenAPI document and the route table', () => {
  it('documents exactly the routes of ROUTES (every path and method, no more)', () => {
    expect(documented(doc).sort()).toEqual(ROUTES.map((r) => `${r.method} ${r.path}`).sort());
  });

  // A route cannot lack its documentation (ApiRoute requires `operation`); a new one is documented as declared.
  it('documents a route added to the table from its own declaration', () => {
    const route: ApiRoute = {
      name: 'list-schedules',
      method: 'GET',
      path: '/api/v1beta1/x/{model_id}',
      entry: 'x.ts',
      access: { table: 'R' },
      operation: { operationId: 'listSchedules', tag: 'Deployments', summary: 'List schedules', responses: { 204: { description: 'None.' } }, errors: [404] },
    };
    const op = (buildOpenApiDocument([...ROUTES, route]) as Schema).paths['/api/v1beta1/x/{model_id}'].get;
    expect(op).toMatchObject({ operationId: 'listSchedules', tags: ['Deployments'], summary: 'List schedules', parameters: [{ name: 'model_id', in: 'path' }] });
    expect(Object.keys(op.responses)).toEqual(['204', '401', '404', '413', '500', '503']);
  });

  it('gives every operation a unique operationId, its path parameters and at least one success answer', () => {
    const ids = Object.values(doc.paths as Schema).flatMap((methods: Schema) => Object.values(methods).map((op: Schema) => op.operationId));
    expect(new Set(ids).size).toBe(ids.length);
    for (const route of ROUTES) {
      const op = doc.paths[route.path][route.method.toLowerCase()];
      const pathParams = [...route.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
      expect(op.parameters.filter((p: Schema) => p.in === 'path').map((p: Schema) => p.name), route.name).toEqual(pathParams);
      expect(Object.keys(op.responses).some((status) => status.startsWith('2')), route.name).toBe(true);
      expect(op.security === undefined, `${route.name} needs a token unless public`).toBe(!route.public);
    }
  });

  it('documents the Idempotency-Key header of a deploy, with the same format the handler enforces, and its 422', () => {
    const op = doc.paths['/api/v1beta1/orgs/{org_id}/projects/{project_id}/aimodels'].post;
    const header = op.parameters.find((p: Schema) => p.in === 'header');
    expect(header).toMatchObject({ name: 'Idempotency-Key', required: false, schema: { type: 'string', maxLength: 255, description: expect.stringContaining('422') } });
    const format = new RegExp(header.schema.pattern);
    expect(['a', 'order-7f3c/2026-12-02', 'x'.repeat(255)].every((key) => format.test(key))).toBe(true);
    expect([' leading-space', 'tab\there', 'ünïcode', 'x'.repeat(256)].some((key) => format.test(key) && key.length <= 255)).toBe(false);
    expect(op.responses['422']).toMatchObject({ description: expect.stringContaining('Idempotency-Key'), content: { 'application/json': { schema: { $ref: '#/components/schemas/ErrorResponse' } } } });
    // Only the deploy takes the key: no other operation documents a 422 or a header.
    const others = ROUTES.filter((r) => r.name !== 'create-deployment').map((r) => doc.paths[r.path][r.method.toLowerCase()]);
    expect(others.filter((o: Schema) => o.responses['422'] || o.parameters.some((p: Schema) => p.in === 'header'))).toEqual([]);
  });

  it('is made of JSON Schemas ajv compiles, with every $ref resolving', () => {
    const ajv = new Ajv2020({ strict: false });
    (addFormats as unknown as (a: Ajv2020) => void)(ajv);
    const refs = JSON.stringify(doc).match(/"\$ref":"[^"]+"/g) ?? [];
    expect(refs.length).toBeGreaterThan(10);
    for (const ref of refs) expect(doc.components.schemas[ref.split('/').pop()!.replace('"', '')], ref).toBeDefined();
    for (const [name, schema] of Object.entries(doc.components.schemas as Schema)) {
      expect(() => ajv.compile({ ...schema, $id: `urn:schema:${name}`, components: doc.components }), name).not.toThrow();
    }
  });

  it('renders every operation and every schema in the browsable page, with no script or external resource', () => {
    const page = renderApiDocsPage(buildOpenApiDocument());
    for (const route of ROUTES) expect(page).toContain(`<code>${route.path}</code>`);
    for (const name of Object.keys(doc.components.schemas)) expect(page).toContain(`id="schema-${name}"`);
    expect(page).not.toMatch(/<script|src=|https?:\/\/(?!json-schema)/i);
  });

  it('renders markup once: an array of limited items shows its limits, not escaped tags', () => {
    expect(typeOf({ type: 'array', items: { type: 'string', maxLength: 64 } })).toBe('array of string <span class="limits">(length ≤ 64)</span>');
    expect(typeOf({ type: 'array', items: { $ref: '#/components/schemas/Deployment' } })).toBe('array of <a href="#schema-Deployment">Deployment</a>');
    const page = renderApiDocsPage(buildOpenApiDocument());
    expect(page).not.toMatch(/&lt;(span|a|code)\b/);
  });
});

// ---------------------------------------------------------------------------------------------
// Compatibility with the NeevCloud document

const resolve = (d: Schema, schema: Schema | undefined): Schema => {
  let s = schema ?? {};
  while (typeof s.$ref === 'string') s = s.$ref.split('/').slice(1).reduce((node: Schema, key: string) => node[key], d);
  return s;
};
const typesOf = (s: Schema): string[] => {
  const types = Array.isArray(s.type) ? s.type : s.type ? [s.type] : [];
  return s.nullable ? [...types, 'null'] : types;
};
const subset = (a: string[], b: string[]) => a.every((t) => b.includes(t) || (t === 'integer' && b.includes('number')));

/**
 * What a NeevCloud client sends (`direction` 'request'), ours must accept: the seed's types
 * within ours, ours requiring nothing the seed does not. What ours answers ('response'), a
 * NeevCloud client must understand: ours' types within the seed's, every seed field present.
 */
const incompatibilities = (seedSchema: Schema, ourSchema: Schema, direction: 'request' | 'response', where: string): string[] => {
  const a = resolve(seed, seedSchema);
  const b = resolve(doc, ourSchema);
  const problems: string[] = [];
  const [seedTypes, ourTypes] = [typesOf(a), typesOf(b)];
  if (seedTypes.length > 0) {
    const ok = direction === 'request' ? subset(seedTypes, ourTypes) : subset(ourTypes, seedTypes);
    if (!ok) problems.push(`${where}: type ${JSON.stringify(ourTypes)} vs NeevCloud ${JSON.stringify(seedTypes)}`);
  }
  if (a.format === 'date-time' && b.format !== 'date-time') problems.push(`${where}: not format date-time`);
  if (Array.isArray(a.enum)) {
    const ours: unknown[] = b.enum ?? [];
    const ok = direction === 'request' ? a.enum.every((v: unknown) => ours.includes(v)) : ours.length > 0 && ours.every((v) => a.enum.includes(v));
    if (!ok) problems.push(`${where}: enum ${JSON.stringify(ours)} vs NeevCloud ${JSON.stringify(a.enum)}`);
  }
  for (const [name, property] of Object.entries((a.properties ?? {}) as Schema)) {
    const ours = b.properties?.[name];
    if (!ours) {
      problems.push(`${where}.${name}: missing`);
      continue;
    }
    if (direction === 'response' && !(b.required ?? []).includes(name)) problems.push(`${where}.${name}: not always present`);
    problems.push(...incompatibilities(property, ours, direction, `${where}.${name}`));
  }
  if (direction === 'request' && a.properties) {
    const extraRequired = ((b.required ?? []) as string[]).filter((name) => !(a.required ?? []).includes(name));
    if (extraRequired.length) problems.push(`${where}: requires ${extraRequired.join(', ')}, which NeevCloud clients may omit`);
  }
  if (a.items) problems.push(...incompatibilities(a.items, b.items ?? {}, direction, `${where}[]`));
  return problems;
};

const jsonSchemaOf = (d: Schema, holder: Schema | undefined) => resolve(d, holder)?.content?.['application/json']?.schema;

describe('compatibility with the NeevCloud contract', () => {
  const operations = Object.entries(seed.paths as Schema).flatMap(([path, methods]) =>
    Object.entries(methods as Schema).map(([method, op]) => ({ path, method, op: op as Schema })),
  );

  it('has every NeevCloud path and method', () => {
    expect(operations.length).toBe(5);
    for (const { path, method } of operations) expect(doc.paths[path]?.[method], `${method.toUpperCase()} ${path}`).toBeDefined();
  });

  it.each(operations.map((o) => [`${o.method.toUpperCase()} ${o.path}`, o] as const))('%s: same parameters, request body and answers', (_, { path, method, op }) => {
    const ours = doc.paths[path][method];
    const problems: string[] = [];
    for (const parameter of (op.parameters ?? []).map((p: Schema) => resolve(seed, p))) {
      const mine = ours.parameters.find((p: Schema) => p.name === parameter.name && p.in === parameter.in);
      if (!mine) problems.push(`parameter ${parameter.in} ${parameter.name}: missing`);
      else problems.push(...incompatibilities(parameter.schema, mine.schema, 'request', `parameter ${parameter.name}`));
    }
    if (op.requestBody) problems.push(...incompatibilities(jsonSchemaOf(seed, op.requestBody), jsonSchemaOf(doc, ours.requestBody) ?? {}, 'request', 'body'));
    for (const [status, response] of Object.entries(op.responses as Schema)) {
      if (!ours.responses[status]) {
        problems.push(`response ${status}: not documented`);
        continue;
      }
      const seedSchema = jsonSchemaOf(seed, response);
      if (seedSchema) problems.push(...incompatibilities(seedSchema, jsonSchemaOf(doc, ours.responses[status]) ?? {}, 'response', `response ${status}`));
    }
    expect(problems).toEqual([]);
  });

  it('would notice an incompatible field (the check can fail)', () => {
    const seedSchema = { type: 'object', properties: { uptime_seconds: { type: 'integer' }, endpoint_url: { type: 'string', nullable: true } } };
    expect(incompatibilities(seedSchema, { type: 'object', properties: { uptime_seconds: { type: 'string' } }, required: ['uptime_seconds'] }, 'response', 'r')).toEqual([
      'r.uptime_seconds: type ["string"] vs NeevCloud ["integer"]',
      'r.endpoint_url: missing',
    ]);
    expect(incompatibilities({ type: 'object', properties: { a: { type: 'string' } }, required: ['a'] }, { type: 'object', properties: { a: { type: 'string' }, b: { type: 'string' } }, required: ['a', 'b'] }, 'request', 'body')).toEqual([
      'body: requires b, which NeevCloud clients may omit',
    ]);
  });
});

describe('the contract check the api() helper runs on every answer', () => {
  const base = '/api/v1beta1/orgs/org-acme/projects/prj-web/aimodels';
  const error = { code: 'not_found', message: 'no such deployment' };

  it('accepts documented answers, by method, path template and status', () => {
    expect(contractViolation('GET', `${base}/dep-abc/events?limit=2`, 200, 'application/json', { items: [], next_cursor: null })).toBeUndefined();
    expect(contractViolation('GET', `${base}/dep-abc`, 404, 'application/json', error)).toBeUndefined();
    expect(contractViolation('DELETE', `${base}/dep-abc`, 204, null, undefined)).toBeUndefined();
    expect(contractViolation('GET', '/api/v1beta1/nowhere', 404, 'application/json', error)).toBeUndefined();
    expect(contractViolation('PATCH', `${base}/dep-abc`, 405, 'application/json', { code: 'method_not_allowed', message: 'PATCH is not allowed' })).toBeUndefined();
  });

  it('rejects an undocumented status, a body missing a field or with an unknown one, and an unknown error code', () => {
    expect(contractViolation('GET', '/api/v1beta1/inventory', 404, 'application/json', error)).toMatch(/status 404 is not documented/);
    expect(contractViolation('GET', `${base}/dep-abc/events`, 200, 'application/json', { items: [] })).toMatch(/must have required property 'next_cursor'/);
    expect(contractViolation('GET', `${base}/dep-abc/events`, 200, 'application/json', { items: [], next_cursor: null, extra: 1 })).toMatch(/additional properties \(extra\)/);
    expect(contractViolation('GET', `${base}/dep-abc`, 404, 'application/json', { code: 'gone', message: 'x' })).toMatch(/\/code must be equal to one of the allowed values/);
    expect(contractViolation('DELETE', `${base}/dep-abc`, 204, 'application/json', {})).toMatch(/documented without a body/);
    expect(contractViolation('GET', '/api/v1beta1/nowhere', 500, 'application/json', error)).toMatch(/must be 404/);
  });
});
