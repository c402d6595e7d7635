/**
 * The chaos figure (issue 12 item 5), bounded: CHAOS_DEPLOYMENTS deployments (default 6) go
 * through deploy -> scale up -> pause -> resume -> delete at once under injected faults on every
 * local endpoint (test/reliability/chaos.ts); then, faults cleared and the reconcile run, nothing
 * may be left. `npm run reliability` runs it with more deployments and writes the figure.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordFigures } from '../reliability/figures';
import { expectedLeaks } from '../reliability/chaos-leaks';
import { OPERATIONS, runChaos } from '../reliability/chaos';
import { startTestCloud, type TestCloud } from '../support/local-cloud';

const DEPLOYMENTS = Number(process.env.CHAOS_DEPLOYMENTS ?? 6);
const TIME_SCALE = 0.01;

let t: TestCloud;
beforeAll(async () => {
  t = await startTestCloud(TIME_SCALE);
}, 120_000);
afterAll(async () => {
  await t?.close();
});

describe('chaos: the deployment lifecycle under injected faults', () => {
  it(`${DEPLOYMENTS} deployments converge through deploy, scale, pause, resume and delete with nothing leaked`, async () => {
    const result = await runChaos(t, { deployments: DEPLOYMENTS, stepTimeoutMs: 60_000, convergeTimeoutMs: 60_000 }, TIME_SCALE);
    recordFigures('chaos', result as unknown as Record<string, unknown>);
    const summary = JSON.stringify({ fired: result.faultsFired, leaks: result.leaks, notOk: result.operations.filter((o) => o.outcome !== 'ok'), serverErrors: result.serverErrors }, null, 1);

    // The chaos happened: every injected kind fired at least once.
    for (const kind of ['dynamodb', 'stepfunctions', 'eks', 'autoscaling', 'lambda-timeout', 'insufficient_capacity', 'docker_hub_rate_limit']) {
      expect(result.faultsFired[kind] ?? 0, `${kind} never fired: ${summary}`).toBeGreaterThan(0);
    }
    for (const error of ['too_many_requests', 'internal_error', 'service_unavailable', 'timeout']) {
      expect(result.faultsFired[`kubernetes ${error}`] ?? 0, `kubernetes ${error} never fired: ${summary}`).toBeGreaterThan(0);
    }

    // Every operation of every deployment was attempted and succeeded; the API never answered 5xx.
    expect(result.operations).toHaveLength(DEPLOYMENTS * OPERATIONS.length);
    expect(result.serverErrors, summary).toEqual([]);
    expect(result.operations.filter((o) => o.outcome !== 'ok'), summary).toEqual([]);

    // Converged: nothing left of any deployment.
    expect(expectedLeaks(result.leaks), summary).toBe(0);
    expect(result.leaks).toMatchObject({ records: [], ledger: {}, nodeGroups: {}, objects: [], secrets: [] });
  }, 300_000);
});
