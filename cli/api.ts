/**
 * The API routes gpuctl calls, typed from the contract: each names a route of contract/routes.ts
 * (its method and path come from there) and gives the query, body and answer types of
 * contract/api-schemas.ts and the request schemas. The schema imports are type-only, so they add
 * no server code to the CLI; routes.ts is plain data.
 */
import type * as z from 'zod';
import type {
  catalogItemSchema,
  catalogListSchema,
  deploymentListSchema,
  deploymentSchema,
  createdInferenceKeySchema,
  eventListSchema,
  inferenceKeyListSchema,
  inferenceKeySchema,
  inferenceKeyUsageSchema,
  inventoryListSchema,
  logsSchema,
  planSchemaOfDryRun,
  promptAnswerSchema,
  recipeListSchema,
  scheduleViewSchema,
  servedModelListSchema,
  usageSchema,
} from '../contract/api-schemas';
import { ROUTES, type HttpMethod } from '../contract/routes';
import type { addCatalogModelSchema, catalogQuerySchema, updateCatalogModelSchema } from '../contract/requests/catalog';
import type { deployBodySchema } from '../contract/requests/custom-model';
import type { deployQuerySchema, yamlDeployQuerySchema } from '../contract/requests/deploy';
import type { promptRequestSchema } from '../contract/requests/prompt';
import type { createInferenceKeySchema, keyListQuerySchema } from '../contract/requests/inference-keys';
import type { eventsQuerySchema, listQuerySchema, logsQuerySchema } from '../contract/requests/queries';
import type { scaleDeploymentSchema, scaleRangeSchema } from '../contract/requests/scale';
import type { scheduleSchema } from '../contract/requests/schedule';

export type Deployment = z.infer<typeof deploymentSchema>;
export type DeploymentList = z.infer<typeof deploymentListSchema>;
export type DryRunPlan = z.infer<typeof planSchemaOfDryRun>;
export type CatalogList = z.infer<typeof catalogListSchema>;
export type CatalogItem = CatalogList['items'][number];
export type CatalogModel = z.infer<typeof catalogItemSchema>;
export type RecipeList = z.infer<typeof recipeListSchema>;
export type PromptAnswer = z.infer<typeof promptAnswerSchema>;
export type ServedModelList = z.infer<typeof servedModelListSchema>;
export type InventoryList = z.infer<typeof inventoryListSchema>;
export type InventoryItem = InventoryList['items'][number];
export type EventList = z.infer<typeof eventListSchema>;
export type DeploymentEvent = EventList['items'][number];
export type Logs = z.infer<typeof logsSchema>;
export type ScheduleView = z.infer<typeof scheduleViewSchema>;
export type Usage = z.infer<typeof usageSchema>;
export type InferenceKey = z.infer<typeof inferenceKeySchema>;
export type CreatedInferenceKey = z.infer<typeof createdInferenceKeySchema>;
export type InferenceKeyList = z.infer<typeof inferenceKeyListSchema>;
export type InferenceKeyUsage = z.infer<typeof inferenceKeyUsageSchema>;

/** A query as sent: the schema's parameter names, numbers and booleans written as text. */
type WireQuery<S extends z.ZodType> = { [K in keyof z.input<S>]?: string | number | boolean };

/**
 * A body the user writes (a spec or schedule file), sent as written for the API to judge: the
 * contract's fields typed where gpuctl sets them from flags, other keys passed through.
 */
export type Draft<S extends z.ZodType> = Partial<z.input<S>> & Record<string, unknown>;
export type DeployDraft = Draft<typeof deployBodySchema>;
export type CatalogModelDraft = Draft<typeof addCatalogModelSchema>;
export type CatalogPatchDraft = Draft<typeof updateCatalogModelSchema>;
/** A YAML document sent as written (the API parses and judges it). */
export type YamlText = string;
/** The OpenAPI document: its version field typed, the rest as the API wrote it. */
export type OpenApiDocument = { openapi: string } & Record<string, unknown>;
/** An HTML page, as text. */
export type Html = string;
export type ScheduleDraft = Draft<typeof scheduleSchema>;

interface Operation<Query, Body, Answer> {
  query: Query;
  body: Body;
  answer: Answer;
}
type NoBody = undefined;
type NoQuery = undefined;

/** Route name -> what gpuctl sends and gets back (a 204 answers undefined). */
export interface Api {
  'list-catalog': Operation<WireQuery<typeof catalogQuerySchema>, NoBody, CatalogList>;
  'create-catalog-model': Operation<NoQuery, CatalogModelDraft, CatalogModel>;
  'update-catalog-model': Operation<NoQuery, CatalogPatchDraft, CatalogModel>;
  'retire-catalog-model': Operation<NoQuery, NoBody, undefined>;
  'list-recipes': Operation<NoQuery, NoBody, RecipeList>;
  'list-inventory': Operation<NoQuery, NoBody, InventoryList>;
  'list-deployments': Operation<WireQuery<typeof listQuerySchema>, NoBody, DeploymentList>;
  // `?dry_run=true` answers the plan (200), otherwise the accepted deployment (201).
  'create-deployment': Operation<WireQuery<typeof deployQuerySchema>, DeployDraft, Deployment | DryRunPlan>;
  'deploy-yaml': Operation<WireQuery<typeof yamlDeployQuerySchema>, YamlText, Deployment | DryRunPlan>;
  'get-deployment': Operation<NoQuery, NoBody, Deployment>;
  'delete-deployment': Operation<NoQuery, NoBody, undefined>;
  'scale-deployment': Operation<NoQuery, z.input<typeof scaleDeploymentSchema>, Deployment>;
  'set-deployment-autoscaling': Operation<NoQuery, z.input<typeof scaleRangeSchema>, Deployment>;
  'list-deployment-events': Operation<WireQuery<typeof eventsQuerySchema>, NoBody, EventList>;
  'get-deployment-logs': Operation<WireQuery<typeof logsQuerySchema>, NoBody, Logs>;
  'prompt-deployment': Operation<NoQuery, z.input<typeof promptRequestSchema>, PromptAnswer>;
  'list-deployment-models': Operation<NoQuery, NoBody, ServedModelList>;
  'get-schedule': Operation<NoQuery, NoBody, ScheduleView>;
  'put-schedule': Operation<NoQuery, ScheduleDraft, ScheduleView>;
  'delete-schedule': Operation<NoQuery, NoBody, undefined>;
  'get-usage': Operation<NoQuery, NoBody, Usage>;
  'create-inference-key': Operation<NoQuery, z.input<typeof createInferenceKeySchema>, CreatedInferenceKey>;
  'list-inference-keys': Operation<WireQuery<typeof keyListQuerySchema>, NoBody, InferenceKeyList>;
  'get-inference-key': Operation<NoQuery, NoBody, InferenceKey>;
  'revoke-inference-key': Operation<NoQuery, NoBody, undefined>;
  'get-inference-key-usage': Operation<NoQuery, NoBody, InferenceKeyUsage>;
  'get-openapi': Operation<NoQuery, NoBody, OpenApiDocument>;
  'get-api-docs': Operation<NoQuery, NoBody, Html>;
}
export type RouteName = keyof Api & (typeof ROUTES)[number]['name'];

/** The method gpuctl means for each route it calls; routeOf refuses a route table that disagrees. */
export const METHODS: { readonly [N in RouteName]: HttpMethod } = {
  'list-catalog': 'GET',
  'create-catalog-model': 'POST',
  'update-catalog-model': 'PUT',
  'retire-catalog-model': 'DELETE',
  'list-recipes': 'GET',
  'list-inventory': 'GET',
  'list-deployments': 'GET',
  'create-deployment': 'POST',
  'deploy-yaml': 'POST',
  'get-deployment': 'GET',
  'delete-deployment': 'DELETE',
  'scale-deployment': 'PUT',
  'set-deployment-autoscaling': 'PUT',
  'list-deployment-events': 'GET',
  'get-deployment-logs': 'GET',
  'prompt-deployment': 'POST',
  'list-deployment-models': 'GET',
  'get-schedule': 'GET',
  'put-schedule': 'PUT',
  'delete-schedule': 'DELETE',
  'get-usage': 'GET',
  'create-inference-key': 'POST',
  'list-inference-keys': 'GET',
  'get-inference-key': 'GET',
  'revoke-inference-key': 'DELETE',
  'get-inference-key-usage': 'GET',
  'get-openapi': 'GET',
  'get-api-docs': 'GET',
};

/**
 * The gpuctl command that calls each route (its words as typed after `gpuctl`), so docs/cli.md
 * and a test can check that every route of contract/routes.ts has one.
 */
export const COMMAND_OF: { readonly [N in RouteName]: string } = {
  'list-catalog': 'catalog',
  'create-catalog-model': 'catalog add',
  'update-catalog-model': 'catalog update',
  'retire-catalog-model': 'catalog retire',
  'list-recipes': 'recipes',
  'list-inventory': 'inventory',
  'list-deployments': 'list',
  'create-deployment': 'deploy',
  'deploy-yaml': 'apply',
  'get-deployment': 'get',
  'delete-deployment': 'delete',
  'scale-deployment': 'scale',
  'set-deployment-autoscaling': 'autoscaling set',
  'list-deployment-events': 'events',
  'get-deployment-logs': 'logs',
  'prompt-deployment': 'prompt',
  'list-deployment-models': 'models',
  'get-schedule': 'schedule get',
  'put-schedule': 'schedule set',
  'delete-schedule': 'schedule delete',
  'get-usage': 'usage',
  'create-inference-key': 'keys create',
  'list-inference-keys': 'keys list',
  'get-inference-key': 'keys get',
  'revoke-inference-key': 'keys revoke',
  'get-inference-key-usage': 'keys usage',
  'get-openapi': 'openapi',
  'get-api-docs': 'api-docs',
};

/** The route's method and its path with each `{param}` filled in (encoded); one left unfilled is a bug here. */
export const routeOf = (name: RouteName, valueOf: (param: string) => string | undefined): { method: HttpMethod; path: string } => {
  const route = ROUTES.find((r) => r.name === name);
  if (route?.method !== METHODS[name]) throw new Error(`gpuctl calls ${METHODS[name]} ${name}, which contract/routes.ts does not define`);
  const path = route.path.replace(/\{(\w+)\}/g, (_, param: string) => {
    const value = valueOf(param);
    if (value === undefined) throw new Error(`route ${name} needs ${param}`);
    return encodeURIComponent(value);
  });
  return { method: route.method, path };
};
