/**
 * /openapi/v3 (discovery and one document per group-version) and /openapi/v2 (JSON, or protobuf:
 * openapi-protobuf.ts), built from the served resource types and client-node's models. kubectl
 * reads v2, in protobuf only, to validate a `kind: List` on the client. It reads the v3 documents: a PATCH
 * operation tagged with the kind's x-kubernetes-group-version-kind that lists the
 * `fieldValidation` query parameter makes it leave validation to the server
 * (`?fieldValidation=Strict`); the strategic-merge-patch request body lets client-side apply
 * compute its patch from these schemas; `kubectl explain` walks the component schemas.
 */
import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { KUBELET_VERSION } from './version.js';
import { attributesOf, docsOf, modelForResource, shapeOf, type TypeShape } from './openapi-models.js';
import { MERGE_KEYS } from './patch.js';
import { OPENAPI_V2_PROTOBUF, OPENAPI_V2_PROTOBUF_LEGACY, openApiV2Protobuf } from './openapi-protobuf.js';
import { RESOURCES, type ResourceType } from './resources.js';

type Json = Record<string, unknown>;
type Flavor = 'v2' | 'v3';

const refTo = (name: string, flavor: Flavor): Json => ({ $ref: flavor === 'v3' ? `#/components/schemas/${name}` : `#/definitions/${name}` });

const schemaOfShape = (shape: TypeShape, flavor: Flavor, needed: Set<string>): Json => {
  switch (shape.kind) {
    case 'array':
      return { type: 'array', items: schemaOfShape(shape.item, flavor, needed) };
    case 'map':
      return { type: 'object', additionalProperties: schemaOfShape(shape.value, flavor, needed) };
    case 'model':
      needed.add(shape.name);
      return refTo(shape.name, flavor);
    case 'primitive':
      return { type: shape.type, ...(shape.format ? { format: shape.format } : {}) };
    case 'int-or-string':
      return { 'x-kubernetes-int-or-string': true, format: 'int-or-string' };
    case 'any':
      return { type: 'object', 'x-kubernetes-preserve-unknown-fields': true };
  }
};

const gvkOf = (type: ResourceType, kind = type.kind): Json => ({ group: type.group, version: type.version, kind });

/** The patchMergeKey the server's strategic merge uses; ports are keyed by containerPort or port. */
const mergeKeyOf = (field: string, itemModel: string): string | undefined => {
  if (field === 'ports') return itemModel === 'V1ContainerPort' ? 'containerPort' : itemModel === 'V1ServicePort' ? 'port' : undefined;
  return MERGE_KEYS[field];
};

/** Component schemas for `roots` and everything they reference. */
const schemasFor = (roots: { model: string; gvk?: Json }[], flavor: Flavor): Record<string, Json> => {
  const out: Record<string, Json> = {};
  const gvks = new Map(roots.filter((r) => r.gvk).map((r) => [r.model, r.gvk]));
  const needed = new Set(roots.map((r) => r.model));
  const done = new Set<string>();
  while (done.size < needed.size) {
    const model = [...needed].find((m) => !done.has(m));
    if (!model) break;
    done.add(model);
    const docs = docsOf(model);
    const properties: Record<string, Json> = {};
    for (const attr of attributesOf(model) ?? []) {
      const shape = shapeOf(attr.type, attr.format);
      let schema = schemaOfShape(shape, flavor, needed);
      const description = docs.fields[attr.name] ?? docs.fields[attr.baseName];
      if (shape.kind === 'model' && flavor === 'v3') schema = { allOf: [schema], default: {} };
      const mergeKey = shape.kind === 'array' && shape.item.kind === 'model' ? mergeKeyOf(attr.baseName, shape.item.name) : undefined;
      if (mergeKey) {
        schema = { ...schema, 'x-kubernetes-patch-merge-key': mergeKey, 'x-kubernetes-patch-strategy': 'merge', 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': [mergeKey] };
      }
      properties[attr.baseName] = { ...(description ? { description } : {}), ...schema };
    }
    const required = docs.required.filter((name) => name in properties);
    const gvk = gvks.get(model);
    out[model] = {
      ...(docs.description ? { description: docs.description } : {}),
      type: 'object',
      properties,
      ...(required.length > 0 ? { required } : {}),
      ...(gvk ? { 'x-kubernetes-group-version-kind': [gvk] } : {}),
    };
  }
  return out;
};

const QUERY = {
  dryRun: 'When present, indicates that modifications should not be persisted. Valid values are: - All: all dry run stages will be processed',
  fieldManager: 'fieldManager is a name associated with the actor or entity that is making these changes.',
  fieldValidation:
    'fieldValidation instructs the server on how to handle objects in the request (POST/PUT/PATCH) containing unknown or duplicate fields. Valid values are: - Ignore - Warn (the default) - Strict',
  force: 'Force is going to "force" Apply requests. It means user will re-acquire conflicting fields owned by other people.',
  labelSelector: 'A selector to restrict the list of returned objects by their labels. Defaults to everything.',
  fieldSelector: 'A selector to restrict the list of returned objects by their fields. Defaults to everything.',
  limit: 'limit is a maximum number of responses to return for a list call.',
  continue: 'The continue option should be set when retrieving more results from the server.',
  watch: 'Watch for changes to the described resources and return them as a stream of add, update, and remove notifications.',
  resourceVersion: 'resourceVersion sets a constraint on what resource versions a request may be served from.',
  timeoutSeconds: 'Timeout for the list/watch call.',
  allowWatchBookmarks: 'allowWatchBookmarks requests watch events with type "BOOKMARK".',
  gracePeriodSeconds: 'The duration in seconds before the object should be deleted.',
  propagationPolicy: "Whether and how garbage collection will be performed: 'Orphan', 'Background' or 'Foreground'.",
} as const;

const BOOLEAN_PARAMS = new Set(['force', 'watch', 'allowWatchBookmarks']);
const INTEGER_PARAMS = new Set(['limit', 'timeoutSeconds', 'gracePeriodSeconds']);

const param = (name: keyof typeof QUERY, flavor: Flavor): Json => {
  const type = BOOLEAN_PARAMS.has(name) ? 'boolean' : INTEGER_PARAMS.has(name) ? 'integer' : 'string';
  return flavor === 'v3'
    ? { name, in: 'query', description: QUERY[name], schema: { type, uniqueItems: true } }
    : { name, in: 'query', description: QUERY[name], type, uniqueItems: true };
};

const PATCH_TYPES = ['application/apply-patch+yaml', 'application/json-patch+json', 'application/merge-patch+json', 'application/strategic-merge-patch+json'];

const operation = (flavor: Flavor, id: string, action: string, gvk: Json, params: (keyof typeof QUERY)[], response: string, body?: { types: string[]; model: string }): Json => {
  const responseSchema = refTo(response, flavor);
  const common = { operationId: id, 'x-kubernetes-action': action, 'x-kubernetes-group-version-kind': gvk, parameters: params.map((p) => param(p, flavor)) };
  if (flavor === 'v3') {
    return {
      ...common,
      ...(body ? { requestBody: { required: true, content: Object.fromEntries(body.types.map((t) => [t, { schema: body.types.length > 1 ? { type: 'object' } : refTo(body.model, flavor) }])) } } : {}),
      responses: { '200': { description: 'OK', content: { 'application/json': { schema: responseSchema } } }, '401': { description: 'Unauthorized' } },
    };
  }
  return {
    ...common,
    ...(body ? { consumes: body.types, parameters: [{ name: 'body', in: 'body', required: true, schema: body.types.length > 1 ? { type: 'object' } : refTo(body.model, flavor) }, ...common.parameters] } : {}),
    produces: ['application/json'],
    responses: { '200': { description: 'OK', schema: responseSchema }, '401': { description: 'Unauthorized' } },
  };
};

const pathParams = (flavor: Flavor, names: string[]): Json[] =>
  names.map((name) =>
    flavor === 'v3'
      ? { name, in: 'path', required: true, description: `${name} of the resource`, schema: { type: 'string', uniqueItems: true } }
      : { name, in: 'path', required: true, description: `${name} of the resource`, type: 'string', uniqueItems: true },
  );

const WRITE: (keyof typeof QUERY)[] = ['dryRun', 'fieldManager', 'fieldValidation'];
const LIST: (keyof typeof QUERY)[] = ['labelSelector', 'fieldSelector', 'limit', 'continue', 'watch', 'resourceVersion', 'timeoutSeconds', 'allowWatchBookmarks'];

const pathsFor = (type: ResourceType, model: string, flavor: Flavor): Record<string, Json> => {
  const base = type.group ? `/apis/${type.apiVersion}` : '/api/v1';
  const collection = type.namespaced ? `${base}/namespaces/{namespace}/${type.plural}` : `${base}/${type.plural}`;
  const scope = type.namespaced ? ['namespace'] : [];
  const id = `${type.kind}${type.namespaced ? 'Namespaced' : ''}`;
  const gvk = gvkOf(type);
  const list = `${model}List`;
  const paths: Record<string, Json> = {
    [collection]: {
      parameters: pathParams(flavor, scope),
      get: operation(flavor, `list${id}`, 'list', gvk, LIST, attributesOf(list) ? list : model),
      post: operation(flavor, `create${id}`, 'post', gvk, WRITE, model, { types: ['application/json'], model }),
    },
    [`${collection}/{name}`]: {
      parameters: pathParams(flavor, [...scope, 'name']),
      get: operation(flavor, `read${id}`, 'get', gvk, [], model),
      put: operation(flavor, `replace${id}`, 'put', gvk, WRITE, model, { types: ['application/json'], model }),
      patch: operation(flavor, `patch${id}`, 'patch', gvk, [...WRITE, 'force'], model, { types: PATCH_TYPES, model }),
      delete: operation(flavor, `delete${id}`, 'delete', gvk, ['dryRun', 'gracePeriodSeconds', 'propagationPolicy'], model),
    },
  };
  if (type.subresources.includes('status')) {
    paths[`${collection}/{name}/status`] = {
      parameters: pathParams(flavor, [...scope, 'name']),
      get: operation(flavor, `read${id}Status`, 'get', gvk, [], model),
      put: operation(flavor, `replace${id}Status`, 'put', gvk, WRITE, model, { types: ['application/json'], model }),
      patch: operation(flavor, `patch${id}Status`, 'patch', gvk, [...WRITE, 'force'], model, { types: PATCH_TYPES, model }),
    };
  }
  return paths;
};

const served = (filter: (t: ResourceType) => boolean): { type: ResourceType; model: string }[] =>
  RESOURCES.filter(filter).flatMap((type) => {
    const model = modelForResource(type);
    return model ? [{ type, model }] : [];
  });

const document = (flavor: Flavor, filter: (t: ResourceType) => boolean): Json => {
  const types = served(filter);
  const paths = Object.assign({}, ...types.map(({ type, model }) => pathsFor(type, model, flavor))) as Json;
  const roots = types.flatMap(({ type, model }) => [
    { model, gvk: gvkOf(type) },
    ...(attributesOf(`${model}List`) ? [{ model: `${model}List`, gvk: gvkOf(type, `${type.kind}List`) }] : []),
  ]);
  const schemas = schemasFor(roots, flavor);
  const info = { title: 'Kubernetes', version: KUBELET_VERSION };
  return flavor === 'v3' ? { openapi: '3.0.0', info, paths, components: { schemas } } : { swagger: '2.0', info, paths, definitions: schemas };
};

const cache = new Map<string, { body: string; hash: string }>();

const cached = (key: string, build: () => Json): { body: string; hash: string } => {
  let entry = cache.get(key);
  if (!entry) {
    const body = JSON.stringify(build());
    entry = { body, hash: createHash('sha512').update(body).digest('hex').slice(0, 128).toUpperCase() };
    cache.set(key, entry);
  }
  return entry;
};

const groupVersionPath = (apiVersion: string): string => (apiVersion.includes('/') ? `apis/${apiVersion}` : `api/${apiVersion}`);

export type OpenApiAnswer = { status: number; contentType: string; body: string | Buffer } | undefined;

/** The v2 media type to answer in: the first of the Accept list that is served (kubectl asks for protobuf only). */
const v2MediaType = (headers: IncomingHttpHeaders): string | undefined => {
  if (!headers.accept) return 'application/json';
  for (const entry of headers.accept.split(',')) {
    const type = entry.split(';')[0]?.trim().toLowerCase() ?? '';
    if (type === OPENAPI_V2_PROTOBUF || type === OPENAPI_V2_PROTOBUF_LEGACY) return OPENAPI_V2_PROTOBUF;
    if (['application/json', '*/*', 'application/*'].includes(type)) return 'application/json';
  }
  return undefined;
};

let v2Protobuf: Buffer | undefined;

/** Answers /openapi/v2, /openapi/v3 and /openapi/v3/<group-version>; undefined for other paths. */
export const openApi = (path: string, headers: IncomingHttpHeaders): OpenApiAnswer => {
  const versions = [...new Set(RESOURCES.map((r) => r.apiVersion))];
  if (path === '/openapi/v2') {
    const type = v2MediaType(headers);
    if (type === OPENAPI_V2_PROTOBUF) {
      v2Protobuf ??= openApiV2Protobuf(JSON.parse(cached('v2', () => document('v2', () => true)).body) as Json);
      return { status: 200, contentType: OPENAPI_V2_PROTOBUF_LEGACY, body: v2Protobuf };
    }
    if (type === undefined) return { status: 406, contentType: 'application/json', body: JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: `only application/json and ${OPENAPI_V2_PROTOBUF} are served for /openapi/v2`, reason: 'NotAcceptable', code: 406 }) };
    return { status: 200, contentType: 'application/json', body: cached('v2', () => document('v2', () => true)).body };
  }
  if (path === '/openapi/v3') {
    const paths = Object.fromEntries(
      versions.map((v) => {
        const gvPath = groupVersionPath(v);
        return [gvPath, { serverRelativeURL: `/openapi/v3/${gvPath}?hash=${cached(`v3:${v}`, () => document('v3', (t) => t.apiVersion === v)).hash}` }];
      }),
    );
    return { status: 200, contentType: 'application/json', body: JSON.stringify({ paths }) };
  }
  const version = versions.find((v) => path === `/openapi/v3/${groupVersionPath(v)}`);
  if (version === undefined) return undefined;
  return { status: 200, contentType: 'application/json', body: cached(`v3:${version}`, () => document('v3', (t) => t.apiVersion === version)).body };
};
