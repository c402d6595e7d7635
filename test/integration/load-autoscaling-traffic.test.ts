/**
 * The whole loop with real traffic (issue 16): streamed chat completions through the inference
 * gateway queue up in the simulated vLLM's engine (max_num_seqs small, so its throughput model
 * keeps requests waiting), the sweeper reads vLLM's num_requests_waiting through the API server
 * and the gateway's published in-flight count, scales through the scale workflow, and every
 * request still completes. No load is injected by hand here (load-autoscaling.test.ts does that,
 * to pin the policy's timing).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SweepReport } from '../../functions/use-cases/schedule-sweep';
import { BASE, ORG, PROJECT, startTestCloud, waitFor, type TestCloud } from '../support/local-cloud';

let t: TestCloud;

beforeAll(async () => {
  // cron off: sweeps run when the test asks
  t = await startTestCloud(0.01, { cron: false });
});
afterAll(async () => {
  await t?.close();
});

/** Reads a streamed completion to its end; resolves with the HTTP status and whether [DONE] came. */
const stream = async (url: string, key: string, maxTokens: number): Promise<{ status: number; done: boolean }> => {
  const response = await fetch(`${url}/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'qwen-traffic', stream: true, max_tokens: maxTokens, ignore_eos: true, messages: [{ role: 'user', content: 'count' }] }),
  });
  const text = await response.text();
  return { status: response.status, done: text.includes('data: [DONE]') };
};

describe('load autoscaling driven by traffic through the gateway', () => {
  it('a queue of streamed requests scales 1 -> 2 while they run, and every request completes', async () => {
    const created = await t.api('POST', BASE, {
      body: {
        name: 'qwen-traffic',
        catalog_id: 'Qwen-Qwen2.5-0.5B-Instruct',
        region: 'us-east-1',
        gpu_config_id: 'l4-24gb',
        gpu_count: 1,
        plan_id: 'plan-l4-24gb-ondemand',
        config: { max_num_seqs: 2 },
        autoscaling: { min_replicas: 1, max_replicas: 2, target: { metric: 'queue', value: 2 } },
      },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const id: string = created.body.id;
    const ready = await waitFor(() => t.api('GET', `${BASE}/${id}`), (r) => r.body.status === 'ready' && r.body.phase === 'ready', 'ready with 1', 60_000);
    const endpoint: string = ready.body.endpoint_url;
    const keyAnswer = await t.api('POST', `/api/v1beta1/orgs/${ORG}/projects/${PROJECT}/inference-keys`, { body: { name: 'traffic' } });
    expect(keyAnswer.status).toBe(201);

    // 16 long streams on a replica that runs 2 at a time: the rest wait in vLLM's queue.
    const requests = Array.from({ length: 16 }, () => stream(endpoint, keyAnswer.body.key, 4000));
    const decisions: SweepReport['scaled'] = [];
    let replicas = 1;
    for (let i = 0; i < 200 && replicas < 2; i++) {
      await t.cloud.gateway.publishLoad();
      const report = (await t.cloud.runSchedule('schedule-sweep', { time: new Date() })) as SweepReport;
      decisions.push(...report.scaled.filter((s) => s.id === id));
      replicas = (await t.api('GET', `${BASE}/${id}`)).body.replicas;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(replicas).toBe(2);
    expect(decisions.length).toBeGreaterThanOrEqual(1);
    // Why, in the deployment's own events: the autoscaler's scale request names its inputs.
    const events = await t.api('GET', `${BASE}/${id}/events`);
    const scaleRequest = (events.body.items as { type: string; message: string }[]).find((e) => e.type === 'scale_requested' && /autoscaler/i.test(e.message));
    expect(scaleRequest, JSON.stringify(events.body.items.map((e: { type: string }) => e.type))).toBeDefined();

    const answers = await Promise.all(requests);
    expect(answers.every((a) => a.status === 200 && a.done), JSON.stringify(answers)).toBe(true);
    await waitFor(() => t.api('GET', `${BASE}/${id}`), (r) => r.body.status === 'ready' && r.body.instances?.running === 2, 'the second replica serving', 60_000);

    expect((await t.api('DELETE', `${BASE}/${id}`)).status).toBe(204);
    await waitFor(() => t.api('GET', `${BASE}/${id}`), (r) => r.status === 404, 'deleted', 60_000);
  }, 120_000);
});
