/**
 * The OpenAPI 3.1 document, generated from the route table (contract/routes.ts: each route's
 * `operation` says its summary, query, body and answers) and the zod schemas (requests/ for
 * what clients send, api-schemas.ts for what the API answers) with zod's own z.toJSONSchema:
 * no schema and no route is written twice. Pure.
 */
import * as z from 'zod';
import { API_BASE_PATH, ROUTES, type ApiRoute, type Operation } from './routes';
import {
  catalogItemSchema,
  catalogListSchema,
  createdInferenceKeySchema,
  deploymentListSchema,
  deploymentSchema,
  errorSchema,
  etaSchema,
  eventListSchema,
  inferenceKeyListSchema,
  inferenceKeySchema,
  inferenceKeyUsageSchema,
  inventoryListSchema,
  logsSchema,
  paginationSchema,
  planSchemaOfDryRun,
  promptAnswerSchema,
  recipeListSchema,
  servedModelListSchema,
  timelineSchema,
} from './api-schemas';
import { addCatalogModelSchema, updateCatalogModelSchema } from './requests/catalog';
import { createInferenceKeySchema } from './requests/inference-keys';
import { deployBodySchema } from './requests/custom-model';
import { promptRequestSchema } from './requests/prompt';
import { scaleDeploymentSchema, scaleRangeSchema } from './requests/scale';


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
  502: 'The deployment\'s model server failed, or could not be reached.',
  503: 'A workflow could not be started, or an AWS service stayed throttled or unavailable through the retries; nothing was changed. Retry after the `Retry-After` header\'s seconds.',
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
  ['CreateInferenceKeyRequest', createInferenceKeySchema],
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
  ['InferenceKey', inferenceKeySchema],
  ['CreatedInferenceKey', createdInferenceKeySchema],
  ['InferenceKeyListResponse', inferenceKeyListSchema],
  ['InferenceKeyUsageResponse', inferenceKeyUsageSchema],
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

const parametersOf = (route: ApiRoute, entry: Operation): JsonSchema[] => {
  const path = [...route.path.matchAll(/\{(\w+)\}/g)].map(([, name = '']) => ({
    name,
    in: 'path',
    required: true,
    description: PATH_PARAMETERS[name] ?? name,
    schema: { type: 'string' },
  }));
  return [...path, ...objectParameters(entry.query, 'query'), ...objectParameters(entry.headers, 'header')];
};

const responsesOf = (entry: Operation, isPublic: boolean): JsonSchema => {
  const responses: JsonSchema = {};
  for (const [status, answer] of Object.entries(entry.responses)) {
    responses[status] = {
      description: answer.description,
      ...(answer.json ? { content: { 'application/json': { schema: refOrInline(RESPONSES, answer.json, 'output') } } } : {}),
      ...(answer.html ? { content: { 'text/html': { schema: { type: 'string' } } } } : {}),
    };
  }
  // Every route may meet AWS throttling that outlasts the SDK's retries: 503 (functions/commons/http.ts).
  const errors = [...new Set([...entry.errors, ...(isPublic ? [] : [401, 413]), 500, 503])].sort((a, b) => a - b);
  for (const status of errors) {
    responses[status] = {
      description: ERROR_DESCRIPTIONS[status] ?? 'Error.',
      content: { 'application/json': { schema: { $ref: REF('ErrorResponse') } } },
    };
  }
  return responses;
};

const operationOf = (route: ApiRoute): JsonSchema => {
  const entry = route.operation;
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

export const buildOpenApiDocument = (routes: readonly ApiRoute[] = ROUTES): OpenApiDocument => {
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
      { name: 'Inference keys', description: 'Extension: the keys that call a project\'s deployments through the inference gateway, and what they used.' },
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
