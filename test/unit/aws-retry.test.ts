/**
 * The functions' AWS clients retry throttling with a back-off bounded to fit an API handler's
 * budget, and a request whose call still fails answers 503 with Retry-After, not 500. The
 * DynamoDB case runs the adapter's own client against a socket that throttles.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEventV2WithJWTAuthorizer, Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { BoundedRetryStrategy, maxTotalRetryDelayMs } from '../../functions/commons/aws-retry';

/** How many answers in a row are throttles; past them, an empty GetItem. */
let throttles = 0;
let requests = 0;
let server: Server;
beforeAll(async () => {
  server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      requests += 1;
      if (requests <= throttles) {
        res.writeHead(400, { 'content-type': 'application/x-amz-json-1.0' });
        res.end(JSON.stringify({ __type: 'com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException', message: 'The level of configured provisioned throughput for the table was exceeded.' }));
        return;
      }
      res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' });
      res.end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  Object.assign(process.env, {
    TABLE_NAME: 'unit-table',
    DYNAMODB_ENDPOINT: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'unit',
    AWS_SECRET_ACCESS_KEY: 'unit',
  });
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const getItem = async () => {
  const { documentClient, tableName } = await import('../../functions/adapters/dynamodb');
  return documentClient.send(new GetCommand({ TableName: tableName, Key: { pk: 'a', sk: 'b' } }));
};

describe('the bounded AWS retry strategy', () => {
  it('waits at most 750 ms in all over five attempts, spread between half and all of each ceiling', async () => {
    expect(maxTotalRetryDelayMs(5)).toBe(750);
    expect(maxTotalRetryDelayMs(4)).toBe(350);
    const strategy = new BoundedRetryStrategy(5);
    const throttled = { errorType: 'THROTTLING' as const, error: new Error('throttled') as never };
    for (const [random, expected] of [
      [0.999999, [50, 100, 200, 400]],
      [0, [25, 50, 100, 200]],
    ] as const) {
      const spy = vi.spyOn(Math, 'random').mockReturnValue(random);
      let token = await strategy.acquireInitialRetryToken();
      const delays: number[] = [];
      for (let retry = 1; retry <= 4; retry += 1) {
        token = await strategy.refreshRetryTokenForRetry(token, throttled);
        delays.push(token.getRetryDelay());
      }
      expect(delays).toEqual(expected);
      // A fifth retry would be a sixth attempt.
      await expect(strategy.refreshRetryTokenForRetry(token, throttled)).rejects.toThrow('No retry token available');
      spy.mockRestore();
    }
  });

  it('does not retry what the SDK classifies as a client error', async () => {
    const strategy = new BoundedRetryStrategy(5);
    const token = await strategy.acquireInitialRetryToken();
    await expect(strategy.refreshRetryTokenForRetry(token, { errorType: 'CLIENT_ERROR', error: new Error('refused') as never })).rejects.toThrow();
  });

  it("is the adapters' DynamoDB client's: four throttles are absorbed, a fifth is the caller's, each call inside its 750 ms of back-off", async () => {
    throttles = 4;
    requests = 0;
    const started = Date.now();
    const out = await getItem();
    expect(requests).toBe(5);
    expect(out.$metadata).toMatchObject({ attempts: 5 });
    expect(out.$metadata.totalRetryDelay).toBeLessThanOrEqual(750);
    throttles = 5;
    requests = 0;
    await expect(getItem()).rejects.toMatchObject({ name: 'ProvisionedThroughputExceededException', $metadata: { attempts: 5 } });
    expect(requests).toBe(5);
    expect(Date.now() - started).toBeLessThan(2_000);
  });
});

describe('an API request whose AWS call ran out of retries', () => {
  const event = { routeKey: 'GET /x', headers: {}, requestContext: {} } as unknown as APIGatewayProxyEventV2WithJWTAuthorizer;
  const context = { functionName: 'unit', awsRequestId: 'r', getRemainingTimeInMillis: () => 10_000 } as unknown as Context;

  it('answers 503 service_unavailable with Retry-After, also when the throttle is wrapped (Powertools idempotency)', async () => {
    const { apiHandler } = await import('../../functions/commons/http');
    throttles = 5;
    requests = 0;
    const throttle = await getItem().catch((error: unknown) => error);
    const wrapped = new Error('Failed to save in progress record to idempotency store', { cause: throttle });
    for (const error of [throttle, wrapped]) {
      const response = await apiHandler(async () => {
        throw error;
      })(event, context);
      expect(response.statusCode).toBe(503);
      expect(response.headers).toMatchObject({ 'retry-after': '2' });
      expect(JSON.parse(response.body as string)).toEqual({ code: 'service_unavailable', message: 'a backing service is throttling or unavailable; retry shortly' });
    }
    // Anything else is still a 500.
    const other = await apiHandler(async () => {
      throw new Error('a bug');
    })(event, context);
    expect(other.statusCode).toBe(500);
  });
});
