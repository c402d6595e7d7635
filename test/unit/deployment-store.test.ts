/**
 * The deployment store's modules (records, names, list, indexes, schedule-due) against
 * dynalite, the local DynamoDB: the conditions, index entries and paging the workflows and the
 * API rely on, without the rest of the local cloud.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeploymentRecord } from '../../functions/domain/deployment';
import type { LocalDynamo } from '../../local/dynamodb';
import { startDynaliteTable } from '../support/dynalite';

const TABLE_NAME = 'deployment-store-test';
let dynamo: LocalDynamo;
beforeAll(async () => {
  dynamo = await startDynaliteTable(TABLE_NAME);
});
afterAll(() => dynamo?.close());

/** The modules read TABLE_NAME and DYNAMODB_ENDPOINT when loaded, once dynalite runs. */
const store = async () => ({
  ...(await import('../../functions/adapters/deployment-records')),
  ...(await import('../../functions/adapters/deployment-list')),
  ...(await import('../../functions/adapters/deployment-indexes')),
  ...(await import('../../functions/adapters/schedule-due')),
});

const OWNER = 'arn:aws:states:us-east-1:000000000000:execution:deploy:first';
let project = 0;
/** A fresh project per test, so counts and pages start empty. */
const tenant = () => ({ org_id: 'org-store', project_id: `p${++project}` });
const recordOf = (t: { org_id: string; project_id: string }, id: string, at = '2026-01-01T00:00:00.000Z'): DeploymentRecord =>
  ({
    ...t,
    id,
    name: `name-${id}`,
    catalog_id: 'qwen',
    model_id: 'Qwen/Qwen2.5-0.5B-Instruct',
    model_name: 'Qwen',
    region: 'us-east-1',
    gpu_config_id: `gpu-${t.project_id}`,
    gpu_count: 1,
    plan_id: 'plan',
    config: {},
    replicas: 2,
    status: 'initializing',
    phase: 'accepted',
    fail_reason: null,
    endpoint_url: null,
    created_at: at,
    updated_at: at,
    ready_since: null,
    operation: 'deploy',
    execution_arn: OWNER,
    version: 1,
    reserved_gpus: 2,
    initial_delay_seconds: null,
    timeline: {},
  }) as unknown as DeploymentRecord;

describe('deployment records and name claims', () => {
  it('creates a record once per name, and frees the name when the owner deletes it', async () => {
    const { createDeployment, deleteDeployment, getDeployment, listDeployments, StaleWriteError } = await store();
    const t = tenant();
    const first = recordOf(t, 'd1');
    await createDeployment(first);
    expect(await getDeployment(t, 'd1')).toMatchObject({ id: 'd1', name: 'name-d1', version: 1 });
    await expect(createDeployment({ ...first, id: 'd2' })).rejects.toMatchObject({ name: 'ConflictError' });
    expect((await listDeployments(t, 1, 10)).total).toBe(1);

    await expect(deleteDeployment(first, `${OWNER}-superseded`)).rejects.toBeInstanceOf(StaleWriteError);
    await deleteDeployment(first, OWNER);
    expect(await getDeployment(t, 'd1')).toBeUndefined();
    await createDeployment({ ...first, id: 'd3' });
    expect(await listDeployments(t, 1, 10)).toMatchObject({ total: 1, items: [{ id: 'd3' }] });
  });

  it('updates only under its condition, bumps the version, stamps a milestone once, and keeps the in-flight index', async () => {
    const { createDeployment, updateDeployment, inFlightDeployments, StaleWriteError } = await store();
    const t = tenant();
    await createDeployment(recordOf(t, 'u1'));
    const listed = async () => (await inFlightDeployments()).some((key) => key.project_id === t.project_id && key.id === 'u1');
    expect(await listed()).toBe(true);

    const first = new Date('2026-01-01T00:01:00.000Z');
    const updated = await updateDeployment(t, 'u1', { phase: 'scheduling' }, { version: 1, executionArn: OWNER, statusIn: ['initializing'] }, { now: first, milestones: ['scheduled'] });
    expect(updated).toMatchObject({ version: 2, phase: 'scheduling', updated_at: first.toISOString(), timeline: { scheduled: first.toISOString() } });

    await expect(updateDeployment(t, 'u1', { phase: 'ready' }, { version: 1 }, { now: first })).rejects.toBeInstanceOf(StaleWriteError);
    await expect(updateDeployment(t, 'u1', { phase: 'ready' }, { statusIn: ['ready', 'failed'] }, { now: first })).rejects.toBeInstanceOf(StaleWriteError);
    await expect(updateDeployment(t, 'missing', { phase: 'ready' }, {}, { now: first })).rejects.toBeInstanceOf(StaleWriteError);

    const later = new Date('2026-01-01T00:02:00.000Z');
    const ready = await updateDeployment(t, 'u1', { status: 'ready', phase: 'ready' }, { version: 2 }, { now: later, milestones: ['scheduled', 'ready'] });
    expect(ready.timeline).toEqual({ scheduled: first.toISOString(), ready: later.toISOString() });
    expect(Object.keys(ready).filter((key) => key.startsWith('gsi'))).toEqual([]);
    expect(await listed()).toBe(false);
  });
});

describe('listing', () => {
  it('pages newest first by page number and by cursor, with the total from the counter', async () => {
    const { createDeployment, listDeployments } = await store();
    const t = tenant();
    for (let i = 1; i <= 7; i++) await createDeployment(recordOf(t, `l${i}`));
    const ids = async (page: number, after?: string) => (await listDeployments(t, page, 3, after)).items.map((record) => record.id);
    expect(await ids(1)).toEqual(['l7', 'l6', 'l5']);
    expect(await ids(2)).toEqual(['l4', 'l3', 'l2']);
    expect(await ids(3)).toEqual(['l1']);
    expect(await ids(4)).toEqual([]);
    expect(await ids(1, 'l5')).toEqual(['l4', 'l3', 'l2']);
    expect((await listDeployments(t, 2, 3)).total).toBe(7);
  });
});

describe('GPU reservations', () => {
  it('gives a reservation back exactly once, to its owner, and drops it from the GPU-config index', async () => {
    const { createDeployment, gpuDemandOf, reservationsOn, takeReservation } = await store();
    const t = tenant();
    await createDeployment(recordOf(t, 'g1'));
    const config = `gpu-${t.project_id}`;
    expect(await gpuDemandOf(config)).toEqual([{ id: 'g1', gpuCount: 1, replicas: 2 }]);
    expect(await reservationsOn(config)).toMatchObject([{ id: 'g1', reserved_gpus: 2, execution_arn: OWNER, status: 'initializing' }]);

    expect(await takeReservation(t, 'g1', `${OWNER}-other`)).toEqual({ gpuConfigId: '', gpus: 0 });
    expect(await takeReservation(t, 'g1', OWNER)).toEqual({ gpuConfigId: config, gpus: 2 });
    expect(await takeReservation(t, 'g1', OWNER)).toEqual({ gpuConfigId: '', gpus: 0 });
    expect(await gpuDemandOf(config)).toEqual([]);
  });
});

describe('schedules', () => {
  it('lists a due deployment, lets one sweep claim it, and moves it to its next due time', async () => {
    const { createDeployment, putSchedule, dueDeployments, claimDue, finishDue, scheduleDueAt, StaleWriteError } = await store();
    const t = tenant();
    await createDeployment(recordOf(t, 's1'));
    const schedule = { time_zone: 'UTC', windows: [], idle_timeout_minutes: 30 } as unknown as DeploymentRecord['schedule'];
    const dueAt = '2026-01-01T00:00:00.000Z';
    await putSchedule(t, 's1', { schedule, state: { windows: {} } as unknown as DeploymentRecord['schedule_state'] }, dueAt);
    expect(await scheduleDueAt(t, 's1')).toBe(dueAt);

    const { due } = await dueDeployments(new Date('2026-01-01T00:00:01.000Z'), 100);
    const mine = due.find((entry) => entry.record.project_id === t.project_id);
    expect(mine).toMatchObject({ dueAt, record: { id: 's1', schedule } });

    const key = { ...t, id: 's1' };
    const lease = '2026-01-01T00:05:00.000Z';
    expect(await claimDue(key, dueAt, lease)).toBe(true);
    expect(await claimDue(key, dueAt, lease)).toBe(false);
    expect(await finishDue(key, dueAt, { windows: {} } as never, null)).toBe(false);
    expect(await finishDue(key, lease, { windows: {} } as never, '2026-01-02T00:00:00.000Z')).toBe(true);
    expect(await scheduleDueAt(t, 's1')).toBe('2026-01-02T00:00:00.000Z');

    await putSchedule(t, 's1', null, null);
    expect(await scheduleDueAt(t, 's1')).toBeNull();
    await expect(putSchedule(t, 'missing', null, null)).rejects.toBeInstanceOf(StaleWriteError);
  });
});
