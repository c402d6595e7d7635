/**
 * The API's route table: the single source for the CDK HTTP API (infra/constructs/api.ts),
 * the local API gateway (local/api-gateway.ts) and the OpenAPI document (contract/openapi.ts),
 * so none can drift. A route is declared once: how it is served and how it is documented.
 *
 * `path` uses API Gateway's `{param}` syntax; `entry` is the handler module relative to the
 * repository root and always exports `handler`.
 */
import * as z from 'zod';
import {
  catalogItemSchema,
  catalogListSchema,
  createdInferenceKeySchema,
  deploymentListSchema,
  deploymentSchema,
  eventListSchema,
  inferenceKeyListSchema,
  inferenceKeySchema,
  inferenceKeyUsageSchema,
  inventoryListSchema,
  logsSchema,
  planSchemaOfDryRun,
  promptAnswerSchema,
  recipeListSchema,
  servedModelListSchema,
  scheduleViewSchema,
  usageSchema,
} from './api-schemas';
import { addCatalogModelSchema, catalogQuerySchema, updateCatalogModelSchema } from './requests/catalog';
import { deployBodySchema } from './requests/custom-model';
import { deployQuerySchema, yamlDeployQuerySchema } from './requests/deploy';
import { idempotencyHeadersSchema } from './requests/idempotency-key';
import { createInferenceKeySchema, keyListQuerySchema } from './requests/inference-keys';
import { promptRequestSchema } from './requests/prompt';
import { eventsQuerySchema, listQuerySchema, logsQuerySchema } from './requests/queries';
import { scaleDeploymentSchema, scaleRangeSchema } from './requests/scale';
import { scheduleSchema } from './requests/schedule';
import type { FunctionAccess } from './access';

export type { WorkflowName } from './access';

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
  readonly access: FunctionAccess;
}

/** What the OpenAPI document says of a route beside its method and path. */
export interface Operation {
  readonly operationId: string;
  readonly tag: 'Deployments' | 'Catalog' | 'Observability' | 'Inference keys' | 'Meta';
  readonly summary: string;
  readonly description?: string;
  readonly query?: z.ZodObject;
  /** Request headers beyond Authorization, one property per header (named as clients send it). */
  readonly headers?: z.ZodObject;
  readonly body?: z.ZodType;
  /** The body is a YAML document (text), not JSON. */
  readonly yamlBody?: { readonly description: string };
  /** Success answers by status: a JSON schema (named in contract/openapi.ts or inlined), `html`, or nothing (204). */
  readonly responses: Readonly<Record<number, { readonly description: string; readonly json?: z.ZodType; readonly html?: true }>>;
  /** Error statuses this route can answer beside those every route can (401, 413, 500). */
  readonly errors: readonly number[];
}

/** A route of the API: served as RouteDefinition says, documented as `operation` says. */
export interface ApiRoute extends RouteDefinition {
  readonly operation: Operation;
}


export const API_BASE_PATH = '/api/v1beta1';
const deployments = `${API_BASE_PATH}/orgs/{org_id}/projects/{project_id}/aimodels`;
const inferenceKeys = `${API_BASE_PATH}/orgs/{org_id}/projects/{project_id}/inference-keys`;

const TENANT_ERRORS = [400, 403, 404];
const WRITE_ERRORS = [...TENANT_ERRORS, 409, 415, 503];

export const ROUTES: readonly ApiRoute[] = [
  {
    name: 'list-catalog',
    method: 'GET',
    path: `${API_BASE_PATH}/aimodels-catalog`,
    entry: 'functions/api/list-catalog.ts',
    access: { table: 'R' },
    operation: {
      operationId: 'listCatalog',
      tag: 'Catalog',
      summary: 'List the models that can be deployed',
      description: 'Each item\'s `id` is the `catalog_id` of a deploy request. Extension: `?include_retired=true` (role admin) lists retired models too, with `retired_at`.',
      query: catalogQuerySchema,
      responses: { 200: { description: 'The whole catalog, as one page.', json: catalogListSchema } },
      errors: [400, 403],
    },
  },
  {
    name: 'create-catalog-model',
    method: 'POST',
    path: `${API_BASE_PATH}/aimodels-catalog`,
    entry: 'functions/api/create-catalog-model.ts',
    access: { table: 'RW' },
    operation: {
      operationId: 'addCatalogModel',
      tag: 'Catalog',
      summary: 'Extension (role admin): add a model to the catalog',
      description:
        'Checked before it is offered: its ranges hold their defaults, the recommended GPU config exists and the model fits it at the default ' +
        '`max_model_len`. `id` defaults to `model_id` with "/" replaced by "-". A retired id is offered again with the new definition.',
      body: addCatalogModelSchema,
      responses: { 201: { description: 'The model as the catalog lists it.', json: catalogItemSchema } },
      errors: [400, 403, 409, 415],
    },
  },
  {
    name: 'update-catalog-model',
    method: 'PUT',
    path: `${API_BASE_PATH}/aimodels-catalog/{catalog_id}`,
    entry: 'functions/api/update-catalog-model.ts',
    access: { table: 'RW' },
    operation: {
      operationId: 'updateCatalogModel',
      tag: 'Catalog',
      summary: 'Extension (role admin): change a catalog model',
      description: 'A partial update: fields given replace the stored ones, `configurations` range by range, `null` clears `revision` or `gpu_constraint_description`. A built-in model gets an override.',
      body: updateCatalogModelSchema,
      responses: { 200: { description: 'The model as the catalog now lists it.', json: catalogItemSchema } },
      errors: [400, 403, 404, 409, 415],
    },
  },
  {
    name: 'retire-catalog-model',
    method: 'DELETE',
    path: `${API_BASE_PATH}/aimodels-catalog/{catalog_id}`,
    entry: 'functions/api/retire-catalog-model.ts',
    access: { table: 'RW' },
    operation: {
      operationId: 'retireCatalogModel',
      tag: 'Catalog',
      summary: 'Extension (role admin): retire a catalog model',
      description: 'No new deploys of it (400 naming `catalog_id`); deployments already running it keep scaling and deleting normally. Idempotent.',
      responses: { 204: { description: 'Retired.' } },
      errors: [400, 403, 404, 409],
    },
  },
  {
    name: 'list-recipes',
    method: 'GET',
    path: `${API_BASE_PATH}/recipes`,
    entry: 'functions/api/list-recipes.ts',
    access: { table: 'R' },
    operation: {
      operationId: 'listRecipes',
      tag: 'Catalog',
      summary: 'Extension: list deployment recipes (SLURM `recipe_name`)',
      description: 'Named templates of a deploy body with their parameters; deploy one with `recipe_name` and only what differs.',
      responses: { 200: { description: 'Every recipe, as one page.', json: recipeListSchema } },
      errors: [],
    },
  },
  {
    name: 'list-inventory',
    method: 'GET',
    path: `${API_BASE_PATH}/inventory`,
    entry: 'functions/api/list-inventory.ts',
    access: { table: 'R' },
    operation: {
      operationId: 'listInventory',
      tag: 'Catalog',
      summary: 'List GPU configurations and their plans',
      description: 'Each item\'s `config_id` is a `gpu_config_id`, each plan\'s `plan_id` a `plan_id` of a deploy request.',
      responses: { 200: { description: 'Every GPU configuration, as one page.', json: inventoryListSchema } },
      errors: [],
    },
  },
  {
    name: 'list-deployments',
    method: 'GET',
    path: deployments,
    entry: 'functions/api/list-deployments.ts',
    access: { table: 'R' },
    operation: {
      operationId: 'listDeployedAIModels',
      tag: 'Deployments',
      summary: 'List model deployments',
      description: 'One page of the project\'s deployments, newest first.',
      query: listQuerySchema,
      responses: { 200: { description: 'Paginated list of model deployments.', json: deploymentListSchema } },
      errors: TENANT_ERRORS,
    },
  },
  {
    name: 'create-deployment',
    method: 'POST',
    path: deployments,
    entry: 'functions/api/create-deployment.ts',
    access: { table: 'RW', workflows: { start: ['deploy'] } },
    operation: {
      operationId: 'deployAIModel',
      tag: 'Deployments',
      summary: 'Deploy a model',
      description:
        'Validates against catalog, inventory and GPU memory, reserves capacity and starts the deploy workflow. ' +
        'Poll the deployment (or its events) until `status` is `ready`. With `?dry_run=true` nothing is created: the answer (200) is the plan.',
      query: deployQuerySchema,
      headers: idempotencyHeadersSchema,
      body: deployBodySchema,
      responses: {
        200: { description: 'Extension, `?dry_run=true`: what the deploy would do.', json: planSchemaOfDryRun },
        201: { description: 'Deployment accepted and provisioning has started.', json: deploymentSchema },
      },
      errors: [...WRITE_ERRORS, 422],
    },
  },
  {
    // Jan's "advanced YAML": a Deployment manifest deployed as a custom model (docs/custom-models.md).
    name: 'deploy-yaml',
    method: 'POST',
    path: `${deployments}/yaml`,
    entry: 'functions/api/deploy-yaml.ts',
    access: { table: 'RW', workflows: { start: ['deploy'] } },
    operation: {
      operationId: 'deployAIModelFromYaml',
      tag: 'Deployments',
      summary: 'Extension: deploy a Kubernetes Deployment manifest (Jan\'s advanced YAML)',
      description:
        'A single apps/v1 Deployment whose pods request GPUs within the GPU configuration, run unprivileged and use no host paths or host ' +
        'namespaces; each refusal names the manifest path. Deployed as a custom model by the same workflow (docs/custom-models.md).',
      query: yamlDeployQuerySchema,
      yamlBody: { description: 'The Deployment manifest, at most 64 KiB, one document.' },
      responses: {
        200: { description: '`?dry_run=true`: what the deploy would do.', json: planSchemaOfDryRun },
        201: { description: 'Deployment accepted and provisioning has started.', json: deploymentSchema },
      },
      errors: WRITE_ERRORS,
    },
  },
  {
    name: 'get-deployment',
    method: 'GET',
    path: `${deployments}/{model_id}`,
    entry: 'functions/api/get-deployment.ts',
    access: { table: 'R' },
    operation: {
      operationId: 'getDeployedAIModel',
      tag: 'Deployments',
      summary: 'Get a model deployment',
      description: 'Its current state; while initializing, `eta` says when it will probably be ready.',
      responses: { 200: { description: 'The deployment.', json: deploymentSchema } },
      errors: TENANT_ERRORS,
    },
  },
  {
    name: 'delete-deployment',
    method: 'DELETE',
    path: `${deployments}/{model_id}`,
    entry: 'functions/api/delete-deployment.ts',
    access: { table: 'RW', workflows: { start: ['delete'], stop: ['deploy', 'scale'] } },
    operation: {
      operationId: 'deleteDeployedAIModel',
      tag: 'Deployments',
      summary: 'Delete a model deployment',
      description: 'Accepted at once; the delete workflow releases GPUs and cluster objects. The deployment answers 404 once it is gone.',
      responses: { 204: { description: 'Deletion accepted.' } },
      errors: WRITE_ERRORS,
    },
  },
  {
    name: 'scale-deployment',
    method: 'PUT',
    path: `${deployments}/{model_id}/scale`,
    entry: 'functions/api/scale-deployment.ts',
    access: { table: 'RW', workflows: { start: ['scale'] } },
    operation: {
      operationId: 'scaleDeployedAIModel',
      tag: 'Deployments',
      summary: 'Scale a model deployment',
      description: 'Extension: with a scale range (`autoscaling`), replicas outside it are a 400 naming `replicas`.',
      body: scaleDeploymentSchema,
      responses: { 200: { description: 'The deployment with its new desired `replicas`.', json: deploymentSchema } },
      errors: WRITE_ERRORS,
    },
  },
  {
    name: 'set-deployment-autoscaling',
    method: 'PUT',
    path: `${deployments}/{model_id}/autoscaling`,
    entry: 'functions/api/set-deployment-autoscaling.ts',
    access: { table: 'RW' },
    operation: {
      operationId: 'setDeploymentAutoscaling',
      tag: 'Deployments',
      summary: 'Extension: change a deployment\'s scale range and load autoscaling',
      description:
        'A record change, no workflow: the range must hold the current replicas (scale first, then narrow) and its maximum must fit the node group. ' +
        'Load autoscaling (docs/autoscaling.md) turns on with `enabled: true` or any of its settings (`target`, `scale_up_delay_seconds`, `scale_down_delay_seconds`, ' +
        '`scale_to_zero_delay_seconds`, `stabilization_window_seconds`; the others keep their value or default) and off with `enabled: false`; ' +
        'a body with the range only keeps it as it was. From then on the schedule sweeper moves replicas inside the range through the scale workflow.',
      body: scaleRangeSchema,
      responses: { 200: { description: 'The deployment with its new `autoscaling`.', json: deploymentSchema } },
      errors: [...TENANT_ERRORS, 409, 415],
    },
  },
  {
    name: 'list-deployment-events',
    method: 'GET',
    path: `${deployments}/{model_id}/events`,
    entry: 'functions/api/list-deployment-events.ts',
    access: { table: 'R' },
    operation: {
      operationId: 'listDeploymentEvents',
      tag: 'Observability',
      summary: 'List a deployment\'s events',
      description: 'Its history (status and phase changes, failures, scale and delete requests), oldest first, by cursor.',
      query: eventsQuerySchema,
      responses: { 200: { description: 'One page of events.', json: eventListSchema } },
      errors: TENANT_ERRORS,
    },
  },
  {
    name: 'get-deployment-logs',
    method: 'GET',
    path: `${deployments}/{model_id}/logs`,
    entry: 'functions/api/get-deployment-logs.ts',
    access: { table: 'R', eks: ['eks:DescribeCluster'], kubernetes: 'read' },
    operation: {
      operationId: 'getDeploymentLogs',
      tag: 'Observability',
      summary: 'Read a deployment\'s model server logs',
      description: 'The tail of each pod\'s vLLM log, oldest pod first; one pod with `replica`.',
      query: logsQuerySchema,
      responses: { 200: { description: 'The logs of the deployment\'s pods.', json: logsSchema } },
      errors: TENANT_ERRORS,
    },
  },
  {
    name: 'prompt-deployment',
    method: 'POST',
    path: `${deployments}/{model_id}/prompt`,
    entry: 'functions/api/prompt-deployment.ts',
    // gatewaySecret: the control plane's credential at the gateway, derived from the master secret (adapters/model-server-proxy.ts).
    access: { table: 'R', gatewaySecret: true },
    operation: {
      operationId: 'promptDeployment',
      tag: 'Deployments',
      summary: 'Extension: send one prompt to a ready deployment (SLURM vllm/{id}/prompt)',
      description:
        'To its vLLM OpenAI API through the inference gateway, as a customer\'s call to `endpoint_url` goes: `chat` (default) or `completion`. 409 until it is ready; the model server\'s own ' +
        'refusal is a 400, its failure a 502, no answer before the request\'s time runs out a 504. For real traffic use `endpoint_url`.',
      body: promptRequestSchema,
      responses: { 200: { description: 'The model\'s answer.', json: promptAnswerSchema } },
      errors: [...TENANT_ERRORS, 409, 415, 502, 504],
    },
  },
  {
    name: 'list-deployment-models',
    method: 'GET',
    path: `${deployments}/{model_id}/models`,
    entry: 'functions/api/list-deployment-models.ts',
    // gatewaySecret: the control plane's credential at the gateway, derived from the master secret (adapters/model-server-proxy.ts).
    access: { table: 'R', gatewaySecret: true },
    operation: {
      operationId: 'listDeploymentModels',
      tag: 'Deployments',
      summary: 'Extension: list the models a ready deployment serves (vLLM /v1/models)',
      responses: { 200: { description: 'The served models.', json: servedModelListSchema } },
      errors: [...TENANT_ERRORS, 409, 502, 504],
    },
  },
  {
    name: 'put-schedule',
    method: 'PUT',
    path: `${deployments}/{model_id}/schedule`,
    entry: 'functions/api/put-schedule.ts',
    access: { table: 'RW' },
    operation: {
      operationId: 'putDeploymentSchedule',
      tag: 'Deployments',
      summary: 'Set a deployment\'s scaling windows and idle timeout',
      description:
        'Extension. Cron windows (5 fields) in an IANA time zone scale the deployment to their `replicas` at each fire (0 pauses); ' +
        'with `idle_timeout_minutes`, a deployment that served no request for that long is paused. Replaces any previous schedule.',
      body: scheduleSchema,
      responses: { 200: { description: 'The schedule with its next fires.', json: scheduleViewSchema } },
      errors: [...TENANT_ERRORS, 409, 415],
    },
  },
  {
    name: 'get-schedule',
    method: 'GET',
    path: `${deployments}/{model_id}/schedule`,
    entry: 'functions/api/get-schedule.ts',
    access: { table: 'R' },
    operation: {
      operationId: 'getDeploymentSchedule',
      tag: 'Deployments',
      summary: 'Get a deployment\'s schedule',
      description: 'Extension. 404 when it has none.',
      responses: { 200: { description: 'The schedule with its next fires and idle state.', json: scheduleViewSchema } },
      errors: TENANT_ERRORS,
    },
  },
  {
    name: 'delete-schedule',
    method: 'DELETE',
    path: `${deployments}/{model_id}/schedule`,
    entry: 'functions/api/delete-schedule.ts',
    access: { table: 'RW' },
    operation: {
      operationId: 'deleteDeploymentSchedule',
      tag: 'Deployments',
      summary: 'Remove a deployment\'s schedule',
      description: 'Extension. No more windows or idle pauses; the current replicas stay.',
      responses: { 204: { description: 'Removed (also when there was none).' } },
      errors: [...TENANT_ERRORS, 409],
    },
  },
  {
    name: 'get-usage',
    method: 'GET',
    path: `${deployments}/{model_id}/usage`,
    entry: 'functions/api/get-usage.ts',
    access: { table: 'R' },
    operation: {
      operationId: 'getDeploymentUsage',
      tag: 'Observability',
      summary: 'Serving time, GPU time and cost of a deployment',
      description: 'Extension. Totals and per UTC day; cost = gpu_seconds x unit_price (per GPU-hour) / 3600. `tokens`: what the inference gateway metered, every key summed.',
      responses: { 200: { description: 'The usage so far.', json: usageSchema } },
      errors: TENANT_ERRORS,
    },
  },
  {
    name: 'create-inference-key',
    method: 'POST',
    path: inferenceKeys,
    entry: 'functions/api/create-inference-key.ts',
    // the pepper of the stored hash derives from the gateway's master secret
    access: { table: 'RW', gatewaySecret: true },
    operation: {
      operationId: 'createInferenceKey',
      tag: 'Inference keys',
      summary: 'Create an inference key',
      description:
        'Extension (role editor). A key `sk-<id>.<secret>` (256 random bits) for `Authorization: Bearer` at the deployments\' `endpoint_url`. ' +
        'The key is in this answer only: the API keeps an HMAC of its secret, never the key. `deployment_ids` must name deployments of this project.',
      body: createInferenceKeySchema,
      responses: { 201: { description: 'The new key, with the key itself.', json: createdInferenceKeySchema } },
      errors: [...TENANT_ERRORS, 415],
    },
  },
  {
    name: 'list-inference-keys',
    method: 'GET',
    path: inferenceKeys,
    entry: 'functions/api/list-inference-keys.ts',
    access: { table: 'R' },
    operation: {
      operationId: 'listInferenceKeys',
      tag: 'Inference keys',
      summary: 'List the project\'s inference keys',
      description: 'Extension. Newest first, revoked and expired keys included (with their `state`); never a key itself.',
      query: keyListQuerySchema,
      responses: { 200: { description: 'One page of keys.', json: inferenceKeyListSchema } },
      errors: TENANT_ERRORS,
    },
  },
  {
    name: 'get-inference-key',
    method: 'GET',
    path: `${inferenceKeys}/{key_id}`,
    entry: 'functions/api/get-inference-key.ts',
    access: { table: 'R' },
    operation: {
      operationId: 'getInferenceKey',
      tag: 'Inference keys',
      summary: 'Get an inference key',
      description: 'Extension. Never the key itself.',
      responses: { 200: { description: 'The key.', json: inferenceKeySchema } },
      errors: TENANT_ERRORS,
    },
  },
  {
    name: 'revoke-inference-key',
    method: 'DELETE',
    path: `${inferenceKeys}/{key_id}`,
    entry: 'functions/api/revoke-inference-key.ts',
    access: { table: 'RW' },
    operation: {
      operationId: 'revokeInferenceKey',
      tag: 'Inference keys',
      summary: 'Revoke an inference key',
      description:
        'Extension (role editor). The key stops working at every gateway within 30 s. It stays listed, with `revoked_at`, and its usage stays readable. ' +
        'Idempotent: revoking a revoked key answers 204 again and keeps the first `revoked_at`.',
      responses: { 204: { description: 'Revoked.' } },
      errors: TENANT_ERRORS,
    },
  },
  {
    name: 'get-inference-key-usage',
    method: 'GET',
    path: `${inferenceKeys}/{key_id}/usage`,
    entry: 'functions/api/get-inference-key-usage.ts',
    access: { table: 'R' },
    operation: {
      operationId: 'getInferenceKeyUsage',
      tag: 'Inference keys',
      summary: 'Tokens an inference key used',
      description: 'Extension. Requests, prompt and completion tokens per deployment per UTC day, as the gateways metered them (written every few seconds).',
      responses: { 200: { description: 'The key\'s usage so far.', json: inferenceKeyUsageSchema } },
      errors: TENANT_ERRORS,
    },
  },
  {
    name: 'get-openapi',
    method: 'GET',
    path: `${API_BASE_PATH}/openapi.json`,
    entry: 'functions/api/get-openapi.ts',
    public: true,
    access: { table: 'R' },
    operation: {
      operationId: 'getOpenApiDocument',
      tag: 'Meta',
      summary: 'This document',
      description: 'No token needed.',
      responses: { 200: { description: 'The OpenAPI 3.1 document.', json: z.object({ openapi: z.string() }).catchall(z.unknown()) } },
      errors: [],
    },
  },
  {
    name: 'get-api-docs',
    method: 'GET',
    path: `${API_BASE_PATH}/docs`,
    entry: 'functions/api/get-api-docs.ts',
    public: true,
    access: { table: 'R' },
    operation: {
      operationId: 'getApiDocs',
      tag: 'Meta',
      summary: 'This document as a browsable page',
      description: 'Self-contained HTML (no external script). No token needed.',
      responses: { 200: { description: 'An HTML page.', html: true } },
      errors: [],
    },
  },
];
