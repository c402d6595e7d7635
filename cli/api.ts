/**
 * The API routes gpuctl calls, typed from the contract: each names a route of contract/routes.ts
 * (its method and path come from there) and gives the query, body and answer types of
 * contract/api-schemas.ts and the request schemas. The schema imports are type-only, so they add
 * no server code to the CLI; routes.ts is plain data.
 */
import type * as z from 'zod';
import type {
  catalogListSchema,
  deploymentListSchema,
  deploymentSchema,
  eventListSchema,
  inventoryListSchema,
  logsSchema,
  planSchemaOfDryRun,
  scheduleViewSchema,
  usageSchema,
} from '../contract/api-schemas';
import { ROUTES, type HttpMethod } from '../contract/routes';
import type { createDeploymentSchema, deployQuerySchema } from '../contract/requests/deploy';
import type { eventsQuerySchema, listQuerySchema, logsQuerySchema } from '../contract/requests/queries';
import type { scaleDeploymentSchema } from '../contract/requests/scale';
import type { scheduleSchema } from '../contract/requests/schedule';

export type Deployment = z.infer<typeof deploymentSchema>;
export type DeploymentList = z.infer<typeof deploymentListSchema>;
export type DryRunPlan = z.infer<typeof planSchemaOfDryRun>;
export type CatalogList = z.infer<typeof catalogListSchema>;
export type CatalogItem = CatalogList['items'][number];
export type InventoryList = z.infer<typeof inventoryListSchema>;
export type InventoryItem = InventoryList['items'][number];
export type EventList = z.infer<typeof eventListSchema>;
export type DeploymentEvent = EventList['items'][number];
export type Logs = z.infer<typeof logsSchema>;
export type ScheduleView = z.infer<typeof scheduleViewSchema>;
export type Usage = z.infer<typeof usageSchema>;

/** A query as sent: the schema's parameter names, numbers and booleans written as text. */
type WireQuery<S extends z.ZodType> = { [K in keyof z.input<S>]?: string | number | boolean };

/**
 * A body the user writes (a spec or schedule file), sent as written for the API to judge: the
 * contract's fields typed where gpuctl sets them from flags, other keys passed through.
 */
export type Draft<S extends z.ZodType> = Partial<z.input<S>> & Record<string, unknown>;
export type DeployDraft = Draft<typeof createDeploymentSchema>;
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
  'list-catalog': Operation<NoQuery, NoBody, CatalogList>;
  'list-inventory': Operation<NoQuery, NoBody, InventoryList>;
  'list-deployments': Operation<WireQuery<typeof listQuerySchema>, NoBody, DeploymentList>;
  // `?dry_run=true` answers the plan (200), otherwise the accepted deployment (201).
  'create-deployment': Operation<WireQuery<typeof deployQuerySchema>, DeployDraft, Deployment | DryRunPlan>;
  'get-deployment': Operation<NoQuery, NoBody, Deployment>;
  'delete-deployment': Operation<NoQuery, NoBody, undefined>;
  'scale-deployment': Operation<NoQuery, z.input<typeof scaleDeploymentSchema>, Deployment>;
  'list-deployment-events': Operation<WireQuery<typeof eventsQuerySchema>, NoBody, EventList>;
  'get-deployment-logs': Operation<WireQuery<typeof logsQuerySchema>, NoBody, Logs>;
  'get-schedule': Operation<NoQuery, NoBody, ScheduleView>;
  'put-schedule': Operation<NoQuery, ScheduleDraft, ScheduleView>;
  'delete-schedule': Operation<NoQuery, NoBody, undefined>;
  'get-usage': Operation<NoQuery, NoBody, Usage>;
}
export type RouteName = keyof Api & (typeof ROUTES)[number]['name'];

/** The method gpuctl means for each route it calls; routeOf refuses a route table that disagrees. */
export const METHODS: { readonly [N in RouteName]: HttpMethod } = {
  'list-catalog': 'GET',
  'list-inventory': 'GET',
  'list-deployments': 'GET',
  'create-deployment': 'POST',
  'get-deployment': 'GET',
  'delete-deployment': 'DELETE',
  'scale-deployment': 'PUT',
  'list-deployment-events': 'GET',
  'get-deployment-logs': 'GET',
  'get-schedule': 'GET',
  'put-schedule': 'PUT',
  'delete-schedule': 'DELETE',
  'get-usage': 'GET',
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
