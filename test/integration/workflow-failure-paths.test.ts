/**
 * The failure paths' cleanup. A launch failure of this grow that no retry fixes fails a deploy
 * with NodeGroupUnhealthy naming the issue code, before the provisioning deadline; capacity
 * errors are retried until it; both leave
 * nothing behind: in particular the node group must not keep wanting the node that never
 * launched, or it launches an unneeded GPU node as soon as the capacity comes back. A failed
 * pod that takes its time to stop keeps its node until it is gone, and the node is released
 * then. A failed scale releases every node of the deployment.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { byProject, deployUntilFailed, expectCleanFailure, qwenBody } from '../support/failures';
import { executionEnded, expectLedgerMatchesRecords, expectNothingLeaked, liveInstances, nodeGroupOf } from '../support/leaks';
import { startTestCloud, waitFor, type TestCloud } from '../support/local-cloud';

let t: TestCloud;
beforeAll(async () => {
  t = await startTestCloud(0.01, { cron: false }); // leaks must not wait for the reconcile to repair them
});
afterAll(async () => {
  await t?.close();
});
afterEach(() => {
  t?.cloud.simulator.clearFaults();
});

const expectNoLaunchOnceHealthy = async (gpuConfig: string) => {
  t.cloud.simulator.clearFaults();
  await new Promise((r) => setTimeout(r, 300));
  expect(t.cloud.simulator.instances(nodeGroupOf(gpuConfig))).toEqual([]);
  await expectLedgerMatchesRecords(t, gpuConfig);
};

describe('node group health issues', () => {
  // Capacity errors are what Auto Scaling retries (in other AZs too): the deploy waits for
  // them until the config's node deadline (900 s for a g5), then fails with the classified reason.
  it('InsufficientInstanceCapacity, retried until the node deadline, when no instance can launch', async () => {
    const gpuConfig = 'a10g-24gb';
    const started = Date.now();
    const run = await deployUntilFailed(t, {
      project: 'prj-asg',
      gpuConfig,
      fault: () => ({ match: { nodeGroup: nodeGroupOf(gpuConfig) }, fault: 'asg_launch_failure' }),
      timeoutMs: 40_000,
    });
    expect(Date.now() - started).toBeGreaterThan(8000); // 900 s x 0.01: not at the first failed launch
    expect(run.body.fail_reason).toMatch(/^InsufficientInstanceCapacity: AWS had no g5\.12xlarge capacity .*AWS said: We currently do not have sufficient/);
    await expectCleanFailure(t, run, 'InsufficientInstanceCapacity');
    await expectNoLaunchOnceHealthy(gpuConfig);
  }, 60_000);

  it('NodeGroupUnhealthy naming InsufficientFreeAddresses when the subnets are full', async () => {
    const gpuConfig = 'l40s-48gb';
    const started = Date.now();
    const run = await deployUntilFailed(t, { project: 'prj-ips', gpuConfig, fault: () => ({ match: { nodeGroup: nodeGroupOf(gpuConfig) }, fault: 'insufficient_free_addresses' }) });
    expect(Date.now() - started).toBeLessThan(9000);
    expect(run.body.fail_reason).toMatch(/^NodeGroupUnhealthy: node group gpu-l40s-48gb could not launch nodes: InsufficientFreeAddresses: /);
    await expectCleanFailure(t, run, 'NodeGroupUnhealthy');
    await expectNoLaunchOnceHealthy(gpuConfig);
  });
});

describe('failure path cleanup', () => {
  it('the failure path waits for the failed pods to be gone before it releases their node', async () => {
    // A finalizer stands in for a model server that takes its grace period to stop: the pod
    // stays Terminating after the failure, so its node is not idle yet. Releasing nodes at
    // that moment and ending the execution would leave the node behind for good.
    const tenant = await t.tenant('prj-slow-stop');
    await t.addFault({ match: byProject(tenant), fault: 'crash_loop' });
    const created = await t.api('POST', tenant.base, { token: tenant.token, body: qwenBody('m-slow-stop') });
    expect(created.status).toBe(201);
    const id: string = created.body.id;
    const hold = 'test.gpudeploy.io/hold';
    const pod = await waitFor(
      async () => t.cloud.simulator.pods('models').find((p) => p.metadata.labels?.['gpudeploy.io/deployment-id'] === id),
      (p) => p !== undefined,
      'the pod to be created',
      10_000,
      20,
    );
    const patch = async (finalizers: string[]) => {
      const response = await fetch(`${t.cloud.simulator.url}/api/v1/namespaces/models/pods/${pod!.metadata.name}`, {
        method: 'PATCH',
        headers: { 'content-type': 'application/merge-patch+json' },
        body: JSON.stringify({ metadata: { finalizers } }),
      });
      expect(response.status).toBe(200);
    };
    await patch([hold]);

    const failed = await waitFor(() => t.api('GET', `${tenant.base}/${id}`, { token: tenant.token }), (r) => r.body.status !== 'initializing', 'failure', 15_000);
    expect(failed.body.fail_reason).toMatch(/^CrashLoopBackOff: /);
    await waitFor(
      async () => t.cloud.simulator.pods('models').find((p) => p.metadata.name === pod!.metadata.name),
      (p) => p?.metadata.deletionTimestamp !== undefined,
      'the failed pod to be terminating',
      5000,
      20,
    );
    await new Promise((r) => setTimeout(r, 500)); // well past the simulated termination (0.02 s)
    expect(t.cloud.simulator.pods('models').some((p) => p.metadata.name === pod!.metadata.name)).toBe(true);
    // the node still runs the terminating pod: it must not have been released, nor forgotten
    expect(liveInstances(t, nodeGroupOf('l4-24gb'))).toHaveLength(1);

    await patch([]);
    const ended = await executionEnded(t, created.body.workflow.execution_arn);
    expect(ended.status).toBe('FAILED');
    await expectNothingLeaked(t, id, 'l4-24gb');
  });

  it('a scale whose new replica crash-loops fails with CrashLoopBackOff and releases both nodes', async () => {
    const tenant = await t.tenant('prj-scale-crash');
    const created = await t.api('POST', tenant.base, { token: tenant.token, body: qwenBody('m-scale-crash', 'l4-24gb', { catalog_id: 'Qwen-Qwen2.5-14B-Instruct', gpu_count: 4 }) });
    expect(created.status).toBe(201);
    const id: string = created.body.id;
    await waitFor(() => t.api('GET', `${tenant.base}/${id}`, { token: tenant.token }), (r) => r.body.status === 'ready', 'ready', 15_000);
    // Faults apply when a container starts: the serving replica is unaffected, the new one crashes.
    await t.addFault({ match: byProject(tenant), fault: 'crash_loop' });
    const scaled = await t.api('PUT', `${tenant.base}/${id}/scale`, { token: tenant.token, body: { replicas: 2 } });
    expect(scaled.status).toBe(200);
    expect(await t.ledger('l4-24gb')).toBe(8);
    const failed = await waitFor(
      () => t.api('GET', `${tenant.base}/${id}`, { token: tenant.token }),
      (r) => r.body.phase !== 'scaling',
      'the scale to fail',
      20_000,
    );
    expect(failed.body).toMatchObject({ status: 'failed', phase: 'failed', endpoint_url: null });
    expect(failed.body.fail_reason).toMatch(/^CrashLoopBackOff: .*Last log lines:/s);
    expect((await executionEnded(t, scaled.body.workflow.execution_arn)).status).toBe('FAILED');
    await expectNothingLeaked(t, id, 'l4-24gb');
    expect(await t.ledger('l4-24gb')).toBe(0);
    await waitFor(async () => t.cloud.simulator.instances(nodeGroupOf('l4-24gb')).length, (n) => n === 0, 'both instances gone', 5000);
  });
});
