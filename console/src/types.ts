/**
 * The API's answers as the console sees them: inferred from the contract's zod schemas
 * (contract/api-schemas.ts). Type-only imports, so no zod reaches the browser bundle.
 */
import type * as z from 'zod';
import type {
  catalogListSchema,
  catalogListItemSchema,
  DeploymentView,
  deploymentListSchema,
  eventListSchema,
  inventoryListSchema,
  inventoryItemSchema,
  logsSchema,
  planSchemaOfDryRun,
  ScheduleView,
  UsageView,
} from '../../contract/api-schemas';

export type { DeploymentView, ScheduleView, UsageView };
export type DeploymentList = z.infer<typeof deploymentListSchema>;
export type CatalogList = z.infer<typeof catalogListSchema>;
export type CatalogListItem = z.infer<typeof catalogListItemSchema>;
export type InventoryList = z.infer<typeof inventoryListSchema>;
export type InventoryItem = z.infer<typeof inventoryItemSchema>;
export type EventList = z.infer<typeof eventListSchema>;
export type Logs = z.infer<typeof logsSchema>;
export type DryRunPlan = z.infer<typeof planSchemaOfDryRun>;

/** Issue 15's inference key shapes (the routes' own schemas land with branch h-keys). */
export interface InferenceKeyLimits {
  requests_per_minute?: number | null;
  tokens_per_minute?: number | null;
  concurrent_requests?: number | null;
}
export interface InferenceKeyView {
  id: string;
  name: string;
  key_prefix: string;
  created_at: string;
  expires_at: string | null;
  deployment_ids: string[] | null;
  limits: InferenceKeyLimits | null;
  revoked_at?: string | null;
}
export interface CreatedInferenceKey extends InferenceKeyView {
  /** The secret: in the creating answer only. */
  key: string;
}
export interface InferenceKeyList {
  items: InferenceKeyView[];
}
export interface InferenceKeyUsageRow {
  date: string;
  deployment_id: string;
  requests: number;
  prompt_tokens: number;
  completion_tokens: number;
}
export interface InferenceKeyUsage {
  items: InferenceKeyUsageRow[];
}
