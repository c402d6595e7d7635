/**
 * Shared steps of the failure-class tests: deploy under an injected fault, wait for the
 * classified failure, and check that it was recorded, announced and cleaned up.
 */
import { expect } from 'vitest';
import type { FaultRequest } from '../../local/sim/index';
import { executionEnded, expectNothingLeaked } from './leaks';
import { waitFor, type TestCloud, type Tenant } from './local-cloud';

export const qwenBody = (name: string, gpuConfig = 'l4-24gb', extra: Record<string, unknown> = {}) => ({
  name,
  catalog_id: 'Qwen-Qwen2.5-0.5B-Instruct',
  region: 'us-east-1',
  gpu_config_id: gpuConfig,
  gpu_count: 1,
  plan_id: `plan-${gpuConfig}-ondemand`,
  ...extra,
});

export interface FailureScenario {
  /** Its own project: pods carry gpudeploy.io/project=<project>. */
  project: string;
  fault: (tenant: Tenant) => FaultRequest;
  gpuConfig?: string;
  extra?: Record<string, unknown>;
  /** wall-clock ms the failure may take to be noticed and recorded */
  timeoutMs?: number;
}

export const byProject = (tenant: Tenant): FaultRequest['match'] => ({ label: `gpudeploy.io/project=${tenant.project}` });

/** Deploys under an injected fault; waits for the recorded failure and the end of the execution. */
export const deployUntilFailed = async (t: TestCloud, scenario: FailureScenario) => {
  const tenant = await t.tenant(scenario.project);
  const gpuConfig = scenario.gpuConfig ?? 'l4-24gb';
  const ledgerBefore = await t.ledger(gpuConfig);
  await t.addFault(scenario.fault(tenant));
  const created = await t.api('POST', tenant.base, { token: tenant.token, body: qwenBody(`m-${scenario.project}`, gpuConfig, scenario.extra) });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  const id: string = created.body.id;
  expect(await t.ledger(gpuConfig)).toBe(ledgerBefore + 1); // reserved at the API, before the workflow starts
  const failed = await waitFor(
    () => t.api('GET', `${tenant.base}/${id}`, { token: tenant.token }),
    (r) => r.body.status !== 'initializing',
    `${scenario.project} to fail`,
    scenario.timeoutMs ?? 20_000,
  );
  const arn: string = created.body.workflow.execution_arn;
  const ended = await executionEnded(t, arn);
  return { tenant, id, gpuConfig, body: failed.body, arn, ended };
};

export type FailedRun = Awaited<ReturnType<typeof deployUntilFailed>>;

/** The one `failed` event, with its code, from GET …/events. */
export const expectFailedEvent = async (t: TestCloud, tenant: Tenant, id: string, code: string) => {
  const events = await t.api('GET', `${tenant.base}/${id}/events?limit=100`, { token: tenant.token });
  expect(events.status, JSON.stringify(events.body)).toBe(200);
  const failed = (events.body.items as { type: string; reason?: string; message: string; status: string }[]).filter((e) => e.type === 'failed');
  expect(failed, JSON.stringify(events.body.items)).toHaveLength(1);
  expect(failed[0]).toMatchObject({ reason: code, status: 'failed', message: expect.stringMatching(new RegExp(`^${code}: `)) });
};

/** Final state, reason, event, no leak; then deleting the failed deployment frees nothing twice. */
export const expectCleanFailure = async (t: TestCloud, run: FailedRun, code: string) => {
  expect(run.body).toMatchObject({ status: 'failed', phase: 'failed', endpoint_url: null, uptime_seconds: 0 });
  expect(run.body.fail_reason).toMatch(new RegExp(`^${code}: `));
  expect(run.ended.status).toBe('FAILED');
  expect(run.ended.error).toBe('DeploymentFailed');
  await expectFailedEvent(t, run.tenant, run.id, code);
  await expectNothingLeaked(t, run.id, run.gpuConfig);

  const ledgerBefore = await t.ledger(run.gpuConfig);
  expect((await t.api('DELETE', `${run.tenant.base}/${run.id}`, { token: run.tenant.token })).status).toBe(204);
  await waitFor(() => t.api('GET', `${run.tenant.base}/${run.id}`, { token: run.tenant.token }), (r) => r.status === 404, 'failed deployment deleted', 10_000);
  expect(await t.ledger(run.gpuConfig)).toBe(ledgerBefore);
  await expectNothingLeaked(t, run.id, run.gpuConfig);
};
