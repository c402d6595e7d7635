/**
 * The Lambda context the local cloud hands every handler it invokes (API routes, workflow
 * tasks, scheduled jobs), as the Lambda runtime does. Without it a handler logs with whatever
 * context the shared Powertools logger last saw: locally every function runs in one process,
 * so a scheduled reconcile logged the function name and request id of the last API call.
 */
import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';

const REGION = 'us-east-1';
const ACCOUNT_ID = '000000000000';

export const lambdaContext = (functionName: string, timeoutMs: number): Context => {
  const deadline = Date.now() + timeoutMs;
  const callbackStyle = () => {
    throw new Error('callback-style completion is not supported; return a promise from the handler');
  };
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${REGION}:${ACCOUNT_ID}:function:${functionName}`,
    memoryLimitInMB: '1024',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: `${new Date().toISOString().slice(0, 10).replace(/-/g, '/')}/[$LATEST]local`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: callbackStyle,
    fail: callbackStyle,
    succeed: callbackStyle,
  };
};
