/**
 * The OpenAPI 3.1 document, built from the route table (contract/routes.ts) and the
 * zod schemas (requests.ts for what clients send, api-schemas.ts for what the API answers)
 * with zod's own z.toJSONSchema: no schema is written twice. OPERATIONS says, per route name,
 * what the document adds to a route: its summary, query, body and answers. A route without an
 * entry fails test/unit/openapi.test.ts. Pure.
 */
import * as z from 'zod';
import { API_BASE_PATH, ROUTES, type RouteDefinition } from './routes';
import {
  catalogItemSchema,
  catalogListSchema,
  deploymentListSchema,
  deploymentSchema,
  errorSchema,
  etaSchema,
  eventListSchema,
  inventoryListSchema,
  logsSchema,
  paginationSchema,
  planSchemaOfDryRun,
  promptAnswerSchema,
  recipeListSchema,
  servedModelListSchema,
  scheduleViewSchema,
  timelineSchema,
  usageSchema,
} from './api-schemas';
import { addCatalogModelSchema, catalogQuerySchema, updateCatalogModelSchema } from '../functions/domain/catalog-admin';
import { idempotencyHeadersSchema } from '../functions/domain/idempotency-key';
import { scheduleSchema } from '../functions/domain/schedule';
import { customModelFields } from '../functions/domain/custom-model';
import { promptRequestSchema } from '../functions/domain/prompt';
import { yamlDeployQuerySchema } from '../functions/domain/yaml-manifest';
import { createDeploymentSchema, deployQuerySchema, eventsQuerySchema, listQuerySchema, logsQuerySchema, scaleDeploymentSchema, scaleRangeSchema } from '../functions/domain/requests';

/**
 * What POST …/aimodels accepts, as one schema for the document: the NeevCloud body (catalog_id)
 * or, as an extension, a model outside the catalog (huggingface_id and its fields). The handler
 * checks that exactly one of the two ids is given (functions/domain/custom-model.ts).
 */
const deployBodySchema = createDeploymentSchema
  .partial({ catalog_id: true })
  .extend(Object.fromEntries(Object.entries(customModelFields).map(([k, v]) => [k, v.optional()])) as { [K in keyof typeof customModelFields]: z.ZodOptional<(typeof customModelFields)[K]> })
  .extend({
    recipe_name: z
      .string()
      .optional()
      .describe('Extension: a recipe of GET /api/v1beta1/recipes; its `deploy_body` fills in every field not given, so `name` alone deploys it.'),
  })
  .describe(
    'A deploy request: `catalog_id` (NeevCloud) or, as an extension, `huggingface_id` with the custom-model fields; exactly one of the two. ' +
      'Extensions: a scale range in one of three spellings (`autoscaling`, DeepInfra `settings`, Jan `autoscaling_config`), and `recipe_name`.',
  );

export interface OperationEntry {
  operationId: string;
  tag: 'Deployments' | 'Catalog' | 'Observability' | 'Meta';
  summary: string;
  description?: string;
  query?: z.ZodObject;
  /** Request headers beyond Authorization, one property per header (named as clients send it). */
  headers?: z.ZodObject;
  body?: z.ZodType;
  /** The body is a YAML document (text), not JSON. */
  yamlBody?: { description: string };
  /** Success answers by status: a JSON schema registered below, `html`, or nothing (204). */
  responses: Record<number, { description: string; json?: z.ZodType; html?: true }>;
  /** Error statuses this route can answer beside those every route can (401, 413, 500). */
  errors: number[];
}

const TENANT_ERRORS = [400, 403, 404];
const WRITE_ERRORS = [...TENANT_ERRORS, 409, 415, 503];

/** One entry per route name in ROUTES; adding a route means adding one here. */
export const OPERATIONS: Record<string, OperationEntry> = {
  'list-catalog': {
    operationId: 'listCatalog',
    tag: 'Catalog',
    summary: 'List the models that can be deployed',
    description: 'Each item\'s `id` is the `catalog_id` of a deploy request. Extension: `?include_retired=true` (role admin) lists retired models too, with `retired_at`.',
    query: catalogQuerySchema,
    responses: { 200: { description: 'The whole catalog, as one page.', json: catalogListSchema } },
    errors: [400, 403],
  },
  'create-catalog-model': {
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
  'update-catalog-model': {
    operationId: 'updateCatalogModel',
    tag: 'Catalog',
    summary: 'Extension (role admin): change a catalog model',
    description: 'A partial update: fields given replace the stored ones, `configurations` range by range, `null` clears `revision` or `gpu_constraint_description`. A built-in model gets an override.',
    body: updateCatalogModelSchema,
    responses: { 200: { description: 'The model as the catalog now lists it.', json: catalogItemSchema } },
    errors: [400, 403, 404, 409, 415],
  },
  'retire-catalog-model': {
    operationId: 'retireCatalogModel',
    tag: 'Catalog',
    summary: 'Extension (role admin): retire a catalog model',
    description: 'No new deploys of it (400 naming `catalog_id`); deployments already running it keep scaling and deleting normally. Idempotent.',
    responses: { 204: { description: 'Retired.' } },
    errors: [400, 403, 404, 409],
  },
  'list-recipes': {
    operationId: 'listRecipes',
    tag: 'Catalog',
    summary: 'Extension: list deployment recipes (SLURM `recipe_name`)',
    description: 'Named templates of a deploy body with their parameters; deploy one with `recipe_name` and only what differs.',
    responses: { 200: { description: 'Every recipe, as one page.', json: recipeListSchema } },
    errors: [],
  },
  'list-inventory': {
    operationId: 'listInventory',
    tag: 'Catalog',
    summary: 'List GPU configurations and their plans',
    description: 'Each item\'s `config_id` is a `gpu_config_id`, each plan\'s `plan_id` a `plan_id` of a deploy request.',
    responses: { 200: { description: 'Every GPU configuration, as one page.', json: inventoryListSchema } },
    errors: [],
  },
  'list-deployments': {
    operationId: 'listDeployedAIModels',
    tag: 'Deployments',
    summary: 'List model deployments',
    description: 'One page of the project\'s deployments, newest first.',
    query: listQuerySchema,
    responses: { 200: { description: 'Paginated list of model deployments.', json: deploymentListSchema } },
    errors: TENANT_ERRORS,
  },
  'create-deployment': {
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
  'deploy-yaml': {
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
  'get-deployment': {
    operationId: 'getDeployedAIModel',
    tag: 'Deployments',
    summary: 'Get a model deployment',
    description: 'Its current state; while initializing, `eta` says when it will probably be ready.',
    responses: { 200: { description: 'The deployment.', json: deploymentSchema } },
    errors: TENANT_ERRORS,
  },
  'delete-deployment': {
    operationId: 'deleteDeployedAIModel',
    tag: 'Deployments',
    summary: 'Delete a model deployment',
    description: 'Accepted at once; the delete workflow releases GPUs and cluster objects. The deployment answers 404 once it is gone.',
    responses: { 204: { description: 'Deletion accepted.' } },
    errors: WRITE_ERRORS,
  },
  'scale-deployment': {
    operationId: 'scaleDeployedAIModel',
    tag: 'Deployments',
    summary: 'Scale a model deployment',
    description: 'Extension: with a scale range (`autoscaling`), replicas outside it are a 400 naming `replicas`.',
    body: scaleDeploymentSchema,
    responses: { 200: { description: 'The deployment with its new desired `replicas`.', json: deploymentSchema } },
    errors: WRITE_ERRORS,
  },
  'set-deployment-autoscaling': {
    operationId: 'setDeploymentAutoscaling',
    tag: 'Deployments',
    summary: 'Extension: change a deployment\'s scale range',
    description: 'A record change, no workflow: the range must hold the current replicas (scale first, then narrow) and its maximum must fit the node group.',
    body: scaleRangeSchema,
    responses: { 200: { description: 'The deployment with its new `autoscaling`.', json: deploymentSchema } },
    errors: [...TENANT_ERRORS, 409, 415],
  },
  'prompt-deployment': {
    operationId: 'promptDeployment',
    tag: 'Deployments',
    summary: 'Extension: send one prompt to a ready deployment (SLURM vllm/{id}/prompt)',
    description:
      'Through the Kubernetes API service proxy to its vLLM OpenAI API: `chat` (default) or `completion`. 409 until it is ready; the model server\'s own ' +
      'refusal is a 400, its failure a 502, no answer within 8 s a 504. For real traffic use `endpoint_url`.',
    body: promptRequestSchema,
    responses: { 200: { description: 'The model\'s answer.', json: promptAnswerSchema } },
    errors: [...TENANT_ERRORS, 409, 415, 502, 504],
  },
  'list-deployment-models': {
    operationId: 'listDeploymentModels',
    tag: 'Deployments',
    summary: 'Extension: list the models a ready deployment serves (vLLM /v1/models)',
    responses: { 200: { description: 'The served models.', json: servedModelListSchema } },
    errors: [...TENANT_ERRORS, 409, 502, 504],
  },
  'list-deployment-events': {
    operationId: 'listDeploymentEvents',
    tag: 'Observability',
    summary: 'List a deployment\'s events',
    description: 'Its history (status and phase changes, failures, scale and delete requests), oldest first, by cursor.',
    query: eventsQuerySchema,
    responses: { 200: { description: 'One page of events.', json: eventListSchema } },
    errors: TENANT_ERRORS,
  },
  'get-deployment-logs': {
    operationId: 'getDeploymentLogs',
    tag: 'Observability',
    summary: 'Read a deployment\'s model server logs',
    description: 'The tail of each pod\'s vLLM log, oldest pod first; one pod with `replica`.',
    query: logsQuerySchema,
    responses: { 200: { description: 'The logs of the deployment\'s pods.', json: logsSchema } },
    errors: TENANT_ERRORS,
  },
  'put-schedule': {
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
  'get-schedule': {
    operationId: 'getDeploymentSchedule',
    tag: 'Deployments',
    summary: 'Get a deployment\'s schedule',
    description: 'Extension. 404 when it has none.',
    responses: { 200: { description: 'The schedule with its next fires and idle state.', json: scheduleViewSchema } },
    errors: TENANT_ERRORS,
  },
  'delete-schedule': {
    operationId: 'deleteDeploymentSchedule',
    tag: 'Deployments',
    summary: 'Remove a deployment\'s schedule',
    description: 'Extension. No more windows or idle pauses; the current replicas stay.',
    responses: { 204: { description: 'Removed (also when there was none).' } },
    errors: [...TENANT_ERRORS, 409],
  },
  'get-usage': {
    operationId: 'getDeploymentUsage',
    tag: 'Observability',
    summary: 'Serving time, GPU time and cost of a deployment',
    description: 'Extension. Totals and per UTC day; cost = gpu_seconds x unit_price (per GPU-hour) / 3600.',
    responses: { 200: { description: 'The usage so far.', json: usageSchema } },
    errors: TENANT_ERRORS,
  },
  'get-openapi': {
    operationId: 'getOpenApiDocument',
    tag: 'Meta',
    summary: 'This document',
    description: 'No token needed.',
    responses: { 200: { description: 'The OpenAPI 3.1 document.', json: z.object({ openapi: z.string() }).catchall(z.unknown()) } },
    errors: [],
  },
  'get-api-docs': {
    operationId: 'getApiDocs',
    tag: 'Meta',
    summary: 'This document as a browsable page',
    description: 'Self-contained HTML (no external script). No token needed.',
    responses: { 200: { description: 'An HTML page.', html: true } },
    errors: [],
  },
};

const ERROR_DESCRIPTIONS: Record<number, string> = {
  400: 'The request is invalid; `message` names the field.',
  401: 'A valid Bearer token is missing.',
  403: 'The token\'s role may not do this (a viewer may only read; only an admin may change the catalog).',
  404: 'No such deployment (or catalog model), or the token\'s org/project do not include it.',
  409: 'Conflicts with the current state: the name is taken, the GPUs are all reserved, the deployment is not ready or changed meanwhile.',
  413: 'The request body is larger than 1 MiB.',
  415: 'The body is not `application/json`.',
  422: 'Extension: the `Idempotency-Key` was already used (within 24 h, by this project) with a different request body; nothing was done. Use a new key for a new request.',
  500: 'An unexpected error; the request id is in the logs.',
  502: 'The deployment\'s model server failed, or could not be reached through the Kubernetes service proxy.',
  503: 'A workflow could not be started; nothing was changed, retry shortly.',
  504: 'The deployment\'s model server did not answer in time.',
};

/** Schemas given a name under components.schemas (the NeevCloud names where it has one). */
const REQUESTS: [string, z.ZodType][] = [
  ['CreateAIModelRequest', deployBodySchema],
  ['ScaleAIModelRequest', scaleDeploymentSchema],
  ['AutoscalingRequest', scaleRangeSchema],
  ['PromptRequest', promptRequestSchema],
  ['AddCatalogModelRequest', addCatalogModelSchema],
  ['UpdateCatalogModelRequest', updateCatalogModelSchema],
];
const RESPONSES: [string, z.ZodType][] = [
  ['ErrorResponse', errorSchema],
  ['Pagination', paginationSchema],
  ['Eta', etaSchema],
  ['Timeline', timelineSchema],
  ['AIModelResponse', deploymentSchema],
  ['AIModelListResponse', deploymentListSchema],
  ['DeployPlan', planSchemaOfDryRun],
  ['CatalogModel', catalogItemSchema],
  ['CatalogListResponse', catalogListSchema],
  ['RecipeListResponse', recipeListSchema],
  ['PromptResponse', promptAnswerSchema],
  ['ServedModelListResponse', servedModelListSchema],
  ['InventoryListResponse', inventoryListSchema],
  ['EventListResponse', eventListSchema],
  ['LogsResponse', logsSchema],
];

type JsonSchema = Record<string, unknown>;
const REF = (id: string) => `#/components/schemas/${id}`;

/**
 * Drops what zod adds but a reader does not need: the bounds of a safe integer (implied by
 * `integer`) and the long RFC 3339 pattern beside `format: date-time`.
 */
const tidy = <T>(node: T): T => {
  if (Array.isArray(node)) return node.map(tidy) as T;
  if (typeof node !== 'object' || node === null) return node;
  const out: JsonSchema = {};
  for (const [key, value] of Object.entries(node)) {
    if ((key === 'maximum' && value === Number.MAX_SAFE_INTEGER) || (key === 'minimum' && value === Number.MIN_SAFE_INTEGER)) continue;
    if (key === 'pattern' && (node as JsonSchema).format === 'date-time') continue;
    out[key] = tidy(value);
  }
  return out as T;
};

const componentSchemas = (entries: [string, z.ZodType][], io: 'input' | 'output') => {
  const registry = z.registry<{ id: string }>();
  for (const [id, schema] of entries) registry.add(schema, { id });
  const { schemas } = z.toJSONSchema(registry, { io, uri: REF, unrepresentable: 'any' });
  return Object.fromEntries(Object.entries(schemas).map(([id, { $schema: _s, $id: _i, ...schema }]) => [id, schema as JsonSchema]));
};

const refOrInline = (entries: [string, z.ZodType][], schema: z.ZodType, io: 'input' | 'output'): JsonSchema => {
  const named = entries.find(([, candidate]) => candidate === schema);
  if (named) return { $ref: REF(named[0]) };
  const { $schema: _s, ...inline } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as JsonSchema;
  return inline;
};

const PATH_PARAMETERS: Record<string, string> = {
  org_id: 'Your organization id (e.g. `org-acme`); must be the token\'s `org_id`.',
  project_id: 'Your project id (e.g. `prj-web`); must be one of the token\'s `project_ids`.',
  model_id: 'The deployment id (`dep-…`) returned as `id` by a deploy or list, not the catalog id.',
  catalog_id: 'The catalog id: `id` of an item of GET /api/v1beta1/aimodels-catalog.',
};

/** One parameter per property of a zod object (its description stays in its schema, as for every query parameter). */
const objectParameters = (object: z.ZodObject | undefined, where: 'query' | 'header'): JsonSchema[] => {
  if (!object) return [];
  const { properties = {}, required = [] } = z.toJSONSchema(object, { io: 'input', unrepresentable: 'any' }) as JsonSchema & {
    properties?: Record<string, JsonSchema>;
    required?: string[];
  };
  return Object.entries(properties).map(([name, schema]) => ({ name, in: where, required: required.includes(name), schema }));
};

const parametersOf = (route: RouteDefinition, entry: OperationEntry): JsonSchema[] => {
  const path = [...route.path.matchAll(/\{(\w+)\}/g)].map(([, name = '']) => ({
    name,
    in: 'path',
    required: true,
    description: PATH_PARAMETERS[name] ?? name,
    schema: { type: 'string' },
  }));
  return [...path, ...objectParameters(entry.query, 'query'), ...objectParameters(entry.headers, 'header')];
};

const responsesOf = (entry: OperationEntry, isPublic: boolean): JsonSchema => {
  const responses: JsonSchema = {};
  for (const [status, answer] of Object.entries(entry.responses)) {
    responses[status] = {
      description: answer.description,
      ...(answer.json ? { content: { 'application/json': { schema: refOrInline(RESPONSES, answer.json, 'output') } } } : {}),
      ...(answer.html ? { content: { 'text/html': { schema: { type: 'string' } } } } : {}),
    };
  }
  const errors = [...new Set([...entry.errors, ...(isPublic ? [] : [401, 413]), 500])].sort((a, b) => a - b);
  for (const status of errors) {
    responses[status] = {
      description: ERROR_DESCRIPTIONS[status] ?? 'Error.',
      content: { 'application/json': { schema: { $ref: REF('ErrorResponse') } } },
    };
  }
  return responses;
};

const operationOf = (route: RouteDefinition): JsonSchema => {
  const entry = OPERATIONS[route.name];
  if (!entry) throw new Error(`route ${route.name} has no entry in OPERATIONS (contract/openapi.ts)`);
  return {
    operationId: entry.operationId,
    tags: [entry.tag],
    summary: entry.summary,
    ...(entry.description ? { description: entry.description } : {}),
    ...(route.public ? { security: [] } : {}),
    parameters: parametersOf(route, entry),
    ...(entry.body
      ? { requestBody: { required: true, content: { 'application/json': { schema: refOrInline(REQUESTS, entry.body, 'input') } } } }
      : {}),
    ...(entry.yamlBody
      ? {
          requestBody: {
            required: true,
            description: entry.yamlBody.description,
            content: { 'application/yaml': { schema: { type: 'string' } }, 'text/yaml': { schema: { type: 'string' } } },
          },
        }
      : {}),
    responses: responsesOf(entry, route.public === true),
  };
};

export interface OpenApiDocument {
  openapi: '3.1.0';
  info: { title: string; version: string; description: string };
  paths: Record<string, Record<string, JsonSchema>>;
  components: { schemas: Record<string, JsonSchema>; securitySchemes: JsonSchema };
  [key: string]: unknown;
}

export const buildOpenApiDocument = (routes: readonly RouteDefinition[] = ROUTES): OpenApiDocument => {
  const paths: OpenApiDocument['paths'] = {};
  for (const route of routes) (paths[route.path] ??= {})[route.method.toLowerCase()] = operationOf(route);
  return tidy({
    openapi: '3.1.0',
    info: {
      title: 'GPU model deployment control plane',
      version: API_BASE_PATH.split('/').pop() ?? 'v1beta1',
      description:
        'Dedicated GPU model deployments (vLLM on EKS). Compatible with the NeevCloud Dedicated Model Deployment API: ' +
        'its paths, fields and types, plus optional extensions (marked "Extension"). Errors are `{code, message}`.',
    },
    servers: [{ url: '/', description: 'This API' }],
    security: [{ BearerAuth: [] }],
    tags: [
      { name: 'Deployments', description: 'Deploy, read, scale and delete dedicated model deployments.' },
      { name: 'Catalog', description: 'What can be deployed, and on which GPUs.' },
      { name: 'Observability', description: 'A deployment\'s history and logs.' },
      { name: 'Meta', description: 'This API\'s own description.' },
    ],
    paths,
    components: {
      schemas: { ...componentSchemas(REQUESTS, 'input'), ...componentSchemas(RESPONSES, 'output') },
      securitySchemes: {
        BearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'A JWT with `org_id`, `project_ids` and `role` claims.' },
      },
    },
  });
};
