/**
 * What a control-plane function may call: one vocabulary for API routes (contract/routes.ts),
 * workflow tasks (contract/workflows.ts) and scheduled jobs (contract/schedules.ts). Infra
 * grants exactly this (ControlPlaneFunction.grantAccess) and nothing else.
 */
export type WorkflowName = 'deploy' | 'scale' | 'delete';

export type EksAction = 'eks:DescribeCluster' | 'eks:DescribeNodegroup' | 'eks:UpdateNodegroupConfig';
export type AutoScalingAction =
  | 'autoscaling:TerminateInstanceInAutoScalingGroup'
  | 'autoscaling:DescribeAutoScalingGroups'
  | 'autoscaling:DescribeScalingActivities';

/**
 * What a function may do in Kubernetes (its EKS access entry, infra/constructs/cluster.ts):
 * - `workflow`: edit the model namespace and, as a member of KUBERNETES_GROUP, the cluster-scoped
 *   calls the cluster bootstrap's ClusterRole allows (list, read and cordon nodes, list pods on a
 *   node, create the model namespace; contract/cluster-manifests.ts);
 * - `read`: read the model namespace, pod logs included.
 */
export type KubernetesAccess = 'workflow' | 'read';

/** The inference gateway's master secret in Secrets Manager (CDK creates it; the local cloud at start). */
export const gatewaySecretName = (prefix: string): string => `${prefix}/inference-gateway`;

export interface FunctionAccess {
  readonly table: 'R' | 'RW';
  readonly workflows?: {
    /** states:StartExecution (and the `<WORKFLOW>_STATE_MACHINE_ARN` variable). */
    readonly start?: readonly WorkflowName[];
    /** states:DescribeExecution on these state machines' executions. */
    readonly describe?: readonly WorkflowName[];
    /** states:StopExecution on these state machines' executions (a delete supersedes). */
    readonly stop?: readonly WorkflowName[];
  };
  readonly eks?: readonly EksAction[];
  readonly autoscaling?: readonly AutoScalingAction[];
  /** Absent: the function never talks to the Kubernetes API. */
  readonly kubernetes?: KubernetesAccess;
  /**
   * Reads the inference gateway's master secret (`<prefix>/inference-gateway`, named by the
   * GATEWAY_SECRET_ID variable): secretsmanager:GetSecretValue on it, and kms:Decrypt through
   * Secrets Manager for it only. Only the functions that derive keys from it: the pepper of the
   * inference keys' hashes, a model server's own key.
   */
  readonly gatewaySecret?: true;
}
