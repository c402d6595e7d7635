/**
 * Pay only for serving: pause (scale to 0) gives the pods back at once and the GPUs and nodes
 * after the release delay; resume reserves and re-provisions; a schedule window pauses and
 * resumes a deployment at the instants the test's clock says (a day of windows in
 * milliseconds: the sweeper works at the event time it is given); usage matches a hand
 * calculation from the deployment's own history.
 *
 * l4-24gb: 4 GPUs per node, at most 4 nodes (16 GPUs); unit_price 1.15 per GPU-hour.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { qwenBody } from '../support/failures';
import { liveInstances } from '../support/leaks';
import { BASE, ORG, PROJECT, startTestCloud, waitFor, type TestCloud } from '../support/local-cloud';

const CONFIG = 'l4-24gb';
const GROUP = 'gpu-l4-24gb';
const PRICE = 1.15;
/** Cluster seconds a paused deployment keeps its GPUs: 3 s wall at time scale 0.01. */
const RELEASE_DELAY = 300;

let t: TestCloud;
beforeAll(async () => {
  process.env.PAUSE_RELEASE_DELAY_SECONDS = String(RELEASE_DELAY);
  t = await startTestCloud(0.01, { cron: false }); // the sweeper runs when the test says, at the time it says
});
afterAll(async () => {
  await t?.close();
  delete process.env.PAUSE_RELEASE_DELAY_SECONDS;
});

const get = (id: string, base = BASE) => t.api('GET', `${base}/${id}`);
const untilPhase = (id: string, phase: string, replicas?: number, base = BASE) =>
  waitFor(
    () => get(id, base),
    (r) => r.body.phase === phase && (replicas === undefined || r.body.replicas === replicas),
    `${id} ${phase}${replicas === undefined ? '' : ` with ${replicas}`}`,
    30_000,
  );
const scale = (id: string, replicas: number, base = BASE) => t.api('PUT', `${base}/${id}/scale`, { body: { replicas } });

interface Event {
  at: string;
  type: string;
  status: string;
  phase: string;
}
const eventsOf = async (id: string): Promise<Event[]> => {
  const page = await t.api('GET', `${BASE}/${id}/events?limit=100`);
  expect(page.body.next_cursor).toBeNull();
  return page.body.items;
};

describe('pause and resume', () => {
  it('scale 1 -> 3 -> 0 -> 1: pods go at once, GPUs and nodes after the delay, resume re-reserves (409 if taken) and usage matches by hand', async () => {
    const created = await t.api('POST', BASE, { body: qwenBody('billed', CONFIG, { catalog_id: 'Qwen-Qwen2.5-14B-Instruct', gpu_count: 4 }) });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const id: string = created.body.id;
    await untilPhase(id, 'ready');
    expect(await t.ledger(CONFIG)).toBe(4);

    expect((await scale(id, 3)).status).toBe(200);
    await untilPhase(id, 'ready', 3);
    expect(await t.ledger(CONFIG)).toBe(12);
    expect(liveInstances(t, GROUP)).toHaveLength(3);

    const pause = await scale(id, 0);
    expect(pause.status, JSON.stringify(pause.body)).toBe(200);
    expect(pause.body).toMatchObject({ replicas: 0, phase: 'scaling' });
    const paused = await untilPhase(id, 'paused');
    expect(paused.body).toMatchObject({ status: 'initializing', replicas: 0, uptime_seconds: 0, endpoint_url: null, fail_reason: null, eta: null });
    expect(await t.pods(`gpudeploy.io/deployment-id=${id}`)).toBe(0);
    // within the release delay the GPUs stay reserved for a quick resume
    expect(await t.ledger(CONFIG)).toBe(12);
    // then given back exactly once, and the nodes released one by one
    await waitFor(() => t.ledger(CONFIG), (n) => n === 0, 'GPUs back in the ledger', 20_000);
    await waitFor(async () => liveInstances(t, GROUP).length, (n) => n === 0, 'every GPU node released', 20_000);
    expect(await t.nodeGroupDesiredSize(GROUP)).toBe(0);
    const pauseExecution = (await t.executions('scale')).find((e) => e.executionArn === pause.body.workflow.execution_arn);
    await waitFor(() => t.execution(pause.body.workflow.execution_arn), (e) => e.status !== 'RUNNING', 'pause execution ended', 10_000);
    expect((await t.execution(pauseExecution!.executionArn)).status).toBe('SUCCEEDED');
    expect(await t.ledger(CONFIG)).toBe(0);

    // another deployment takes every GPU: the resume is refused, nothing changes
    const hog = await t.api('POST', BASE, { body: qwenBody('hog', CONFIG, { catalog_id: 'Qwen-Qwen2.5-14B-Instruct', gpu_count: 4, replicas: 4 }) });
    expect(hog.status).toBe(201);
    const refused = await scale(id, 1);
    expect(refused.status).toBe(409);
    expect(refused.body.message).toContain('16 of 16 GPUs reserved');
    expect((await get(id)).body).toMatchObject({ phase: 'paused', replicas: 0 });
    await untilPhase(hog.body.id, 'ready');
    expect((await t.api('DELETE', `${BASE}/${hog.body.id}`)).status).toBe(204);
    await waitFor(() => get(hog.body.id), (r) => r.status === 404, 'hog deleted', 20_000);
    expect(await t.ledger(CONFIG)).toBe(0);

    const resumedAt = Date.now();
    const resume = await scale(id, 1);
    expect(resume.status, JSON.stringify(resume.body)).toBe(200);
    expect(await t.ledger(CONFIG)).toBe(4);
    const ready = await untilPhase(id, 'ready', 1);
    expect(ready.body.status).toBe('ready');
    expect(ready.body.endpoint_url).toBe(`${t.cloud.gatewayUrl}/orgs/${ORG}/projects/${PROJECT}/aimodels/${id}/v1`);
    expect(liveInstances(t, GROUP)).toHaveLength(1); // re-provisioned
    // uptime counts from the resume, not from the first deploy
    expect(ready.body.uptime_seconds).toBeLessThanOrEqual(Math.ceil((Date.now() - resumedAt) / 1000));

    // the hand calculation, from the deployment's own history
    const events = await eventsOf(id);
    const readyAt = events.filter((e) => e.type === 'ready').map((e) => Date.parse(e.at));
    const pausedAt = events.filter((e) => e.type === 'paused').map((e) => Date.parse(e.at));
    expect(readyAt).toHaveLength(3); // deploy, scale to 3, resume
    expect(pausedAt).toHaveLength(1);
    const [t1, t2, t4] = readyAt as [number, number, number];
    const [t3] = pausedAt as [number];
    const usage = await t.api('GET', `${BASE}/${id}/usage`);
    expect(usage.status).toBe(200);
    const end = Date.parse(usage.body.as_of);
    const servingMs = t3 - t1 + (end - t4);
    const gpuMs = 4 * (t2 - t1) + 12 * (t3 - t2) + 4 * (end - t4);
    expect(usage.body).toMatchObject({
      serving_seconds: Math.floor(servingMs / 1000),
      gpu_seconds: Math.floor(gpuMs / 1000),
      cost_to_date: Math.round(((gpuMs / 1000) * PRICE * 10_000) / 3600) / 10_000,
      unit_price: PRICE,
      currency: 'USD',
      serving_since: new Date(t4).toISOString(),
    });
    const days: { serving_seconds: number }[] = usage.body.days;
    expect(days.length).toBeGreaterThanOrEqual(1);
    // the deployment view carries the same figures (at its own instant: never less)
    const view = (await get(id)).body;
    expect(view.gpu_seconds).toBeGreaterThanOrEqual(usage.body.gpu_seconds);
    expect(view.serving_seconds).toBeGreaterThanOrEqual(usage.body.serving_seconds);

    expect((await t.api('DELETE', `${BASE}/${id}`)).status).toBe(204);
    await waitFor(() => get(id), (r) => r.status === 404, 'deleted', 20_000);
    expect(await t.ledger(CONFIG)).toBe(0);
  });
});

describe('scaling windows', () => {
  interface Report {
    items_read: number;
    claimed: number;
    scaled: { id: string; replicas: number }[];
    deferred: { id: string }[];
    errors: unknown[];
  }
  const sweepAt = (iso: string) => t.cloud.runSchedule('schedule-sweep', { time: new Date(iso) }) as Promise<Report>;

  it('pause at 20:00 and resume at 08:00 on weekdays in Europe/Berlin, once per window, a conflict retried at the next sweep', async () => {
    // 4 GPUs a replica: the manual scale to 2 below needs a second node to boot, so it is still running at the window
    const created = await t.api('POST', BASE, { body: qwenBody('office-hours', CONFIG, { catalog_id: 'Qwen-Qwen2.5-14B-Instruct', gpu_count: 4 }) });
    const id: string = created.body.id;
    await untilPhase(id, 'ready');
    const schedule = {
      time_zone: 'Europe/Berlin',
      windows: [
        { cron: '0 20 * * 1-5', replicas: 0 },
        { cron: '0 8 * * 1-5', replicas: 1 },
      ],
    };
    // validation names the field; a viewer may read but not write
    const bad = await t.api('PUT', `${BASE}/${id}/schedule`, { body: { ...schedule, time_zone: 'Europe/Atlantis' } });
    expect(bad).toMatchObject({ status: 400, body: { code: 'invalid_request', message: expect.stringContaining('time_zone') } });
    const viewer = await t.token({ role: 'viewer' });
    expect((await t.api('PUT', `${BASE}/${id}/schedule`, { token: viewer, body: schedule })).status).toBe(403);
    expect((await t.api('GET', `${BASE}/${id}/schedule`, { token: viewer })).status).toBe(404);

    const put = await t.api('PUT', `${BASE}/${id}/schedule`, { body: schedule });
    expect(put.status, JSON.stringify(put.body)).toBe(200);
    const read = await t.api('GET', `${BASE}/${id}/schedule`, { token: viewer });
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({ ...schedule, idle_timeout_minutes: null, next_check_at: read.body.next_windows[0].at });

    // The test's clock: the first weekday window after now, in Berlin.
    const windows: { at: string; replicas: number }[] = read.body.next_windows;
    const evening = windows.find((w) => w.replicas === 0)!;
    const morning = windows.find((w) => w.replicas === 1 && Date.parse(w.at) > Date.parse(evening.at))!;
    const plus = (iso: string, ms: number) => new Date(Date.parse(iso) + ms).toISOString();

    // a minute before: at most the earlier morning window was due (1 replica: it has 1 already)
    const before = await sweepAt(plus(evening.at, -60_000));
    expect(before).toMatchObject({ items_read: windows[0]!.replicas === 1 ? 1 : 0, scaled: [], deferred: [], errors: [] });
    expect(await sweepAt(plus(evening.at, -30_000))).toMatchObject({ items_read: 0, scaled: [] });

    // a manual scale is running at the evening window: the window waits for the next sweep
    expect((await scale(id, 2)).status).toBe(200);
    const deferred = await sweepAt(evening.at);
    expect(deferred).toMatchObject({ claimed: 1, scaled: [], errors: [] });
    expect(deferred.deferred.map((d) => d.id)).toEqual([id]);
    await untilPhase(id, 'ready', 2);

    const fired = await sweepAt(plus(evening.at, 60_000));
    expect(fired.scaled).toEqual([expect.objectContaining({ id, replicas: 0 })]);
    await untilPhase(id, 'paused');
    // the same window never fires twice: two more sweeps of that minute at once find nothing due
    const again = await Promise.all([sweepAt(plus(evening.at, 60_000)), sweepAt(plus(evening.at, 90_000))]);
    expect(again.flatMap((r) => r.scaled)).toEqual([]);

    // two sweeps racing on the morning window: exactly one resume
    const { sweepSchedules } = await import('../../functions/scheduled/schedule-sweep');
    const raced = await Promise.all([sweepSchedules(new Date(morning.at)), sweepSchedules(new Date(morning.at))]);
    expect(raced.flatMap((r) => r.scaled)).toEqual([expect.objectContaining({ id, replicas: 1 })]);
    expect(raced.reduce((n, r) => n + r.claimed, 0)).toBe(1);
    await untilPhase(id, 'ready', 1);
    const types = (await eventsOf(id)).map((e) => e.type);
    expect(types.filter((x) => x === 'pause_requested')).toHaveLength(1);
    expect(types.filter((x) => x === 'resume_requested')).toHaveLength(1);

    expect((await t.api('DELETE', `${BASE}/${id}/schedule`)).status).toBe(204);
    expect((await t.api('GET', `${BASE}/${id}/schedule`)).status).toBe(404);
    expect(await sweepAt(plus(morning.at, 12 * 3600_000))).toMatchObject({ items_read: 0 });
    expect((await t.api('DELETE', `${BASE}/${id}`)).status).toBe(204);
    await waitFor(() => get(id), (r) => r.status === 404, 'deleted', 20_000);
  });
});
