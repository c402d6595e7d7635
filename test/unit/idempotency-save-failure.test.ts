/**
 * When the write is done but its Idempotency-Key record cannot be completed (the store stays
 * throttled through the client's retries), the client still gets the write's answer, not a
 * 503 that would invite it to do the write again; a retry with the key meanwhile is a 409.
 * The route's real chain and persistence layer, on dynalite with the local cloud's fault hook.
 */
import type { APIGatewayProxyEventV2WithJWTAuthorizer, Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalDynamo } from '../../local/dynamodb';
import { LocalFaults } from '../../local/faults';
import { installCallerHeader, runAsFunction } from '../../local/identity';
import { startDynaliteTable } from '../support/dynalite';

const TABLE_NAME = 'idempotency-save-test';
const faults = new LocalFaults();
let dynamo: LocalDynamo;
beforeAll(async () => {
  dynamo = await startDynaliteTable(TABLE_NAME, faults);
  installCallerHeader();
});
afterAll(() => dynamo?.close());

const event = {
  routeKey: 'POST /api/v1beta1/orgs/{org_id}/projects/{project_id}/aimodels',
  headers: { 'idempotency-key': 'save-fails', 'content-type': 'application/json' },
  pathParameters: { org_id: 'org-a', project_id: 'prj-a' },
  requestContext: { authorizer: { jwt: { claims: { org_id: 'org-a', project_ids: '*', role: 'editor' } } } },
  body: '{"name":"m"}',
  isBase64Encoded: false,
} as unknown as APIGatewayProxyEventV2WithJWTAuthorizer;
const context = () => ({ functionName: 'gpu-control-plane-create-deployment', awsRequestId: `r-${Math.random()}`, getRemainingTimeInMillis: () => 10_000 }) as unknown as Context;

describe('an idempotent write whose success record cannot be stored', () => {
  it('answers the write, and a retry with the key while its record is in progress is 409, not a second write', async () => {
    const { apiHandler, json } = await import('../../functions/commons/http');
    const { idempotentTenantWrite } = await import('../../functions/commons/idempotency');
    const { idempotencyStore } = await import('../../functions/adapters/idempotency-store');
    let writes = 0;
    const handler = apiHandler(async () => {
      writes += 1;
      return json(201, { id: `dep-${writes}` });
    }).use(idempotentTenantWrite('unit-create', idempotencyStore('unit-create')));
    // The in-progress record is a PutItem; completing it is the request's only UpdateItem.
    faults.inject('dynamodb', { count: 5, operations: ['UpdateItem'] });
    const first = await runAsFunction('gpu-control-plane-create-deployment', () => handler(event, context()));
    expect(faults.firedCount('dynamodb')).toBe(5);
    expect(first).toMatchObject({ statusCode: 201, body: '{"id":"dep-1"}' });
    const retry = await runAsFunction('gpu-control-plane-create-deployment', () => handler(event, context()));
    expect(retry.statusCode).toBe(409);
    expect(JSON.parse(retry.body as string)).toMatchObject({ code: 'conflict', message: expect.stringContaining('still in progress') });
    expect(writes).toBe(1);
  });
});
