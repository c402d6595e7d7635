/** The GPU capacity ledger on DynamoDB (adapters/capacity-ledger.ts). */
import * as ledger from '../adapters/capacity-ledger';
import type { CapacityLedger } from '../ports';

export const capacityLedger: CapacityLedger = {
  reserved: ledger.reservedGpus,
  reserve: ledger.reserveGpus,
  release: ledger.releaseGpus,
  read: ledger.readLedger,
  recordDrift: ledger.recordLedgerDrift,
  repair: ledger.repairLedger,
};
