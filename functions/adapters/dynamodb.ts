import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import { optionalUrl, readEnv } from '../commons/env';
import { awsRetry } from '../commons/aws-retry';

const env = readEnv({ TABLE_NAME: z.string().min(1), DYNAMODB_ENDPOINT: optionalUrl });

export const tableName = env.TABLE_NAME;

/** One client per container; DYNAMODB_ENDPOINT points it at the local cloud. */
export const documentClient = DynamoDBDocumentClient.from(
  new DynamoDBClient({ endpoint: env.DYNAMODB_ENDPOINT, ...awsRetry(5) }),
  { marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false } },
);
