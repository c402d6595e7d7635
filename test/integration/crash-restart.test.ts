/**
 * A real crash: the local cloud runs as `npm start` does (`tsx local/main.ts`, a child
 * process) and is killed with SIGKILL (no close, no flush) in the middle of a deploy, of a
 * scale, of a delete, and right after a deploy was accepted; each time it is started again on
 * the same DATA_DIR. Every deployment converges (ready, or gone) with nothing lost (its record,
 * its one execution) and nothing leaked (pods, nodes, desired size and the GPU ledger exactly
 * what the surviving deployments need). workflow-restart.test.ts covers the in-process
 * restart (close, then start); this file the kill.
 *
 * Last, the bearer tokens used here never appear in any line the process wrote (handlers'
 * logs at DEBUG, the access log) nor in any execution input, output or history.
 *
 * Time scale 0.02: a node boots in 1.8 s, long enough to kill the process while it does.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadOrCreateDevKey, signDevToken } from '../../local/jwt';
import { ChildCloud } from '../support/child-cloud';
import { qwenBody } from '../support/failures';
import { BASE, ORG, PROJECT, waitFor } from '../support/local-cloud';
import { recordFigures } from '../reliability/figures';

const CONFIG = 'l4-24gb';
const GROUP = 'gpu-l4-24gb';
const TIME_SCALE = 0.02;
const arnOf = (workflow: string) => `arn:aws:states:us-east-1:000000000000:stateMachine:gpu-control-plane-${workflow}`;

let dataDir: string;
let cloud: ChildCloud;
let token: string;
const crashes: { when: string; outcome: string; convergedSeconds: number; leaks: number }[] = [];

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'gpu-cp-crash-'));
  token = await signDevToken(await loadOrCreateDevKey(dataDir), { org_id: ORG, project_ids: PROJECT });
  cloud = new ChildCloud({ dataDir, timeScale: TIME_SCALE, env: { POWERTOOLS_LOG_LEVEL: 'DEBUG' } });
  await cloud.start();
});
afterAll(async () => {
  await cloud?.kill();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

const get = (id: string) => cloud.api('GET', `${BASE}/${id}`, { token });
const podsOf = async (id: string) => (await cloud.simState()).pods.filter((p) => p.name.startsWith(`model-${id.replace(/^dep-/, '')}`) && !p.terminating);
const liveInstances = async () => (await cloud.simState()).instances.filter((i) => i.group === GROUP && i.lifecycle !== 'Terminating');
const desiredSize = async () => (await cloud.simState()).nodeGroups.find((g) => g.name === GROUP)?.desiredSize ?? -1;

/** SIGKILL, start again on the same data dir, and time until `converged` holds. */
const crashAndRestart = async <T>(when: string, converged: () => Promise<T>, done: (value: T) => boolean): Promise<{ value: T; seconds: number }> => {
  await cloud.kill();
  await cloud.start();
  const started = Date.now();
  const value = await waitFor(converged, done, `convergence after the crash ${when}`, 45_000, 100);
  return { value, seconds: (Date.now() - started) / 1000 };
};

/** The cluster and the ledger hold exactly what `expected` says; returns how many things differ. */
const expectExactly = async (expected: { pods: Record<string, number>; nodes: number; ledger: number }): Promise<number> => {
  const probe = async () => ({
    pods: Object.fromEntries(await Promise.all(Object.keys(expected.pods).map(async (id) => [id, (await podsOf(id)).length] as const))),
    nodes: (await liveInstances()).length,
    desired: await desiredSize(),
    ledger: await cloud.ledger(CONFIG),
  });
  const want = { pods: expected.pods, nodes: expected.nodes, desired: expected.nodes, ledger: expected.ledger }; // probe's key order
  const last = await waitFor(probe, (s) => JSON.stringify(s) === JSON.stringify(want), 'the cluster to hold exactly what is needed', 20_000).catch(() => probe());
  const leaks = Object.keys(want).filter((k) => JSON.stringify(last[k as keyof typeof last]) !== JSON.stringify(want[k as keyof typeof want])).length;
  expect(last).toEqual(want);
  return leaks;
};

let id: string;

describe('SIGKILL of the whole local cloud, then a restart on the same DATA_DIR', () => {
  it('mid-deploy (its GPU node booting): converges to ready with one of everything', async () => {
    const created = await cloud.api('POST', BASE, { token, body: qwenBody('crash-survivor', CONFIG, { gpu_count: 2 }) });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    id = created.body.id;
    await waitFor(() => get(id), (r) => r.body.phase === 'provisioning_nodes', 'provisioning_nodes', 10_000, 20);
    await waitFor(liveInstances, (is) => is.length === 1 && is[0]!.lifecycle === 'Pending', 'an instance booting', 10_000, 20);

    const { value, seconds } = await crashAndRestart('mid-deploy', () => get(id), (r) => r.body.status !== 'initializing');
    expect(value.body).toMatchObject({ status: 'ready', phase: 'ready', replicas: 1, fail_reason: null });
    expect((await cloud.executions(arnOf('deploy'))).filter((e) => e.name.startsWith(id))).toHaveLength(1);
    const leaks = await expectExactly({ pods: { [id]: 1 }, nodes: 1, ledger: 2 });
    crashes.push({ when: 'mid-deploy (node booting)', outcome: value.body.status, convergedSeconds: seconds, leaks });
  });

  it('mid-scale (the second node booting): converges to 3 ready replicas on 2 nodes', async () => {
    const scaled = await cloud.api('PUT', `${BASE}/${id}/scale`, { token, body: { replicas: 3 } });
    expect(scaled.status, JSON.stringify(scaled.body)).toBe(200);
    await waitFor(liveInstances, (is) => is.length === 2, 'a second instance booting', 10_000, 20);

    const { value, seconds } = await crashAndRestart('mid-scale', () => get(id), (r) => r.body.phase === 'ready' || r.body.status === 'failed');
    expect(value.body).toMatchObject({ status: 'ready', phase: 'ready', replicas: 3 });
    expect((await cloud.executions(arnOf('scale'))).filter((e) => e.name.startsWith(id))).toHaveLength(1);
    const leaks = await expectExactly({ pods: { [id]: 3 }, nodes: 2, ledger: 6 });
    crashes.push({ when: 'mid-scale (second node booting)', outcome: `${value.body.status}, ${value.body.replicas} replicas`, convergedSeconds: seconds, leaks });
  });

  it('mid-delete: the deployment is gone and every node given back', async () => {
    expect((await cloud.api('DELETE', `${BASE}/${id}`, { token })).status).toBe(204);
    await waitFor(() => get(id), (r) => r.status === 404 || r.body.status === 'terminating', 'terminating', 5000, 10);

    const { value, seconds } = await crashAndRestart('mid-delete', () => get(id), (r) => r.status === 404);
    expect(value.status).toBe(404);
    expect(await cloud.records()).toEqual([]);
    const leaks = await expectExactly({ pods: { [id]: 0 }, nodes: 0, ledger: 0 });
    crashes.push({ when: 'mid-delete', outcome: 'gone', convergedSeconds: seconds, leaks });
  });

  it('right after a deploy was accepted: ready, or failed as WorkflowLost by the reconcile; never stuck, nothing leaked', async () => {
    const created = await cloud.api('POST', BASE, { token, body: qwenBody('crash-at-once', CONFIG) });
    expect(created.status).toBe(201);
    const fresh: string = created.body.id;

    const { value, seconds } = await crashAndRestart('right after 201', () => get(fresh), (r) => r.body.status === 'ready' || r.body.status === 'failed');
    if (value.body.status === 'failed') expect(value.body.fail_reason).toMatch(/^WorkflowLost: /);
    expect(await cloud.records()).toHaveLength(1); // not lost
    const leaks = await expectExactly(value.body.status === 'ready' ? { pods: { [fresh]: 1 }, nodes: 1, ledger: 1 } : { pods: { [fresh]: 0 }, nodes: 0, ledger: 0 });
    crashes.push({ when: 'right after the 201 of a deploy', outcome: value.body.status, convergedSeconds: seconds, leaks });

    expect((await cloud.api('DELETE', `${BASE}/${fresh}`, { token })).status).toBe(204);
    await waitFor(() => get(fresh), (r) => r.status === 404, 'deleted', 20_000);
    await expectExactly({ pods: { [fresh]: 0 }, nodes: 0, ledger: 0 });
  });

  it('the bearer token is in no log line the process wrote and in no execution input, output or history', async () => {
    const output = cloud.output.join('\n');
    expect(output).toMatch(new RegExp(`POST ${BASE} 201`)); // the access log was captured
    expect(cloud.output.some((line) => line.startsWith('{'))).toBe(true); // and the handlers' structured logs
    const parts = token.split('.');
    for (const part of [token, ...parts]) expect(output).not.toContain(part);
    expect(output).not.toMatch(/eyJ[\w-]{8,}\.[\w-]{8,}\.[\w-]{8,}/);
    expect(output).not.toMatch(/bearer /i);

    let checked = 0;
    for (const workflow of ['deploy', 'scale', 'delete']) {
      for (const e of await cloud.executions(arnOf(workflow))) {
        const text = JSON.stringify({ execution: await cloud.execution(e.executionArn), history: await cloud.history(e.executionArn) });
        for (const part of [token, ...parts]) expect(text).not.toContain(part);
        expect(text).not.toMatch(/authorization|bearer/i);
        checked += 1;
      }
    }
    expect(checked).toBeGreaterThanOrEqual(4);
    recordFigures('crash', {
      kills: cloud.kills,
      starts: cloud.starts,
      crashes,
      logLinesChecked: cloud.output.length,
      executionsChecked: checked,
      tokenInLogsOrHistory: 0,
    });
  });
});
