/**
 * Idle detection: the sweeper reads vLLM's request counters through the Kubernetes pod proxy
 * of each Ready pod; a deployment with no request for idle_timeout_minutes is paused through
 * the scale workflow, one with traffic is left alone.
 *
 * Time scale 0.01: an idle timeout of 1 minute is 0.6 s, and so is the interval between two
 * idle checks of one deployment. The sweeper works at the event time the test gives it (whole
 * seconds, as EventBridge sends): the test moves that clock 1 s (100 cluster seconds) a sweep.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { qwenBody } from '../support/failures';
import { BASE, startTestCloud, waitFor, type TestCloud } from '../support/local-cloud';

let t: TestCloud;
beforeAll(async () => {
  t = await startTestCloud(0.01, { cron: false });
});
afterAll(async () => {
  await t?.close();
});

interface Report {
  items_read: number;
  scaled: { id: string; replicas: number; why: string }[];
  errors: unknown[];
}
let clock = 0;
/** One sweep, `seconds` of wall time (x100 in cluster time) after the previous one. */
const sweep = (seconds = 1) => {
  clock = Math.max(clock, Math.ceil(Date.now() / 1000) * 1000) + seconds * 1000;
  return t.cloud.runSchedule('schedule-sweep', { time: new Date(clock) }) as Promise<Report>;
};
const get = (id: string) => t.api('GET', `${BASE}/${id}`);
const workload = (id: string) => `model-${id.replace(/^dep-/, '')}`;

const traffic = async (id: string, completed: number, running = 0) => {
  const response = await fetch(`${t.cloud.simulator.url}/_sim/traffic`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ namespace: 'models', deployment: workload(id), completed, running }),
  });
  expect(response.status).toBe(200);
};

describe('idle timeout', () => {
  it('pauses the deployment nobody calls and keeps the one with traffic', async () => {
    const [idle, busy] = await Promise.all([
      t.api('POST', BASE, { body: qwenBody('rarely-used') }),
      t.api('POST', BASE, { body: qwenBody('busy') }),
    ]);
    const idleId: string = idle.body.id;
    const busyId: string = busy.body.id;
    for (const id of [idleId, busyId]) await waitFor(() => get(id), (r) => r.body.phase === 'ready', `${id} ready`, 30_000);
    for (const id of [idleId, busyId]) {
      // An idle timeout alone: no windows, so no time zone needed (UTC, as EventBridge Scheduler defaults).
      const put = await t.api('PUT', `${BASE}/${id}/schedule`, { body: { idle_timeout_minutes: 1 } });
      expect(put.status, JSON.stringify(put.body)).toBe(200);
      expect(put.body).toMatchObject({ time_zone: 'UTC', windows: [], idle_timeout_minutes: 1 });
    }
    await traffic(idleId, 3); // served before the first check: counted as the baseline, not as new activity later

    // first look: a baseline for each, nobody idle yet
    const first = await sweep();
    expect(first).toMatchObject({ items_read: 2, scaled: [], errors: [] });
    const baseline = (await t.api('GET', `${BASE}/${idleId}/schedule`)).body.last_activity_at as string;
    expect(baseline).not.toBeNull();

    // traffic on one only, then more than the timeout passes
    await traffic(busyId, 5);
    const second = await sweep();
    expect(second.errors).toEqual([]);
    expect(second.scaled).toEqual([expect.objectContaining({ id: idleId, replicas: 0, why: 'after 1 minutes without requests' })]);
    await waitFor(() => get(idleId), (r) => r.body.phase === 'paused', 'idle deployment paused', 30_000);
    expect((await get(busyId)).body).toMatchObject({ status: 'ready', phase: 'ready', replicas: 1 });
    expect((await t.api('GET', `${BASE}/${idleId}/schedule`)).body.last_activity_at).toBe(null);

    // requests in flight count too (the counter did not move)
    await traffic(busyId, 0, 2);
    const third = await sweep();
    expect(third.scaled).toEqual([]);
    expect((await get(busyId)).body.phase).toBe('ready');

    // a paused deployment is not checked for idleness (nothing to read), and stays paused
    expect((await get(idleId)).body.phase).toBe('paused');
    for (const id of [idleId, busyId]) expect((await t.api('DELETE', `${BASE}/${id}`)).status).toBe(204);
    for (const id of [idleId, busyId]) await waitFor(() => get(id), (r) => r.status === 404, `${id} deleted`, 20_000);
  });
});
