/**
 * The end-to-end promise: through real HTTP, DynamoDB (dynalite), Step Functions (our ASL
 * on the local endpoint), the EKS node group API and the Kubernetes API (the simulator),
 * a model goes initializing -> ready, scales, and is deleted with nothing left behind.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BASE, deployBody, startTestCloud, waitFor, type TestCloud } from '../support/local-cloud';

let t: TestCloud;
beforeAll(async () => {
  t = await startTestCloud(0.01);
});
afterAll(async () => {
  await t?.close();
});

const getDeployment = (id: string) => t.api('GET', `${BASE}/${id}`);

describe('deploy -> ready -> scale -> delete', () => {
  it('serves the catalog and the inventory', async () => {
    const catalog = await t.api('GET', '/api/v1beta1/aimodels-catalog');
    expect(catalog.status).toBe(200);
    expect(catalog.body.items.map((i: { id: string }) => i.id)).toContain('Qwen-Qwen2.5-0.5B-Instruct');
    const inventory = await t.api('GET', '/api/v1beta1/inventory');
    expect(inventory.status).toBe(200);
    expect(inventory.body.items.find((i: { config_id: string }) => i.config_id === 'l4-24gb')).toMatchObject({
      max_gpu_count: 4,
      plans: [{ plan_id: 'plan-l4-24gb-ondemand', unit_price: 1.15, currency: 'USD' }],
    });
  });

  it('deploys the small Qwen model on its recommended GPU, scales it, and deletes it', async () => {
    const created = await t.api('POST', BASE, { body: deployBody('qwen-small') });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      name: 'qwen-small',
      project_id: 'prj-web',
      model_id: 'Qwen/Qwen2.5-0.5B-Instruct',
      model_name: 'Qwen2.5 0.5B Instruct',
      status: 'initializing',
      endpoint_url: null,
      gpu_config_id: 'l4-24gb',
      gpu_count: 1,
      replicas: 1,
      uptime_seconds: 0,
    });
    const id: string = created.body.id;
    expect(id).toMatch(/^dep-/);
    expect(created.body.workflow.execution_arn).toContain(`:execution:gpu-control-plane-deploy:${id}-deploy-`);

    const ready = await waitFor(() => getDeployment(id), (r) => r.body.status !== 'initializing', 'ready');
    expect(ready.body).toMatchObject({ status: 'ready', phase: 'ready', fail_reason: null });
    expect(ready.body.endpoint_url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/.*\/v1$/);
    expect(await t.nodeGroupDesiredSize('gpu-l4-24gb')).toBe(1);
    expect(await t.pods(`gpudeploy.io/deployment-id=${id}`)).toBe(1);

    const later = await waitFor(() => getDeployment(id), (r) => r.body.uptime_seconds >= 1, 'uptime to grow', 5000);
    expect(later.body.uptime_seconds).toBeGreaterThanOrEqual(1);

    const listed = await t.api('GET', BASE);
    expect(listed.status).toBe(200);
    expect(listed.body.pagination).toEqual({ total_items: 1, total_pages: 1, current_page: 1, items_per_page: 20, next_cursor: null });
    expect(listed.body.items[0].id).toBe(id);

    const scaled = await t.api('PUT', `${BASE}/${id}/scale`, { body: { replicas: 2 } });
    expect(scaled.status).toBe(200);
    expect(scaled.body).toMatchObject({ replicas: 2, phase: 'scaling' });
    const readyAgain = await waitFor(() => getDeployment(id), (r) => r.body.phase === 'ready', 'ready after scale');
    expect(readyAgain.body).toMatchObject({ status: 'ready', replicas: 2 });
    expect(readyAgain.body.uptime_seconds).toBeGreaterThanOrEqual(later.body.uptime_seconds);
    expect(await t.pods(`gpudeploy.io/deployment-id=${id}`)).toBe(2);
    // two 1-GPU replicas share one 4-GPU node: no second node is bought
    expect(await t.nodeGroupDesiredSize('gpu-l4-24gb')).toBe(1);

    const deleted = await t.api('DELETE', `${BASE}/${id}`);
    expect(deleted.status).toBe(204);
    const terminating = await getDeployment(id);
    expect([200, 404]).toContain(terminating.status);
    if (terminating.status === 200) expect(terminating.body.status).toBe('terminating');
    const gone = await waitFor(() => getDeployment(id), (r) => r.status === 404, 'deleted');
    expect(gone.body).toEqual({ code: 'not_found', message: expect.stringContaining(id) });
    expect(await t.pods(`gpudeploy.io/deployment-id=${id}`)).toBe(0);
    expect(await t.nodeGroupDesiredSize('gpu-l4-24gb')).toBe(0);
  });

  it('adds a second GPU node when the first is full, and gives both back on delete', async () => {
    const created = await t.api('POST', BASE, { body: deployBody('qwen-full-node', { catalog_id: 'Qwen-Qwen2.5-14B-Instruct', gpu_count: 4 }) });
    expect(created.status).toBe(201);
    const id: string = created.body.id;
    await waitFor(() => getDeployment(id), (r) => r.body.status === 'ready', 'ready');
    expect(await t.nodeGroupDesiredSize('gpu-l4-24gb')).toBe(1);

    expect((await t.api('PUT', `${BASE}/${id}/scale`, { body: { replicas: 2 } })).status).toBe(200);
    const scaled = await waitFor(() => getDeployment(id), (r) => r.body.phase === 'ready', 'ready after scale');
    expect(scaled.body).toMatchObject({ status: 'ready', replicas: 2 });
    expect(await t.nodeGroupDesiredSize('gpu-l4-24gb')).toBe(2);

    expect((await t.api('PUT', `${BASE}/${id}/scale`, { body: { replicas: 1 } })).status).toBe(200);
    await waitFor(() => getDeployment(id), (r) => r.body.phase === 'ready', 'ready after scale-in');
    expect(await t.pods(`gpudeploy.io/deployment-id=${id}`)).toBe(1);
    expect(await t.nodeGroupDesiredSize('gpu-l4-24gb')).toBe(1);

    expect((await t.api('DELETE', `${BASE}/${id}`)).status).toBe(204);
    await waitFor(() => getDeployment(id), (r) => r.status === 404, 'deleted');
    expect(await t.nodeGroupDesiredSize('gpu-l4-24gb')).toBe(0);
  });
});
