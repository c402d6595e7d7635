/**
 * A Hugging Face token given to the API appears nowhere it must not: not in any API response of
 * this test, not in any line the handlers log (stdout/stderr and console captured from before the
 * cloud starts, at DEBUG level so every log line is written), not in any execution's input,
 * output or full history (GetExecutionHistory with execution data, through the real SDK), and
 * not in plaintext on disk in the local Secrets Manager's file. Searched for as written and
 * base64-encoded (how a Kubernetes Secret carries it).
 *
 * Runnable on its own; the last line it prints is its figure for `npm run reliability`:
 *   secret-hygiene: searched N responses, M log lines, K history events: 0 hits
 */
import { DescribeExecutionCommand, SFNClient } from '@aws-sdk/client-sfn';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BASE, startTestCloud, waitFor, type TestCloud } from '../support/local-cloud';
import { captureProcessOutput } from '../support/output-capture';

const TOKEN = `hf_hygiene${Math.random().toString(36).slice(2)}Z9secretZ9`;
const NEEDLES = [TOKEN, Buffer.from(TOKEN, 'utf8').toString('base64')];

const output = captureProcessOutput();
const captured = output.captured;
const responses: string[] = [];

const hits = (texts: readonly string[]) => texts.filter((text) => NEEDLES.some((needle) => text.includes(needle)));

let t: TestCloud;
let sfn: SFNClient;

beforeAll(async () => {
  output.start();
  t = await startTestCloud(0.01, { cron: false });
  sfn = new SFNClient({ endpoint: t.cloud.sfnUrl, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
});
afterAll(async () => {
  sfn?.destroy();
  await t?.close();
  output.stop();
});

/** Every call of the test goes through here, so every answer is searched. */
const call = async (method: string, path: string, body?: unknown) => {
  const response = await t.api(method, path, body === undefined ? {} : { body });
  responses.push(`${response.status} ${JSON.stringify(response.body ?? null)}`);
  return response;
};

const customBody = (name: string, extra: Record<string, unknown> = {}) => ({
  name,
  huggingface_id: 'acme-research/private-chat-1b',
  region: 'us-east-1',
  gpu_config_id: 'l4-24gb',
  gpu_count: 1,
  plan_id: 'plan-l4-24gb-ondemand',
  hf_token: TOKEN,
  storage_size: '10Gi',
  ...extra,
});

const filesUnder = (dir: string): string[] =>
  readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });

describe('secret hygiene: the hf_token of a deploy', () => {
  it('is never in a response, a log line, an execution input/output/history, or plaintext on disk', async () => {
    // Refused requests that carry the token do not echo it.
    expect((await call('POST', BASE, customBody('bad-name', { command: ['vllm', 'serve', 'x/y', '--served-model-name', 'other'] }))).status).toBe(400);
    expect((await call('POST', BASE, { ...customBody('bad-both'), catalog_id: 'Qwen-Qwen2.5-0.5B-Instruct' })).status).toBe(400);
    // A dry run with a token plans a secret reference, not the token.
    const plan = await call('POST', `${BASE}?dry_run=true`, customBody('planned'));
    expect(plan.status).toBe(200);

    // A custom model and a gated catalog model, each with a token: deploy, read, scale, delete.
    const custom = await call('POST', BASE, customBody('private-chat'));
    expect(custom.status, JSON.stringify(custom.body)).toBe(201);
    const gated = await call('POST', BASE, {
      name: 'llama-gated',
      catalog_id: 'meta-llama-Llama-3.1-8B-Instruct',
      region: 'us-east-1',
      gpu_config_id: 'l4-24gb',
      gpu_count: 1,
      plan_id: 'plan-l4-24gb-ondemand',
      config: { max_model_len: 4096 },
      hf_token: TOKEN,
    });
    expect(gated.status, JSON.stringify(gated.body)).toBe(201);
    const ids: string[] = [custom.body.id, gated.body.id];
    for (const id of ids) {
      const ready = await waitFor(() => call('GET', `${BASE}/${id}`), (r) => r.body.status !== 'initializing', `${id} ready`, 30_000);
      expect(ready.body.status, JSON.stringify(ready.body)).toBe('ready');
      expect(ready.body.has_hf_token).toBe(true);
    }
    expect((await call('PUT', `${BASE}/${custom.body.id}/scale`, { replicas: 2 })).status).toBe(200);
    await waitFor(() => call('GET', `${BASE}/${custom.body.id}`), (r) => r.body.phase === 'ready', 'scaled', 30_000);
    expect((await call('GET', BASE)).status).toBe(200);
    for (const id of ids) {
      expect((await call('GET', `${BASE}/${id}/events`)).status).toBe(200);
      expect((await call('GET', `${BASE}/${id}/logs`)).status).toBe(200);
    }
    await t.cloud.runSchedule('reconcile');
    for (const id of ids) expect((await call('DELETE', `${BASE}/${id}`)).status).toBe(204);
    for (const id of ids) await waitFor(() => call('GET', `${BASE}/${id}`), (r) => r.status === 404, `${id} deleted`, 30_000);

    // Every execution of the test: input, output and full history with execution data.
    const executions = [...(await t.executions('deploy')), ...(await t.executions('scale')), ...(await t.executions('delete'))];
    expect(executions.length).toBeGreaterThanOrEqual(5);
    const executionTexts: string[] = [];
    let historyEvents = 0;
    for (const execution of executions) {
      const described = await sfn.send(new DescribeExecutionCommand({ executionArn: execution.executionArn }));
      executionTexts.push(`${described.input ?? ''} ${described.output ?? ''} ${described.error ?? ''} ${described.cause ?? ''}`);
      const history = await t.history(execution.executionArn);
      historyEvents += history.length;
      for (const event of history) executionTexts.push(JSON.stringify(event));
    }

    // On disk: the local Secrets Manager's file holds neither the token nor its base64.
    const stateFile = t.cloud.secretsManager.stateFile;
    const secretsOnDisk = filesUnder(join(t.cloud.dataDir, 'secretsmanager')).map((file) => readFileSync(file).toString('latin1'));
    expect(readFileSync(stateFile, 'utf8').length).toBeGreaterThan(0);
    // Nor does anything else the local cloud persisted but the simulated cluster's Secret store (etcd keeps base64, as Kubernetes does).
    const otherFiles = filesUnder(t.cloud.dataDir).filter((file) => !file.endsWith('cluster-state.json')).map((file) => readFileSync(file).toString('latin1'));

    const logLines = captured.join('').split('\n').filter((line) => line.trim() !== '');
    expect(logLines.length).toBeGreaterThan(20); // DEBUG logging really was captured
    expect(hits(responses), 'API responses').toEqual([]);
    expect(hits(logLines), 'log lines').toEqual([]);
    expect(hits(executionTexts), 'execution input, output and history').toEqual([]);
    expect(hits(secretsOnDisk), 'the local Secrets Manager files').toEqual([]);
    expect(hits(otherFiles).length, 'other files of the data dir').toBe(0);

    const summary = `secret-hygiene: searched ${responses.length} responses, ${logLines.length} log lines, ${historyEvents} history events of ${executions.length} executions, ${secretsOnDisk.length + otherFiles.length} data files: 0 hits`;
    output.stop();
    console.log(summary);
  });
});
