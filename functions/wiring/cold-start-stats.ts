/** Cold-start samples on DynamoDB (adapters/cold-start-stats.ts). */
import { coldStartSamples, recordColdStart } from '../adapters/cold-start-stats';
import type { ColdStartStats } from '../ports';

export const coldStartStats: ColdStartStats = { samples: coldStartSamples, record: recordColdStart };
