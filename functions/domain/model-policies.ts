/**
 * The objects that guard a model's pods (issue 13 M4, M8, m8; docs/architecture.md, "The
 * objects a model runs as"): its PodDisruptionBudget and NetworkPolicy, and the check that
 * its tenant ids can label them. Pure.
 */
import type { V1LabelSelector, V1ObjectMeta, V1PodDisruptionBudget } from '@kubernetes/client-node';
import type { Tenant } from './deployment';
import { ValidationError } from './errors';

/**
 * A networking.k8s.io/v1 NetworkPolicy as the API server takes it (and server-side apply sends
 * it). Not client-node's V1NetworkPolicy: that model spells an ingress rule's `from` as `_from`.
 */
export interface NetworkPolicyManifest {
  apiVersion: 'networking.k8s.io/v1';
  kind: 'NetworkPolicy';
  metadata: V1ObjectMeta;
  spec: {
    podSelector: V1LabelSelector;
    policyTypes: ('Ingress' | 'Egress')[];
    ingress: { from: NetworkPolicyPeer[]; ports: { protocol: 'TCP'; port: number }[] }[];
  };
}

type NetworkPolicyPeer =
  | { ipBlock: { cidr: string } }
  | { namespaceSelector: { matchLabels: Record<string, string> }; podSelector: { matchLabels: Record<string, string> } };

/** Where the inference gateway runs (infra/constructs/inference-gateway.ts deploys it there): the one other caller of a model server. */
export const INFERENCE_GATEWAY_NAMESPACE = 'inference-gateway';
export const INFERENCE_GATEWAY_POD_LABELS: Readonly<Record<string, string>> = { 'app.kubernetes.io/name': 'inference-gateway' };

/** Where connections to the model server may come from (adapters/model-network.ts reads it from the environment). */
export interface ModelIngress {
  /** CIDRs of the Kubernetes API server's ENIs: its pod proxy carries the sweeper's /metrics scrape (customers, /prompt and /models come through the gateway). */
  apiServerCidrs: readonly string[];
}

/** A label value: at most 63 characters, alphanumerics at both ends, `-`, `_`, `.` between. */
const LABEL_VALUE = /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;

/**
 * The org and project ids become label values of every object (the reconcile finds a stray
 * object's record by them), and the API server rejects a label value that is not one (422 at
 * apply, after GPUs were reserved). The path allows ids ending in `-`, `_` or `.`; a deploy
 * under such an id is refused here instead, naming the field.
 */
export const checkTenantLabelValues = (tenant: Tenant): void => {
  for (const field of ['org_id', 'project_id'] as const) {
    if (!LABEL_VALUE.test(tenant[field])) {
      throw new ValidationError(
        `${field} '${tenant[field]}' cannot be deployed to: it labels the model's Kubernetes objects, so it must be at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit`,
        field,
      );
    }
  }
};

export const renderDisruptionBudget = (name: string, namespace: string, labels: Record<string, string>, selector: Record<string, string>): V1PodDisruptionBudget => ({
  apiVersion: 'policy/v1',
  kind: 'PodDisruptionBudget',
  metadata: { name, namespace, labels },
  spec: {
    // maxUnavailable, not minAvailable: with one replica a drain may still evict it (a
    // minAvailable 1 would block node upgrades until EKS forces them after 15 minutes),
    // and with more, a drain or AZ rebalance takes them one at a time.
    maxUnavailable: 1,
    selector: { matchLabels: selector },
    // A pod still loading (not Ready) is not serving: evicting it costs nothing.
    unhealthyPodEvictionPolicy: 'AlwaysAllow',
  },
});

export const renderNetworkPolicy = (
  name: string,
  namespace: string,
  labels: Record<string, string>,
  selector: Record<string, string>,
  ingress: ModelIngress,
  port: number,
): NetworkPolicyManifest => ({
  apiVersion: 'networking.k8s.io/v1',
  kind: 'NetworkPolicy',
  metadata: { name, namespace, labels },
  spec: {
    podSelector: { matchLabels: selector },
    policyTypes: ['Ingress'],
    // The API server (its service proxy carries metrics) and the inference gateway's pods (customers'
    // requests, /prompt and /models); no other pod, including other tenants' models.
    ingress: [
      {
        from: [
          ...ingress.apiServerCidrs.map((cidr) => ({ ipBlock: { cidr } })),
          {
            namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': INFERENCE_GATEWAY_NAMESPACE } },
            podSelector: { matchLabels: { ...INFERENCE_GATEWAY_POD_LABELS } },
          },
        ],
        ports: [{ protocol: 'TCP', port }],
      },
    ],
  },
});
