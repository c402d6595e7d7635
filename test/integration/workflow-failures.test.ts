/**
 * Every failure class of the model's pods, each injected into the simulator before the pods
 * start (matched by the test's own project label): the deployment ends `failed` with
 * `fail_reason` starting with the class's code, GET …/events shows that failure, and nothing
 * is left behind: no pod, Service, Secret or PVC, the node group back to what the live
 * deployments need, the ledger equal to what the live deployments hold. Deleting the failed
 * deployment afterwards gives nothing back twice. Node group health issues and the failure
 * paths' cleanup: workflow-failure-paths.test.ts.
 *
 * Time scale 0.01: nodes boot in 0.9 s, the Qwen 0.5B load budget (~325 cluster s) is ~3.3 s,
 * the unschedulable deadline (300 s) is 3 s.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { byProject, deployUntilFailed, expectCleanFailure } from '../support/failures';
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

describe('classified pod failures leave nothing behind', () => {
  it('ImageNotFound (the image does not exist: no retry fixes it)', async () => {
    const run = await deployUntilFailed(t, { project: 'prj-pull', fault: (tn) => ({ match: byProject(tn), fault: 'image_pull_backoff' }) });
    expect(run.body.fail_reason).toContain('vllm/vllm-openai');
    await expectCleanFailure(t, run, 'ImageNotFound');
  });

  it('CrashLoopBackOff, with the last lines of the model server log', async () => {
    const run = await deployUntilFailed(t, { project: 'prj-crash', fault: (tn) => ({ match: byProject(tn), fault: 'crash_loop' }) });
    expect(run.body.fail_reason).toContain('Last log lines:');
    expect(run.body.fail_reason).toContain('RuntimeError: Engine core initialization failed');
    await expectCleanFailure(t, run, 'CrashLoopBackOff');
  });

  it('OOMKilled', async () => {
    const run = await deployUntilFailed(t, { project: 'prj-oom', fault: (tn) => ({ match: byProject(tn), fault: 'oom_killed' }) });
    expect(run.body.fail_reason).toMatch(/out of memory/);
    await expectCleanFailure(t, run, 'OOMKilled');
  });

  it('ModelAccessDenied when Hugging Face refuses the download (gated repo, 401)', async () => {
    const run = await deployUntilFailed(t, { project: 'prj-gated', fault: (tn) => ({ match: byProject(tn), fault: 'hf_unauthorized' }) });
    expect(run.body.fail_reason).toContain('Qwen/Qwen2.5-0.5B-Instruct');
    expect(run.body.fail_reason).toContain('GatedRepoError');
    await expectCleanFailure(t, run, 'ModelAccessDenied');
  });

  it('Unschedulable, with the scheduler message, after the scheduling deadline', async () => {
    const started = Date.now();
    const run = await deployUntilFailed(t, { project: 'prj-unsched', fault: (tn) => ({ match: byProject(tn), fault: 'unschedulable' }) });
    expect(Date.now() - started).toBeGreaterThan(3000); // 300 cluster seconds, not before
    expect(run.body.fail_reason).toMatch(/^Unschedulable: no node accepts the pod: 0\/\d+ nodes are available: .*Insufficient nvidia\.com\/gpu/);
    await expectCleanFailure(t, run, 'Unschedulable');
  });

  it('ModelLoadTimeout when the server never gets Ready within the model load budget', async () => {
    const started = Date.now();
    const run = await deployUntilFailed(t, { project: 'prj-slow', fault: (tn) => ({ match: byProject(tn), fault: 'never_ready' }) });
    expect(Date.now() - started).toBeGreaterThan(3000); // budget: 300 + 25 x weights GiB cluster seconds
    expect(run.body.fail_reason).toMatch(/^ModelLoadTimeout: .*initial_delay_seconds/);
    await expectCleanFailure(t, run, 'ModelLoadTimeout');
  });
});
