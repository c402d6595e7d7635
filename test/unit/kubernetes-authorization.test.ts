/**
 * The simulated API server's request attributes (as kube-apiserver's RequestInfo resolver derives
 * them), RBAC rule matching, the EKS access policies and their scope, and the 403 wording.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ACCESS_POLICY_RULES, accessPolicyRules } from '../../local/sim/apiserver/access-policies';
import { accessEntryUser, allowedBy, forbiddenStatus, ruleAllows } from '../../local/sim/apiserver/authorizer';
import { resolveRequestInfo, type RequestInfo } from '../../local/sim/apiserver/request-info';
import { KubeStore } from '../../local/sim/apiserver/store';
import type { World } from '../../local/sim/runtime/world';
import type { AccessEntrySpec } from '../../local/identity';

const info = (method: string, url: string): RequestInfo => {
  const parsed = new URL(url, 'http://sim');
  return resolveRequestInfo(method, parsed.pathname, parsed.searchParams);
};

describe('RequestInfo', () => {
  it.each([
    ['GET', '/api/v1/nodes', { verb: 'list', apiGroup: '', resource: 'nodes', namespace: '', name: '' }],
    ['GET', '/api/v1/nodes?watch=true', { verb: 'watch', resource: 'nodes' }],
    ['GET', '/api/v1/nodes/n1', { verb: 'get', resource: 'nodes', name: 'n1' }],
    ['PATCH', '/api/v1/nodes/n1', { verb: 'patch', resource: 'nodes', name: 'n1' }],
    ['PUT', '/api/v1/nodes/n1/status', { verb: 'update', resource: 'nodes', subresource: 'status', name: 'n1' }],
    ['GET', '/api/v1/pods?fieldSelector=spec.nodeName%3Dn1', { verb: 'list', resource: 'pods', namespace: '' }],
    ['GET', '/api/v1/namespaces/models/pods', { verb: 'list', resource: 'pods', namespace: 'models' }],
    ['GET', '/api/v1/namespaces/models/pods?fieldSelector=metadata.name%3Dp1', { verb: 'list', resource: 'pods', name: 'p1' }],
    ['GET', '/api/v1/namespaces/models/pods/p1/log', { verb: 'get', resource: 'pods', subresource: 'log', name: 'p1' }],
    ['POST', '/api/v1/namespaces/models/pods/p1/eviction', { verb: 'create', resource: 'pods', subresource: 'eviction' }],
    // The idle sweeper reads vLLM's /metrics through pods/proxy; operators and tests call services/proxy.
    ['GET', '/api/v1/namespaces/models/pods/p1/proxy/metrics', { verb: 'get', resource: 'pods', subresource: 'proxy', name: 'p1', parts: ['metrics'] }],
    ['POST', '/api/v1/namespaces/models/services/m:http/proxy/v1/completions', { verb: 'create', resource: 'services', subresource: 'proxy', name: 'm:http', parts: ['v1', 'completions'] }],
    ['DELETE', '/apis/apps/v1/namespaces/models/deployments', { verb: 'deletecollection', apiGroup: 'apps', resource: 'deployments' }],
    ['GET', '/apis/apps/v1/namespaces/models/deployments/d/scale', { verb: 'get', apiGroup: 'apps', subresource: 'scale' }],
    // The Namespace object itself: its namespace attribute is its own name.
    ['GET', '/api/v1/namespaces/models', { verb: 'get', resource: 'namespaces', name: 'models', namespace: 'models' }],
    ['PUT', '/api/v1/namespaces/models/finalize', { verb: 'update', resource: 'namespaces', subresource: 'finalize', namespace: 'models' }],
    ['POST', '/api/v1/namespaces', { verb: 'create', resource: 'namespaces', namespace: '' }],
    ['GET', '/api/v1/watch/namespaces/models/pods', { verb: 'watch', resource: 'pods', namespace: 'models' }],
  ])('%s %s', (method, url, expected) => {
    expect(info(method, url)).toMatchObject({ isResourceRequest: true, ...expected });
  });

  it.each([['/version'], ['/api'], ['/api/v1'], ['/apis'], ['/apis/apps'], ['/openapi/v2'], ['/healthz']])('%s is a non-resource request', (path) => {
    expect(info('GET', path)).toEqual({ isResourceRequest: false, path, verb: 'get' });
  });

  it('never throws, and resource requests always carry a known verb', () => {
    const segment = fc.stringMatching(/^[a-z0-9%:.-]{0,8}$/);
    fc.assert(
      fc.property(fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'), fc.array(segment, { maxLength: 8 }), fc.boolean(), (method, segments, api) => {
        const result = resolveRequestInfo(method, `/${api ? 'api' : 'apis'}/${segments.join('/')}`);
        if (result.isResourceRequest) expect(['get', 'list', 'watch', 'create', 'update', 'patch', 'delete', 'deletecollection']).toContain(result.verb);
      }),
    );
  });
});

describe('RBAC rule matching', () => {
  const listNodes = info('GET', '/api/v1/nodes');
  it('matches verbs, groups, resources, subresources and names as rbac/v1 does', () => {
    expect(ruleAllows({ apiGroups: [''], resources: ['nodes'], verbs: ['list'] }, listNodes)).toBe(true);
    expect(ruleAllows({ apiGroups: ['apps'], resources: ['nodes'], verbs: ['list'] }, listNodes)).toBe(false);
    expect(ruleAllows({ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }, listNodes)).toBe(true);
    const log = info('GET', '/api/v1/namespaces/m/pods/p/log');
    expect(ruleAllows({ apiGroups: [''], resources: ['pods'], verbs: ['get'] }, log)).toBe(false);
    expect(ruleAllows({ apiGroups: [''], resources: ['pods/log'], verbs: ['get'] }, log)).toBe(true);
    expect(ruleAllows({ apiGroups: [''], resources: ['*/log'], verbs: ['get'] }, log)).toBe(true);
    // resourceNames never match a request without a name (list, create).
    expect(ruleAllows({ apiGroups: [''], resources: ['nodes'], verbs: ['list'], resourceNames: ['n1'] }, listNodes)).toBe(false);
    expect(ruleAllows({ apiGroups: [''], resources: ['nodes'], verbs: ['get'], resourceNames: ['n1'] }, info('GET', '/api/v1/nodes/n1'))).toBe(true);
    expect(ruleAllows({ nonResourceURLs: ['/openapi/*'], verbs: ['get'] }, info('GET', '/openapi/v3/apis'))).toBe(true);
    expect(ruleAllows({ nonResourceURLs: ['/version'], verbs: ['get'] }, info('GET', '/versions'))).toBe(false);
  });

  it('has the access policies the stack uses, and none of them reaches nodes or secrets beyond what EKS documents', () => {
    expect(accessPolicyRules('arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy')).toBe(ACCESS_POLICY_RULES.AmazonEKSEditPolicy);
    expect(accessPolicyRules('arn:aws:eks::aws:cluster-access-policy/NoSuchPolicy')).toBeUndefined();
    for (const name of ['AmazonEKSViewPolicy', 'AmazonEKSEditPolicy', 'AmazonEKSAdminPolicy']) {
      expect((ACCESS_POLICY_RULES[name] ?? []).some((r) => ruleAllows(r, listNodes)), name).toBe(false);
    }
    const secrets = info('GET', '/api/v1/namespaces/m/secrets');
    expect((ACCESS_POLICY_RULES.AmazonEKSViewPolicy ?? []).some((r) => ruleAllows(r, secrets))).toBe(false);
    expect((ACCESS_POLICY_RULES.AmazonEKSEditPolicy ?? []).some((r) => ruleAllows(r, secrets))).toBe(true);
  });
});

describe('EKS access entries', () => {
  const entry: AccessEntrySpec = {
    principalArn: 'arn:aws:iam::123456789012:role/path/to/Fn-Role',
    kubernetesGroups: ['gpu-control-plane'],
    accessPolicies: [{ policyArn: 'arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy', scope: { type: 'namespace', namespaces: ['models', 'team-*'] } }],
  };
  const world = { store: new KubeStore() } as unknown as World;

  it('names the user as EKS does for an IAM role (path dropped, session name substituted)', () => {
    expect(accessEntryUser(entry, 'my-fn')).toMatchObject({
      username: 'arn:aws:sts::123456789012:assumed-role/Fn-Role/my-fn',
      groups: ['gpu-control-plane', 'system:authenticated'],
    });
    expect(accessEntryUser({ ...entry, username: 'custom:{{SessionName}}' }, 's').username).toBe('custom:s');
  });

  it('applies namespace-scoped policies only inside their namespaces (trailing * wildcard)', () => {
    const who = { user: accessEntryUser(entry, 'fn'), entry };
    expect(allowedBy(world, who, info('GET', '/api/v1/namespaces/models/pods'))).toBeDefined();
    expect(allowedBy(world, who, info('GET', '/api/v1/namespaces/team-a/pods'))).toBeDefined();
    expect(allowedBy(world, who, info('GET', '/api/v1/namespaces/default/pods'))).toBeUndefined();
    expect(allowedBy(world, who, info('GET', '/api/v1/pods'))).toBeUndefined();
    // Discovery and the self reviews are every authenticated user's.
    expect(allowedBy(world, who, info('GET', '/apis'))).toBeDefined();
    expect(allowedBy(world, who, info('POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews'))).toBeDefined();
  });

  it('words 403 exactly as kube-apiserver', () => {
    const user = accessEntryUser(entry, 'fn');
    expect(forbiddenStatus(user, info('PATCH', '/api/v1/nodes/n1'))).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'nodes "n1" is forbidden: User "arn:aws:sts::123456789012:assumed-role/Fn-Role/fn" cannot patch resource "nodes" in API group "" at the cluster scope',
      reason: 'Forbidden',
      details: { name: 'n1', kind: 'nodes' },
      code: 403,
    });
    expect(forbiddenStatus(user, info('GET', '/apis/apps/v1/namespaces/x/deployments')).message).toBe(
      'deployments.apps is forbidden: User "arn:aws:sts::123456789012:assumed-role/Fn-Role/fn" cannot list resource "deployments" in API group "apps" in the namespace "x"',
    );
    expect(forbiddenStatus(user, info('GET', '/metrics')).message).toBe('forbidden: User "arn:aws:sts::123456789012:assumed-role/Fn-Role/fn" cannot get path "/metrics"');
  });
});
