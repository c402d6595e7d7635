/**
 * When Step Functions cannot start the workflow, the API answers 503 and the request
 * changes nothing: no record, no name claim, no changed replica count.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BASE, startTestCloud, waitFor, type TestCloud } from '../support/local-cloud';

let t: TestCloud;
beforeAll(async () => {
  t = await startTestCloud(0.01);
});
afterAll(async () => {
  await t?.close();
});

const body = {
  name: 'qwen-outage',
  catalog_id: 'Qwen-Qwen2.5-0.5B-Instruct',
  region: 'us-east-1',
  gpu_config_id: 'l4-24gb',
  gpu_count: 1,
  plan_id: 'plan-l4-24gb-ondemand',
};

describe('a Step Functions outage', () => {
  it('leaves no half-written deployment behind, for deploy, scale and delete', async () => {
    const created = await t.api('POST', BASE, { body });
    expect(created.status).toBe(201);
    const id: string = created.body.id;
    const ready = await waitFor(() => t.api('GET', `${BASE}/${id}`), (r) => r.body.status === 'ready', 'ready');

    await t.cloud.stepFunctions.close();

    const another = await t.api('POST', BASE, { body: { ...body, name: 'qwen-second' } });
    expect(another.status).toBe(503);
    expect(another.body).toEqual({ code: 'service_unavailable', message: expect.stringContaining('nothing was changed') });

    const scaled = await t.api('PUT', `${BASE}/${id}/scale`, { body: { replicas: 2 } });
    expect(scaled.status).toBe(503);
    const deleted = await t.api('DELETE', `${BASE}/${id}`);
    expect(deleted.status).toBe(503);

    const after = await t.api('GET', `${BASE}/${id}`);
    expect(after.body).toMatchObject({
      status: 'ready',
      phase: 'ready',
      replicas: 1,
      workflow: { execution_arn: ready.body.workflow.execution_arn },
    });
    const list = await t.api('GET', BASE);
    expect(list.body.pagination.total_items).toBe(1);
    // the name claimed by the failed create was released with it
    expect((await t.api('POST', BASE, { body: { ...body, name: 'qwen-second' } })).status).toBe(503);
  }, 60_000);
});
