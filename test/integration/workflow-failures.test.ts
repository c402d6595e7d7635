/**
 * Every failure class of the model's pods, each injected into the simulator before the pods
 * start (matched by the test's own project label): the deployment ends `failed` with
 * `fail_reason` starting with the class's code, GET …/events shows that failure, and nothing
 * is left behind: no pod, Service, Secret or PVC, the node group back to what the live
 * deployments need, the ledger equal to what the live deployments hold. Deleting the failed
 * deployment afterwards gives nothing back twice. Node group failures: workflow-node-failures.
 *
 * Time scale 0.01: nodes boot in 0.9 s, the Qwen 0.5B load budget (~325 cluster s) is ~3.3 s,
 * the unschedulable deadline (300 s) is 3 s.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { byProject, deployUntilFailed, expectCleanFailure, qwenBody } from '../support/failures';
import { executionEnded, expectNothingLeaked, liveInstances, nodeGroupOf } from '../support/leaks';
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

describe('classified pod failures leave nothing behind', () => {
  it('ImagePullBackOff', async () => {
    const run = await deployUntilFailed(t, { project: 'prj-pull', fault: (tn) => ({ match: byProject(tn), fault: 'image_pull_backoff' }) });
    expect(run.body.fail_reason).toContain('vllm/vllm-openai');
    await expectCleanFailure(t, run, 'ImagePullBackOff');
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
});
