/**
 * Operation conflicts: a delete supersedes a running deploy (while its nodes boot, and while
 * its pods start) and leaves nothing behind without recording a failure; a scale while the
 * deployment is not ready, or while another scale runs, answers 409 and changes nothing.
 * Last, every execution these operations started is read back through GetExecutionHistory:
 * no bearer token (JWT) or Authorization header appears anywhere in it.
 *
 * Time scale 0.02: nodes boot in 1.8 s, long enough to act while they do.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { byProject, qwenBody } from '../support/failures';
import { executionEnded, expectLedgerMatchesRecords, expectNodeGroupSizedForLive, expectNoObjectsOf, liveInstances } from '../support/leaks';
import { BASE, startTestCloud, waitFor, type TestCloud } from '../support/local-cloud';

const CONFIG = 'l4-24gb';
const GROUP = 'gpu-l4-24gb';

let t: TestCloud;
beforeAll(async () => {
  t = await startTestCloud(0.02, { cron: false }); // what the workflows do, not what the reconcile repairs
});
afterAll(async () => {
  await t?.close();
});

const get = (id: string, base = BASE, token?: string) => t.api('GET', `${base}/${id}`, { token });
const tokens: string[] = [];

/**
 * DELETE while a workflow runs: 204 at the first attempt. A workflow write landing between
 * DELETE's read and its conditional hand-over once made it answer 409; delete now re-reads
 * and retries itself (functions/use-cases/deployments.ts deleteDeployment).
 */
const deleteSuperseding = async (path: string, token?: string) => {
  const deleted = await t.api('DELETE', path, { token });
  expect(deleted.status, JSON.stringify(deleted.body)).toBe(204);
};

/** The deploy execution of a deleted deployment must not have gone through the failure path. */
const expectSupersededQuietly = async (deployArn: string) => {
  const ended = await executionEnded(t, deployArn);
  expect(['ABORTED', 'SUCCEEDED']).toContain(ended.status);
  const states = (await t.history(deployArn)).filter((e) => e.type === 'TaskStateEntered').map((e) => e.stateEnteredEventDetails?.name);
  expect(states).not.toContain('RecordFailure');
  expect(states).not.toContain('MarkReady');
};

const expectDeletedCleanly = async (id: string, base = BASE, token?: string) => {
  await waitFor(() => get(id, base, token), (r) => r.status === 404, `${id} deleted`, 15_000);
  const deletes = (await t.executions('delete')).filter((e) => e.name.startsWith(`${id}-delete-`));
  expect(deletes).toHaveLength(1);
  expect((await executionEnded(t, deletes[0]!.executionArn)).status).toBe('SUCCEEDED');
  await expectNoObjectsOf(t, id);
  expect(await t.ledger(CONFIG)).toBe(0);
  await expectLedgerMatchesRecords(t, CONFIG);
  await expectNodeGroupSizedForLive(t, CONFIG);
  await waitFor(async () => t.cloud.simulator.instances(GROUP).length, (n) => n === 0, 'no instance left', 5000);
};

describe('a delete supersedes a running deploy', () => {
  it('right after it was accepted (any moment of the first tasks)', async () => {
    for (const delayMs of [0, 5, 15, 30]) {
      const created = await t.api('POST', BASE, { body: qwenBody(`instant-delete-${delayMs}`) });
      expect(created.status).toBe(201);
      const id: string = created.body.id;
      if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
      await deleteSuperseding(`${BASE}/${id}`);
      await expectDeletedCleanly(id);
      await expectSupersededQuietly(created.body.workflow.execution_arn);
    }
  });

  it('while its GPU node is still booting', async () => {
    const created = await t.api('POST', BASE, { body: qwenBody('early-delete') });
    expect(created.status).toBe(201);
    const id: string = created.body.id;
    await waitFor(() => get(id), (r) => r.body.phase === 'provisioning_nodes', 'provisioning_nodes', 5000, 20);
    await waitFor(async () => liveInstances(t, GROUP).length, (n) => n === 1, 'an instance launching', 5000, 20);
    // before any node is ready
    expect(t.cloud.simulator.state().nodes.filter((n) => n.group === GROUP && n.ready)).toEqual([]);
    expect(t.cloud.simulator.instances(GROUP).map((i) => i.lifecycle)).toEqual(['Pending']);

    await deleteSuperseding(`${BASE}/${id}`);
    const during = await get(id);
    if (during.status === 200) expect(during.body).toMatchObject({ status: 'terminating', phase: 'deleting' });
    await expectDeletedCleanly(id);
    await expectSupersededQuietly(created.body.workflow.execution_arn);
  });

  it('while its model server is starting', async () => {
    const tenant = await t.tenant('prj-late-delete');
    tokens.push(tenant.token);
    await t.addFault({ match: byProject(tenant), fault: 'never_ready' });
    try {
      const created = await t.api('POST', tenant.base, { token: tenant.token, body: qwenBody('late-delete') });
      expect(created.status).toBe(201);
      const id: string = created.body.id;
      await waitFor(() => get(id, tenant.base, tenant.token), (r) => r.body.phase === 'loading_model', 'loading_model', 10_000, 20);
      expect(await t.pods(`gpudeploy.io/deployment-id=${id}`)).toBe(1);

      await deleteSuperseding(`${tenant.base}/${id}`, tenant.token);
      await expectDeletedCleanly(id, tenant.base, tenant.token);
      await expectSupersededQuietly(created.body.workflow.execution_arn);
    } finally {
      t.cloud.simulator.clearFaults();
    }
  });
});

describe('scale conflicts', () => {
  it('409 while deploying, 409 while another scale runs; neither changes the deployment', async () => {
    const created = await t.api('POST', BASE, { body: qwenBody('scale-me') });
    expect(created.status).toBe(201);
    const id: string = created.body.id;

    const early = await t.api('PUT', `${BASE}/${id}/scale`, { body: { replicas: 2 } });
    expect(early.status).toBe(409);
    expect(early.body).toEqual({ code: 'conflict', message: expect.stringContaining('initializing') });
    expect(await t.ledger(CONFIG)).toBe(1);

    await waitFor(() => get(id), (r) => r.body.status === 'ready', 'ready', 15_000);
    expect((await get(id)).body.replicas).toBe(1);
    // the refused scale did not hand the deployment to a scale execution
    expect((await t.executions('scale')).filter((e) => e.name.startsWith(id))).toEqual([]);

    const scaled = await t.api('PUT', `${BASE}/${id}/scale`, { body: { replicas: 2 } });
    expect(scaled.status).toBe(200);
    expect(scaled.body).toMatchObject({ replicas: 2, phase: 'scaling', status: 'ready' });
    const second = await t.api('PUT', `${BASE}/${id}/scale`, { body: { replicas: 3 } });
    expect(second.status).toBe(409);
    expect(second.body).toEqual({ code: 'conflict', message: expect.stringContaining('scaling') });
    expect(await t.ledger(CONFIG)).toBe(2); // the refused scale reserved nothing

    const done = await waitFor(() => get(id), (r) => r.body.phase === 'ready', 'ready after scale', 15_000);
    expect(done.body).toMatchObject({ status: 'ready', replicas: 2 });
    expect(await t.pods(`gpudeploy.io/deployment-id=${id}`)).toBe(2);
    expect((await t.executions('scale')).filter((e) => e.name.startsWith(id))).toHaveLength(1);
    await expectLedgerMatchesRecords(t, CONFIG);

    expect((await t.api('DELETE', `${BASE}/${id}`)).status).toBe(204);
    await expectDeletedCleanly(id);
  });
});

describe('secret hygiene of executions', () => {
  it('no bearer token or Authorization header in any execution input, output or history', async () => {
    const secrets = [t.defaultToken, ...tokens];
    const arns: string[] = [];
    for (const workflow of ['deploy', 'scale', 'delete'] as const) arns.push(...(await t.executions(workflow)).map((e) => e.executionArn));
    // the tests above ran every operation
    expect((await t.executions('deploy')).length).toBeGreaterThanOrEqual(3);
    expect((await t.executions('scale')).length).toBeGreaterThanOrEqual(1);
    expect((await t.executions('delete')).length).toBeGreaterThanOrEqual(3);

    for (const arn of arns) {
      const text = JSON.stringify({ execution: await t.execution(arn), history: await t.history(arn) });
      expect(text.length).toBeGreaterThan(100);
      for (const token of secrets) {
        expect(text).not.toContain(token);
        for (const part of token.split('.')) expect(text).not.toContain(part); // header, claims or signature alone
      }
      expect(text).not.toMatch(/authorization/i);
      expect(text).not.toMatch(/bearer/i);
      expect(text).not.toMatch(/eyJ[\w-]{8,}\.[\w-]{8,}\.[\w-]{8,}/); // any JWT
    }
  });
});
