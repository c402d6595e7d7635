/**
 * Node predicates the scheduler filters with and the DaemonSet controller reuses to decide
 * where a daemon pod belongs (upstream: k8s.io/component-helpers/scheduling/corev1).
 */
import type { Node, NodeSelectorRequirement, Pod, Taint, Toleration } from '../apiserver/types.js';

export const tolerates = (toleration: Toleration, taint: Taint): boolean => {
  if (toleration.effect && toleration.effect !== taint.effect) return false;
  if (toleration.operator === 'Exists') return !toleration.key || toleration.key === taint.key;
  return toleration.key === taint.key && (toleration.value ?? '') === (taint.value ?? '');
};

const requirementMatches = (req: NodeSelectorRequirement, value: string | undefined): boolean => {
  const values = req.values ?? [];
  switch (req.operator) {
    case 'In':
      return value !== undefined && values.includes(value);
    case 'NotIn':
      return value === undefined || !values.includes(value);
    case 'Exists':
      return value !== undefined;
    case 'DoesNotExist':
      return value === undefined;
    case 'Gt':
    case 'Lt': {
      const n = Number(value);
      const bound = Number(values[0]);
      if (value === undefined || Number.isNaN(n) || Number.isNaN(bound)) return false;
      return req.operator === 'Gt' ? n > bound : n < bound;
    }
  }
};

export const matchesNodeAffinity = (pod: Pod, node: Node): boolean => {
  const labels = node.metadata.labels ?? {};
  for (const [key, value] of Object.entries(pod.spec.nodeSelector ?? {})) {
    if (labels[key] !== value) return false;
  }
  const terms = pod.spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
  if (!terms || terms.length === 0) return true;
  return terms.some(
    (term) =>
      (term.matchExpressions ?? []).every((req) => requirementMatches(req, labels[req.key])) &&
      (term.matchFields ?? []).every((req) => requirementMatches(req, req.key === 'metadata.name' ? node.metadata.name : undefined)),
  );
};
