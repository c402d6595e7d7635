/**
 * gpuctl's commands for the routes beyond a deployment's life cycle, as a user runs them (the
 * real bin as a child process against a local cloud): recipes and deploy --recipe, models and
 * prompt, the scale range, catalog administration, apply -f (a Deployment manifest), inference
 * keys, and the API's own description. Each is checked against what the API answers directly.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BASE, startTestCloud, type TestCloud } from '../support/local-cloud';
import { runGpuctl } from '../support/gpuctl';

const CATALOG = '/api/v1beta1/aimodels-catalog';
const WAIT = ['--wait', '--interval', '0.1', '--timeout', '60'];

let t: TestCloud;
let home: string;
let config: string;

const gpuctl = (args: string[], input = '', env: Record<string, string> = {}) => runGpuctl(args, { home, config }, input, env);
let id: string;

beforeAll(async () => {
  t = await startTestCloud(0.01, { cron: false });
  home = mkdtempSync(join(tmpdir(), 'gpuctl-routes-'));
  config = join(home, 'gpuctl.json');
  const login = await gpuctl(['login', '--api-url', t.cloud.apiUrl], `${t.defaultToken}\n`);
  expect(login, login.stderr).toMatchObject({ code: 0 });
});
afterAll(async () => {
  await t?.close();
  rmSync(home, { recursive: true, force: true });
});

describe('gpuctl recipes, models and prompt', () => {
  it('lists the recipes and deploys one by name, waiting until ready', async () => {
    const recipes = await gpuctl(['recipes']);
    expect(recipes.code).toBe(0);
    expect(recipes.stdout).toMatch(/^NAME\s+MODEL\s+GPUS\s+REPLICAS\s+MAX_MODEL_LEN\s+AVAILABLE\s+DESCRIPTION\n/);
    expect(recipes.stdout).toMatch(/^inference\/vllm\s+Qwen-Qwen2\.5-0\.5B-Instruct\s+1xl4-24gb\s+1\s+\d+\s+yes/m);
    expect(JSON.parse((await gpuctl(['recipes', '-o', 'json'])).stdout)).toEqual((await t.api('GET', '/api/v1beta1/recipes')).body);

    const deploy = await gpuctl(['deploy', '--recipe', 'inference/vllm', '--name', 'cli-recipe', ...WAIT]);
    expect(deploy, deploy.stderr).toMatchObject({ code: 0 });
    id = /^(dep-[a-z0-9]+) ready: /.exec(deploy.stdout)?.[1] ?? '';
    expect((await t.api('GET', `${BASE}/${id}`)).body).toMatchObject({ name: 'cli-recipe', model_id: 'Qwen/Qwen2.5-0.5B-Instruct', gpu_config_id: 'l4-24gb', status: 'ready' });
    expect((await gpuctl(['deploy', '--recipe', 'inference/vllm'])).code).toBe(2);
  });

  it('lists the served models and answers a prompt from arguments or stdin', async () => {
    const models = await gpuctl(['models', id]);
    expect(models, models.stderr).toMatchObject({ code: 0 });
    expect(models.stdout).toMatch(/^ID\s+ROOT\s+MAX_MODEL_LEN\s+OWNED_BY\ncli-recipe\s+Qwen\/Qwen2\.5-0\.5B-Instruct\s+\d+\s+vllm\n$/);
    expect(JSON.parse((await gpuctl(['models', id, '-o', 'json'])).stdout)).toEqual((await t.api('GET', `${BASE}/${id}/models`)).body);

    const chat = await gpuctl(['prompt', id, 'Tell', 'me', 'a', 'joke']);
    expect(chat, chat.stderr).toMatchObject({ code: 0 });
    expect(chat.stdout).toContain('You said: Tell me a joke');
    expect(chat.stderr).toMatch(/^\(cli-recipe, chat, finish \w+, \d+\+\d+ tokens\)\n$/);
    const completion = await gpuctl(['prompt', id, '--mode', 'completion', '--max-tokens', '4', '-o', 'json'], 'Write a haiku\n');
    expect(JSON.parse(completion.stdout)).toMatchObject({ deployment_id: id, mode: 'completion', answer: 'This is cli-', finish_reason: 'length', usage: { completion_tokens: 4 } });
    const refused = await gpuctl(['prompt', id, 'hi', '--model', 'no-such-model']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^gpuctl: .+ \(invalid_request, HTTP 400\)\n$/);
  });

  it('shows and sets the scale range; the API refuses a range without the current replicas', async () => {
    expect(await gpuctl(['autoscaling', 'get', id])).toMatchObject({ code: 0, stdout: `${id}: no scale range set (replicas 0 to 16; now 1)\n` });
    const set = await gpuctl(['autoscaling', 'set', id, '--min', '1', '--max', '3']);
    expect(set, set.stderr).toMatchObject({ code: 0, stdout: `${id}: 1 to 3 replicas (now 1)\n` });
    expect((await t.api('GET', `${BASE}/${id}`)).body.autoscaling).toEqual({ min_replicas: 1, max_replicas: 3 });
    expect(JSON.parse((await gpuctl(['autoscaling', 'get', id, '-o', 'json'])).stdout)).toEqual({ id, replicas: 1, autoscaling: { min_replicas: 1, max_replicas: 3 } });
    const narrow = await gpuctl(['autoscaling', 'set', id, '--min', '2', '--max', '3']);
    expect(narrow.code).toBe(1);
    expect(narrow.stderr).toMatch(/^gpuctl: .+ \(\w+, HTTP (400|409)\)\n$/);
    const outside = await gpuctl(['scale', id, '5']);
    expect(outside.code).toBe(1);
    expect(outside.stderr).toContain('replicas');
    expect((await gpuctl(['autoscaling', 'set', id, '--min', '3', '--max', '2'])).code).toBe(2);
    expect((await t.api('GET', `${BASE}/${id}`)).body.autoscaling).toEqual({ min_replicas: 1, max_replicas: 3 });
  });
});

describe('gpuctl catalog administration', () => {
  const phi = {
    model_id: 'microsoft/Phi-3-mini-4k-instruct',
    name: 'Phi-3 Mini 4k Instruct',
    vendor: 'Microsoft',
    parameters_billion: 3.8,
    dtype: 'bfloat16',
    architecture: { num_layers: 32, num_kv_heads: 32, head_dim: 96 },
    configurations: { max_model_len: { min: 512, max: 4096, default: 4096 }, max_num_seqs: { min: 1, max: 128, default: 32 } },
    recommended_gpu: { gpu_config_id: 'l4-24gb', gpu_count: 1 },
  };
  const PHI_ID = 'microsoft-Phi-3-mini-4k-instruct';

  it('adds, updates and retires a model as an admin; others get the API\'s 403', async () => {
    const admin = await t.token({ role: 'admin' });
    const file = join(home, 'phi.yaml');
    writeFileSync(file, stringify(phi));

    const forbidden = await gpuctl(['catalog', 'add', '-f', file]);
    expect(forbidden).toMatchObject({ code: 1, stdout: '' });
    expect(forbidden.stderr).toMatch(/only role admin.* \(forbidden, HTTP 403\)\n$/);

    const added = await gpuctl(['catalog', 'add', '-f', file, '--token', admin]);
    expect(added, added.stderr).toMatchObject({ code: 0 });
    expect(added.stdout).toMatch(new RegExp(`^added to the catalog:\\nid\\s+${PHI_ID}\\n`));
    expect(added.stdout).toContain('recommended   1xl4-24gb');
    expect((await gpuctl(['catalog'])).stdout).toMatch(new RegExp(`^${PHI_ID}\\s+Phi-3 Mini 4k Instruct\\s+3.8B`, 'm'));

    const updated = await gpuctl(['catalog', 'update', PHI_ID, '-f', '-', '--token', admin, '-o', 'json'], 'name: Phi-3 Mini\ntags: [chat]\n');
    expect(updated, updated.stderr).toMatchObject({ code: 0 });
    expect(JSON.parse(updated.stdout)).toEqual((await t.api('GET', CATALOG)).body.items.find((m: { id: string }) => m.id === PHI_ID));
    expect(JSON.parse(updated.stdout)).toMatchObject({ id: PHI_ID, name: 'Phi-3 Mini', tags: ['chat'] });

    expect(await gpuctl(['catalog', 'retire', PHI_ID, '--token', admin])).toMatchObject({ code: 0, stdout: `${PHI_ID} retired: no new deploys (gpuctl catalog --include-retired lists it)\n` });
    expect((await gpuctl(['catalog'])).stdout).not.toContain(PHI_ID);
    const withRetired = await gpuctl(['catalog', '--include-retired', '--token', admin]);
    expect(withRetired.stdout).toMatch(new RegExp(`\\nretired: ${PHI_ID} \\(\\d{4}-\\d\\d-\\d\\dT[^)]+\\)\\n$`));
    const gone = await gpuctl(['catalog', 'retire', 'no-such-model', '--token', admin]);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toContain('HTTP 404');
  });
});

describe('gpuctl apply -f', () => {
  const manifest = (name: string, privileged = false) =>
    stringify({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name, labels: { app: name } },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: name } },
        template: {
          metadata: { labels: { app: name } },
          spec: {
            containers: [
              {
                name: 'server',
                image: 'vllm/vllm-openai:v0.10.2',
                command: ['vllm', 'serve', 'acme-research/tiny-chat-1b'],
                args: ['--served-model-name', name, '--port', '8000'],
                resources: { limits: { 'nvidia.com/gpu': 1 } },
                securityContext: { allowPrivilegeEscalation: false, runAsNonRoot: true, ...(privileged ? { privileged: true } : {}) },
              },
            ],
          },
        },
      },
    });

  it('deploys a Deployment manifest (plan from the inventory), as a dry run and for real, and shows a refusal\'s path', async () => {
    const file = join(home, 'model.yaml');
    writeFileSync(file, manifest('cli-yaml'));
    const expected = await t.api('POST', `${BASE}/yaml?gpu_config_id=l4-24gb&plan_id=plan-l4-24gb-ondemand&dry_run=true`, {
      rawBody: readFileSync(file, 'utf8'),
      headers: { 'content-type': 'application/yaml' },
    });
    expect(expected.status).toBe(200);
    const dry = await gpuctl(['apply', '-f', file, '--gpu-config-id', 'l4-24gb', '--dry-run', '-o', 'json']);
    expect(dry, dry.stderr).toMatchObject({ code: 0 });
    expect(JSON.parse(dry.stdout)).toEqual(expected.body);

    const applied = await gpuctl(['apply', '-f', '-', '--gpu-config-id', 'l4-24gb', ...WAIT], manifest('cli-yaml'));
    expect(applied, applied.stderr).toMatchObject({ code: 0 });
    const applyId = /^(dep-[a-z0-9]+) ready: /.exec(applied.stdout)?.[1];
    expect((await t.api('GET', `${BASE}/${applyId}`)).body).toMatchObject({ name: 'cli-yaml', status: 'ready', gpu_config_id: 'l4-24gb', plan_id: 'plan-l4-24gb-ondemand' });

    writeFileSync(file, manifest('cli-priv', true));
    const refused = await gpuctl(['apply', '-f', file, '--gpu-config-id', 'l4-24gb']);
    expect(refused).toMatchObject({ code: 1, stdout: '' });
    expect(refused.stderr).toMatch(/privileged.* \(invalid_request, HTTP 400\)\n$/);
    expect((await gpuctl(['apply', '-f', file, '--gpu-config-id', 'no-such-gpu'])).code).toBe(2);
    expect((await gpuctl(['apply', '-f', join(home, 'missing.yaml'), '--gpu-config-id', 'l4-24gb'])).code).toBe(2);
  });
});

describe('gpuctl keys', () => {
  const KEYS = BASE.replace(/\/aimodels$/, '/inference-keys');

  it('creates a key (the key alone on stdout), lists, gets, shows usage and revokes it', async () => {
    const create = await gpuctl(['keys', 'create', '--name', 'cli-key', '--deployment', id, '--rpm', '60', '--concurrency', '2']);
    expect(create, create.stderr).toMatchObject({ code: 0 });
    expect(create.stdout).toMatch(/^sk-ik[a-z2-7]{18}\.[A-Za-z0-9_-]{43}\n$/);
    const keyId = /^sk-(ik[a-z2-7]{18})\./.exec(create.stdout)![1]!;
    expect(create.stderr).toBe(`created ${keyId} (cli-key); the key below is shown only once\n`);
    expect((await t.api('GET', `${KEYS}/${keyId}`)).body).toMatchObject({ name: 'cli-key', deployment_ids: [id], limits: { requests_per_minute: 60, concurrent_requests: 2 } });

    const list = await gpuctl(['keys', 'list']);
    expect(list, list.stderr).toMatchObject({ code: 0 });
    expect(list.stdout).toMatch(/^ID\s+NAME\s+PREFIX\s+STATE\s+CREATED\s+EXPIRES\s+DEPLOYMENTS\s+LIMITS\n/);
    expect(list.stdout).toMatch(new RegExp(`^${keyId}\\s+cli-key\\s+sk-ik\\w+\\s+active\\s+\\S+\\s+never\\s+${id}\\s+60 rpm, 2 concurrent$`, 'm'));
    expect(JSON.parse((await gpuctl(['keys', 'list', '-o', 'json'])).stdout)).toEqual((await t.api('GET', KEYS)).body);
    expect((await gpuctl(['keys', 'get', keyId])).stdout).toMatch(new RegExp(`^id\\s+${keyId}\n[\\s\\S]*^state\\s+active$`, 'm'));
    expect(await gpuctl(['keys', 'usage', keyId])).toMatchObject({ code: 0, stdout: `${keyId}: no requests metered yet\n` });
    for (const run of [list, await gpuctl(['keys', 'get', keyId, '-o', 'json']), await gpuctl(['keys', 'usage', keyId, '-o', 'json'])]) {
      expect(run.stdout).not.toContain(create.stdout.trim());
    }

    expect(await gpuctl(['keys', 'revoke', keyId])).toMatchObject({ code: 0, stdout: `${keyId} is revoked\n` });
    expect(await gpuctl(['keys', 'revoke', keyId])).toMatchObject({ code: 0 });
    expect((await t.api('GET', `${KEYS}/${keyId}`)).body.state).toBe('revoked');
    const bad = await gpuctl(['keys', 'create', '--name', 'x', '--deployment', 'dep-nosuch']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/deployment_ids\.0.+\(invalid_request, HTTP 400\)\n$/);
  });
});

describe('gpuctl openapi and api-docs', () => {
  it('prints the OpenAPI document and checks and saves the reference page, with no login', async () => {
    const noLogin = { GPUCTL_CONFIG: join(home, 'none.json') };
    const openapi = await gpuctl(['openapi', '--api-url', t.cloud.apiUrl], '', noLogin);
    expect(openapi, openapi.stderr).toMatchObject({ code: 0 });
    expect(JSON.parse(openapi.stdout)).toEqual((await t.api('GET', '/api/v1beta1/openapi.json', { token: null })).body);

    const page = join(home, 'api.html');
    const docs = await gpuctl(['api-docs', '--api-url', t.cloud.apiUrl, '--save', page], '', noLogin);
    expect(docs).toMatchObject({ code: 0, stdout: `${t.cloud.apiUrl}/api/v1beta1/docs saved to ${page}\n` });
    expect(readFileSync(page, 'utf8')).toMatch(/^<!doctype html>/i);
    expect(await gpuctl(['api-docs'])).toMatchObject({ code: 0, stdout: `${t.cloud.apiUrl}/api/v1beta1/docs\n` });
  });
});
