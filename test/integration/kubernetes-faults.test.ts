/**
 * Kubernetes API faults at the protocol level (429 from API Priority and Fairness with
 * Retry-After, 500, 503, a request held then dropped), injected through /_sim/faults. Two layers
 * carry a workflow through them: the adapter's client retries a 429 or 5xx three times
 * (functions/adapters/kubernetes-client.ts), so a short burst never reaches the state machine;
 * a longer burst, or a dropped request (not retried: a create may have happened), fails the
 * task, and the ASL Retry runs it again. Either way nothing is left behind.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HistoryEvent } from '@aws-sdk/client-sfn';
import { BASE, deployBody, startTestCloud, waitFor, type TestCloud } from '../support/local-cloud';

let t: TestCloud;
beforeAll(async () => {
  t = await startTestCloud(0.01);
}, 120_000);
afterAll(async () => {
  await t?.close();
});

const control = async (method: string, body?: unknown): Promise<{ status: number; body: any }> => {
  const response = await fetch(`${t.cloud.simulator.url}/_sim/faults`, {
    method,
    headers: { 'content-type': 'application/json' },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  return { status: response.status, body: await response.json() };
};

describe('Kubernetes protocol faults', () => {
  it('answers 429 with Retry-After as APF does, 503 and 500 as Status objects, and drops a timed-out request', async () => {
    const url = `${t.cloud.simulator.url}/api/v1/namespaces/models/pods`;
    const added = await control('POST', { kubernetes: { error: 'too_many_requests', resource: 'pods', verb: 'list', caller: 'operator', count: 1, retryAfterSeconds: 3 } });
    expect(added.status).toBe(201);
    const throttled = await fetch(url);
    expect(throttled.status).toBe(429);
    expect(throttled.headers.get('retry-after')).toBe('3');
    expect(await throttled.json()).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'Too many requests, please try again later.',
      reason: 'TooManyRequests',
      details: { retryAfterSeconds: 3 },
      code: 429,
    });
    expect((await fetch(url)).status).toBe(200); // count 1: spent

    await control('POST', { kubernetes: { error: 'service_unavailable', caller: 'operator', count: 1 } });
    const unavailable = await fetch(url);
    expect(unavailable.status).toBe(503);
    expect(await unavailable.json()).toMatchObject({ reason: 'ServiceUnavailable', code: 503 });

    await control('POST', { kubernetes: { error: 'timeout', caller: 'operator', count: 1, holdMs: 100 } });
    const started = Date.now();
    await expect(fetch(url)).rejects.toThrow();
    expect(Date.now() - started).toBeGreaterThanOrEqual(90);

    const listed = await control('GET');
    expect(listed.body.kubernetes.map((r: { error: string; fired: number }) => [r.error, r.fired])).toEqual([
      ['too_many_requests', 1],
      ['service_unavailable', 1],
      ['timeout', 1],
    ]);
    expect((await control('DELETE')).body.removed).toBe(3);
  });

  it('rejects a malformed Kubernetes fault with 400 naming the field', async () => {
    const bad = await control('POST', { kubernetes: { error: 'teapot', rate: 2 } });
    expect(bad.status).toBe(400);
    expect(bad.body.issues.join(' ')).toMatch(/kubernetes\.error/);
    expect(bad.body.issues.join(' ')).toMatch(/kubernetes\.rate/);
  });

  it('a deploy gets through short bursts of 429s, 503s and a 500 on the client retries alone: no task fails', async () => {
    const faults = [
      { error: 'too_many_requests', caller: 'gpu-control-plane-check-nodes', resource: 'nodes', verb: 'list', count: 2 },
      { error: 'service_unavailable', caller: 'gpu-control-plane-apply-workload', count: 3 },
      { error: 'internal_error', caller: 'gpu-control-plane-check-workload', resource: 'pods', count: 1 },
    ];
    const { id, history } = await deployThrough(faults, 'qwen-short-faults');
    expect(taskFailures(history)).toEqual([]);
    await removeAndCheck(id);
  }, 180_000);

  it('a burst longer than the client retries, and a dropped request, fail the task; the ASL Retry carries the deploy', async () => {
    // apply-workload's calls are sequential: its first run meets four 503s (one call and the
    // client's three retries) and fails; its second meets the fifth 503, then the dropped
    // request on the retry, and fails; its third applies.
    const faults = [
      { error: 'service_unavailable', caller: 'gpu-control-plane-apply-workload', count: 5 },
      { error: 'timeout', caller: 'gpu-control-plane-apply-workload', count: 1, holdMs: 200 },
    ];
    const { id, history } = await deployThrough(faults, 'qwen-long-faults');
    const failures = taskFailures(history);
    expect(failures.map((f) => f.state)).toEqual(['ApplyWorkload', 'ApplyWorkload']);
    expect(failures[0]!.cause).toMatch(/HTTP-Code: 503/);
    expect(failures[1]).toMatchObject({ error: 'TypeError', cause: expect.stringContaining('fetch failed') });
    await removeAndCheck(id);
  }, 180_000);
});

/** The task failures of an execution (not-ready polls aside), each with the state it failed in. */
const taskFailures = (history: HistoryEvent[]) => {
  const failures: { state: string; error?: string; cause?: string }[] = [];
  let state = '';
  for (const event of history) {
    if (event.stateEnteredEventDetails?.name) state = event.stateEnteredEventDetails.name;
    const failed = event.taskFailedEventDetails ?? event.lambdaFunctionFailedEventDetails;
    if (failed && failed.error !== 'NotReadyYet') failures.push({ state, error: failed.error, cause: failed.cause });
  }
  return failures;
};

/** Deploys with the faults in place; every fault must have fired all its count before the deploy is ready. */
const deployThrough = async (faults: object[], name: string) => {
  for (const kubernetes of faults) expect((await control('POST', { kubernetes })).status).toBe(201);
  const created = await t.api('POST', BASE, { body: deployBody(name) });
  expect(created.status).toBe(201);
  const id: string = created.body.id;
  const ready = await waitFor(() => t.api('GET', `${BASE}/${id}`), (r) => r.body.status !== 'initializing', 'ready', 90_000);
  expect(ready.body).toMatchObject({ status: 'ready', fail_reason: null });
  const fired = (await control('GET')).body.kubernetes.map((r: { error: string; fired: number; count: number }) => [r.error, r.fired, r.count]);
  expect(fired).toEqual(faults.map((f) => [(f as { error: string }).error, (f as { count: number }).count, (f as { count: number }).count]));
  await control('DELETE');
  return { id, history: await t.history(created.body.workflow.execution_arn) };
};

const removeAndCheck = async (id: string) => {
  expect((await t.api('DELETE', `${BASE}/${id}`)).status).toBe(204);
  await waitFor(() => t.api('GET', `${BASE}/${id}`), (r) => r.status === 404, 'deleted', 60_000);
  expect(await t.leftovers(id)).toEqual({ deployments: [], services: [], secrets: [], pvcs: [], pods: [], pdbs: [], networkPolicies: [] });
  expect(await t.ledger('l4-24gb')).toBe(0);
  await waitFor(() => t.nodeGroupDesiredSize('gpu-l4-24gb'), (n) => n === 0, 'GPU node released', 60_000);
};
