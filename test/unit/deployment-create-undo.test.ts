/**
 * A create that runs out of retries leaves nothing half-written: here the project's counter
 * update, the last of the create's writes, stays throttled through the client's five attempts
 * (dynalite with the local cloud's fault hook, the adapters' own client).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeploymentRecord } from '../../functions/domain/deployment';
import type { LocalDynamo } from '../../local/dynamodb';
import { LocalFaults } from '../../local/faults';
import { installCallerHeader, runAsFunction } from '../../local/identity';
import { startDynaliteTable } from '../support/dynalite';

const TABLE_NAME = 'create-undo-test';
const faults = new LocalFaults();
let dynamo: LocalDynamo;
beforeAll(async () => {
  dynamo = await startDynaliteTable(TABLE_NAME, faults);
  installCallerHeader();
});
afterAll(() => dynamo?.close());

const tenant = { org_id: 'org-undo', project_id: 'prj-undo' };
const record = (id: string): DeploymentRecord =>
  ({
    ...tenant,
    id,
    name: 'same-name',
    catalog_id: 'qwen',
    model_id: 'Qwen/Qwen2.5-0.5B-Instruct',
    model_name: 'Qwen',
    region: 'us-east-1',
    gpu_config_id: 'l4-24gb',
    gpu_count: 1,
    plan_id: 'plan',
    config: {},
    replicas: 1,
    status: 'initializing',
    phase: 'accepted',
    fail_reason: null,
    endpoint_url: null,
    created_at: '2026-01-01T00:00:00.000Z',
    updated_at: '2026-01-01T00:00:00.000Z',
    ready_since: null,
    operation: 'deploy',
    execution_arn: 'arn:aws:states:us-east-1:000000000000:execution:deploy:first',
    version: 1,
    reserved_gpus: 1,
    initial_delay_seconds: null,
    timeline: {},
  }) as unknown as DeploymentRecord;

describe('a create whose last write stays throttled', () => {
  it('deletes the record it wrote and frees the name; the same create then succeeds', async () => {
    const { createDeployment, getDeployment } = await import('../../functions/adapters/deployment-records');
    const { listDeployments } = await import('../../functions/adapters/deployment-list');
    // The counter's UpdateItem is the create's only UpdateItem; five throttles outlast the client's five attempts.
    faults.inject('dynamodb', { count: 5, operations: ['UpdateItem'] });
    const failed = await runAsFunction('gpu-control-plane-create-deployment', () => createDeployment(record('dep-first'))).catch((error: unknown) => error);
    expect(failed).toMatchObject({ name: 'ProvisionedThroughputExceededException', $metadata: { attempts: 5 } });
    expect(faults.firedCount('dynamodb')).toBe(5);
    expect(await getDeployment(tenant, 'dep-first')).toBeUndefined();
    expect((await listDeployments(tenant, 1, 10)).total).toBe(0);
    // The name is free again at once (not only after the stale-claim grace period).
    await runAsFunction('gpu-control-plane-create-deployment', () => createDeployment(record('dep-second')));
    expect(await getDeployment(tenant, 'dep-second')).toMatchObject({ id: 'dep-second', name: 'same-name' });
    expect((await listDeployments(tenant, 1, 10)).total).toBe(1);
  });
});
