/** The gateways' load signals on DynamoDB (adapters/load-signals.ts): the gateway publishes, the autoscaler reads. */
import { publishLoad, readLoad } from '../adapters/load-signals';
import type { LoadSignals } from '../ports';

export const loadSignals: LoadSignals = { publish: publishLoad, read: readLoad };
