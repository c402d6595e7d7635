/**
 * The rules of the EKS access policies the stack (or an operator) can associate with an access
 * entry, as the EKS user guide's "Review access policy permissions" page lists them (each row a
 * rule). AmazonEKSViewPolicy / EditPolicy / AdminPolicy follow Kubernetes' user-facing `view`,
 * `edit` and `admin` roles; AmazonEKSClusterAdminPolicy is `cluster-admin`.
 *
 * Also the bootstrap ClusterRoles every Kubernetes API server binds to `system:authenticated`
 * (discovery, the self reviews), which EKS keeps as they are.
 */

export interface PolicyRule {
  readonly apiGroups?: readonly string[];
  readonly resources?: readonly string[];
  readonly verbs: readonly string[];
  readonly resourceNames?: readonly string[];
  readonly nonResourceURLs?: readonly string[];
}

const READ = ['get', 'list', 'watch'] as const;
const WRITE = ['create', 'delete', 'deletecollection', 'patch', 'update'] as const;

const rule = (apiGroups: string[], resources: string[], verbs: readonly string[]): PolicyRule => ({ apiGroups, resources, verbs });

const VIEW: readonly PolicyRule[] = [
  rule([''], ['configmaps', 'endpoints', 'persistentvolumeclaims', 'persistentvolumeclaims/status', 'pods', 'replicationcontrollers', 'replicationcontrollers/scale', 'serviceaccounts', 'services', 'services/status'], READ),
  rule([''], ['bindings', 'events', 'limitranges', 'namespaces/status', 'pods/log', 'pods/status', 'replicationcontrollers/status', 'resourcequotas', 'resourcequotas/status'], READ),
  rule([''], ['namespaces'], READ),
  rule(['discovery.k8s.io'], ['endpointslices'], READ),
  rule(['apps'], ['controllerrevisions', 'daemonsets', 'daemonsets/status', 'deployments', 'deployments/scale', 'deployments/status', 'replicasets', 'replicasets/scale', 'replicasets/status', 'statefulsets', 'statefulsets/scale', 'statefulsets/status'], READ),
  rule(['autoscaling'], ['horizontalpodautoscalers', 'horizontalpodautoscalers/status'], READ),
  rule(['batch'], ['cronjobs', 'cronjobs/status', 'jobs', 'jobs/status'], READ),
  rule(['extensions'], ['daemonsets', 'daemonsets/status', 'deployments', 'deployments/scale', 'deployments/status', 'ingresses', 'ingresses/status', 'networkpolicies', 'replicasets', 'replicasets/scale', 'replicasets/status', 'replicationcontrollers/scale'], READ),
  rule(['policy'], ['poddisruptionbudgets', 'poddisruptionbudgets/status'], READ),
  rule(['networking.k8s.io'], ['ingresses', 'ingresses/status', 'networkpolicies'], READ),
];

const EDIT_ONLY: readonly PolicyRule[] = [
  rule([''], ['pods/attach', 'pods/exec', 'pods/portforward', 'pods/proxy', 'secrets', 'services/proxy'], READ),
  rule([''], ['serviceaccounts'], ['impersonate']),
  rule([''], ['pods', 'pods/attach', 'pods/exec', 'pods/portforward', 'pods/proxy'], WRITE),
  rule([''], ['pods/eviction'], ['create']),
  rule([''], ['configmaps', 'events', 'persistentvolumeclaims', 'replicationcontrollers', 'replicationcontrollers/scale', 'secrets', 'serviceaccounts', 'services', 'services/proxy'], WRITE),
  rule([''], ['serviceaccounts/token'], ['create']),
  rule(['apps'], ['daemonsets', 'deployments', 'deployments/rollback', 'deployments/scale', 'replicasets', 'replicasets/scale', 'statefulsets', 'statefulsets/scale'], WRITE),
  rule(['autoscaling'], ['horizontalpodautoscalers'], WRITE),
  rule(['batch'], ['cronjobs', 'jobs'], WRITE),
  rule(['extensions'], ['daemonsets', 'deployments', 'deployments/rollback', 'deployments/scale', 'ingresses', 'networkpolicies', 'replicasets', 'replicasets/scale', 'replicationcontrollers/scale'], WRITE),
  rule(['policy'], ['poddisruptionbudgets'], WRITE),
  rule(['networking.k8s.io'], ['ingresses', 'networkpolicies'], WRITE),
  rule(['coordination.k8s.io'], ['leases'], [...READ, ...WRITE]),
];

const ADMIN_ONLY: readonly PolicyRule[] = [
  rule(['authorization.k8s.io'], ['localsubjectaccessreviews'], ['create']),
  rule(['rbac.authorization.k8s.io'], ['rolebindings', 'roles'], [...READ, ...WRITE]),
];

const CLUSTER_ADMIN: readonly PolicyRule[] = [rule(['*'], ['*'], ['*']), { nonResourceURLs: ['*'], verbs: ['*'] }];

/** Rules by access policy name (the last segment of `arn:<partition>:eks::aws:cluster-access-policy/<name>`). */
export const ACCESS_POLICY_RULES: Readonly<Record<string, readonly PolicyRule[]>> = {
  AmazonEKSViewPolicy: VIEW,
  AmazonEKSEditPolicy: [...VIEW, ...EDIT_ONLY],
  AmazonEKSAdminPolicy: [...VIEW, ...EDIT_ONLY, ...ADMIN_ONLY],
  AmazonEKSClusterAdminPolicy: CLUSTER_ADMIN,
};

const POLICY_ARN = /^arn:aws[a-z-]*:eks::aws:cluster-access-policy\/([A-Za-z0-9]+)$/;

/** The rules of an access policy ARN; an ARN the simulator does not model grants nothing (and is reported). */
export const accessPolicyRules = (policyArn: string): readonly PolicyRule[] | undefined => {
  const name = POLICY_ARN.exec(policyArn)?.[1];
  return name === undefined ? undefined : ACCESS_POLICY_RULES[name];
};

/**
 * What every authenticated user may do, from the bootstrap ClusterRoles `system:discovery`,
 * `system:basic-user` and `system:public-info-viewer` (bound to `system:authenticated`).
 */
export const AUTHENTICATED_RULES: readonly PolicyRule[] = [
  { nonResourceURLs: ['/api', '/api/*', '/apis', '/apis/*', '/healthz', '/livez', '/openapi', '/openapi/*', '/readyz', '/version', '/version/'], verbs: ['get'] },
  rule(['authorization.k8s.io'], ['selfsubjectaccessreviews', 'selfsubjectrulesreviews'], ['create']),
  rule(['authentication.k8s.io'], ['selfsubjectreviews'], ['create']),
];
