/**
 * A restart of the whole local cloud in the middle of a deploy (while its GPU node boots)
 * does not lose the deployment: the execution resumes from its journal on the same data dir,
 * the deployment converges to `ready`, and the cluster and the ledger hold exactly one of
 * everything (no duplicate pod, node, execution or reservation).
 *
 * Time scale 0.02: the node boots in 1.8 s, long enough to stop the cloud while it does.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { qwenBody } from '../support/failures';
import { executionEnded, expectLedgerMatchesRecords, expectNoObjectsOf, liveInstances } from '../support/leaks';
import { BASE, startTestCloud, waitFor, type TestCloud } from '../support/local-cloud';

const CONFIG = 'l4-24gb';
const GROUP = 'gpu-l4-24gb';

let t: TestCloud;
beforeAll(async () => {
  t = await startTestCloud(0.02, { cron: false }); // the workflow converges on its own, not by the reconcile
});
afterAll(async () => {
  await t?.close();
});

const get = (id: string) => t.api('GET', `${BASE}/${id}`);

describe('restart mid-deploy', () => {
  it('converges to ready after the cloud restarts while the node is provisioning', async () => {
    const created = await t.api('POST', BASE, { body: qwenBody('survivor', CONFIG, { gpu_count: 2 }) });
    expect(created.status).toBe(201);
    const id: string = created.body.id;
    const arn: string = created.body.workflow.execution_arn;
    await waitFor(() => get(id), (r) => r.body.phase === 'provisioning_nodes', 'provisioning_nodes', 5000, 20);
    await waitFor(async () => liveInstances(t, GROUP).length, (n) => n === 1, 'an instance launching', 5000, 20);
    expect(t.cloud.simulator.instances(GROUP).map((i) => i.lifecycle)).toEqual(['Pending']);
    const instanceBefore = t.cloud.simulator.instances(GROUP)[0]!.instanceId;
    expect(await t.ledger(CONFIG)).toBe(2);

    const apiBefore = t.cloud.apiUrl;
    await t.restart();
    expect(t.cloud.apiUrl).not.toBe(apiBefore); // a new cloud, not the old one still running

    const ready = await waitFor(() => get(id), (r) => r.body.status !== 'initializing', 'ready after the restart', 20_000);
    expect(ready.body).toMatchObject({ status: 'ready', phase: 'ready', fail_reason: null, replicas: 1 });
    expect(ready.body.workflow.execution_arn).toBe(arn);
    expect((await executionEnded(t, arn)).status).toBe('SUCCEEDED');
    expect((await t.executions('deploy')).map((e) => e.executionArn)).toEqual([arn]);

    // exactly one of everything
    expect(await t.pods(`gpudeploy.io/deployment-id=${id}`)).toBe(1);
    expect(t.cloud.simulator.instances(GROUP).map((i) => i.instanceId)).toEqual([instanceBefore]);
    expect(await t.nodeGroupDesiredSize(GROUP)).toBe(1);
    expect(t.cloud.simulator.state().nodes.filter((n) => n.group === GROUP)).toHaveLength(1);
    expect(await t.ledger(CONFIG)).toBe(2);
    await expectLedgerMatchesRecords(t, CONFIG);
    const timeline = ready.body.timeline as Record<string, string>;
    for (const milestone of ['accepted', 'capacity_reserved', 'nodes_ready', 'ready']) expect(timeline[milestone], milestone).toBeDefined();

    expect((await t.api('DELETE', `${BASE}/${id}`)).status).toBe(204);
    await waitFor(() => get(id), (r) => r.status === 404, 'deleted', 15_000);
    await expectNoObjectsOf(t, id);
    expect(await t.ledger(CONFIG)).toBe(0);
    expect(await t.nodeGroupDesiredSize(GROUP)).toBe(0);
    await waitFor(async () => t.cloud.simulator.instances(GROUP).length, (n) => n === 0, 'no instance left', 5000);
  });
});
