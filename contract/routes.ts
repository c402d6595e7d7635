/**
 * The API's route table: the single source for the CDK HTTP API (infra/constructs/api.ts)
 * and the local API gateway (local/api-gateway.ts), so the two cannot drift.
 *
 * `path` uses API Gateway's `{param}` syntax; `entry` is the handler module relative to the
 * repository root and always exports `handler`.
 */
export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

export interface RouteDefinition {
  /** Stable logical name: CDK construct id, Lambda function name suffix, bundle folder. */
  readonly name: string;
  readonly method: HttpMethod;
  readonly path: string;
  readonly entry: string;
  /**
   * Served without a bearer token (no JWT authorizer in API Gateway, no check in the local
   * gateway). Only for what holds no tenant data: the API's own description.
   */
  readonly public?: true;
  /** What the handler calls, so infra grants exactly that. */
  readonly access: {
    readonly table: 'R' | 'RW';
    readonly startsWorkflows: readonly WorkflowName[];
    /** Workflows whose running executions it stops (states:StopExecution): a delete supersedes. */
    readonly stopsWorkflows?: readonly WorkflowName[];
    /**
     * Reads through the Kubernetes API (eks:DescribeCluster + an access entry): pod logs, and the
     * service proxy to the model server (prompt, models; see docs/seed-features.md for its RBAC).
     */
    readonly kubernetesRead?: boolean;
    /**
     * Also calls the model server through the service proxy (`services/proxy` get and create,
     * which no EKS access policy grants): its access entry joins the Kubernetes group of
     * MODEL_PROXY_GROUP, bound to a Role in docs/deploy.md. Needs kubernetesRead.
     */
    readonly kubernetesProxy?: boolean;
  };
}

export type WorkflowName = 'deploy' | 'scale' | 'delete';

export const API_BASE_PATH = '/api/v1beta1';
const deployments = `${API_BASE_PATH}/orgs/{org_id}/projects/{project_id}/aimodels`;

export const ROUTES: readonly RouteDefinition[] = [
  {
    name: 'list-catalog',
    method: 'GET',
    path: `${API_BASE_PATH}/aimodels-catalog`,
    entry: 'functions/api/list-catalog.ts',
    access: { table: 'R', startsWorkflows: [] },
  },
  {
    name: 'create-catalog-model',
    method: 'POST',
    path: `${API_BASE_PATH}/aimodels-catalog`,
    entry: 'functions/api/create-catalog-model.ts',
    access: { table: 'RW', startsWorkflows: [] },
  },
  {
    name: 'update-catalog-model',
    method: 'PUT',
    path: `${API_BASE_PATH}/aimodels-catalog/{catalog_id}`,
    entry: 'functions/api/update-catalog-model.ts',
    access: { table: 'RW', startsWorkflows: [] },
  },
  {
    name: 'retire-catalog-model',
    method: 'DELETE',
    path: `${API_BASE_PATH}/aimodels-catalog/{catalog_id}`,
    entry: 'functions/api/retire-catalog-model.ts',
    access: { table: 'RW', startsWorkflows: [] },
  },
  {
    name: 'list-recipes',
    method: 'GET',
    path: `${API_BASE_PATH}/recipes`,
    entry: 'functions/api/list-recipes.ts',
    access: { table: 'R', startsWorkflows: [] },
  },
  {
    name: 'list-inventory',
    method: 'GET',
    path: `${API_BASE_PATH}/inventory`,
    entry: 'functions/api/list-inventory.ts',
    access: { table: 'R', startsWorkflows: [] },
  },
  {
    name: 'list-deployments',
    method: 'GET',
    path: deployments,
    entry: 'functions/api/list-deployments.ts',
    access: { table: 'R', startsWorkflows: [] },
  },
  {
    name: 'create-deployment',
    method: 'POST',
    path: deployments,
    entry: 'functions/api/create-deployment.ts',
    access: { table: 'RW', startsWorkflows: ['deploy'] },
  },
  {
    // Jan's "advanced YAML": a Deployment manifest deployed as a custom model (docs/custom-models.md).
    name: 'deploy-yaml',
    method: 'POST',
    path: `${deployments}/yaml`,
    entry: 'functions/api/deploy-yaml.ts',
    access: { table: 'RW', startsWorkflows: ['deploy'] },
  },
  {
    name: 'get-deployment',
    method: 'GET',
    path: `${deployments}/{model_id}`,
    entry: 'functions/api/get-deployment.ts',
    access: { table: 'R', startsWorkflows: [] },
  },
  {
    name: 'delete-deployment',
    method: 'DELETE',
    path: `${deployments}/{model_id}`,
    entry: 'functions/api/delete-deployment.ts',
    access: { table: 'RW', startsWorkflows: ['delete'], stopsWorkflows: ['deploy', 'scale'] },
  },
  {
    name: 'scale-deployment',
    method: 'PUT',
    path: `${deployments}/{model_id}/scale`,
    entry: 'functions/api/scale-deployment.ts',
    access: { table: 'RW', startsWorkflows: ['scale'] },
  },
  {
    name: 'set-deployment-autoscaling',
    method: 'PUT',
    path: `${deployments}/{model_id}/autoscaling`,
    entry: 'functions/api/set-deployment-autoscaling.ts',
    access: { table: 'RW', startsWorkflows: [] },
  },
  {
    name: 'list-deployment-events',
    method: 'GET',
    path: `${deployments}/{model_id}/events`,
    entry: 'functions/api/list-deployment-events.ts',
    access: { table: 'R', startsWorkflows: [] },
  },
  {
    name: 'get-deployment-logs',
    method: 'GET',
    path: `${deployments}/{model_id}/logs`,
    entry: 'functions/api/get-deployment-logs.ts',
    access: { table: 'R', startsWorkflows: [], kubernetesRead: true },
  },
  {
    name: 'prompt-deployment',
    method: 'POST',
    path: `${deployments}/{model_id}/prompt`,
    entry: 'functions/api/prompt-deployment.ts',
    access: { table: 'R', startsWorkflows: [], kubernetesRead: true, kubernetesProxy: true },
  },
  {
    name: 'list-deployment-models',
    method: 'GET',
    path: `${deployments}/{model_id}/models`,
    entry: 'functions/api/list-deployment-models.ts',
    access: { table: 'R', startsWorkflows: [], kubernetesRead: true, kubernetesProxy: true },
  },
  {
    name: 'put-schedule',
    method: 'PUT',
    path: `${deployments}/{model_id}/schedule`,
    entry: 'functions/api/put-schedule.ts',
    access: { table: 'RW', startsWorkflows: [] },
  },
  {
    name: 'get-schedule',
    method: 'GET',
    path: `${deployments}/{model_id}/schedule`,
    entry: 'functions/api/get-schedule.ts',
    access: { table: 'R', startsWorkflows: [] },
  },
  {
    name: 'delete-schedule',
    method: 'DELETE',
    path: `${deployments}/{model_id}/schedule`,
    entry: 'functions/api/delete-schedule.ts',
    access: { table: 'RW', startsWorkflows: [] },
  },
  {
    name: 'get-usage',
    method: 'GET',
    path: `${deployments}/{model_id}/usage`,
    entry: 'functions/api/get-usage.ts',
    access: { table: 'R', startsWorkflows: [] },
  },
  {
    name: 'get-openapi',
    method: 'GET',
    path: `${API_BASE_PATH}/openapi.json`,
    entry: 'functions/api/get-openapi.ts',
    public: true,
    access: { table: 'R', startsWorkflows: [] },
  },
  {
    name: 'get-api-docs',
    method: 'GET',
    path: `${API_BASE_PATH}/docs`,
    entry: 'functions/api/get-api-docs.ts',
    public: true,
    access: { table: 'R', startsWorkflows: [] },
  },
];
