/**
 * The Powertools idempotency records of the API, kept in the one table (contract/table.ts)
 * as their own item type:
 *
 *   idempotency record   pk = IDEMPOTENCY#<route>   sk = <route>#<sha256 of tenant + Idempotency-Key>
 *
 * with Powertools' status, its in-progress expiry, the sha256 of the request body and the first
 * response, and `expires_at` (the table's TTL attribute) 24 h after the request, so DynamoDB
 * deletes expired records by itself.
 */
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import * as z from 'zod';
import { optionalUrl, readEnv } from '../commons/env';
import { TABLE } from '../../contract/table';
import { awsRetry } from '../commons/aws-retry';

const env = readEnv({ TABLE_NAME: z.string().min(1), DYNAMODB_ENDPOINT: optionalUrl });

/** One persistence layer (and one client) per route and container. */
export const idempotencyStore = (route: string): DynamoDBPersistenceLayer =>
  new DynamoDBPersistenceLayer({
    tableName: env.TABLE_NAME,
    awsSdkV3Client: new DynamoDBClient({ endpoint: env.DYNAMODB_ENDPOINT, ...awsRetry(5) }),
    keyAttr: TABLE.partitionKey,
    sortKeyAttr: TABLE.sortKey,
    staticPkValue: `IDEMPOTENCY#${route}`,
    expiryAttr: TABLE.timeToLiveAttribute,
    statusAttr: 'idempotency_status',
    inProgressExpiryAttr: 'in_progress_expires_at_ms',
    dataAttr: 'first_response',
    validationKeyAttr: 'request_hash',
  });
