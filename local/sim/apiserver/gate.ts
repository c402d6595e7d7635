/**
 * What kube-apiserver does to a request before a handler sees it, in its order: authenticate,
 * impersonate (`Impersonate-User` / `Impersonate-Group`, authorized as the `impersonate` verb on
 * users and groups), API Priority and Fairness (here: the injected protocol faults), authorize.
 * Also serves the self reviews (`kubectl auth can-i [--list]`, `kubectl auth whoami`), which only exist
 * in the authorization layer.
 *
 * One call from the router: `gateKubernetesRequest(world, req)` returns the response that ends
 * the request, or undefined to let the handler serve it.
 */
import { jsonResponse, parseJsonBody, type SimRequest, type SimResponse } from '../http.js';
import type { ApiHost } from './host.js';
import { allowedBy, authenticate, forbiddenStatus, rulesFor, UNAUTHORIZED_STATUS, type Authenticated, type UserInfo } from './authorizer.js';
import { kubernetesFaultResponse } from './protocol-faults.js';
import { resolveRequestInfo, type RequestInfo, type ResourceVerb } from './request-info.js';
import { badRequest, invalid, KubeError, methodNotAllowed } from './status.js';
import { isRecord } from './types.js';
import { SELF_SUBJECT_ACCESS_REVIEW, SELF_SUBJECT_REVIEW, SELF_SUBJECT_RULES_REVIEW } from './rbac-resources.js';

const headerValues = (value: string | string[] | undefined): string[] =>
  (Array.isArray(value) ? value : value === undefined ? [] : value.split(',')).map((v) => v.trim()).filter((v) => v !== '');

/** Applies impersonation headers, or throws the 403 kube-apiserver answers when not allowed. */
const impersonate = (world: ApiHost, who: Authenticated, req: SimRequest): Authenticated => {
  const [username, ...more] = headerValues(req.headers['impersonate-user']);
  const groups = headerValues(req.headers['impersonate-group']);
  if (username === undefined) {
    if (groups.length > 0) throw badRequest(`requested impersonation of group "${groups[0] ?? ''}" without impersonating a user`);
    return who;
  }
  if (more.length > 0) throw badRequest('only one user can be impersonated');
  const checks: [string, string][] = [['users', username], ...groups.map((g): [string, string] => ['groups', g])];
  for (const [resource, name] of checks) {
    const info: RequestInfo = { isResourceRequest: true, path: req.url.pathname, verb: 'impersonate' as ResourceVerb, apiPrefix: 'api', apiGroup: '', apiVersion: 'v1', namespace: '', resource, subresource: '', name, parts: [] };
    if (!allowedBy(world, who, info)) throw new KubeError(forbiddenStatus(who.user, info) as never);
  }
  const user: UserInfo = { username, groups: [...groups, ...(username === 'system:anonymous' ? [] : ['system:authenticated'])] };
  return { user };
};

const selfSubjectAccessReview = (world: ApiHost, who: Authenticated, body: unknown): SimResponse => {
  const spec = isRecord(body) && isRecord(body.spec) ? body.spec : undefined;
  const resource = spec && isRecord(spec.resourceAttributes) ? spec.resourceAttributes : undefined;
  const nonResource = spec && isRecord(spec.nonResourceAttributes) ? spec.nonResourceAttributes : undefined;
  if ((resource === undefined) === (nonResource === undefined)) {
    throw invalid(SELF_SUBJECT_ACCESS_REVIEW, '', [
      { field: 'spec.resourceAttributes', type: 'Invalid', value: spec?.resourceAttributes ?? null, detail: 'exactly one of nonResourceAttributes or resourceAttributes must be specified' },
    ]);
  }
  const text = (record: Record<string, unknown>, key: string): string => (typeof record[key] === 'string' ? (record[key] as string) : '');
  const info: RequestInfo = resource
    ? {
        isResourceRequest: true,
        path: '',
        verb: text(resource, 'verb') as ResourceVerb,
        apiPrefix: 'apis',
        apiGroup: text(resource, 'group'),
        apiVersion: text(resource, 'version'),
        namespace: text(resource, 'namespace'),
        resource: text(resource, 'resource'),
        subresource: text(resource, 'subresource'),
        name: text(resource, 'name'),
        parts: [],
      }
    : { isResourceRequest: false, path: text(nonResource ?? {}, 'path'), verb: text(nonResource ?? {}, 'verb') };
  const reason = allowedBy(world, who, info);
  return jsonResponse(201, {
    kind: 'SelfSubjectAccessReview',
    apiVersion: 'authorization.k8s.io/v1',
    metadata: { creationTimestamp: null },
    spec,
    status: { allowed: reason !== undefined, ...(reason !== undefined ? { reason } : {}) },
  });
};

const selfSubjectRulesReview = (world: ApiHost, who: Authenticated, body: unknown): SimResponse => {
  const spec = isRecord(body) && isRecord(body.spec) ? body.spec : {};
  const namespace = typeof spec.namespace === 'string' ? spec.namespace : '';
  if (namespace === '') throw badRequest('no namespace on request');
  const { rules, incomplete, evaluationError } = rulesFor(world, who.user, namespace);
  const list = (key: string, values: readonly string[] | undefined) => (values && values.length > 0 ? { [key]: values } : {});
  return jsonResponse(201, {
    kind: 'SelfSubjectRulesReview',
    apiVersion: 'authorization.k8s.io/v1',
    metadata: { creationTimestamp: null },
    spec: { namespace },
    status: {
      resourceRules: rules.filter((r) => !r.nonResourceURLs).map((r) => ({ verbs: r.verbs, ...list('apiGroups', r.apiGroups), ...list('resources', r.resources), ...list('resourceNames', r.resourceNames) })),
      nonResourceRules: rules.filter((r) => r.nonResourceURLs).map((r) => ({ verbs: r.verbs, ...list('nonResourceURLs', r.nonResourceURLs) })),
      incomplete,
      evaluationError,
    },
  });
};

const selfSubjectReview = (who: Authenticated): SimResponse =>
  jsonResponse(201, {
    kind: 'SelfSubjectReview',
    apiVersion: 'authentication.k8s.io/v1',
    metadata: { creationTimestamp: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z') },
    status: { userInfo: { username: who.user.username, groups: who.user.groups, ...(who.user.extra ? { extra: who.user.extra } : {}) } },
  });

const isReview = (info: RequestInfo, type: typeof SELF_SUBJECT_REVIEW): boolean =>
  info.isResourceRequest && info.apiGroup === type.group && info.apiVersion === type.version && info.resource === type.plural && info.namespace === '' && info.name === '';

/** The response that ends this request before any handler, or undefined to serve it. */
export const gateKubernetesRequest = (world: ApiHost, req: SimRequest): SimResponse | undefined => {
  try {
    const authenticated = authenticate(world, req.headers);
    if (!authenticated) return jsonResponse(401, UNAUTHORIZED_STATUS);
    const who = impersonate(world, authenticated, req);
    const info = resolveRequestInfo(req.method, req.url.pathname, req.url.searchParams);
    const fault = kubernetesFaultResponse(world, req, info, who.user);
    if (fault) return fault;
    if (!allowedBy(world, who, info)) return jsonResponse(403, forbiddenStatus(who.user, info));
    if (isReview(info, SELF_SUBJECT_ACCESS_REVIEW)) {
      if (info.isResourceRequest && info.verb !== 'create') throw methodNotAllowed();
      return selfSubjectAccessReview(world, who, parseJsonBody(req));
    }
    if (isReview(info, SELF_SUBJECT_RULES_REVIEW)) {
      if (info.isResourceRequest && info.verb !== 'create') throw methodNotAllowed();
      return selfSubjectRulesReview(world, who, parseJsonBody(req));
    }
    if (isReview(info, SELF_SUBJECT_REVIEW)) {
      if (info.isResourceRequest && info.verb !== 'create') throw methodNotAllowed();
      return selfSubjectReview(who);
    }
    return undefined;
  } catch (error) {
    if (error instanceof KubeError) return jsonResponse(error.code, error.status);
    throw error;
  }
};
