/**
 * Authentication and authorization of the simulated API server, as an EKS cluster with access
 * entries does it:
 *
 * - Authentication: a request carrying the local Lambda caller header (local/identity.ts) is
 *   the function's execution role. EKS maps the role to the user of its access entry: the
 *   entry's username, by default `arn:aws:sts::<account>:assumed-role/<role name>/{{SessionName}}`
 *   (Lambda's session name is the function name), groups = the entry's Kubernetes groups plus
 *   `system:authenticated`. A role without an entry is 401 Unauthorized, as EKS answers. A
 *   request without the header is the operator, i.e. the cluster creator with cluster-admin.
 * - Authorization (any allows, nothing denies): system:masters; the bootstrap roles of every
 *   authenticated user (discovery, self reviews); the EKS access policies of the entry within
 *   their scope; the RBAC objects stored in the cluster (RBAC's own rule matching).
 */
import { callerOf, type AccessEntrySpec, type LocalPrincipal } from '../../identity.js';
import type { ApiHost } from './host.js';
import { ACCESS_POLICY_RULES, accessPolicyRules, AUTHENTICATED_RULES, type PolicyRule } from './access-policies.js';
import type { RequestInfo } from './request-info.js';
import { isRecord, type KubeObject } from './types.js';

export interface KubernetesAuthConfig {
  /** Function name → execution role (from the synthesized template). */
  readonly principals: readonly LocalPrincipal[];
  /** The cluster's access entries (from the synthesized template). */
  readonly accessEntries: readonly AccessEntrySpec[];
}

export interface UserInfo {
  readonly username: string;
  readonly groups: readonly string[];
  readonly extra?: Readonly<Record<string, readonly string[]>>;
}

export interface Authenticated {
  readonly user: UserInfo;
  /** The access entry the user came through (undefined for the operator or an impersonated user). */
  readonly entry?: AccessEntrySpec;
}

/** The operator (kubectl without the header): EKS's bootstrap cluster-creator admin. */
export const OPERATOR: UserInfo = { username: 'kubernetes-admin', groups: ['system:masters', 'system:authenticated'] };

const configs = new WeakMap<ApiHost, KubernetesAuthConfig>();

export const configureKubernetesAuth = (world: ApiHost, config: KubernetesAuthConfig): void => {
  configs.set(world, config);
};

/** `arn:aws:iam::<account>:role/<path/>name` → account and name (EKS drops the path). */
const parseRoleArn = (arn: string): { partition: string; account: string; name: string } | undefined => {
  const match = /^arn:(aws[a-z-]*):iam::(\d{12}):role\/(?:.*\/)?([^/]+)$/.exec(arn);
  return match ? { partition: match[1] ?? 'aws', account: match[2] ?? '', name: match[3] ?? '' } : undefined;
};

/** The user EKS derives for a role's access entry when the caller's session is `sessionName`. */
export const accessEntryUser = (entry: AccessEntrySpec, sessionName: string): UserInfo => {
  const role = parseRoleArn(entry.principalArn);
  const template = entry.username ?? (role ? `arn:${role.partition}:sts::${role.account}:assumed-role/${role.name}/{{SessionName}}` : entry.principalArn);
  return {
    username: template.replaceAll('{{SessionName}}', sessionName),
    groups: [...entry.kubernetesGroups, 'system:authenticated'],
    extra: { arn: [role ? `arn:${role.partition}:sts::${role.account}:assumed-role/${role.name}/${sessionName}` : entry.principalArn], sessionName: [sessionName] },
  };
};

/** Who is calling, or undefined when EKS would answer 401 (no access entry for the role). */
export const authenticate = (world: ApiHost, headers: Readonly<Record<string, string | string[] | undefined>>): Authenticated | undefined => {
  const caller = callerOf(headers);
  if (caller === undefined) return { user: OPERATOR };
  const config = configs.get(world);
  const principal = config?.principals.find((p) => p.functionName === caller);
  const entry = principal && config?.accessEntries.find((e) => e.principalArn === principal.roleArn);
  if (!entry) return undefined;
  return { user: accessEntryUser(entry, caller), entry };
};

// --- RBAC rule matching (as rbac/v1 helpers do) ---

const has = (list: readonly string[] | undefined, value: string): boolean => (list ?? []).some((v) => v === '*' || v === value);

const resourceMatches = (rule: PolicyRule, resource: string, subresource: string): boolean => {
  const combined = subresource ? `${resource}/${subresource}` : resource;
  return (rule.resources ?? []).some((r) => r === '*' || r === combined || (subresource !== '' && r === `*/${subresource}`));
};

const urlMatches = (rule: PolicyRule, path: string): boolean =>
  (rule.nonResourceURLs ?? []).some((u) => u === '*' || u === path || (u.endsWith('*') && path.startsWith(u.slice(0, -1))));

export const ruleAllows = (rule: PolicyRule, info: RequestInfo): boolean => {
  if (!has(rule.verbs, info.verb)) return false;
  if (!info.isResourceRequest) return urlMatches(rule, info.path);
  if (!has(rule.apiGroups, info.apiGroup) || !resourceMatches(rule, info.resource, info.subresource)) return false;
  const names = rule.resourceNames ?? [];
  return names.length === 0 || (info.name !== '' && names.includes(info.name));
};

/** EKS namespace scopes accept a trailing `*` wildcard. */
const namespaceInScope = (namespaces: readonly string[], namespace: string): boolean =>
  namespace !== '' && namespaces.some((n) => n === namespace || (n.endsWith('*') && namespace.startsWith(n.slice(0, -1))));

interface Subject {
  kind?: unknown;
  name?: unknown;
  namespace?: unknown;
}

const subjectMatches = (subject: Subject, user: UserInfo, bindingNamespace: string): boolean => {
  if (subject.kind === 'User') return subject.name === user.username;
  if (subject.kind === 'Group') return typeof subject.name === 'string' && user.groups.includes(subject.name);
  if (subject.kind === 'ServiceAccount') {
    const ns = typeof subject.namespace === 'string' && subject.namespace !== '' ? subject.namespace : bindingNamespace;
    return user.username === `system:serviceaccount:${ns}:${String(subject.name)}`;
  }
  return false;
};

const rulesOf = (obj: KubeObject | undefined): PolicyRule[] =>
  obj && Array.isArray(obj.rules) ? (obj.rules.filter(isRecord) as unknown as PolicyRule[]) : [];

/** Why the request is allowed (RBAC's reason wording), or undefined if nothing allows it. */
export const allowedBy = (world: ApiHost, who: Authenticated, info: RequestInfo): string | undefined => {
  const { user, entry } = who;
  if (user.groups.includes('system:masters')) return 'member of system:masters';
  if (user.groups.includes('system:authenticated') && AUTHENTICATED_RULES.some((r) => ruleAllows(r, info))) {
    return 'RBAC: allowed by ClusterRoleBinding of a bootstrap ClusterRole to Group "system:authenticated"';
  }
  for (const association of entry?.accessPolicies ?? []) {
    const scope = association.scope;
    if (scope.type === 'namespace' && !(info.isResourceRequest && namespaceInScope(scope.namespaces, info.namespace))) continue;
    if ((accessPolicyRules(association.policyArn) ?? []).some((r) => ruleAllows(r, info))) return `EKS access policy ${association.policyArn}`;
  }
  const store = world.store;
  for (const binding of store.list('clusterrolebindings')) {
    const ref = isRecord(binding.roleRef) ? binding.roleRef : {};
    const subjects = Array.isArray(binding.subjects) ? (binding.subjects as Subject[]) : [];
    const subject = subjects.find((s) => subjectMatches(s, user, ''));
    if (!subject || ref.kind !== 'ClusterRole') continue;
    if (rulesOf(store.get('clusterroles', undefined, String(ref.name))).some((r) => ruleAllows(r, info))) {
      return `RBAC: allowed by ClusterRoleBinding "${binding.metadata.name}" of ClusterRole "${String(ref.name)}" to ${String(subject.kind)} "${String(subject.name)}"`;
    }
  }
  if (info.isResourceRequest && info.namespace !== '') {
    for (const binding of store.list('rolebindings', info.namespace)) {
      const ref = isRecord(binding.roleRef) ? binding.roleRef : {};
      const subjects = Array.isArray(binding.subjects) ? (binding.subjects as Subject[]) : [];
      const subject = subjects.find((s) => subjectMatches(s, user, info.namespace));
      if (!subject) continue;
      const role = ref.kind === 'Role' ? store.get('roles', info.namespace, String(ref.name)) : ref.kind === 'ClusterRole' ? store.get('clusterroles', undefined, String(ref.name)) : undefined;
      if (rulesOf(role).some((r) => ruleAllows(r, info))) {
        return `RBAC: allowed by RoleBinding "${binding.metadata.name}/${info.namespace}" of ${String(ref.kind)} "${String(ref.name)}" to ${String(subject.kind)} "${String(subject.name)}"`;
      }
    }
  }
  return undefined;
};

/** What an authorizer that cannot enumerate rules answers to a rules review (webhook.go RulesFor). */
const WEBHOOK_RULES_ERROR = 'webhook authorizer does not support user rule resolution';

/**
 * The rules RBAC resolves for a user in a namespace (SelfSubjectRulesReview, `kubectl auth can-i
 * --list`): cluster-admin for system:masters, the bootstrap rules of system:authenticated, and
 * the roles of the matching ClusterRoleBindings and RoleBindings. The EKS access policies are
 * enforced by a webhook authorizer, which cannot list rules, so the review is incomplete, as on EKS.
 */
export const rulesFor = (world: ApiHost, user: UserInfo, namespace: string): { rules: PolicyRule[]; incomplete: true; evaluationError: string } => {
  const rules: PolicyRule[] = [];
  if (user.groups.includes('system:masters')) rules.push(...(ACCESS_POLICY_RULES.AmazonEKSClusterAdminPolicy ?? []));
  if (user.groups.includes('system:authenticated')) rules.push(...AUTHENTICATED_RULES);
  const store = world.store;
  for (const binding of store.list('clusterrolebindings')) {
    const ref = isRecord(binding.roleRef) ? binding.roleRef : {};
    const subjects = Array.isArray(binding.subjects) ? (binding.subjects as Subject[]) : [];
    if (ref.kind === 'ClusterRole' && subjects.some((s) => subjectMatches(s, user, ''))) rules.push(...rulesOf(store.get('clusterroles', undefined, String(ref.name))));
  }
  for (const binding of store.list('rolebindings', namespace)) {
    const ref = isRecord(binding.roleRef) ? binding.roleRef : {};
    const subjects = Array.isArray(binding.subjects) ? (binding.subjects as Subject[]) : [];
    if (!subjects.some((s) => subjectMatches(s, user, namespace))) continue;
    rules.push(...rulesOf(ref.kind === 'Role' ? store.get('roles', namespace, String(ref.name)) : ref.kind === 'ClusterRole' ? store.get('clusterroles', undefined, String(ref.name)) : undefined));
  }
  return { rules, incomplete: true, evaluationError: WEBHOOK_RULES_ERROR };
};

/** kube-apiserver's forbidden message for a request's attributes. */
export const forbiddenStatus = (user: UserInfo, info: RequestInfo): Record<string, unknown> => {
  let message: string;
  let details: Record<string, string>;
  if (!info.isResourceRequest) {
    message = `forbidden: User "${user.username}" cannot ${info.verb} path "${info.path}"`;
    details = {};
  } else {
    const resource = info.subresource ? `${info.resource}/${info.subresource}` : info.resource;
    const scope = info.namespace ? `in the namespace "${info.namespace}"` : 'at the cluster scope';
    const reason = `User "${user.username}" cannot ${info.verb} resource "${resource}" in API group "${info.apiGroup}" ${scope}`;
    const qualified = info.apiGroup ? `${info.resource}.${info.apiGroup}` : info.resource;
    message = info.name ? `${qualified} "${info.name}" is forbidden: ${reason}` : `${qualified} is forbidden: ${reason}`;
    details = { ...(info.name ? { name: info.name } : {}), ...(info.apiGroup ? { group: info.apiGroup } : {}), kind: info.resource };
  }
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason: 'Forbidden', details, code: 403 };
};

export const UNAUTHORIZED_STATUS = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'Unauthorized', reason: 'Unauthorized', code: 401 } as const;
