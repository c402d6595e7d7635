/**
 * The Kubernetes objects every cluster of this stack needs before the first deploy, as plain
 * data: the stack applies them in AWS (infra/constructs/cluster-bootstrap.ts) and the local
 * cloud applies the same list to the simulator at start (local/cluster-bootstrap.ts), both as
 * the cluster's administrator.
 *
 * - The model namespace, with Pod Security Admission `restricted` enforced: the model pods run
 *   as a non-root user with no capabilities, RuntimeDefault seccomp, no privilege escalation
 *   and only emptyDir / PVC volumes (functions/domain/manifests.ts), which is what `restricted`
 *   demands; anything else created there (a tenant's hand-made pod) is refused.
 * - RBAC for what no namespace-scoped EKS access policy can grant (aws-review M1): the workflow
 *   group lists and cordons nodes, lists pods of every namespace on a node before releasing it,
 *   and creates the model namespace if it is missing.
 * - The StorageClass of the custom models' PVC cache (EKS >= 1.30 has no default class), and a
 *   default-deny ingress NetworkPolicy for the model namespace (the per-deployment policies open
 *   the serving port).
 *
 * No CDK import here: the local cloud loads this file without aws-cdk-lib.
 */

/** The Kubernetes group of the workflow roles (the EKS access entries of infra/constructs/cluster.ts use the same name). */
export const KUBERNETES_GROUP = 'gpu-control-plane';
/** The StorageClass the custom models' PVC cache names. */
export const MODEL_CACHE_STORAGE_CLASS = 'model-cache-gp3';

export interface ClusterManifest {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly namespace?: string; readonly labels?: Readonly<Record<string, string>> };
  readonly [field: string]: unknown;
}

const RBAC = 'rbac.authorization.k8s.io';
/**
 * The stack manages these, not the workflows: a managed-by value of their own keeps them out of the
 * reconcile's leak audit, which deletes `managed-by=gpu-control-plane` objects no deployment owns.
 */
const MANAGED_BY = { 'app.kubernetes.io/managed-by': 'gpu-control-plane-stack', 'app.kubernetes.io/part-of': 'gpu-control-plane' } as const;

/** Pod Security Admission: enforce `restricted`, and warn / audit at the same level. */
export const POD_SECURITY_LEVEL = 'restricted';

/**
 * Every bootstrap object, in apply order (the namespace before what lives in it). `modelNamespace`
 * is the stack's `modelNamespace` context value.
 */
export const clusterBootstrapManifests = (modelNamespace: string): ClusterManifest[] => [
  {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: {
      name: modelNamespace,
      labels: {
        ...MANAGED_BY,
        'pod-security.kubernetes.io/enforce': POD_SECURITY_LEVEL,
        'pod-security.kubernetes.io/enforce-version': 'latest',
        'pod-security.kubernetes.io/warn': POD_SECURITY_LEVEL,
        'pod-security.kubernetes.io/audit': POD_SECURITY_LEVEL,
      },
    },
  },
  {
    apiVersion: `${RBAC}/v1`,
    kind: 'ClusterRole',
    metadata: { name: KUBERNETES_GROUP, labels: MANAGED_BY },
    rules: [
      // check-nodes lists the GPU nodes; release-nodes cordons an empty node before terminating it,
      // and reads one back (get) to lift a stale cordon of its own with a resourceVersion precondition.
      { apiGroups: [''], resources: ['nodes'], verbs: ['get', 'list', 'patch'] },
      // Before a scale-in: which nodes still run pods of any namespace (spec.nodeName field selector).
      { apiGroups: [''], resources: ['pods'], verbs: ['list'] },
      // apply-workload creates the model namespace when it is missing (create cannot be limited by name).
      { apiGroups: [''], resources: ['namespaces'], verbs: ['create'] },
      { apiGroups: [''], resources: ['namespaces'], verbs: ['get'], resourceNames: [modelNamespace] },
    ],
  },
  {
    apiVersion: `${RBAC}/v1`,
    kind: 'ClusterRoleBinding',
    metadata: { name: KUBERNETES_GROUP, labels: MANAGED_BY },
    roleRef: { apiGroup: RBAC, kind: 'ClusterRole', name: KUBERNETES_GROUP },
    subjects: [{ apiGroup: RBAC, kind: 'Group', name: KUBERNETES_GROUP }],
  },
  {
    apiVersion: 'storage.k8s.io/v1',
    kind: 'StorageClass',
    metadata: { name: MODEL_CACHE_STORAGE_CLASS, labels: MANAGED_BY },
    provisioner: 'ebs.csi.aws.com',
    parameters: { type: 'gp3', encrypted: 'true' },
    // EBS volumes live in one AZ: bind where the pod is scheduled, not before.
    volumeBindingMode: 'WaitForFirstConsumer',
    reclaimPolicy: 'Delete',
    allowVolumeExpansion: true,
  },
  {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: 'default-deny-ingress', namespace: modelNamespace, labels: MANAGED_BY },
    spec: { podSelector: {}, policyTypes: ['Ingress'] },
  },
];
