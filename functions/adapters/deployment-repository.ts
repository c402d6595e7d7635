/**
 * The deployment store in one namespace, for callers that use several of its modules:
 * records (deployment-records.ts), name claims (deployment-names.ts), listing
 * (deployment-list.ts), indexes (deployment-indexes.ts) and schedules (schedule-due.ts).
 * A caller that needs one of them imports it directly.
 */
export { createDeployment, deleteDeployment, discardDeployment, getDeployment, StaleWriteError, updateDeployment } from './deployment-records';
export type { UpdateOptions, WriteCondition } from './deployment-records';
export { NAME_CLAIM_GRACE_MS } from './deployment-names';
export { listDeployments, type Page } from './deployment-list';
export { gpuDemandOf, inFlightDeployments, reservationsOn, takeReservation, type DeploymentKey, type Reservation } from './deployment-indexes';
export { claimDue, DUE_SHARDS, dueDeployments, dueKey, finishDue, putSchedule, scheduleDueAt, type DueDeployment } from './schedule-due';
