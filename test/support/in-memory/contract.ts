/**
 * What the use cases rely on from the deployment store, the event log, the capacity ledger, the
 * inference key store and the token counters,
 * as one suite run twice: against the in-memory ports (test/unit/use-cases/in-memory-ports.test.ts)
 * and against the DynamoDB adapters on dynalite (test/integration/ports-contract.test.ts). If
 * the two ever answer differently, a use case's unit test would be testing a fiction.
 */
import { expect, it } from 'vitest';
import { ConflictError } from '../../../functions/domain/errors';
import type { InferenceKeyRecord } from '../../../functions/domain/inference-keys';
import { isStaleWrite, type CapacityLedger, type DeploymentStore, type EventLog, type InferenceKeyStore, type TokenUsageStore, type UsageIncrement } from '../../../functions/ports';
import { aDeployment } from './records';

export interface ContractPorts {
  deployments: DeploymentStore;
  events: EventLog;
  ledger: CapacityLedger;
  inferenceKeys: InferenceKeyStore;
  tokenUsage: TokenUsageStore;
}

let counter = 0;
/** Ids and names no other test (or earlier run on the same table) uses. */
const fresh = () => {
  counter += 1;
  const id = `dep-${Date.now().toString(36)}${counter.toString().padStart(4, '0')}${Math.random().toString(36).slice(2, 6)}`;
  return aDeployment({ id, name: `contract-${id}`, status: 'initializing', phase: 'accepted', version: 1, gpu_config_id: 'l4-24gb', reserved_gpus: 2, replicas: 2 });
};

/** A key id of the domain's shape (`ik` + 18 base32 chars) no other test uses. */
const freshKeyId = () => {
  counter += 1;
  const alphabet = 'abcdefghijklmnopqrstuvwxyz234567';
  const n = BigInt(Date.now()) * 100_000n + BigInt(counter) * 1000n + BigInt(Math.floor(Math.random() * 1000));
  let digits = '';
  for (let v = n, i = 0; i < 18; i++, v /= 32n) digits += alphabet[Number(v % 32n)];
  return `ik${digits}`;
};

const aKey = (overrides: Partial<InferenceKeyRecord> = {}): InferenceKeyRecord => ({
  id: freshKeyId(),
  org_id: 'org-contract',
  project_id: 'proj-contract',
  name: 'ci',
  key_prefix: 'sk-ikabcdefg',
  hash: 'ab'.repeat(32),
  created_at: '2026-12-01T10:00:00.000Z',
  created_by: 'user-1',
  expires_at: null,
  revoked_at: null,
  deployment_ids: null,
  limits: {},
  ...overrides,
});

const stale = async (write: Promise<unknown>) => {
  const error = await write.then(() => undefined, (e: unknown) => e);
  expect(isStaleWrite(error), `expected a stale write, got ${String(error)}`).toBe(true);
};

const at = (iso: string) => ({ now: new Date(iso) });

export const portsContract = (ports: () => ContractPorts): void => {
  it('creates a record once per name, with its accepted event', async () => {
    const { deployments, events } = ports();
    const record = fresh();
    await deployments.create(record);
    expect(await deployments.get(record, record.id)).toEqual(record);
    await expect(deployments.create({ ...fresh(), name: record.name })).rejects.toBeInstanceOf(ConflictError);
    expect((await events.list(record, record.id, { limit: 10 })).items).toEqual([expect.objectContaining({ type: 'accepted', status: 'initializing', phase: 'accepted' })]);
    expect(await deployments.get({ org_id: 'org-other', project_id: record.project_id }, record.id)).toBeUndefined();
  });

  it('writes conditionally on version, owning execution and status; bumps the version; stamps a milestone once', async () => {
    const { deployments, events } = ports();
    const record = fresh();
    await deployments.create(record);
    await stale(deployments.update(record, record.id, { phase: 'scheduling' }, { version: 7 }, at('2026-12-01T10:00:00Z')));
    await stale(deployments.update(record, record.id, { phase: 'scheduling' }, { executionArn: 'arn:another' }, at('2026-12-01T10:00:00Z')));
    await stale(deployments.update(record, record.id, { phase: 'scheduling' }, { statusIn: ['ready'] }, at('2026-12-01T10:00:00Z')));
    await stale(deployments.update(record, 'dep-none', { phase: 'scheduling' }, {}, at('2026-12-01T10:00:00Z')));

    const first = await deployments.update(record, record.id, { phase: 'provisioning_nodes' }, { version: 1, executionArn: record.execution_arn, statusIn: ['initializing'] }, {
      ...at('2026-12-01T10:00:00Z'),
      milestones: ['nodes_ready'],
      event: { type: 'phase_changed', message: 'phase provisioning_nodes', reason: 'Why' },
    });
    expect(first).toMatchObject({ version: 2, phase: 'provisioning_nodes', updated_at: '2026-12-01T10:00:00.000Z', timeline: { ...record.timeline, nodes_ready: '2026-12-01T10:00:00.000Z' } });
    const second = await deployments.update(record, record.id, { fail_reason: null }, { version: 2 }, { ...at('2026-12-01T10:05:00Z'), milestones: ['nodes_ready'] });
    expect(second.timeline.nodes_ready).toBe('2026-12-01T10:00:00.000Z');
    expect(await deployments.get(record, record.id)).toEqual(second);
    expect((await events.list(record, record.id, { limit: 10 })).items.at(-1)).toEqual({
      at: '2026-12-01T10:00:00.000Z',
      status: 'initializing',
      phase: 'provisioning_nodes',
      type: 'phase_changed',
      message: 'phase provisioning_nodes',
      reason: 'Why',
      execution_arn: record.execution_arn,
    });
  });

  it('gives a reservation back exactly once, to its owner, and counts demand until then', async () => {
    const { deployments } = ports();
    const record = fresh();
    await deployments.create(record);
    expect((await deployments.gpuDemandOf('l4-24gb')).find((d) => d.id === record.id)).toEqual({ id: record.id, gpuCount: 1, replicas: 2 });
    expect(await deployments.takeReservation(record, record.id, 'arn:another')).toEqual({ gpuConfigId: '', gpus: 0 });
    expect(await deployments.takeReservation(record, record.id, record.execution_arn)).toEqual({ gpuConfigId: 'l4-24gb', gpus: 2 });
    expect(await deployments.takeReservation(record, record.id, record.execution_arn)).toEqual({ gpuConfigId: '', gpus: 0 });
    expect((await deployments.gpuDemandOf('l4-24gb')).map((d) => d.id)).not.toContain(record.id);
    expect((await deployments.reservationsOn('l4-24gb')).map((d) => d.id)).not.toContain(record.id);
    const current = await deployments.get(record, record.id);
    expect(current).toMatchObject({ reserved_gpus: 0, version: 2 });
    await deployments.update(record, record.id, { reserved_gpus: 2 }, { version: 2 }, { ...at('2026-12-01T10:00:00Z'), holdsCapacityOn: 'l4-24gb' });
    expect((await deployments.reservationsOn('l4-24gb')).find((d) => d.id === record.id)).toEqual({
      org_id: record.org_id,
      project_id: record.project_id,
      id: record.id,
      status: 'initializing',
      phase: 'accepted',
      reserved_gpus: 2,
      execution_arn: record.execution_arn,
    });
  });

  it('lists in-flight records by their phase', async () => {
    const { deployments } = ports();
    const record = fresh();
    await deployments.create(record);
    expect((await deployments.inFlight()).map((k) => k.id)).toContain(record.id);
    await deployments.update(record, record.id, { status: 'ready', phase: 'ready' }, {}, at('2026-12-01T10:00:00Z'));
    expect((await deployments.inFlight()).map((k) => k.id)).not.toContain(record.id);
    await deployments.update(record, record.id, { phase: 'scaling' }, {}, at('2026-12-01T10:01:00Z'));
    expect(await deployments.inFlight()).toContainEqual({ org_id: record.org_id, project_id: record.project_id, id: record.id });
  });

  it('removes a record for its owner only, and frees its name', async () => {
    const { deployments } = ports();
    const record = fresh();
    await deployments.create(record);
    await stale(deployments.remove(record, 'arn:another'));
    await deployments.remove(record, record.execution_arn);
    expect(await deployments.get(record, record.id)).toBeUndefined();
    const again = { ...fresh(), name: record.name };
    await deployments.create(again);
    await deployments.discard(again);
    expect(await deployments.get(again, again.id)).toBeUndefined();
  });

  it('keeps schedules due, claimed once, and finished only under the claim', async () => {
    const { deployments } = ports();
    const record = fresh();
    await deployments.create(record);
    const schedule = { time_zone: 'UTC', windows: [{ cron: '0 20 * * *', replicas: 0 }], idle_timeout_minutes: null };
    await deployments.putSchedule(record, record.id, { schedule, state: { windows_checked_at: '2026-12-01T10:00:00.000Z' } }, '2026-12-01T20:00:00.000Z');
    expect(await deployments.scheduleDueAt(record, record.id)).toBe('2026-12-01T20:00:00.000Z');
    const dueIds = async (now: string) => (await deployments.dueDeployments(new Date(now), 50_000)).due.filter((d) => d.record.id === record.id);
    expect(await dueIds('2026-12-01T19:59:59Z')).toEqual([]);
    const [due] = await dueIds('2026-12-01T20:00:00Z');
    expect(due).toMatchObject({ dueAt: '2026-12-01T20:00:00.000Z', record: { id: record.id, schedule } });

    expect(await deployments.claimDue(record, '2026-12-01T19:00:00.000Z', '2026-12-01T20:05:00.000Z')).toBe(false);
    expect(await deployments.claimDue(record, '2026-12-01T20:00:00.000Z', '2026-12-01T20:05:00.000Z')).toBe(true);
    expect(await deployments.claimDue(record, '2026-12-01T20:00:00.000Z', '2026-12-01T20:05:00.000Z')).toBe(false);
    expect(await deployments.finishDue(record, '2026-12-01T20:04:00.000Z', { windows_checked_at: 'x' }, null)).toBe(false);
    expect(await deployments.finishDue(record, '2026-12-01T20:05:00.000Z', { windows_checked_at: '2026-12-01T20:00:00.000Z' }, '2026-12-02T20:00:00.000Z')).toBe(true);
    expect(await deployments.scheduleDueAt(record, record.id)).toBe('2026-12-02T20:00:00.000Z');
    expect((await deployments.get(record, record.id))?.schedule_state).toEqual({ windows_checked_at: '2026-12-01T20:00:00.000Z' });
    // schedule writes leave the version alone
    expect((await deployments.get(record, record.id))?.version).toBe(1);

    await deployments.putSchedule(record, record.id, null, null);
    expect(await deployments.get(record, record.id)).not.toHaveProperty('schedule');
    await deployments.update(record, record.id, { status: 'terminating', phase: 'deleting' }, {}, at('2026-12-01T21:00:00Z'));
    await stale(deployments.putSchedule(record, record.id, { schedule, state: { windows_checked_at: '2026-12-01T21:00:00.000Z' } }, null));
  });

  it('reserves GPUs only within the limit, releases never below zero, repairs only what was judged', async () => {
    const { ledger } = ports();
    const config = `contract-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
    await ledger.reserve(config, 3, 4, 'gpu-test');
    await expect(ledger.reserve(config, 2, 4, 'gpu-test')).rejects.toThrow(/has 3 of 4 GPUs reserved and this request needs 2 more/);
    expect(await ledger.reserved(config)).toBe(3);
    await ledger.release(config, 5);
    expect(await ledger.reserved(config)).toBe(0);
    const state = await ledger.read(config);
    expect(await ledger.repair(config, 2, { reservedGpus: 1, updatedAt: state.updatedAt })).toBe(false);
    await ledger.recordDrift(config, { ledger: 0, records: 2, ledger_updated_at: state.updatedAt, at: '2026-12-01T10:00:00.000Z' });
    expect((await ledger.read(config)).driftObserved).toMatchObject({ records: 2 });
    expect(await ledger.repair(config, 2, state)).toBe(true);
    expect(await ledger.read(config)).toMatchObject({ reservedGpus: 2 });
    expect((await ledger.read(config)).driftObserved).toBeUndefined();
  });

  it('stores an inference key once, finds it by id, lists the keys of a project newest first, revokes once', async () => {
    const { inferenceKeys } = ports();
    const project = { org_id: 'org-contract', project_id: `proj-${freshKeyId()}` };
    const older = aKey({ ...project, created_at: '2026-12-01T10:00:00.000Z', deployment_ids: ['dep-a', 'dep-b'], limits: { requests_per_minute: 60, concurrent_requests: 2 } });
    const newer = aKey({ ...project, created_at: '2026-12-01T11:00:00.000Z', expires_at: '2027-01-01T00:00:00.000Z' });
    const elsewhere = aKey({ org_id: 'org-contract', project_id: `proj-${freshKeyId()}` });
    for (const record of [older, newer, elsewhere]) await inferenceKeys.create(record);
    await stale(inferenceKeys.create({ ...older, name: 'again' }));
    expect(await inferenceKeys.get(older.id)).toEqual(older);
    expect(await inferenceKeys.get(freshKeyId())).toBeUndefined();

    expect(await inferenceKeys.list(project, { page: 1, limit: 10 })).toEqual({ items: [newer, older], total: 2 });
    expect(await inferenceKeys.list(project, { page: 2, limit: 1 })).toEqual({ items: [older], total: 2 });
    expect(await inferenceKeys.list(project, { page: 3, limit: 1 })).toEqual({ items: [], total: 2 });

    const revoked = await inferenceKeys.revoke(older.id, new Date('2026-12-02T00:00:00Z'));
    expect(revoked).toEqual({ ...older, revoked_at: '2026-12-02T00:00:00.000Z' });
    expect(await inferenceKeys.revoke(older.id, new Date('2026-12-03T00:00:00Z'))).toEqual(revoked);
    expect(await inferenceKeys.get(older.id)).toEqual(revoked);
    expect(await inferenceKeys.revoke(freshKeyId(), new Date('2026-12-02T00:00:00Z'))).toBeUndefined();
    expect((await inferenceKeys.list(project, { page: 1, limit: 10 })).items.map((k) => k.revoked_at)).toEqual([null, '2026-12-02T00:00:00.000Z']);
  });

  it('adds token usage per key and per deployment, per UTC day', async () => {
    const { tokenUsage } = ports();
    const [key, other] = [freshKeyId(), freshKeyId()];
    const run = freshKeyId();
    const [depA, depB] = [`dep-a${run}`, `dep-b${run}`];
    const tenant = { org_id: 'org-contract', project_id: 'proj-contract' };
    const inc = (keyId: string, deploymentId: string, day: string, requests: number, promptTokens: number, completionTokens: number, estimatedRequests = 0): UsageIncrement => ({
      ...tenant,
      keyId,
      deploymentId,
      day,
      requests,
      promptTokens,
      completionTokens,
      estimatedRequests,
    });
    // the same item twice in one batch, and again in a second batch: all added
    await tokenUsage.add([inc(key, depB, '2026-12-02', 1, 10, 20), inc(key, depA, '2026-12-02', 2, 5, 7, 1), inc(key, depA, '2026-12-01', 1, 3, 4), inc(key, depB, '2026-12-02', 1, 1, 1)]);
    await Promise.all([tokenUsage.add([inc(other, depA, '2026-12-02', 3, 100, 200)]), tokenUsage.add([inc(key, depA, '2026-12-02', 1, 1, 1)])]);
    await tokenUsage.add([]);

    expect(await tokenUsage.ofKey(key)).toEqual([
      { day: '2026-12-01', deploymentId: depA, requests: 1, promptTokens: 3, completionTokens: 4, estimatedRequests: 0 },
      { day: '2026-12-02', deploymentId: depA, requests: 3, promptTokens: 6, completionTokens: 8, estimatedRequests: 1 },
      { day: '2026-12-02', deploymentId: depB, requests: 2, promptTokens: 11, completionTokens: 21, estimatedRequests: 0 },
    ]);
    expect(await tokenUsage.ofDeployment(depA)).toEqual([
      { day: '2026-12-01', deploymentId: depA, requests: 1, promptTokens: 3, completionTokens: 4, estimatedRequests: 0 },
      { day: '2026-12-02', deploymentId: depA, requests: 6, promptTokens: 106, completionTokens: 208, estimatedRequests: 1 },
    ]);
    expect(await tokenUsage.ofKey(freshKeyId())).toEqual([]);
    expect(await tokenUsage.ofDeployment(`dep-${freshKeyId()}`)).toEqual([]);
  });
};
