/**
 * gpuctl as a user runs it: the real bin (bin/gpuctl.mjs) as a child process against a local
 * cloud, logged in with a dev token piped on stdin. A deployment's whole life (deploy --wait,
 * scale --wait, logs, events, delete --wait), and the exit codes of the ways it can go wrong.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BASE, startTestCloud, waitFor, type TestCloud } from '../support/local-cloud';
import { GPUCTL_BIN, runGpuctl } from '../support/gpuctl';

const QWEN = 'Qwen-Qwen2.5-0.5B-Instruct';

let t: TestCloud;
let home: string;
let config: string;

const gpuctl = (args: string[], input = '', env: Record<string, string> = {}) => runGpuctl(args, { home, config }, input, env);

beforeAll(async () => {
  t = await startTestCloud(0.01);
  home = mkdtempSync(join(tmpdir(), 'gpuctl-home-'));
  config = join(home, 'gpuctl.json');
});
afterAll(async () => {
  await t?.close();
  rmSync(home, { recursive: true, force: true });
});

describe('gpuctl', () => {
  it('logs in with a token piped on stdin (npm run token output) and keeps it in a private config file', async () => {
    const login = await gpuctl(['login', '--api-url', t.cloud.apiUrl], `${t.defaultToken}\n`);
    expect(login, login.stderr).toMatchObject({ code: 0 });
    expect(login.stdout).toContain('org org-acme, projects prj-web');
    expect(JSON.parse(readFileSync(config, 'utf8'))).toEqual({ api_url: t.cloud.apiUrl, token: t.defaultToken });
    expect(statSync(config).mode & 0o777).toBe(0o600);
  });

  it('refuses a token the API does not accept (exit 1, with the API\'s message) and keeps the old login', async () => {
    const bad = await gpuctl(['login', '--api-url', t.cloud.apiUrl, '--token', 'not-a-jwt']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^gpuctl: .+ \(unauthorized, HTTP 401\)\n$/);
    expect(JSON.parse(readFileSync(config, 'utf8')).token).toBe(t.defaultToken);
  });

  it('prints catalog and inventory as tables, and -o json as the API\'s answer unchanged', async () => {
    const catalog = await gpuctl(['catalog']);
    expect(catalog.code).toBe(0);
    expect(catalog.stdout.split('\n')[0]).toMatch(/^ID\s+NAME\s+PARAMS/);
    expect(catalog.stdout).toContain(QWEN);
    const json = await gpuctl(['inventory', '-o', 'json']);
    expect(JSON.parse(json.stdout)).toEqual((await t.api('GET', '/api/v1beta1/inventory')).body);
  });

  it('deploys, scales, shows logs and events, and deletes one deployment, waiting for each step', async () => {
    // Only name and model: GPU, region and plan come from the catalog's recommendation and the inventory.
    const deploy = await gpuctl(['deploy', '--name', 'cli-demo', '--catalog-id', QWEN, '--wait', '--interval', '0.1']);
    expect(deploy, deploy.stderr).toMatchObject({ code: 0 });
    const [, id, endpoint] = /^(dep-[a-z0-9]+) ready: (\S+)\n$/.exec(deploy.stdout) ?? [];
    expect(id, deploy.stdout).toBeDefined();
    // Not a terminal: one line per change, the milestones as they appeared, then the ready status
    // (the timeline never follows the line that says ready).
    const progress = deploy.stderr.trim().split('\n');
    expect(progress[0]).toBe(`${id} (cli-demo) accepted; waiting until ready`);
    expect(progress.some((line) => line.includes(`${id} initializing/`))).toBe(true);
    expect(progress.at(-2)).toMatch(new RegExp(`^\\[\\d+s\\] ${id} milestone ready \\+\\d+s$`));
    expect(progress.at(-1)).toMatch(new RegExp(`^\\[\\d+s\\] ${id} ready/ready replicas=1$`));
    expect(progress.findIndex((line) => line.includes(' ready/'))).toBe(progress.length - 1);
    const milestones = progress.map((line) => / milestone (\w+) /.exec(line)?.[1]).filter(Boolean);
    expect(milestones).toEqual(['accepted', 'capacity_reserved', 'nodes_ready', 'scheduled', 'image_pulled', 'model_loading', 'ready']);
    const stored = (await t.api('GET', `${BASE}/${id}`)).body;
    expect(stored).toMatchObject({ status: 'ready', endpoint_url: endpoint, gpu_config_id: 'l4-24gb', plan_id: 'plan-l4-24gb-ondemand', region: 'us-east-1' });

    const list = await gpuctl(['list']);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(new RegExp(`^${id}\\s+cli-demo\\s+Qwen/Qwen2.5-0.5B-Instruct\\s+ready\\s+ready\\s+1\\s+1xl4-24gb`, 'm'));

    const get = await gpuctl(['get', id!, '-o', 'json']);
    expect(JSON.parse(get.stdout)).toMatchObject({ id, status: 'ready', replicas: 1 });

    const scale = await gpuctl(['scale', id!, '2', '--wait', '--interval', '0.1']);
    expect(scale, scale.stderr).toMatchObject({ code: 0, stdout: `${id} serves 2 replicas: ${endpoint}\n` });
    expect(scale.stderr).toContain(`${id} ready/scaling replicas=2`);
    expect((await t.api('GET', `${BASE}/${id}`)).body).toMatchObject({ replicas: 2, phase: 'ready' });

    // Two pods: each line prefixed with its pod, the vLLM server's start in each.
    await waitFor(() => gpuctl(['logs', id!]), (r) => (r.stdout.match(/vLLM API server version/g) ?? []).length === 2, 'both pods logging', 20_000, 200);
    const logs = await gpuctl(['logs', id!, '--tail', '5']);
    expect(logs.code).toBe(0);
    const lines = logs.stdout.trim().split('\n');
    expect(lines.length).toBeLessThanOrEqual(10);
    expect(lines.every((line) => /^\[model-[a-z0-9-]+\] /.test(line))).toBe(true);

    const events = await gpuctl(['events', id!, '--all']);
    expect(events.code).toBe(0);
    expect(events.stdout).toMatch(/^AT\s+TYPE\s+STATUS\s+PHASE\s+MESSAGE/);
    expect(events.stdout).toContain('scale_requested');

    const remove = await gpuctl(['delete', id!, '--wait', '--interval', '0.1']);
    expect(remove, remove.stderr).toMatchObject({ code: 0, stdout: `${id} deleted\n` });
    const gone = await gpuctl(['get', id!]);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toMatch(/\(not_found, HTTP 404\)/);
  });

  it('follows logs, printing each new line once', async () => {
    const created = await t.api('POST', BASE, { body: { name: 'cli-follow', catalog_id: QWEN, region: 'us-east-1', gpu_config_id: 'l4-24gb', gpu_count: 1, plan_id: 'plan-l4-24gb-ondemand' } });
    expect(created.status).toBe(201);
    const id: string = created.body.id;
    const child = spawn(process.execPath, [GPUCTL_BIN, 'logs', id, '--follow', '--interval', '0.1', '--tail', '1000'], { env: { PATH: process.env.PATH ?? '', HOME: home, GPUCTL_CONFIG: config } });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    // Follows the pod from its first lines until vLLM is serving.
    await waitFor(async () => out, (text) => text.includes('Application startup complete'), 'the followed log to reach startup', 30_000, 100);
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('close', resolve));
    // Exactly the pod's log so far, in order: no line twice (health checks repeat the same
    // text, so this is about the overlap, not uniqueness), none skipped.
    const lines = out.trim().split('\n');
    const log = (await t.api('GET', `${BASE}/${id}/logs?tail_lines=5000`)).body.pods[0].log.trimEnd().split('\n');
    expect(lines[0]).toMatch(/Automatically detected platform/);
    expect(lines).toEqual(log.slice(0, lines.length));
    await t.api('DELETE', `${BASE}/${id}`);
  });

  it('deploys from a YAML spec file or JSON on stdin, flags overriding the spec (here as dry runs)', async () => {
    const spec = join(home, 'spec.yaml');
    writeFileSync(spec, ['# a deploy request', 'name: cli-spec', `catalog_id: ${QWEN}`, 'gpu_config_id: a10g-24gb', 'replicas: 1', 'config:', '  max_model_len: 4096', ''].join('\n'));
    const body = { name: 'cli-spec', catalog_id: QWEN, gpu_config_id: 'a10g-24gb', replicas: 3, config: { max_model_len: 4096 }, gpu_count: 1, region: 'us-east-1', plan_id: 'plan-a10g-24gb-ondemand' };
    const expected = (await t.api('POST', `${BASE}?dry_run=true`, { body })).body;
    const fromYaml = await gpuctl(['deploy', '-f', spec, '--replicas', '3', '--dry-run', '-o', 'json']);
    expect(fromYaml, fromYaml.stderr).toMatchObject({ code: 0 });
    expect(JSON.parse(fromYaml.stdout)).toEqual(expected);
    const fromStdin = await gpuctl(['deploy', '-f', '-', '--dry-run', '-o', 'json'], JSON.stringify(body));
    expect(JSON.parse(fromStdin.stdout)).toEqual(expected);
    const table = await gpuctl(['deploy', '-f', spec, '--dry-run']);
    expect(table.stdout).toMatch(/^would be accepted: yes\ncapacity: node group gpu-a10g-24gb/);
    const broken = join(home, 'broken.yaml');
    writeFileSync(broken, 'name: [unclosed\n');
    const bad = await gpuctl(['deploy', '-f', broken]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^gpuctl: .*broken\.yaml is not YAML or JSON: /);
  });

  it('reports the API\'s message for a bad gpu_config_id with exit 1, and deploys nothing', async () => {
    const direct = await t.api('POST', BASE, { body: { name: 'cli-bad', catalog_id: QWEN, region: 'us-east-1', gpu_config_id: 'h900-999gb', plan_id: 'p' } });
    expect(direct.status).toBe(400);
    const before = (await t.records()).length;
    const bad = await gpuctl(['deploy', '--name', 'cli-bad', '--catalog-id', QWEN, '--gpu-config-id', 'h900-999gb', '--region', 'us-east-1', '--plan-id', 'p', '--wait']);
    expect(bad).toMatchObject({ code: 1, stdout: '', stderr: `gpuctl: ${direct.body.message} (invalid_request, HTTP 400)\n` });
    expect((await t.records()).length).toBe(before);
  });

  it('exits 3 when the deployment fails while --wait waits, naming the reason', async () => {
    const tenant = await t.tenant('prj-clifail');
    await t.addFault({ match: { label: 'gpudeploy.io/project=prj-clifail' }, fault: 'crash_loop' });
    const failed = await gpuctl(['deploy', '--name', 'cli-crash', '--catalog-id', QWEN, '--wait', '--interval', '0.1', '--token', tenant.token]);
    expect(failed.code, failed.stderr).toBe(3);
    expect(failed.stderr).toMatch(/gpuctl: deployment dep-[a-z0-9]+ failed: \w+/);
  });

  it('exits 2 on usage errors and 4 when the API cannot be reached', async () => {
    expect((await gpuctl(['deploy', '--catalog-id', QWEN])).code).toBe(2);
    const unknown = await gpuctl(['list', '--bogus']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("unknown option '--bogus'");
    expect((await gpuctl(['scale', 'dep-x', 'many'])).code).toBe(2);
    const notLoggedIn = await gpuctl(['list'], '', { GPUCTL_CONFIG: join(home, 'none.json') });
    expect(notLoggedIn).toMatchObject({ code: 2, stderr: 'gpuctl: not logged in: run gpuctl login (or pass --token)\n' });
    const down = await gpuctl(['list', '--api-url', 'http://127.0.0.1:9']);
    expect(down.code).toBe(4);
    expect(down.stderr).toMatch(/^gpuctl: cannot reach the API at http:\/\/127\.0\.0\.1:9: /);
    expect((await gpuctl(['--help'])).code).toBe(0);
  });
});
