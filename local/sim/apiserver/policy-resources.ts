/**
 * policy/v1 PodDisruptionBudgets and networking.k8s.io/v1 NetworkPolicies, validated the way
 * the API server's pkg/apis/policy and pkg/apis/networking validation does for the fields the
 * control plane uses, so apply, delete and the leak audit meet them as on EKS. Budgets are not
 * enforced (the eviction subresource, router.ts, does not consult them); NetworkPolicies are,
 * for traffic over the Service network (../network/service-network.ts), not on the API server's proxy.
 */
import type { FieldError } from './status.js';
import { isRecord, type KubeObject } from './types.js';
import type { ResourceType } from './resource-type.js';

const INT_OR_PERCENT = /^\d+%$/;

const intOrPercentErrors = (value: unknown, field: string): FieldError[] => {
  if (value === undefined) return [];
  if (typeof value === 'number') {
    return Number.isInteger(value) && value >= 0 ? [] : [{ field, type: 'Invalid', value, detail: 'must be greater than or equal to 0' }];
  }
  if (typeof value === 'string' && INT_OR_PERCENT.test(value)) {
    return Number(value.slice(0, -1)) <= 100 ? [] : [{ field, type: 'Invalid', value, detail: 'must not be greater than 100%' }];
  }
  return [{ field, type: 'Invalid', value, detail: "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')" }];
};

export const poddisruptionbudgets: ResourceType = {
  plural: 'poddisruptionbudgets',
  singular: 'poddisruptionbudget',
  kind: 'PodDisruptionBudget',
  group: 'policy',
  version: 'v1',
  apiVersion: 'policy/v1',
  namespaced: true,
  shortNames: ['pdb'],
  subresources: ['status'],
  tracksGeneration: true,
  nameRule: 'subdomain',
  deleteReturnsObject: false,
  defaults(obj: KubeObject) {
    obj.status ??= { disruptionsAllowed: 0, currentHealthy: 0, desiredHealthy: 0, expectedPods: 0 };
  },
  validate(obj: KubeObject) {
    const spec = obj.spec;
    if (!isRecord(spec)) return [];
    const errors: FieldError[] = [];
    if (spec.minAvailable !== undefined && spec.maxUnavailable !== undefined) {
      errors.push({ field: 'spec', type: 'Invalid', value: spec, detail: 'minAvailable and maxUnavailable cannot be both set' });
    }
    errors.push(...intOrPercentErrors(spec.minAvailable, 'spec.minAvailable'), ...intOrPercentErrors(spec.maxUnavailable, 'spec.maxUnavailable'));
    if (spec.selector !== undefined && !isRecord(spec.selector)) errors.push({ field: 'spec.selector', type: 'Invalid', value: spec.selector, detail: 'must be a label selector' });
    const policy = spec.unhealthyPodEvictionPolicy;
    if (policy !== undefined && policy !== 'IfHealthyBudget' && policy !== 'AlwaysAllow') {
      errors.push({ field: 'spec.unhealthyPodEvictionPolicy', type: 'NotSupported', value: policy, detail: '"AlwaysAllow", "IfHealthyBudget"' });
    }
    return errors;
  },
};

const CIDR = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;
const isCidr = (value: unknown): boolean => {
  const m = typeof value === 'string' ? CIDR.exec(value) : null;
  return m !== null && m.slice(1, 5).every((octet) => Number(octet) <= 255) && Number(m[5]) <= 32;
};

const peerErrors = (peer: unknown, field: string): FieldError[] => {
  if (!isRecord(peer)) return [{ field, type: 'Invalid', value: peer, detail: 'must be an object' }];
  const selectors = ['podSelector', 'namespaceSelector'].filter((k) => peer[k] !== undefined).length;
  const ipBlock = peer.ipBlock;
  if (ipBlock === undefined && selectors === 0) return [{ field, type: 'Required', detail: 'must specify a peer' }];
  if (ipBlock !== undefined && selectors > 0) return [{ field, type: 'Forbidden', detail: 'may not specify both ipBlock and another peer' }];
  if (ipBlock === undefined) return [];
  if (!isRecord(ipBlock) || !isCidr(ipBlock.cidr)) return [{ field: `${field}.ipBlock.cidr`, type: 'Invalid', value: isRecord(ipBlock) ? ipBlock.cidr : ipBlock, detail: 'must be a valid CIDR' }];
  return [];
};

const portErrors = (port: unknown, field: string): FieldError[] => {
  if (!isRecord(port)) return [{ field, type: 'Invalid', value: port, detail: 'must be an object' }];
  const errors: FieldError[] = [];
  if (port.protocol !== undefined && !['TCP', 'UDP', 'SCTP'].includes(String(port.protocol))) {
    errors.push({ field: `${field}.protocol`, type: 'NotSupported', value: port.protocol, detail: '"SCTP", "TCP", "UDP"' });
  }
  const value = port.port;
  if (typeof value === 'number' && !(Number.isInteger(value) && value >= 1 && value <= 65535)) {
    errors.push({ field: `${field}.port`, type: 'Invalid', value, detail: 'must be between 1 and 65535, inclusive' });
  } else if (value !== undefined && typeof value !== 'number' && !(typeof value === 'string' && /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(value) && value.length <= 15)) {
    errors.push({ field: `${field}.port`, type: 'Invalid', value, detail: 'must be a port number or an IANA_SVC_NAME' });
  }
  return errors;
};

const ruleErrors = (rules: unknown, field: string, peerKey: 'from' | 'to'): FieldError[] => {
  if (rules === undefined) return [];
  if (!Array.isArray(rules)) return [{ field, type: 'Invalid', value: rules, detail: 'must be a list' }];
  return rules.flatMap((rule: unknown, i) => {
    if (!isRecord(rule)) return [{ field: `${field}[${i}]`, type: 'Invalid' as const, value: rule }];
    const peers = Array.isArray(rule[peerKey]) ? (rule[peerKey] as unknown[]) : [];
    const ports = Array.isArray(rule.ports) ? (rule.ports as unknown[]) : [];
    return [...peers.flatMap((p, j) => peerErrors(p, `${field}[${i}].${peerKey}[${j}]`)), ...ports.flatMap((p, j) => portErrors(p, `${field}[${i}].ports[${j}]`))];
  });
};

export const networkpolicies: ResourceType = {
  plural: 'networkpolicies',
  singular: 'networkpolicy',
  kind: 'NetworkPolicy',
  group: 'networking.k8s.io',
  version: 'v1',
  apiVersion: 'networking.k8s.io/v1',
  namespaced: true,
  shortNames: ['netpol'],
  subresources: [],
  tracksGeneration: true,
  nameRule: 'subdomain',
  deleteReturnsObject: false,
  defaults(obj: KubeObject) {
    if (!isRecord(obj.spec)) return;
    const spec = obj.spec;
    spec.podSelector ??= {};
    // The API server infers policyTypes: Ingress always, Egress when egress rules are given.
    spec.policyTypes ??= Array.isArray(spec.egress) && spec.egress.length > 0 ? ['Ingress', 'Egress'] : ['Ingress'];
  },
  validate(obj: KubeObject) {
    const spec = obj.spec;
    if (!isRecord(spec)) return [{ field: 'spec', type: 'Required' }];
    const errors: FieldError[] = [];
    const types = Array.isArray(spec.policyTypes) ? spec.policyTypes : [];
    types.forEach((t, i) => {
      if (t !== 'Ingress' && t !== 'Egress') errors.push({ field: `spec.policyTypes[${i}]`, type: 'NotSupported', value: t, detail: '"Egress", "Ingress"' });
    });
    errors.push(...ruleErrors(spec.ingress, 'spec.ingress', 'from'), ...ruleErrors(spec.egress, 'spec.egress', 'to'));
    return errors;
  },
};
