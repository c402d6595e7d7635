/**
 * Node group health issues reported by EKS fail a deploy with NodeGroupUnhealthy naming the
 * issue code, before the provisioning deadline, and leave nothing behind: in particular the
 * node group must not keep wanting the node that never launched, or it launches an unneeded
 * GPU node as soon as the capacity comes back.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { deployUntilFailed, expectCleanFailure } from '../support/failures';
import { expectLedgerMatchesRecords, nodeGroupOf } from '../support/leaks';
import { startTestCloud, type TestCloud } from '../support/local-cloud';

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
  // KNOWN BUG (functions/workflow/release-idle-nodes.ts, not ours): the failure path only
  // terminates instances; the desired size the deploy raised is never lowered when the
  // instance never launched, so the group keeps desiredSize 1 with 0 instances and launches
  // an unneeded GPU node as soon as the launch failure clears. Remove `.fails` once fixed.
  it.fails('NodeGroupUnhealthy naming AsgInstanceLaunchFailures when no instance can launch', async () => {
    const gpuConfig = 'a10g-24gb';
    const started = Date.now();
    const run = await deployUntilFailed(t, { project: 'prj-asg', gpuConfig, fault: () => ({ match: { nodeGroup: nodeGroupOf(gpuConfig) }, fault: 'asg_launch_failure' }) });
    expect(Date.now() - started).toBeLessThan(9000); // reported as the reason, not left to the 900 s provisioning deadline
    expect(run.body.fail_reason).toMatch(/^NodeGroupUnhealthy: node group gpu-a10g-24gb reports AsgInstanceLaunchFailures: .*InsufficientInstanceCapacity/);
    await expectCleanFailure(t, run, 'NodeGroupUnhealthy');
    await expectNoLaunchOnceHealthy(gpuConfig);
  });

  // KNOWN BUG: as above (desired size left raised).
  it.fails('NodeGroupUnhealthy naming InsufficientFreeAddresses when the subnets are full', async () => {
    const gpuConfig = 'l40s-48gb';
    const started = Date.now();
    const run = await deployUntilFailed(t, { project: 'prj-ips', gpuConfig, fault: () => ({ match: { nodeGroup: nodeGroupOf(gpuConfig) }, fault: 'insufficient_free_addresses' }) });
    expect(Date.now() - started).toBeLessThan(9000);
    expect(run.body.fail_reason).toMatch(/^NodeGroupUnhealthy: node group gpu-l40s-48gb reports InsufficientFreeAddresses: /);
    await expectCleanFailure(t, run, 'NodeGroupUnhealthy');
    await expectNoLaunchOnceHealthy(gpuConfig);
  });
});
