// Over 300 lines: one URL grammar for discovery, resources and subresources; split by verb it would repeat the path parsing.
/** HTTP routing of the Kubernetes API: discovery, /version, /healthz, and core/v1 + apps/v1 resources. */
import { BodyParseError, jsonResponse, mediaType, parseJsonBody, textResponse, type SimRequest, type SimResponse } from '../http.js';
import type { LogQuery } from './host.js';
import type { ApiServing } from './serving.js';
import type { DeleteOptions, ListOptions, WriteOptions } from './api-server.js';
import { POD, RESOURCES, findResource, type ResourceType } from './resources.js';
import { badRequest, failureStatus, KubeError, methodNotAllowed, pathNotFound } from './status.js';
import { tableRequest, toTable } from './table.js';
import { isRecord, type KubeObject, type Pod } from './types.js';
import { isWatch, watchResponse } from './watch.js';
import { KUBELET_VERSION } from './version.js';
import { fieldValidation, withWarnings } from './field-validation.js';
import { openApi } from './openapi.js';
import { gateKubernetesRequest } from './gate.js';
import { decodeKubernetesProtobuf, KUBERNETES_PROTOBUF, ProtobufDecodeError, ProtobufUnsupportedError } from './protobuf.js';

const GROUP_VERSIONS = [...new Set(RESOURCES.map((r) => r.apiVersion))];

/** The kinds kube-apiserver puts in the `all` category, whichever file defines their type. */
const ALL_CATEGORY = new Set(['pods', 'services', 'deployments', 'replicasets', 'daemonsets', 'statefulsets', 'jobs', 'cronjobs', 'replicationcontrollers', 'horizontalpodautoscalers']);
const categoriesOf = (r: ResourceType): string[] => r.categories ?? (ALL_CATEGORY.has(r.plural) ? ['all'] : []);

const VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update'];

const resourceList = (apiVersion: string): unknown => ({
  kind: 'APIResourceList',
  apiVersion: 'v1',
  groupVersion: apiVersion,
  resources: RESOURCES.filter((r) => r.apiVersion === apiVersion).flatMap((r) => [
    {
      name: r.plural,
      singularName: r.singular,
      namespaced: r.namespaced,
      kind: r.kind,
      verbs: [...VERBS, 'watch'],
      ...(r.shortNames.length > 0 ? { shortNames: r.shortNames } : {}),
      ...(categoriesOf(r).length > 0 ? { categories: categoriesOf(r) } : {}),
    },
    ...r.subresources.map((sub) => ({
      name: `${r.plural}/${sub}`,
      singularName: '',
      namespaced: r.namespaced,
      ...(sub === 'scale'
        ? { group: 'autoscaling', version: 'v1', kind: 'Scale' }
        : sub === 'eviction'
          ? { group: 'policy', version: 'v1', kind: 'Eviction' }
          : { kind: r.kind }),
      verbs: sub === 'log' ? ['get'] : sub === 'eviction' ? ['create'] : ['get', 'patch', 'update'],
    })),
  ]),
});

const discovery = (path: string, host: string): unknown | undefined => {
  if (path === '/version') {
    const [major, minor] = KUBELET_VERSION.slice(1).split('.');
    return { major, minor: `${minor ?? ''}+`, gitVersion: KUBELET_VERSION, gitCommit: 'sim', gitTreeState: 'clean', buildDate: '2025-01-15T00:00:00Z', goVersion: 'go1.22.9', compiler: 'gc', platform: 'linux/amd64' };
  }
  if (path === '/api') return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: host }] };
  const groups = GROUP_VERSIONS.filter((gv) => gv.includes('/')).map((gv) => {
    const [name = '', version = ''] = gv.split('/');
    return { name, versions: [{ groupVersion: gv, version }], preferredVersion: { groupVersion: gv, version } };
  });
  if (path === '/apis') return { kind: 'APIGroupList', apiVersion: 'v1', groups };
  const group = groups.find((g) => path === `/apis/${g.name}`);
  if (group) return { kind: 'APIGroup', apiVersion: 'v1', ...group };
  const gv = GROUP_VERSIONS.find((v) => path === (v.includes('/') ? `/apis/${v}` : `/api/${v}`));
  return gv ? resourceList(gv) : undefined;
};

interface Target {
  type: ResourceType;
  namespace?: string;
  name?: string;
  subresource?: string;
}

const parseTarget = (segments: string[]): Target => {
  let apiVersion: string;
  let rest: string[];
  if (segments[0] === 'api') {
    apiVersion = segments[1] ?? '';
    rest = segments.slice(2);
  } else {
    apiVersion = `${segments[1] ?? ''}/${segments[2] ?? ''}`;
    rest = segments.slice(3);
  }
  let namespace: string | undefined;
  // `/namespaces/{name}/status` is the Namespace's own subresource, not a namespaced collection.
  if (rest[0] === 'namespaces' && rest.length >= 3 && !(rest.length === 3 && rest[2] === 'status')) {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  const [plural = '', name, subresource, ...extra] = rest;
  const type = findResource(apiVersion, plural);
  if (!type || extra.length > 0) throw pathNotFound();
  if (namespace !== undefined && !type.namespaced) throw pathNotFound();
  if (type.namespaced && namespace === undefined && name !== undefined) throw pathNotFound();
  if (subresource !== undefined && !type.subresources.includes(subresource as 'status')) throw pathNotFound();
  return { type, ...(namespace !== undefined ? { namespace } : {}), ...(name !== undefined ? { name } : {}), ...(subresource !== undefined ? { subresource } : {}) };
};

const numberParam = (params: URLSearchParams, key: string): number | undefined => {
  const raw = params.get(key);
  if (raw === null || raw === '') return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value)) throw badRequest(`invalid ${key}: ${raw}`);
  return value;
};

/** List items are returned without kind/apiVersion, as the real API server does. */
const listItem = (obj: KubeObject): Record<string, unknown> => {
  const { kind: _kind, apiVersion: _apiVersion, ...rest } = obj;
  return rest;
};

interface ContinueToken {
  offset: number;
}

const listResponse = (world: ApiServing, req: SimRequest, type: ResourceType, items: KubeObject[], params: URLSearchParams): unknown => {
  const limit = numberParam(params, 'limit');
  let offset = 0;
  const token = params.get('continue');
  if (token) {
    try {
      offset = (JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as ContinueToken).offset;
    } catch {
      throw badRequest('continue key is not valid');
    }
  }
  const page = limit && limit > 0 ? items.slice(offset, offset + limit) : items.slice(offset);
  const next = offset + page.length;
  const more = limit !== undefined && limit > 0 && next < items.length;
  const metadata = {
    resourceVersion: world.store.currentResourceVersion(),
    ...(more ? { continue: Buffer.from(JSON.stringify({ offset: next })).toString('base64url'), remainingItemCount: items.length - next } : {}),
  };
  const table = tableRequest(req.headers, params);
  if (table) return toTable(type.plural, page, table, metadata, world.now());
  return { kind: `${type.kind}List`, apiVersion: type.apiVersion, metadata, items: page.map(listItem) };
};

const logQuery = (params: URLSearchParams, now: number): LogQuery => {
  const tailLines = numberParam(params, 'tailLines');
  const limitBytes = numberParam(params, 'limitBytes');
  const sinceSeconds = numberParam(params, 'sinceSeconds');
  const sinceTime = params.get('sinceTime');
  if (sinceSeconds !== undefined && sinceTime) throw badRequest('PodLogOptions "" is invalid: sinceSeconds: Forbidden: at most one of `sinceTime` or `sinceSeconds` may be specified');
  if (sinceSeconds !== undefined && sinceSeconds < 1) throw badRequest(`PodLogOptions "" is invalid: sinceSeconds: Invalid value: ${sinceSeconds}: must be greater than 0`);
  if (limitBytes !== undefined && limitBytes < 1) throw badRequest(`PodLogOptions "" is invalid: limitBytes: Invalid value: ${limitBytes}: must be greater than 0`);
  if (tailLines !== undefined && tailLines < 0) throw badRequest(`PodLogOptions "" is invalid: tailLines: Invalid value: ${tailLines}: must be greater than or equal to 0`);
  let since: number | undefined;
  if (sinceSeconds !== undefined) since = now - sinceSeconds * 1000;
  if (sinceTime) {
    since = Date.parse(sinceTime);
    if (Number.isNaN(since)) throw badRequest(`parsing time "${sinceTime}" as "2006-01-02T15:04:05Z07:00": cannot parse "${sinceTime}" as "2006"`);
  }
  return {
    ...(params.get('container') ? { container: params.get('container') ?? '' } : {}),
    previous: params.get('previous') === 'true',
    timestamps: params.get('timestamps') === 'true',
    ...(tailLines !== undefined ? { tailLines } : {}),
    ...(limitBytes !== undefined ? { limitBytes } : {}),
    ...(since !== undefined ? { since } : {}),
  };
};

const writeOptions = (params: URLSearchParams): WriteOptions => ({
  ...(params.get('fieldManager') ? { fieldManager: params.get('fieldManager') ?? '' } : {}),
  ...(params.get('dryRun') === 'All' ? { dryRun: true } : {}),
});

const deleteOptions = (params: URLSearchParams, body: unknown): DeleteOptions => {
  const fromBody = isRecord(body) ? body : {};
  const grace = numberParam(params, 'gracePeriodSeconds') ?? (typeof fromBody.gracePeriodSeconds === 'number' ? fromBody.gracePeriodSeconds : undefined);
  const policy = params.get('propagationPolicy') ?? (typeof fromBody.propagationPolicy === 'string' ? fromBody.propagationPolicy : undefined);
  if (policy !== undefined && !['Background', 'Foreground', 'Orphan'].includes(policy)) {
    throw badRequest(`DeleteOptions.meta.k8s.io "" is invalid: propagationPolicy: Unsupported value: "${policy}": supported values: "Foreground", "Background", "Orphan"`);
  }
  const pre = isRecord(fromBody.preconditions) ? fromBody.preconditions : undefined;
  const dryRun = params.get('dryRun') === 'All' || (Array.isArray(fromBody.dryRun) && fromBody.dryRun.includes('All'));
  return {
    ...(grace !== undefined ? { gracePeriodSeconds: grace } : {}),
    ...(policy !== undefined ? { propagationPolicy: policy as DeleteOptions['propagationPolicy'] } : {}),
    ...(pre
      ? { preconditions: { ...(typeof pre.uid === 'string' ? { uid: pre.uid } : {}), ...(typeof pre.resourceVersion === 'string' ? { resourceVersion: pre.resourceVersion } : {}) } }
      : {}),
    ...(dryRun ? { dryRun } : {}),
  };
};

const listOptions = (params: URLSearchParams): ListOptions => ({
  ...(params.get('labelSelector') ? { labelSelector: params.get('labelSelector') ?? '' } : {}),
  ...(params.get('fieldSelector') ? { fieldSelector: params.get('fieldSelector') ?? '' } : {}),
});

const handleResource = (world: ApiServing, req: SimRequest, target: Target): SimResponse => {
  const { type, namespace, name, subresource } = target;
  const params = req.url.searchParams;
  const api = world.api;
  const method = req.method;

  if (name === undefined) {
    if (method === 'GET') {
      if (isWatch(params)) return watchResponse(world, type, namespace, listOptions(params), params, tableRequest(req.headers, params));
      return jsonResponse(200, listResponse(world, req, type, api.list(type, namespace, listOptions(params)), params));
    }
    if (method === 'POST') {
      if (type.namespaced && namespace === undefined) throw methodNotAllowed();
      const body = parseJsonBody(req);
      const warnings = fieldValidation(type, body, params, 'create');
      const admission: string[] = [];
      const created = api.create(type, namespace, body, { ...writeOptions(params), warnings: admission });
      return jsonResponse(201, created, withWarnings(warnings, admission));
    }
    if (method === 'DELETE') {
      const deleted = api.deleteCollection(type, namespace, listOptions(params), deleteOptions(params, parseJsonBody(req)));
      return jsonResponse(200, { kind: `${type.kind}List`, apiVersion: type.apiVersion, metadata: { resourceVersion: world.store.currentResourceVersion() }, items: deleted.map(listItem) });
    }
    throw methodNotAllowed();
  }

  if (subresource === 'log') {
    if (method !== 'GET') throw methodNotAllowed();
    const pod = api.get(POD, namespace, name) as Pod;
    const query = logQuery(params, world.now());
    if (params.get('follow') === 'true') {
      world.kubelet.podLog(pod, query, world.now()); // refusals (waiting container, bad name) before the stream starts
      return { status: 200, headers: { 'content-type': 'text/plain' }, body: '', stream: (sink) => world.kubelet.followPodLog(pod, query, sink) };
    }
    return textResponse(200, world.kubelet.podLog(pod, query, world.now()));
  }

  if (subresource === 'eviction') {
    if (method !== 'POST') throw methodNotAllowed();
    const body = parseJsonBody(req);
    // PodDisruptionBudgets are stored but not consulted, so every eviction is allowed: a graceful delete.
    api.delete(POD, namespace, name, deleteOptions(params, isRecord(body) ? body.deleteOptions : undefined));
    return jsonResponse(201, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 });
  }

  if (subresource === 'scale') {
    if (method === 'GET') return jsonResponse(200, api.getScale(type, namespace, name));
    if (method === 'PUT') return jsonResponse(200, api.replaceScale(type, namespace, name, parseJsonBody(req), writeOptions(params)));
    if (method === 'PATCH') return jsonResponse(200, api.patchScale(type, namespace, name, mediaType(req.headers), parseJsonBody(req), writeOptions(params)));
    throw methodNotAllowed();
  }

  const status = subresource === 'status' ? 'status' : undefined;
  switch (method) {
    case 'GET': {
      const obj = api.get(type, namespace, name);
      const table = subresource ? undefined : tableRequest(req.headers, params);
      return jsonResponse(200, table ? toTable(type.plural, [obj], table, { resourceVersion: obj.metadata.resourceVersion }, world.now()) : obj);
    }
    case 'PUT': {
      const body = parseJsonBody(req);
      const warnings = fieldValidation(type, body, params, 'update');
      const admission: string[] = [];
      const replaced = api.replace(type, namespace, name, body, { ...writeOptions(params), warnings: admission }, status);
      return jsonResponse(200, replaced, withWarnings(warnings, admission));
    }
    case 'PATCH': {
      const existed = world.store.get(type.plural, type.namespaced ? namespace : undefined, name) !== undefined;
      const body = parseJsonBody(req);
      const patchType = mediaType(req.headers);
      const warnings = fieldValidation(type, body, params, patchType === 'application/apply-patch+yaml' ? 'apply' : patchType === 'application/json-patch+json' ? 'json-patch' : 'patch');
      const admission: string[] = [];
      const result = api.patch(type, namespace, name, patchType, body, { ...writeOptions(params), warnings: admission }, status);
      return jsonResponse(existed ? 200 : 201, result, withWarnings(warnings, admission));
    }
    case 'DELETE': {
      if (subresource) throw methodNotAllowed();
      const result = api.delete(type, namespace, name, deleteOptions(params, parseJsonBody(req)));
      return jsonResponse(200, result);
    }
    default:
      throw methodNotAllowed();
  }
};

/**
 * The deprecated `/api/v1/watch/…` and `/apis/<g>/<v>/watch/…` paths: a watch of the
 * collection, or of one object through a metadata.name field selector.
 */
const legacyWatch = (req: SimRequest, segments: string[]): string[] => {
  const at = segments[0] === 'api' ? 2 : 3;
  if (segments[at] !== 'watch' || req.method !== 'GET') return segments;
  const rest = [...segments.slice(0, at), ...segments.slice(at + 1)];
  const params = req.url.searchParams;
  params.set('watch', 'true');
  const namespaced = rest[at] === 'namespaces' && rest.length > at + 2;
  const nameIndex = namespaced ? at + 3 : at + 1;
  const name = rest[nameIndex];
  if (name === undefined) return rest;
  const selector = [params.get('fieldSelector'), `metadata.name=${name}`].filter(Boolean).join(',');
  params.set('fieldSelector', selector);
  return rest.slice(0, nameIndex);
};

export const isKubernetesPath = (path: string): boolean =>
  path === '/api' || path.startsWith('/api/') || path === '/openapi/v2' || path === '/openapi/v3' || path.startsWith('/openapi/v3/') || path === '/apis' || path.startsWith('/apis/') || ['/version', '/healthz', '/livez', '/readyz'].includes(path);

const UNDECODED = 'the body of the request was in an unknown format - accepted media types include: application/json, application/yaml';

/**
 * The request with a JSON body. The simulator decodes JSON and YAML, and protobuf for the kinds
 * protobuf.ts has schemas for; any other protobuf body (kubectl 1.35's `create deployment`, for
 * one), or CBOR, gets kube-apiserver's 415 for a media type it does not decode.
 */
const decodedBody = (req: SimRequest): SimRequest => {
  const bodyType = req.body.length > 0 ? mediaType(req.headers) : '';
  if (bodyType === KUBERNETES_PROTOBUF) {
    let object: Record<string, unknown> | undefined;
    try {
      object = decodeKubernetesProtobuf(req.body).object;
    } catch (error) {
      if (!(error instanceof ProtobufUnsupportedError)) throw error;
    }
    if (object === undefined) throw new KubeError(failureStatus(415, 'UnsupportedMediaType', UNDECODED));
    return { ...req, headers: { ...req.headers, 'content-type': 'application/json' }, body: Buffer.from(JSON.stringify(object)) };
  }
  if (bodyType === 'application/cbor') throw new KubeError(failureStatus(415, 'UnsupportedMediaType', UNDECODED));
  return req;
};

/** Handles a Kubernetes API request; mutating requests run a reconcile before answering. */
export const handleKubernetes = (world: ApiServing, received: SimRequest): SimResponse => {
  const path = received.url.pathname.replace(/\/+$/, '') || '/';
  try {
    const req = decodedBody(received);
    // Authentication, impersonation, injected faults, authorization, self reviews (gate.ts).
    const gated = gateKubernetesRequest(world, req);
    if (gated) return gated;
    if (['/healthz', '/livez', '/readyz'].includes(path)) return textResponse(200, 'ok');
    if (path.startsWith('/openapi/')) {
      if (req.method !== 'GET') throw methodNotAllowed();
      const answer = openApi(path, req.headers);
      if (!answer) throw pathNotFound();
      const { status, contentType, body } = answer;
      if (typeof body === 'string') return { status, headers: { 'content-type': contentType }, body };
      // A binary document (v2 in protobuf): SimResponse bodies are strings, so it writes itself.
      return { status, headers: {}, body: '', respond: (res) => res.writeHead(status, { 'content-type': contentType, 'content-length': body.length }).end(body) };
    }
    const doc = discovery(path, req.url.host);
    if (doc !== undefined) {
      if (req.method !== 'GET') throw methodNotAllowed();
      return jsonResponse(200, doc);
    }
    let segments = path.split('/').filter((s) => s.length > 0).map(decodeURIComponent);
    segments = legacyWatch(req, segments);
    const proxied = world.kubelet.proxy(req, segments);
    if (proxied !== undefined) return proxied;
    const target = parseTarget(segments);
    // The single spot before dispatch: an authorization or fault-injection step takes (req, target) here.
    const response = handleResource(world, req, target);
    if (req.method !== 'GET') world.reconcile();
    return response;
  } catch (error) {
    if (error instanceof KubeError) return jsonResponse(error.code, error.status);
    if (error instanceof ProtobufDecodeError) {
      const e = badRequest(error.message);
      return jsonResponse(e.code, e.status);
    }
    if (error instanceof BodyParseError) {
      const e = badRequest(`the body of the request was in an unknown format: ${error.message}`);
      return jsonResponse(e.code, e.status);
    }
    throw error;
  }
};
