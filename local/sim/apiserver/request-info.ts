/**
 * The attributes the API server authorizes a request by, derived from its URL and method the
 * way kube-apiserver's RequestInfo resolver does (k8s.io/apiserver/pkg/endpoints/request):
 *
 * - `/api/v1/...` (core group) and `/apis/<group>/<version>/...` are resource requests; every
 *   other path (`/version`, `/healthz`, `/openapi/v2`, `/apis` itself) is a non-resource request
 *   authorized by path and the lower-cased HTTP method.
 * - The verb follows the method (POST create, GET/HEAD get, PUT update, PATCH patch, DELETE
 *   delete); a GET without a name is `list`, or `watch` with `?watch=true`; a DELETE without a
 *   name is `deletecollection`. The deprecated `/watch/` path prefix also means `watch`.
 * - `/namespaces/<ns>/<resource>` sets the namespace; `/namespaces/<ns>` and its own
 *   subresources (`status`, `finalize`) are the Namespace object itself, whose namespace
 *   attribute is then its own name (so a RoleBinding in `models` covers `get namespace models`).
 */

export type ResourceVerb = 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete' | 'deletecollection';

export interface ResourceRequestInfo {
  readonly isResourceRequest: true;
  readonly path: string;
  readonly verb: ResourceVerb;
  readonly apiPrefix: 'api' | 'apis';
  readonly apiGroup: string;
  readonly apiVersion: string;
  readonly namespace: string;
  readonly resource: string;
  readonly subresource: string;
  readonly name: string;
  /** Path segments after the subresource (`services/proxy` targets carry the proxied path here). */
  readonly parts: readonly string[];
}

export interface NonResourceRequestInfo {
  readonly isResourceRequest: false;
  readonly path: string;
  /** The lower-cased HTTP method: get, post, put, patch, delete, head. */
  readonly verb: string;
}

export type RequestInfo = ResourceRequestInfo | NonResourceRequestInfo;

const METHOD_VERB: Readonly<Record<string, ResourceVerb>> = {
  POST: 'create',
  GET: 'get',
  HEAD: 'get',
  PUT: 'update',
  PATCH: 'patch',
  DELETE: 'delete',
};

const NAMESPACE_SUBRESOURCES = new Set(['status', 'finalize']);

const isTrue = (value: string | null): boolean => value !== null && ['true', '1'].includes(value.toLowerCase());

const exactNameSelector = (selector: string | null): string | undefined => {
  if (!selector) return undefined;
  const terms = selector.split(',').map((t) => t.trim());
  for (const term of terms) {
    const match = /^metadata\.name(==?)(.+)$/.exec(term);
    const value = match?.[2];
    if (value && !['.', '..'].includes(value) && !/[/%]/.test(value)) return value;
  }
  return undefined;
};

/**
 * The request's attributes. `path` is the URL path (not decoded twice: the segments are
 * percent-decoded once, as Go's url.Path already is).
 */
export const resolveRequestInfo = (method: string, path: string, query: URLSearchParams = new URLSearchParams()): RequestInfo => {
  const upper = method.toUpperCase();
  const nonResource: NonResourceRequestInfo = { isResourceRequest: false, path, verb: method.toLowerCase() };
  const segments = path.replace(/^\/+/, '').replace(/\/+$/, '').split('/').filter((s) => s !== '');
  let parts: string[];
  try {
    parts = segments.map((s) => decodeURIComponent(s));
  } catch {
    return nonResource;
  }
  const prefix = parts[0];
  if (prefix !== 'api' && prefix !== 'apis') return nonResource;
  parts = parts.slice(1);
  let apiGroup = '';
  if (prefix === 'apis') {
    // /apis and /apis/<group> are discovery documents, not resources.
    if (parts.length < 3) return nonResource;
    apiGroup = parts[0] ?? '';
    parts = parts.slice(1);
  } else if (parts.length < 2) {
    // /api and /api/v1 are discovery.
    return nonResource;
  }
  const apiVersion = parts[0] ?? '';
  parts = parts.slice(1);

  let verb: ResourceVerb | undefined = METHOD_VERB[upper];
  if (verb === undefined) return nonResource;
  // The deprecated `/api/v1/watch/...` form; `proxy` in that position is the removed proxy form,
  // which the resolver treats the same way (verb `proxy`), but no client of ours uses it.
  if (parts[0] === 'watch') {
    verb = 'watch';
    parts = parts.slice(1);
  }

  let namespace = '';
  if (parts[0] === 'namespaces') {
    if (parts.length > 1) {
      namespace = parts[1] ?? '';
      if (parts.length > 2 && !NAMESPACE_SUBRESOURCES.has(parts[2] ?? '')) parts = parts.slice(2);
    }
  }

  const resource = parts[0] ?? '';
  let name = parts.length >= 2 ? (parts[1] ?? '') : '';
  const subresource = parts.length >= 3 ? (parts[2] ?? '') : '';

  if (name === '' && verb === 'get') {
    verb = isTrue(query.get('watch')) ? 'watch' : 'list';
    // A list or watch narrowed to one object by `metadata.name=` is authorized as that object.
    const exact = exactNameSelector(query.get('fieldSelector'));
    if (exact !== undefined) name = exact;
  }
  if (name === '' && verb === 'delete') verb = 'deletecollection';

  return {
    isResourceRequest: true,
    path,
    verb,
    apiPrefix: prefix,
    apiGroup,
    apiVersion,
    namespace,
    resource,
    subresource,
    name,
    parts: parts.slice(3),
  };
};
