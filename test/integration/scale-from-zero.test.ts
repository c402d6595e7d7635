/**
 * Scale from zero through the inference gateway on the local cloud (issue 16, docs/autoscaling.md):
 * requests for a paused deployment wake it once however many arrive together; streaming ones are
 * held with SSE keep-alive comments, non-streaming ones when they send X-Scale-Up-Timeout, and all
 * of them complete once the model is ready; a non-streaming request without the header gets 503
 * with Retry-After from the cold-start ETA.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInferenceKey, type TestKey } from '../support/inference-keys';
import { BASE, ORG, PROJECT, startTestCloud, waitFor, type TestCloud } from '../support/local-cloud';

const A = { org_id: ORG, project_id: PROJECT };
let t: TestCloud;
let key: TestKey;

beforeAll(async () => {
  t = await startTestCloud(0.02, { cron: false, gateway: { keepAliveMs: 100, deploymentCacheMs: 200, coldStarts: { pollMs: 100 } } });
  key = await createInferenceKey(A);
}, 120_000);
afterAll(async () => {
  await t?.close();
});

const get = (id: string) => t.api('GET', `${BASE}/${id}`);
const route = (id: string) => `${t.cloud.gatewayUrl}/orgs/${ORG}/projects/${PROJECT}/aimodels/${id}/v1/chat/completions`;
const chat = async (id: string, options: { stream?: boolean; headers?: Record<string, string> } = {}) => {
  const response = await fetch(route(id), {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key.key}`, ...options.headers },
    body: JSON.stringify({ model: 'qwen-cold', messages: [{ role: 'user', content: 'hello' }], max_tokens: 4, ...(options.stream ? { stream: true } : {}) }),
  });
  return { status: response.status, retryAfter: response.headers.get('retry-after'), text: await response.text() };
};

describe('scale from zero through the gateway', () => {
  it('50 concurrent requests to a paused deployment start one resume and all complete; without the header a plain request gets 503 + Retry-After', async () => {
    const created = await t.api('POST', BASE, {
      body: { name: 'qwen-cold', catalog_id: 'Qwen-Qwen2.5-0.5B-Instruct', region: 'us-east-1', gpu_config_id: 'l4-24gb', gpu_count: 1, plan_id: 'plan-l4-24gb-ondemand', autoscaling: { min_replicas: 0, max_replicas: 2, enabled: true } },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const id: string = created.body.id;
    await waitFor(() => get(id), (r) => r.body.status === 'ready', 'ready', 60_000);
    expect((await t.api('PUT', `${BASE}/${id}/scale`, { body: { replicas: 0 } })).status).toBe(200);
    await waitFor(() => get(id), (r) => r.body.phase === 'paused', 'paused', 60_000);
    // past the gateway's record cache
    await new Promise((resolve) => setTimeout(resolve, 300));

    const plain = await chat(id);
    expect(plain.status).toBe(503);
    expect(Number(plain.retryAfter)).toBeGreaterThan(0);
    expect(JSON.parse(plain.text).error.code).toBe('deployment_starting');

    const answers = await Promise.all(
      Array.from({ length: 50 }, (_, i) => (i % 2 === 0 ? chat(id, { stream: true }) : chat(id, { headers: { 'x-scale-up-timeout': '120' } }))),
    );
    expect(answers.map((a) => a.status)).toEqual(Array<number>(50).fill(200));
    const streams = answers.filter((_, i) => i % 2 === 0);
    for (const stream of streams) {
      expect(stream.text).toMatch(/^: waiting for the model to start/);
      expect(stream.text).toContain('data: [DONE]');
    }
    for (const held of answers.filter((_, i) => i % 2 === 1)) expect(JSON.parse(held.text).choices).toHaveLength(1);

    const history = await t.api('GET', `${BASE}/${id}/events?limit=100`);
    expect(history.body.items.filter((e: { type: string }) => e.type === 'resume_requested')).toHaveLength(1);
    expect((await get(id)).body).toMatchObject({ status: 'ready', replicas: 1 });
    expect((await t.api('DELETE', `${BASE}/${id}`)).status).toBe(204);
  });
});
