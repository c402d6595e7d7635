/**
 * The API's answers as the console sees them: inferred from the contract's zod schemas
 * (contract/api-schemas.ts). Type-only imports, so no zod reaches the browser bundle.
 */
import type * as z from 'zod';
import type {
  catalogListSchema,
  catalogListItemSchema,
  CreatedInferenceKeyView,
  DeploymentView,
  deploymentListSchema,
  eventListSchema,
  inferenceKeyListSchema,
  InferenceKeyUsageView,
  InferenceKeyView,
  inventoryListSchema,
  inventoryItemSchema,
  logsSchema,
  planSchemaOfDryRun,
  ScheduleView,
  UsageView,
} from '../../contract/api-schemas';

export type { CreatedInferenceKeyView, DeploymentView, InferenceKeyUsageView, InferenceKeyView, ScheduleView, UsageView };
export type DeploymentList = z.infer<typeof deploymentListSchema>;
export type CatalogList = z.infer<typeof catalogListSchema>;
export type CatalogListItem = z.infer<typeof catalogListItemSchema>;
export type InventoryList = z.infer<typeof inventoryListSchema>;
export type InventoryItem = z.infer<typeof inventoryItemSchema>;
export type EventList = z.infer<typeof eventListSchema>;
export type Logs = z.infer<typeof logsSchema>;
export type DryRunPlan = z.infer<typeof planSchemaOfDryRun>;

export type InferenceKeyList = z.infer<typeof inferenceKeyListSchema>;
