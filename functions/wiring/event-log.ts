/** The deployment history on DynamoDB (adapters/event-log.ts). */
import { listEvents } from '../adapters/event-log';
import type { EventLog } from '../ports';

export const eventLog: EventLog = { list: listEvents };
