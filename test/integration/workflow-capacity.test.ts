/**
 * GPU capacity: the ledger admits exactly what a node group can hold when deploys race, the
 * group grows to exactly the nodes they need and gives every one back; and scale-in never
 * touches a node that serves another model.
 *
 * l4-24gb: 4 GPUs per node, at most 4 nodes, so a ledger limit of 16 GPUs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { qwenBody } from '../support/failures';
import { expectLedgerMatchesRecords, expectNoObjectsOf, liveInstances } from '../support/leaks';
import { BASE, startTestCloud, waitFor, type TestCloud } from '../support/local-cloud';

const CONFIG = 'l4-24gb';
const GROUP = 'gpu-l4-24gb';

let t: TestCloud;
beforeAll(async () => {
  t = await startTestCloud(0.01, { cron: false }); // what the workflows do, not what the reconcile repairs
});
afterAll(async () => {
  await t?.close();
});

const get = (id: string) => t.api('GET', `${BASE}/${id}`);
const readyNodes = () => t.cloud.simulator.state().nodes.filter((n) => n.group === GROUP && n.ready && !n.unschedulable);

describe('concurrent deploys race for the last GPUs', () => {
  it('admits exactly the node group limit, grows to exactly that, and gives it all back', async () => {
    const attempts = 6;
    const responses = await Promise.all(
      Array.from({ length: attempts }, (_, i) => t.api('POST', BASE, { body: qwenBody(`race-${i}`, CONFIG, { catalog_id: 'Qwen-Qwen2.5-14B-Instruct', gpu_count: 4 }) })),
    );
    const accepted = responses.filter((r) => r.status === 201);
    const refused = responses.filter((r) => r.status !== 201);
    expect(accepted).toHaveLength(4);
    expect(refused).toHaveLength(attempts - 4);
    for (const r of refused) {
      expect(r.status).toBe(409);
      expect(r.body).toEqual({ code: 'conflict', message: expect.stringContaining(`'${GROUP}'`) });
      expect(r.body.message).toContain('16 of 16 GPUs reserved');
    }
    expect(await t.ledger(CONFIG)).toBe(16);
    // a refused deploy left no record (and no name claim: the name can be used again later)
    expect((await t.api('GET', BASE)).body.pagination.total_items).toBe(4);

    const ids: string[] = accepted.map((r) => r.body.id);
    const ready = await Promise.all(ids.map((id) => waitFor(() => get(id), (r) => r.body.status !== 'initializing', `${id} ready`, 30_000)));
    for (const r of ready) expect(r.body).toMatchObject({ status: 'ready', phase: 'ready', fail_reason: null });
    expect(await t.nodeGroupDesiredSize(GROUP)).toBe(4);
    expect(liveInstances(t, GROUP)).toHaveLength(4);
    expect(readyNodes()).toHaveLength(4);
    // one 4-GPU replica per node: every node full, none shared
    for (const node of t.cloud.simulator.state().nodes.filter((n) => n.group === GROUP)) expect(node.gpuRequested).toBe(4);
    await expectLedgerMatchesRecords(t, CONFIG);

    const deletes = await Promise.all(ids.map((id) => t.api('DELETE', `${BASE}/${id}`)));
    expect(deletes.map((d) => d.status)).toEqual([204, 204, 204, 204]);
    await Promise.all(ids.map((id) => waitFor(() => get(id), (r) => r.status === 404, `${id} deleted`, 20_000)));
    for (const id of ids) await expectNoObjectsOf(t, id);
    expect(await t.ledger(CONFIG)).toBe(0);
    expect(await t.nodeGroupDesiredSize(GROUP)).toBe(0);
    await waitFor(async () => t.cloud.simulator.instances(GROUP).length, (n) => n === 0, 'every instance gone', 5000);
    expect((await t.api('GET', BASE)).body.pagination.total_items).toBe(0);
  });
});

describe('safe scale-in', () => {
  it('deleting one model never touches the node or the Ready pod of the other', async () => {
    const first = await t.api('POST', BASE, { body: qwenBody('keep-me', CONFIG, { catalog_id: 'Qwen-Qwen2.5-14B-Instruct', gpu_count: 4 }) });
    const second = await t.api('POST', BASE, { body: qwenBody('drop-me', CONFIG, { catalog_id: 'Qwen-Qwen2.5-14B-Instruct', gpu_count: 4 }) });
    expect([first.status, second.status]).toEqual([201, 201]);
    const keep: string = first.body.id;
    const drop: string = second.body.id;
    await waitFor(() => get(keep), (r) => r.body.status === 'ready', 'keep-me ready', 20_000);
    await waitFor(() => get(drop), (r) => r.body.status === 'ready', 'drop-me ready', 20_000);
    expect(await t.nodeGroupDesiredSize(GROUP)).toBe(2);

    const podsOf = (id: string) => t.cloud.simulator.pods('models').filter((p) => p.metadata.labels?.['gpudeploy.io/deployment-id'] === id);
    const [servingPod] = podsOf(keep);
    expect(servingPod?.spec.nodeName).toBeDefined();
    const servingNode = servingPod!.spec.nodeName!;
    const servingInstance = t.cloud.simulator.state().nodes.find((n) => n.name === servingNode)?.instanceId;
    expect(servingInstance).toBeDefined();
    expect(podsOf(drop)[0]?.spec.nodeName).not.toBe(servingNode);

    // Sample the serving model every 50 ms for the whole delete.
    const violations: string[] = [];
    let samples = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        samples += 1;
        const state = t.cloud.simulator.state();
        const pods = state.pods.filter((p) => p.name.startsWith(`model-${keep.replace(/^dep-/, '')}`));
        const node = state.nodes.find((n) => n.name === servingNode);
        const instance = state.instances.find((i) => i.instanceId === servingInstance);
        if (!pods.some((p) => p.ready && !p.terminating)) violations.push(`no Ready pod: ${JSON.stringify(pods)}`);
        if (pods.some((p) => p.name !== servingPod!.metadata.name)) violations.push(`pod replaced: ${pods.map((p) => p.name).join(',')}`);
        if (!node?.ready) violations.push(`node ${servingNode} not Ready`);
        if (node?.unschedulable) violations.push(`node ${servingNode} cordoned`);
        if (instance?.lifecycle !== 'InService') violations.push(`instance ${servingInstance} is ${instance?.lifecycle ?? 'gone'}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    })();

    expect((await t.api('DELETE', `${BASE}/${drop}`)).status).toBe(204);
    await waitFor(() => get(drop), (r) => r.status === 404, 'drop-me deleted', 15_000);
    await waitFor(async () => liveInstances(t, GROUP).length, (n) => n === 1, 'the emptied node released', 5000);
    await waitFor(async () => t.cloud.simulator.instances(GROUP).length, (n) => n === 1, 'the released instance gone', 5000);
    sampling = false;
    await sampler;

    expect(samples).toBeGreaterThan(5);
    expect(violations).toEqual([]);
    expect(await t.nodeGroupDesiredSize(GROUP)).toBe(1);
    expect(t.cloud.simulator.instances(GROUP).map((i) => i.instanceId)).toEqual([servingInstance]);
    expect((await get(keep)).body).toMatchObject({ status: 'ready', phase: 'ready' });
    await expectNoObjectsOf(t, drop);
    await expectLedgerMatchesRecords(t, CONFIG);
    expect(await t.ledger(CONFIG)).toBe(4);

    expect((await t.api('DELETE', `${BASE}/${keep}`)).status).toBe(204);
    await waitFor(() => get(keep), (r) => r.status === 404, 'keep-me deleted', 15_000);
    expect(await t.ledger(CONFIG)).toBe(0);
    expect(await t.nodeGroupDesiredSize(GROUP)).toBe(0);
  });
});
