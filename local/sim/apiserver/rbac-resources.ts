/**
 * Resource types the cluster bootstrap applies: RBAC (rbac.authorization.k8s.io/v1) and StorageClass
 * (storage.k8s.io/v1), with the API server's validation of the fields that matter, and the self
 * reviews (served by the authorizer, listed for discovery). NetworkPolicy is in policy-resources.ts.
 *
 * Names of RBAC objects are checked as DNS subdomains here; the real API server accepts any
 * valid path segment (e.g. `system:discovery`), which nothing in this project creates.
 */
import type { FieldError } from './status.js';
import { isRecord, type KubeObject } from './types.js';
import type { ResourceType } from './resource-type.js';

const RBAC_GROUP = 'rbac.authorization.k8s.io';

const base = (plural: string, kind: string, group: string, namespaced: boolean, shortNames: string[] = []): ResourceType => ({
  plural,
  singular: kind.toLowerCase(),
  kind,
  group,
  version: 'v1',
  apiVersion: group ? `${group}/v1` : 'v1',
  namespaced,
  shortNames,
  subresources: [],
  tracksGeneration: false,
  nameRule: 'subdomain',
  deleteReturnsObject: false,
});

const strings = (value: unknown): string[] | undefined =>
  Array.isArray(value) && value.every((v) => typeof v === 'string') ? (value as string[]) : undefined;

const validateRule = (rule: unknown, path: string, namespaced: boolean): FieldError[] => {
  if (!isRecord(rule)) return [{ field: path, type: 'Invalid', value: rule, detail: 'must be an object' }];
  const errors: FieldError[] = [];
  for (const key of ['verbs', 'apiGroups', 'resources', 'resourceNames', 'nonResourceURLs']) {
    if (rule[key] !== undefined && strings(rule[key]) === undefined) errors.push({ field: `${path}.${key}`, type: 'Invalid', value: rule[key], detail: 'must be a list of strings' });
  }
  if (errors.length > 0) return errors;
  const verbs = strings(rule.verbs) ?? [];
  const nonResourceURLs = strings(rule.nonResourceURLs) ?? [];
  if (verbs.length === 0) errors.push({ field: `${path}.verbs`, type: 'Required', detail: 'verbs must contain at least one value' });
  if (nonResourceURLs.length > 0) {
    if (namespaced) errors.push({ field: `${path}.nonResourceURLs`, type: 'Invalid', value: nonResourceURLs, detail: 'namespaced rules cannot apply to non-resource URLs' });
    if ((strings(rule.apiGroups) ?? []).length > 0 || (strings(rule.resources) ?? []).length > 0 || (strings(rule.resourceNames) ?? []).length > 0) {
      errors.push({ field: `${path}.nonResourceURLs`, type: 'Invalid', value: nonResourceURLs, detail: 'rules cannot apply to both regular resources and non-resource URLs' });
    }
    return errors;
  }
  if ((strings(rule.apiGroups) ?? []).length === 0) errors.push({ field: `${path}.apiGroups`, type: 'Required', detail: 'resource rules must supply at least one api group' });
  if ((strings(rule.resources) ?? []).length === 0) errors.push({ field: `${path}.resources`, type: 'Required', detail: 'resource rules must supply at least one resource' });
  return errors;
};

const validateRules = (obj: KubeObject, namespaced: boolean): FieldError[] => {
  const rules = obj.rules;
  if (rules === undefined || rules === null) return [];
  if (!Array.isArray(rules)) return [{ field: 'rules', type: 'Invalid', value: rules, detail: 'must be a list' }];
  return rules.flatMap((r, i) => validateRule(r, `rules[${i}]`, namespaced));
};

const validateSubjects = (obj: KubeObject, clusterScoped: boolean): FieldError[] => {
  const subjects = obj.subjects;
  if (subjects === undefined || subjects === null) return [];
  if (!Array.isArray(subjects)) return [{ field: 'subjects', type: 'Invalid', value: subjects, detail: 'must be a list' }];
  return subjects.flatMap((s: unknown, i): FieldError[] => {
    const path = `subjects[${i}]`;
    if (!isRecord(s)) return [{ field: path, type: 'Invalid', value: s, detail: 'must be an object' }];
    const errors: FieldError[] = [];
    if (typeof s.name !== 'string' || s.name === '') errors.push({ field: `${path}.name`, type: 'Required' });
    const apiGroup = typeof s.apiGroup === 'string' ? s.apiGroup : '';
    switch (s.kind) {
      case 'ServiceAccount':
        if (apiGroup !== '') errors.push({ field: `${path}.apiGroup`, type: 'NotSupported', value: apiGroup, detail: '""' });
        if (clusterScoped && (typeof s.namespace !== 'string' || s.namespace === '')) errors.push({ field: `${path}.namespace`, type: 'Required' });
        break;
      case 'User':
      case 'Group':
        if (apiGroup !== RBAC_GROUP) errors.push({ field: `${path}.apiGroup`, type: 'NotSupported', value: apiGroup, detail: `"${RBAC_GROUP}"` });
        break;
      default:
        errors.push({ field: `${path}.kind`, type: 'NotSupported', value: s.kind, detail: '"ServiceAccount", "User", "Group"' });
    }
    return errors;
  });
};

const validateBinding = (obj: KubeObject, old: KubeObject | undefined, clusterScoped: boolean): FieldError[] => {
  const errors: FieldError[] = [];
  const ref = obj.roleRef;
  if (!isRecord(ref)) return [{ field: 'roleRef', type: 'Required' }];
  if (ref.apiGroup !== RBAC_GROUP) errors.push({ field: 'roleRef.apiGroup', type: 'NotSupported', value: ref.apiGroup ?? '', detail: `"${RBAC_GROUP}"` });
  const kinds = clusterScoped ? ['ClusterRole'] : ['Role', 'ClusterRole'];
  if (typeof ref.kind !== 'string' || !kinds.includes(ref.kind)) errors.push({ field: 'roleRef.kind', type: 'NotSupported', value: ref.kind ?? '', detail: kinds.map((k) => `"${k}"`).join(', ') });
  if (typeof ref.name !== 'string' || ref.name === '') errors.push({ field: 'roleRef.name', type: 'Required' });
  if (old && JSON.stringify(old.roleRef) !== JSON.stringify(ref)) errors.push({ field: 'roleRef', type: 'Invalid', value: ref, detail: 'cannot change roleRef' });
  return [...errors, ...validateSubjects(obj, clusterScoped)];
};

export const ROLE: ResourceType = { ...base('roles', 'Role', RBAC_GROUP, true), validate: (obj) => validateRules(obj, true) };
export const CLUSTER_ROLE: ResourceType = { ...base('clusterroles', 'ClusterRole', RBAC_GROUP, false), validate: (obj) => validateRules(obj, false) };
export const ROLE_BINDING: ResourceType = { ...base('rolebindings', 'RoleBinding', RBAC_GROUP, true), validate: (obj, old) => validateBinding(obj, old, false) };
export const CLUSTER_ROLE_BINDING: ResourceType = {
  ...base('clusterrolebindings', 'ClusterRoleBinding', RBAC_GROUP, false),
  validate: (obj, old) => validateBinding(obj, old, true),
};

const BINDING_MODES = ['Immediate', 'WaitForFirstConsumer'];

export const STORAGE_CLASS: ResourceType = {
  ...base('storageclasses', 'StorageClass', 'storage.k8s.io', false, ['sc']),
  defaults(obj, _ctx, old) {
    if (old) return;
    obj.reclaimPolicy ??= 'Delete';
    obj.volumeBindingMode ??= 'Immediate';
  },
  validate(obj, old) {
    const errors: FieldError[] = [];
    if (typeof obj.provisioner !== 'string' || obj.provisioner === '') errors.push({ field: 'provisioner', type: 'Required' });
    if (!BINDING_MODES.includes(String(obj.volumeBindingMode))) {
      errors.push({ field: 'volumeBindingMode', type: 'NotSupported', value: obj.volumeBindingMode, detail: BINDING_MODES.map((m) => `"${m}"`).join(', ') });
    }
    if (!['Delete', 'Retain'].includes(String(obj.reclaimPolicy))) errors.push({ field: 'reclaimPolicy', type: 'NotSupported', value: obj.reclaimPolicy, detail: '"Delete", "Retain"' });
    if (obj.parameters !== undefined && (!isRecord(obj.parameters) || !Object.values(obj.parameters).every((v) => typeof v === 'string'))) {
      errors.push({ field: 'parameters', type: 'Invalid', value: obj.parameters, detail: 'must be a map of strings' });
    }
    if (old) {
      for (const field of ['parameters', 'provisioner', 'reclaimPolicy', 'volumeBindingMode']) {
        if (JSON.stringify(old[field]) !== JSON.stringify(obj[field])) errors.push({ field, type: 'Forbidden', detail: `updates to ${field} are forbidden.` });
      }
    }
    return errors;
  },
};

/** Served by the authorizer (create only, nothing stored); listed so discovery names them. */
export const SELF_SUBJECT_ACCESS_REVIEW: ResourceType = base('selfsubjectaccessreviews', 'SelfSubjectAccessReview', 'authorization.k8s.io', false);
export const SELF_SUBJECT_REVIEW: ResourceType = base('selfsubjectreviews', 'SelfSubjectReview', 'authentication.k8s.io', false);
export const SELF_SUBJECT_RULES_REVIEW: ResourceType = base('selfsubjectrulesreviews', 'SelfSubjectRulesReview', 'authorization.k8s.io', false);

export const BOOTSTRAP_RESOURCES: readonly ResourceType[] = [
  ROLE,
  CLUSTER_ROLE,
  ROLE_BINDING,
  CLUSTER_ROLE_BINDING,
  STORAGE_CLASS,
  SELF_SUBJECT_ACCESS_REVIEW,
  SELF_SUBJECT_RULES_REVIEW,
  SELF_SUBJECT_REVIEW,
];
