/**
 * Where a cold start spends its time, and what a deploy would do before doing it: the
 * timeline's milestones in order, an ETA while initializing (from the model's size, then from
 * history once the same model reached ready on the same GPU), `?dry_run=true` returning the
 * plan without creating anything, and admission refusing a model that cannot fit its GPUs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MILESTONES } from '../../functions/domain/deployment';
import { qwenBody } from '../support/failures';
import { expectLedgerMatchesRecords, expectNoObjectsOf } from '../support/leaks';
import { BASE, startTestCloud, waitFor, type TestCloud } from '../support/local-cloud';

const CONFIG = 'l4-24gb';
const GROUP = 'gpu-l4-24gb';
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

let t: TestCloud;
beforeAll(async () => {
  t = await startTestCloud(0.01, { cron: false });
});
afterAll(async () => {
  await t?.close();
});

const get = (id: string) => t.api('GET', `${BASE}/${id}`);

/** Deploys, and reads the deployment while it is still initializing (the ETA is only shown then). */
const deployAndCatchInitializing = async (name: string) => {
  const created = await t.api('POST', BASE, { body: qwenBody(name) });
  expect(created.status).toBe(201);
  const initializing = await get(created.body.id);
  expect(initializing.body.status).toBe('initializing');
  return { id: created.body.id as string, created: created.body, initializing: initializing.body };
};

describe('dry run and admission', () => {
  it('?dry_run=true returns the plan and creates nothing', async () => {
    const before = { total: (await t.api('GET', BASE)).body.pagination.total_items, ledger: await t.ledger(CONFIG) };
    const plan = await t.api('POST', `${BASE}?dry_run=true`, { body: qwenBody('dry-run', CONFIG, { gpu_count: 2, replicas: 2 }) });
    expect(plan.status, JSON.stringify(plan.body)).toBe(200);
    expect(plan.body.capacity).toMatchObject({ node_group: GROUP, nodes_to_add: 1, gpus_to_reserve: 4 });
    const deployment = plan.body.manifests.deployment;
    expect(deployment).toMatchObject({ apiVersion: 'apps/v1', kind: 'Deployment', spec: { replicas: 2 } });
    expect(deployment.spec.template.spec.containers[0].resources.limits).toEqual({ 'nvidia.com/gpu': '2' });
    expect(plan.body.manifests.service).toMatchObject({ apiVersion: 'v1', kind: 'Service' });
    // unit_price x gpu_count x replicas / 60
    expect(plan.body.cost.per_minute).toBeCloseTo((1.15 * 2 * 2) / 60, 6);
    expect(plan.body.cost.currency).toBe('USD');
    expect(JSON.stringify(plan.body)).not.toContain(t.defaultToken);

    expect((await t.api('GET', BASE)).body.pagination.total_items).toBe(before.total);
    expect(await t.ledger(CONFIG)).toBe(before.ledger);
    expect(await t.executions('deploy')).toEqual([]);
    expect(t.cloud.simulator.state().deployments).toEqual([]);
    expect(await t.nodeGroupDesiredSize(GROUP)).toBe(0);
    // the name was not claimed either
    // (on another GPU config: its cold start must not become the ETA history of the test below)
    const real = await t.api('POST', `${BASE}?dry_run=false`, { body: qwenBody('dry-run', 'a10g-24gb') });
    expect(real.status).toBe(201);
    // (deleted once ready: a delete racing the deploy's first writes is workflow-conflicts' subject)
    await waitFor(() => get(real.body.id), (r) => r.body.status === 'ready', 'ready', 15_000);
    expect((await t.api('DELETE', `${BASE}/${real.body.id}`)).status).toBe(204);
    await waitFor(() => get(real.body.id), (r) => r.status === 404, 'deleted', 15_000);
  });

  it('a 70B model on one 80 GB GPU is refused with 400 naming gpu_count, before anything starts', async () => {
    const body = {
      name: 'llama-70b',
      catalog_id: 'meta-llama-Llama-3.3-70B-Instruct',
      region: 'us-east-1',
      gpu_config_id: 'h100-80gb',
      gpu_count: 1,
      plan_id: 'plan-h100-80gb-ondemand',
      hf_token: 'hf_abcdefghijklmnop',
    };
    for (const path of [BASE, `${BASE}?dry_run=true`]) {
      const refused = await t.api('POST', path, { body });
      expect(refused.status).toBe(400);
      expect(refused.body).toEqual({ code: 'invalid_request', message: expect.stringContaining('gpu_count') });
    }
    expect(await t.ledger('h100-80gb')).toBe(0);
    expect((await t.executions('deploy')).filter((e) => e.name.includes('llama'))).toEqual([]);
  });
});

describe('cold-start timeline and ETA', () => {
  it('stamps every milestone in order; the ETA comes from the model size first, then from history', async () => {
    const first = await deployAndCatchInitializing('timeline-first');
    expect(first.created.timeline).toEqual({ accepted: expect.stringMatching(ISO), capacity_reserved: expect.stringMatching(ISO) });
    expect(first.initializing.eta).toMatchObject({ based_on: 'model_size', samples: 0, expected_ready_at: expect.stringMatching(ISO) });
    expect(Date.parse(first.initializing.eta.expected_ready_at)).toBeGreaterThan(Date.parse(first.created.timeline.accepted));

    const ready = await waitFor(() => get(first.id), (r) => r.body.status !== 'initializing', 'ready', 15_000);
    expect(ready.body).toMatchObject({ status: 'ready', eta: null });
    const timeline = ready.body.timeline as Record<string, string>;
    expect(Object.keys(timeline).sort()).toEqual([...MILESTONES].sort());
    for (const milestone of MILESTONES) expect(timeline[milestone], milestone).toMatch(ISO);
    for (let i = 1; i < MILESTONES.length; i += 1) {
      const [before, after] = [MILESTONES[i - 1]!, MILESTONES[i]!];
      expect(Date.parse(timeline[before]!), `${before} <= ${after}`).toBeLessThanOrEqual(Date.parse(timeline[after]!));
    }

    const second = await deployAndCatchInitializing('timeline-second');
    expect(second.initializing.eta).toMatchObject({ based_on: 'history', expected_ready_at: expect.stringMatching(ISO) });
    expect(second.initializing.eta.samples).toBeGreaterThanOrEqual(1);
    await waitFor(() => get(second.id), (r) => r.body.status === 'ready', 'second ready', 15_000);

    for (const id of [first.id, second.id]) expect((await t.api('DELETE', `${BASE}/${id}`)).status).toBe(204);
    for (const id of [first.id, second.id]) {
      await waitFor(() => get(id), (r) => r.status === 404, 'deleted', 15_000);
      await expectNoObjectsOf(t, id);
    }
    expect(await t.ledger(CONFIG)).toBe(0);
    await expectLedgerMatchesRecords(t, CONFIG);
  });
});
