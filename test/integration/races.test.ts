/**
 * Races the API must settle by itself (workflow-capacity.test.ts already races equal 4-GPU
 * deploys for the last GPUs; workflow-conflicts.test.ts a delete against a running deploy):
 * - 50 concurrent creates of one name: exactly one 201, 49 409 conflict, one record.
 * - concurrent scales of one deployment: exactly one wins, the others 409; the final state is
 *   the winner's.
 * - scale and delete on one deployment at the same moment (several orders and offsets): the
 *   deployment is gone, and no pod, node, GPU reservation or name claim is left.
 * - deploys of mixed sizes that together exceed a node group: the ledger never passes its
 *   limit (sampled all along), equals what the accepted deployments hold, and the group never
 *   grows past its maximum.
 *
 * Time scale 0.02: nodes boot in 1.8 s, long enough for operations to overlap.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ledgerGpus } from '../../functions/domain/capacity';
import { findGpuConfig } from '../../contract/catalog';
import { qwenBody } from '../support/failures';
import { executionEnded, expectLedgerMatchesRecords, expectNodeGroupSizedForLive, expectNoObjectsOf, liveInstances } from '../support/leaks';
import { BASE, startTestCloud, waitFor, type TestCloud } from '../support/local-cloud';
import { recordFigures } from '../reliability/figures';

const CONFIG = 'l4-24gb';
const GROUP = 'gpu-l4-24gb';
const LIMIT = 16; // 4 nodes x 4 GPUs

let t: TestCloud;
beforeAll(async () => {
  t = await startTestCloud(0.02, { cron: false }); // what the API and workflows do, not what the reconcile repairs
});
afterAll(async () => {
  await t?.close();
});

const races: { race: string; requests: number; outcomes: Record<string, number>; consistent: boolean }[] = [];
const tally = (statuses: number[]) => statuses.reduce<Record<string, number>>((acc, s) => ({ ...acc, [s]: (acc[s] ?? 0) + 1 }), {});
const get = (id: string) => t.api('GET', `${BASE}/${id}`);
const ready = (id: string) => waitFor(() => get(id), (r) => r.body.status !== 'initializing' && r.body.phase !== 'scaling', `${id} settled`, 20_000);
const gone = (id: string) => waitFor(() => get(id), (r) => r.status === 404, `${id} deleted`, 20_000);

const expectStoreEmpty = async (ids: string[]) => {
  await waitFor(() => t.records(), (rs) => rs.length === 0, 'no deployment left', 20_000);
  for (const id of ids) await expectNoObjectsOf(t, id);
  expect(await t.ledger(CONFIG)).toBe(0);
  await expectNodeGroupSizedForLive(t, CONFIG, 15_000);
  await waitFor(async () => t.cloud.simulator.instances(GROUP).length, (n) => n === 0, 'no instance left', 15_000);
  expect((await t.api('GET', BASE)).body.pagination.total_items).toBe(0);
};

describe('races', () => {
  it('50 concurrent creates of one name: exactly one 201 and 49 409 conflict', async () => {
    const responses = await Promise.all(Array.from({ length: 50 }, () => t.api('POST', BASE, { body: qwenBody('same-name-race') })));
    const statuses = responses.map((r) => r.status);
    races.push({ race: '50 creates of one name', requests: 50, outcomes: tally(statuses), consistent: true });

    expect(tally(statuses)).toEqual({ 201: 1, 409: 49 });
    // GPUs are reserved before the name is claimed (use-cases/deployments.ts), so while up to 16
    // losers of the name race still hold a GPU, others are refused for capacity: also a 409.
    const byName = responses.filter((r) => r.status === 409 && String(r.body.message).includes("named 'same-name-race' already exists"));
    const byCapacity = responses.filter((r) => r.status === 409 && String(r.body.message).startsWith('no GPU capacity left'));
    expect(byName.length + byCapacity.length).toBe(49);
    expect(byName.length).toBeGreaterThan(0);
    for (const r of responses.filter((x) => x.status === 409)) expect(r.body.code).toBe('conflict');
    races.at(-1)!.outcomes = { 201: 1, '409 name taken': byName.length, '409 capacity held by a loser': byCapacity.length };
    const id: string = responses.find((r) => r.status === 201)!.body.id;
    expect((await t.records()).map((r) => r.id)).toEqual([id]);
    expect(await t.ledger(CONFIG)).toBe(1);
    expect((await t.executions('deploy')).filter((e) => e.name.startsWith(id))).toHaveLength(1);

    await ready(id);
    expect((await t.api('DELETE', `${BASE}/${id}`)).status).toBe(204);
    await gone(id);
    // the name is free again
    const again = await t.api('POST', BASE, { body: qwenBody('same-name-race') });
    expect(again.status).toBe(201);
    await ready(again.body.id);
    expect((await t.api('DELETE', `${BASE}/${again.body.id}`)).status).toBe(204);
    await expectStoreEmpty([id, again.body.id]);
  });

  it('concurrent scales of one deployment: one wins, the rest 409, the final state is the winner', async () => {
    const created = await t.api('POST', BASE, { body: qwenBody('scale-race') });
    const id: string = created.body.id;
    await ready(id);
    const targets = [2, 3, 4, 2, 3, 4, 2, 3, 4, 2];
    const responses = await Promise.all(targets.map((replicas) => t.api('PUT', `${BASE}/${id}/scale`, { body: { replicas } })));
    const statuses = responses.map((r) => r.status);
    races.push({ race: '10 concurrent scales', requests: 10, outcomes: tally(statuses), consistent: true });

    expect(tally(statuses)).toEqual({ 200: 1, 409: 9 });
    const winner = responses.find((r) => r.status === 200)!.body.replicas as number;
    expect(await t.ledger(CONFIG)).toBe(winner);
    const settled = await ready(id);
    expect(settled.body).toMatchObject({ status: 'ready', phase: 'ready', replicas: winner });
    await waitFor(() => t.pods(`gpudeploy.io/deployment-id=${id}`), (n) => n === winner, `${winner} pods`, 10_000);
    expect((await t.executions('scale')).filter((e) => e.name.startsWith(id))).toHaveLength(1);
    await expectLedgerMatchesRecords(t, CONFIG);

    expect((await t.api('DELETE', `${BASE}/${id}`)).status).toBe(204);
    await expectStoreEmpty([id]);
  });

  it.each([
    ['delete then scale at once', 0, 0],
    ['scale then delete 20 ms later', 1, 20],
    ['scale then delete 150 ms later', 1, 150],
    ['delete then scale 20 ms later', 0, 20],
  ])('scale and delete race on one deployment (%s): the deployment is gone and nothing is left', async (label, scaleFirst, offsetMs) => {
    const created = await t.api('POST', BASE, { body: qwenBody(`sd-race-${races.length}`) });
    const id: string = created.body.id;
    await ready(id);
    const path = `${BASE}/${id}`;
    const scale = () => t.api('PUT', `${path}/scale`, { body: { replicas: 3 } });
    const remove = () => t.api('DELETE', path);
    const later = <T>(run: () => Promise<T>) => new Promise<T>((resolve, reject) => setTimeout(() => run().then(resolve, reject), offsetMs));
    const [first, second] = scaleFirst ? await Promise.all([scale(), later(remove)]) : await Promise.all([remove(), later(scale)]);
    const [scaled, deleted] = scaleFirst ? [first, second] : [second, first];
    races.push({ race: `scale and delete: ${label}`, requests: 2, outcomes: tally([scaled.status, deleted.status]), consistent: true });

    expect(deleted.status, JSON.stringify(deleted.body)).toBe(204); // a delete always supersedes
    expect([200, 404, 409], JSON.stringify(scaled.body)).toContain(scaled.status);
    await gone(id);
    for (const e of [...(await t.executions('scale')), ...(await t.executions('deploy'))].filter((x) => x.name.startsWith(id))) {
      expect(['SUCCEEDED', 'ABORTED']).toContain((await executionEnded(t, e.executionArn)).status);
    }
    await expectStoreEmpty([id]);
  });

  it('mixed-size deploys beyond the node group never over-reserve GPUs', async () => {
    const config = findGpuConfig(CONFIG)!;
    const sizes = [3, 1, 4, 2, 2, 3, 1, 4, 2, 1, 3, 4];
    let sampling = true;
    const samples: number[] = [];
    const sampler = (async () => {
      while (sampling) {
        samples.push(await t.ledger(CONFIG).catch(() => 0));
        await new Promise((r) => setTimeout(r, 10));
      }
    })();
    // A model that vLLM can shard over 1, 2, 3 and 4 GPUs (48 attention heads, 12 key/value
    // heads): the catalog's models take only some of these sizes.
    const mixBody = (name: string, gpu_count: number) => {
      const { catalog_id: _catalog, ...body } = qwenBody(name, CONFIG, { gpu_count });
      return { ...body, huggingface_id: 'acme-research/mix-48h', model_size_gib: 1, num_attention_heads: 48, num_key_value_heads: 12 };
    };
    const responses = await Promise.all(sizes.map((gpu_count, i) => t.api('POST', BASE, { body: mixBody(`mix-${i}`, gpu_count) })));
    const accepted = responses.map((r, i) => ({ r, gpus: sizes[i]! })).filter(({ r }) => r.status === 201);
    for (const r of responses.filter((x) => x.status !== 201)) {
      expect(r.status).toBe(409);
      expect(r.body).toEqual({ code: 'conflict', message: expect.stringContaining(`'${GROUP}'`) });
    }
    const charged = accepted.reduce((sum, { gpus }) => sum + ledgerGpus(gpus, 1, config.gpus_per_node), 0);
    expect(charged).toBeLessThanOrEqual(LIMIT);
    expect(await t.ledger(CONFIG)).toBe(charged);
    expect(accepted.length).toBeGreaterThan(0);
    expect(accepted.length).toBeLessThan(sizes.length);

    const ids = accepted.map(({ r }) => r.body.id as string);
    const settled = await Promise.all(ids.map(ready));
    expect(await t.nodeGroupDesiredSize(GROUP)).toBeLessThanOrEqual(config.node_group.max_size);
    const maxInstances = liveInstances(t, GROUP).length;
    await expectLedgerMatchesRecords(t, CONFIG);
    // KNOWN GAP (functions/domain/capacity.ts, not fixed here): the ledger charges a replica what
    // first-fit-decreasing packing needs, but the scheduler places pods in arrival order, so a
    // mix of sizes within the limit can fragment the nodes and leave a big replica without a node.
    // It then fails cleanly as Unschedulable (its GPUs given back); it never over-reserves.
    const unschedulable = settled.filter((r) => r.body.status === 'failed');
    for (const r of settled) {
      if (r.body.status === 'failed') expect(r.body.fail_reason, r.body.name).toMatch(/^Unschedulable: /);
      else expect(r.body).toMatchObject({ status: 'ready', phase: 'ready' });
    }
    sampling = false;
    await sampler;
    races.push({
      race: `${sizes.length} mixed-size deploys for ${LIMIT} GPUs`,
      requests: sizes.length,
      outcomes: { ...tally(responses.map((r) => r.status)), 'ready': settled.length - unschedulable.length, 'failed Unschedulable (known gap)': unschedulable.length },
      consistent: Math.max(...samples) <= LIMIT,
    });
    expect(samples.length).toBeGreaterThan(3);
    expect(Math.max(...samples), 'the ledger passed the node group limit').toBeLessThanOrEqual(LIMIT);
    expect(maxInstances).toBeLessThanOrEqual(config.node_group.max_size);

    await Promise.all(ids.map((id) => t.api('DELETE', `${BASE}/${id}`)));
    await expectStoreEmpty(ids);
    recordFigures('races', { races, ledgerMax: Math.max(...samples), ledgerLimit: LIMIT, ledgerSamples: samples.length, admittedButUnschedulable: unschedulable.length });
  });
});
