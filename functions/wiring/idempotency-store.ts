/** Powertools idempotency records in the one table (adapters/idempotency-store.ts). */
export { idempotencyStore } from '../adapters/idempotency-store';
