/**
 * Usage across a failure: a scale whose new replica crash-loops fails the deployment; its
 * ready time ends at the recorded failure and stops growing, and the figures equal the hand
 * calculation from its own history (ready at t1, failed at t2: 1 replica x 4 GPUs in between).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { byProject, qwenBody } from '../support/failures';
import { startTestCloud, waitFor, type TestCloud } from '../support/local-cloud';

let t: TestCloud;
beforeAll(async () => {
  t = await startTestCloud(0.01, { cron: false });
});
afterAll(async () => {
  await t?.close();
});

describe('usage and failures', () => {
  it('a failed scale closes the ready period at the failure', async () => {
    const tenant = await t.tenant('prj-usage-fail');
    const created = await t.api('POST', tenant.base, { token: tenant.token, body: qwenBody('m-usage-fail', 'l4-24gb', { catalog_id: 'Qwen-Qwen2.5-14B-Instruct', gpu_count: 4 }) });
    expect(created.status).toBe(201);
    const id: string = created.body.id;
    const get = () => t.api('GET', `${tenant.base}/${id}`, { token: tenant.token });
    await waitFor(get, (r) => r.body.status === 'ready', 'ready', 20_000);
    await t.addFault({ match: byProject(tenant), fault: 'crash_loop' }); // the new replica crashes, the serving one is unaffected
    expect((await t.api('PUT', `${tenant.base}/${id}/scale`, { token: tenant.token, body: { replicas: 2 } })).status).toBe(200);
    const failed = await waitFor(get, (r) => r.body.phase !== 'scaling', 'the scale to fail', 30_000);
    expect(failed.body).toMatchObject({ status: 'failed', uptime_seconds: 0 });

    const events: { at: string; type: string }[] = (await t.api('GET', `${tenant.base}/${id}/events?limit=100`, { token: tenant.token })).body.items;
    const readyAt = events.filter((e) => e.type === 'ready').map((e) => Date.parse(e.at));
    const failedAt = events.filter((e) => e.type === 'failed').map((e) => Date.parse(e.at));
    expect(readyAt).toHaveLength(1);
    expect(failedAt).toHaveLength(1);
    const servingMs = (failedAt[0] as number) - (readyAt[0] as number);
    const first = await t.api('GET', `${tenant.base}/${id}/usage`, { token: tenant.token });
    expect(first.body).toMatchObject({
      serving_seconds: Math.floor(servingMs / 1000),
      gpu_seconds: Math.floor((4 * servingMs) / 1000),
      cost_to_date: Math.round(((4 * servingMs) / 1000) * 1.15 * 10_000 / 3600) / 10_000,
      serving_since: null,
    });
    await sleep(1100);
    const later = await t.api('GET', `${tenant.base}/${id}/usage`, { token: tenant.token });
    expect(later.body).toMatchObject({ serving_seconds: first.body.serving_seconds, gpu_seconds: first.body.gpu_seconds, cost_to_date: first.body.cost_to_date });
    expect((await t.api('DELETE', `${tenant.base}/${id}`, { token: tenant.token })).status).toBe(204);
    await waitFor(get, (r) => r.status === 404, 'deleted', 20_000);
  });
});
