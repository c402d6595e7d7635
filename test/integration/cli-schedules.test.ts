/**
 * gpuctl's pause/resume, schedule and usage commands as a user runs them: the real bin
 * (bin/gpuctl.mjs) as a child process against a local cloud. The sweeper does not run here
 * (cron off), so a schedule stays exactly as gpuctl stored it and nothing pauses on its own.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { qwenBody } from '../support/failures';
import { BASE, startTestCloud, waitFor, type TestCloud } from '../support/local-cloud';
import { runGpuctl } from '../support/gpuctl';

let t: TestCloud;
let home: string;
let config: string;

const gpuctl = (args: string[], input = '') => runGpuctl(args, { home, config }, input);
let id: string;

const WAIT = ['--wait', '--interval', '0.1', '--timeout', '60'];

beforeAll(async () => {
  t = await startTestCloud(0.01, { cron: false });
  home = mkdtempSync(join(tmpdir(), 'gpuctl-sched-'));
  config = join(home, 'gpuctl.json');
  const login = await gpuctl(['login', '--api-url', t.cloud.apiUrl], `${t.defaultToken}\n`);
  expect(login, login.stderr).toMatchObject({ code: 0 });
  const created = await t.api('POST', BASE, { body: qwenBody('cli-sched') });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  id = created.body.id;
  // Serving for a couple of seconds first, so usage has whole seconds to show.
  await waitFor(() => t.api('GET', `${BASE}/${id}`), (r) => r.body.status === 'ready' && r.body.serving_seconds >= 2, `${id} serving 2 s`, 30_000);
});
afterAll(async () => {
  await t?.close();
  rmSync(home, { recursive: true, force: true });
});

describe('gpuctl pause and resume', () => {
  it('scale 0 --wait pauses, resume --wait serves again, pause is scale 0 by another name', async () => {
    const paused = await gpuctl(['scale', id, '0', ...WAIT]);
    expect(paused, paused.stderr).toMatchObject({ code: 0, stdout: `${id} paused: 0 replicas, no endpoint (gpuctl resume ${id})\n` });
    expect(paused.stderr).toContain(`${id} initializing/paused replicas=0`);
    // The deploy's milestones are history, not progress of the pause.
    expect(paused.stderr).not.toContain('milestone');
    expect((await t.api('GET', `${BASE}/${id}`)).body).toMatchObject({ status: 'initializing', phase: 'paused', replicas: 0, endpoint_url: null });

    const resumed = await gpuctl(['resume', id, ...WAIT]);
    expect(resumed, resumed.stderr).toMatchObject({ code: 0 });
    const stored = (await t.api('GET', `${BASE}/${id}`)).body;
    expect(stored).toMatchObject({ status: 'ready', phase: 'ready', replicas: 1 });
    expect(resumed.stdout).toBe(`${id} serves 1 replicas: ${stored.endpoint_url}\n`);

    const json = await gpuctl(['pause', id, ...WAIT, '-o', 'json']);
    expect(json, json.stderr).toMatchObject({ code: 0 });
    expect(JSON.parse(json.stdout)).toMatchObject({ id, status: 'initializing', phase: 'paused', replicas: 0 });
    // More replicas than the API allows: its refusal, exit 1, and the deployment stays paused.
    const again = await gpuctl(['resume', id, '--replicas', '99']);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/^gpuctl: .*replicas.* \(invalid_request, HTTP 400\)\n$/);
    expect((await t.api('GET', `${BASE}/${id}`)).body).toMatchObject({ phase: 'paused', replicas: 0 });
    // Pausing what is paused changes nothing, and says so.
    expect(await gpuctl(['pause', id])).toMatchObject({ code: 0, stdout: `${id} is paused\n` });
  });

  it('get shows serving time, GPU-seconds and cost to date', async () => {
    const stored = (await t.api('GET', `${BASE}/${id}`)).body; // paused: the figures stand still
    expect(stored.serving_seconds).toBeGreaterThanOrEqual(2);
    const get = await gpuctl(['get', id]);
    expect(get.code).toBe(0);
    expect(get.stdout).toMatch(new RegExp(`^serving +.*${stored.serving_seconds} s.* in total$`, 'm'));
    expect(get.stdout).toMatch(new RegExp(`^gpu_seconds +${stored.gpu_seconds}$`, 'm'));
    expect(get.stdout).toMatch(new RegExp(`^cost_to_date +${stored.cost_to_date.toFixed(4)} `, 'm'));
  });
});

describe('gpuctl usage', () => {
  it('prints one row per UTC day and the totals, and -o json as the API answers', async () => {
    const api = (await t.api('GET', `${BASE}/${id}/usage`)).body; // paused: only as_of moves
    expect(api.days.length).toBeGreaterThan(0);
    const usage = await gpuctl(['usage', id]);
    expect(usage, usage.stderr).toMatchObject({ code: 0 });
    const lines = usage.stdout.trim().split('\n');
    expect(lines[0]).toMatch(new RegExp(`^${id} as of \\S+: not serving \\(0 replica\\(s\\) of 1 GPU\\(s\\)\\); ${api.unit_price} USD per GPU-hour$`));
    expect(lines[2]).toMatch(/^DAY \(UTC\)\s+SERVING\s+GPU_SECONDS\s+COST$/);
    for (const day of api.days) {
      expect(usage.stdout).toMatch(new RegExp(`^${day.date}\\s+.*${day.serving_seconds} s.*\\s${day.gpu_seconds}\\s+${day.cost_to_date.toFixed(4)} USD$`, 'm'));
    }
    expect(lines.at(-1)).toMatch(new RegExp(`^TOTAL\\s+.*${api.serving_seconds} s.*\\s${api.gpu_seconds}\\s+${api.cost_to_date.toFixed(4)} USD$`));
    const json = JSON.parse((await gpuctl(['usage', id, '-o', 'json'])).stdout);
    expect({ ...json, as_of: undefined }).toEqual({ ...api, as_of: undefined });
  });
});

describe('gpuctl schedule', () => {
  it('sets a schedule from flags, shows each window with its next fire, and -o json is the API\'s answer', async () => {
    const set = await gpuctl(['schedule', 'set', id, '--timezone', 'Europe/Berlin', '--window', '0 20 * * 1-5=0', '--window', '0 8 * * 1-5=1', '--idle-timeout', '60']);
    expect(set, set.stderr).toMatchObject({ code: 0 });
    const api = (await t.api('GET', `${BASE}/${id}/schedule`)).body;
    expect(api).toMatchObject({
      time_zone: 'Europe/Berlin',
      windows: [
        { cron: '0 20 * * 1-5', replicas: 0 },
        { cron: '0 8 * * 1-5', replicas: 1 },
      ],
      idle_timeout_minutes: 60,
    });
    const get = await gpuctl(['schedule', 'get', id]);
    expect(get.code).toBe(0);
    expect(get.stdout).toContain('time zone     Europe/Berlin\nidle timeout  60 min');
    expect(get.stdout).toMatch(/^CRON\s+TIME_ZONE\s+REPLICAS\s+NEXT_FIRE_UTC\s+NEXT_FIRE_LOCAL$/m);
    // Each window's next fire is the API's next fire with its replicas (the two differ in replicas).
    for (const [cron, replicas, shown, hour] of [['0 20 \\* \\* 1-5', 0, '0 \\(pause\\)', '20:00'], ['0 8 \\* \\* 1-5', 1, '1', '08:00']] as const) {
      const next = api.next_windows.find((w: { replicas: number }) => w.replicas === replicas).at.replace('.000Z', '');
      expect(get.stdout).toMatch(new RegExp(`^${cron}\\s+Europe/Berlin\\s+${shown}\\s+${next}\\S*\\s+\\w{3} \\d{4}-\\d\\d-\\d\\d ${hour} UTC\\+[12]$`, 'm'));
    }
    const json = await gpuctl(['schedule', 'get', id, '-o', 'json']);
    expect(JSON.parse(json.stdout)).toEqual(api);
  });

  it('sets a schedule from a YAML file, flags overriding it', async () => {
    const file = join(home, 'schedule.yaml');
    writeFileSync(file, ['time_zone: America/New_York', 'windows:', '  - cron: "30 18 * * *"', '    replicas: 0', 'idle_timeout_minutes: 30', ''].join('\n'));
    const set = await gpuctl(['schedule', 'set', id, '-f', file, '--timezone', 'UTC', '-o', 'json']);
    expect(set, set.stderr).toMatchObject({ code: 0 });
    expect(JSON.parse(set.stdout)).toMatchObject({ time_zone: 'UTC', windows: [{ cron: '30 18 * * *', replicas: 0 }], idle_timeout_minutes: 30 });
    expect((await t.api('GET', `${BASE}/${id}/schedule`)).body).toMatchObject({ time_zone: 'UTC', windows: [{ cron: '30 18 * * *', replicas: 0 }], idle_timeout_minutes: 30 });
  });

  it('refuses a bad cron with the API\'s message (exit 1) and keeps the schedule; a malformed --window is a usage error (exit 2)', async () => {
    const before = (await t.api('GET', `${BASE}/${id}/schedule`)).body;
    const direct = await t.api('PUT', `${BASE}/${id}/schedule`, { body: { time_zone: 'UTC', windows: [{ cron: '61 * * * *', replicas: 0 }] } });
    expect(direct.status).toBe(400);
    const bad = await gpuctl(['schedule', 'set', id, '--timezone', 'UTC', '--window', '61 * * * *=0']);
    expect(bad).toMatchObject({ code: 1, stdout: '', stderr: `gpuctl: ${direct.body.message} (invalid_request, HTTP 400)\n` });
    expect(direct.body.message).toContain('windows.0.cron');
    const zone = await gpuctl(['schedule', 'set', id, '--timezone', 'Mars/Olympus', '--window', '0 8 * * *=1']);
    expect(zone.code).toBe(1);
    expect(zone.stderr).toContain("time_zone 'Mars/Olympus' is not a known IANA time zone");
    const malformed = await gpuctl(['schedule', 'set', id, '--timezone', 'UTC', '--window', '0 8 * * *']);
    expect(malformed.code).toBe(2);
    expect(malformed.stderr).toContain('must be "<cron>=<replicas>"');
    expect((await gpuctl(['schedule', 'set', id])).code).toBe(2);
    const after = (await t.api('GET', `${BASE}/${id}/schedule`)).body;
    expect({ ...after, next_windows: undefined }).toEqual({ ...before, next_windows: undefined });
  });

  it('deletes the schedule; get then answers the API\'s 404 (exit 1)', async () => {
    const remove = await gpuctl(['schedule', 'delete', id]);
    expect(remove, remove.stderr).toMatchObject({ code: 0, stdout: `${id} has no schedule now\n` });
    expect((await t.api('GET', `${BASE}/${id}/schedule`)).status).toBe(404);
    const get = await gpuctl(['schedule', 'get', id]);
    expect(get).toMatchObject({ code: 1, stderr: `gpuctl: deployment '${id}' has no schedule (not_found, HTTP 404)\n` });
  });
});
