/**
 * AWS failure behaviour as EKS and Auto Scaling report it, met by the real workflows:
 * launch failures that Auto Scaling retries (ICE, vCPU quota, an instance type its AZs do not
 * offer), the node group health issue that outlives the failed deploy
 * (aws/containers-roadmap#2326), ResourceInUseException when two deploys update one group, and
 * Docker Hub's pull limit as the pod and its events show it.
 */
import { AutoScalingClient, DescribeScalingActivitiesCommand, SetDesiredCapacityCommand } from '@aws-sdk/client-auto-scaling';
import { DescribeNodegroupCommand, EKSClient, UpdateNodegroupConfigCommand } from '@aws-sdk/client-eks';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { NODE_GROUP_BUSY_WAIT_SECONDS } from '../../functions/domain/polling';
import { byProject, deployUntilFailed, expectCleanFailure, qwenBody } from '../support/failures';
import { expectNothingLeaked, nodeGroupOf } from '../support/leaks';
import { CLUSTER, startTestCloud, waitFor, type TestCloud, type Tenant } from '../support/local-cloud';

const AWS = { region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } };

let t: TestCloud;
let eks: EKSClient;
let asg: AutoScalingClient;
beforeAll(async () => {
  t = await startTestCloud(0.01, { cron: false });
  eks = new EKSClient({ ...AWS, endpoint: t.cloud.simulator.url });
  asg = new AutoScalingClient({ ...AWS, endpoint: t.cloud.simulator.url });
});
afterAll(async () => {
  eks?.destroy();
  asg?.destroy();
  await t?.close();
});
afterEach(() => {
  t?.cloud.simulator.clearFaults();
});

const deployUntilReady = async (tenant: Tenant, name: string, gpuConfig: string, timeoutMs = 30_000) => {
  const created = await t.api('POST', tenant.base, { token: tenant.token, body: qwenBody(name, gpuConfig) });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  const id: string = created.body.id;
  const done = await waitFor(
    () => t.api('GET', `${tenant.base}/${id}`, { token: tenant.token }),
    (r) => r.body.status !== 'initializing',
    `${name} to settle`,
    timeoutMs,
  );
  return { id, body: done.body };
};

const remove = async (tenant: Tenant, id: string, gpuConfig: string) => {
  expect((await t.api('DELETE', `${tenant.base}/${id}`, { token: tenant.token })).status).toBe(204);
  await waitFor(() => t.api('GET', `${tenant.base}/${id}`, { token: tenant.token }), (r) => r.status === 404, `${id} deleted`, 20_000);
  await expectNothingLeaked(t, id, gpuConfig);
};

const healthIssues = async (group: string) =>
  (await eks.send(new DescribeNodegroupCommand({ clusterName: CLUSTER, nodegroupName: group }))).nodegroup?.health?.issues ?? [];

const activities = async (group: string) => {
  const view = t.cloud.simulator.nodeGroup(group);
  return (await asg.send(new DescribeScalingActivitiesCommand({ AutoScalingGroupName: view?.asgName }))).Activities ?? [];
};

describe('launch failures', () => {
  it('a first launch that fails for capacity (ICE) is retried by Auto Scaling and the deploy succeeds', async () => {
    const gpuConfig = 'a10g-24gb';
    const group = nodeGroupOf(gpuConfig);
    const tenant = await t.tenant('prj-ice-once');
    await t.addFault({ match: { nodeGroup: group }, fault: 'insufficient_capacity', count: 1 });
    const run = await deployUntilReady(tenant, 'm-ice-once', gpuConfig);
    expect(run.body.status, run.body.fail_reason).toBe('ready');
    const seen = await activities(group);
    const failed = seen.find((a) => a.StatusCode === 'Failed');
    expect(failed?.StatusMessage).toMatch(/^We currently do not have sufficient g5\.12xlarge capacity in the Availability Zone you requested \(us-east-1a\)\./);
    expect(seen.some((a) => a.StatusCode === 'Successful' && a.Description?.startsWith('Launching a new EC2 instance: i-'))).toBe(true);
    expect(await healthIssues(group)).toEqual([]); // the successful scale-out cleared it
    await remove(tenant, run.id, gpuConfig);
  });

  it('a vCPU quota error is retried until the node deadline, then fails as VcpuQuotaExceeded naming the quota, leaking nothing', async () => {
    const gpuConfig = 'l4-24gb';
    const started = Date.now();
    const run = await deployUntilFailed(t, {
      project: 'prj-quota',
      gpuConfig,
      fault: () => ({ match: { nodeGroup: nodeGroupOf(gpuConfig) }, fault: 'vcpu_limit_exceeded' }),
      timeoutMs: 40_000,
    });
    // Not at the first failed launch: at the g6 deadline (900 s x 0.01 time scale).
    expect(Date.now() - started).toBeGreaterThan(8000);
    expect(run.body.fail_reason).toMatch(/^VcpuQuotaExceeded: .*L-DB2E81BA.*request-service-quota-increase/);
    await expectCleanFailure(t, run, 'VcpuQuotaExceeded');
    // The issue stays on the group after the failed deploy, as in EKS.
    expect((await healthIssues(nodeGroupOf(gpuConfig))).map((i) => i.code)).toEqual(['AsgInstanceLaunchFailures']);
  }, 60_000);

  it('an instance type offered in none of the group\'s AZs is retried in each AZ until the node deadline, then fails as InstanceTypeNotOffered', async () => {
    const gpuConfig = 'a10g-24gb';
    const group = nodeGroupOf(gpuConfig);
    const earlier = new Set((await activities(group)).map((a) => a.ActivityId)); // the ICE test's, on the same group
    const started = Date.now();
    const run = await deployUntilFailed(t, { project: 'prj-unoffered', gpuConfig, fault: () => ({ match: { nodeGroup: group }, fault: 'unsupported_instance_type' }), timeoutMs: 40_000 });
    // Retried like a capacity failure (Auto Scaling tries the next AZ), not failed at the first launch: the g5 deadline is 900 s x 0.01.
    expect(Date.now() - started).toBeGreaterThan(8000);
    expect(run.body.fail_reason).toMatch(/^InstanceTypeNotOffered: g5\.12xlarge is not offered in the node group's Availability Zones\. AWS said: Your requested instance type \(g5\.12xlarge\) is not supported in your requested Availability Zone \(us-east-1[a-f]\)\./);
    await expectCleanFailure(t, run, 'InstanceTypeNotOffered');
    // describe-scaling-activities: only failed launches, in more than one AZ, each worded as EC2 words it.
    const launches = (await activities(group)).filter((a) => !earlier.has(a.ActivityId) && a.Description?.startsWith('Launching a new EC2 instance'));
    expect(launches.length).toBeGreaterThan(1);
    expect(launches.every((a) => a.StatusCode === 'Failed')).toBe(true);
    const zones = new Set(launches.map((a) => /requested Availability Zone \((us-east-1[a-f])\)/.exec(a.StatusMessage ?? '')?.[1]));
    expect(zones.has(undefined)).toBe(false);
    expect(zones.size).toBeGreaterThan(1);
    // describe-nodegroup: the health issue names the EC2 error, and stays after the failed deploy.
    expect(await healthIssues(group)).toEqual([
      expect.objectContaining({ code: 'AsgInstanceLaunchFailures', message: expect.stringMatching(/^Could not launch On-Demand Instances\. Unsupported - Your requested instance type \(g5\.12xlarge\) is not supported/) }),
    ]);
  }, 60_000);

  // Fails on the old check-nodes (any health issue => NodeGroupUnhealthy at the first check,
  // while the P5 node that would clear it is still booting).
  it('a deploy after a failed one is not failed by the health issue the failure left', async () => {
    const gpuConfig = 'h100-80gb';
    const group = nodeGroupOf(gpuConfig);
    const first = await deployUntilFailed(t, { project: 'prj-stale-1', gpuConfig, fault: () => ({ match: { nodeGroup: group }, fault: 'insufficient_capacity' }), timeoutMs: 60_000 });
    expect(first.body.fail_reason).toMatch(/^InsufficientInstanceCapacity: /);
    t.cloud.simulator.clearFaults();
    expect((await healthIssues(group)).map((i) => i.code)).toEqual(['AsgInstanceLaunchFailures']);
    const tenant = await t.tenant('prj-stale-2');
    const second = await deployUntilReady(tenant, 'm-stale-2', gpuConfig, 60_000);
    expect(second.body.status, second.body.fail_reason).toBe('ready');
    expect(await healthIssues(group)).toEqual([]);
    await remove(tenant, second.id, gpuConfig);
  }, 120_000);
});

describe('node group updates', () => {
  it('EKS refuses a second config update while one is InProgress (409 ResourceInUseException)', async () => {
    const group = nodeGroupOf('a100-80gb');
    await eks.send(new UpdateNodegroupConfigCommand({ clusterName: CLUSTER, nodegroupName: group, labels: { addOrUpdateLabels: { 'test.gpudeploy.io/busy': 'yes' } } }));
    const refused = await eks.send(new UpdateNodegroupConfigCommand({ clusterName: CLUSTER, nodegroupName: group, scalingConfig: { desiredSize: 1 } })).catch((e: Error & { $metadata?: { httpStatusCode?: number } }) => e);
    expect(refused).toMatchObject({ name: 'ResourceInUseException', message: 'Nodegroup cannot be updated as it is currently not in Active State', $metadata: { httpStatusCode: 409 } });
    expect(t.cloud.simulator.nodeGroup(group)?.desiredSize).toBe(0);
  });

  // Fails on the old check-nodes, which never re-planned: NodeProvisioningTimeout.
  it('a desired size lowered under a booting deploy (a racing release) is grown again by check-nodes', async () => {
    const gpuConfig = 'h200-141gb';
    const group = nodeGroupOf(gpuConfig);
    const tenant = await t.tenant('prj-regrow');
    const created = await t.api('POST', tenant.base, { token: tenant.token, body: qwenBody('m-regrow', gpuConfig) });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    await waitFor(async () => t.cloud.simulator.instances(group).filter((i) => i.lifecycle === 'Pending').length, (n) => n === 1, 'a booting instance', 20_000, 20);
    await asg.send(new SetDesiredCapacityCommand({ AutoScalingGroupName: t.cloud.simulator.nodeGroup(group)?.asgName, DesiredCapacity: 0 }));
    const done = await waitFor(() => t.api('GET', `${tenant.base}/${created.body.id}`, { token: tenant.token }), (r) => r.body.status !== 'initializing', 'the deploy to settle', 40_000);
    expect(done.body.status, done.body.fail_reason).toBe('ready');
    expect(t.cloud.simulator.nodeGroup(group)?.desiredSize).toBe(1);
    await remove(tenant, created.body.id, gpuConfig);
  }, 60_000);

  it('two deploys growing one group at once both succeed through ResourceInUseException', async () => {
    const gpuConfig = 'l40s-48gb';
    const group = nodeGroupOf(gpuConfig);
    // Keep the group UPDATING (one label update, held InProgress as a slow EKS update would be)
    // while both deploys try to grow it, so their UpdateNodegroupConfig meets the 409.
    const held = await t.addFault({ match: { nodeGroup: group }, fault: 'slow_update' });
    await eks.send(new UpdateNodegroupConfigCommand({ clusterName: CLUSTER, nodegroupName: group, labels: { addOrUpdateLabels: { 'test.gpudeploy.io/hold': 'yes' } } }));
    const a = await t.tenant('prj-busy-a');
    const b = await t.tenant('prj-busy-b');
    const both = Promise.all([deployUntilReady(a, 'm-busy-a', gpuConfig), deployUntilReady(b, 'm-busy-b', gpuConfig)]);
    // The two deploys of this test are the only deploy executions running now.
    const ownExecutions = async () => (await t.executions('deploy')).filter((e) => e.status === 'RUNNING').map((e) => e.executionArn);
    const metBusy = (events: unknown[]) =>
      events.some((e) => {
        const exited = (e as { stateExitedEventDetails?: { name?: string; output?: string } }).stateExitedEventDetails;
        return exited?.name === 'GrowNodeGroup' && JSON.parse(exited.output ?? '{}').capacity?.wait_seconds === NODE_GROUP_BUSY_WAIT_SECONDS;
      });
    // Hold until both deploys have met the 409 (however slow this machine is), then let them through.
    try {
      await waitFor(
        async () => (await Promise.all((await ownExecutions()).map((arn) => t.history(arn)))).filter(metBusy).length,
        (n) => n === 2,
        'both deploys to meet ResourceInUseException',
        30_000,
        100,
      );
    } finally {
      await t.removeFault(held.id);
    }
    const [ra, rb] = await both;
    expect([ra.body.status, rb.body.status], `${ra.body.fail_reason} / ${rb.body.fail_reason}`).toEqual(['ready', 'ready']);
    const arns = (await t.executions('deploy')).filter((e) => [ra.id, rb.id].some((id) => e.name.startsWith(id))).map((e) => e.executionArn);
    const busy = (await Promise.all(arns.map((arn) => t.history(arn)))).filter(metBusy);
    expect(arns).toHaveLength(2);
    expect(busy, 'deploy executions that met ResourceInUseException').toHaveLength(2);
    await remove(a, ra.id, gpuConfig);
    await remove(b, rb.id, gpuConfig);
  }, 60_000);
});

describe('image pulls', () => {
  it("Docker Hub's toomanyrequests twice: ErrImagePull, then ImagePullBackOff, each time; then the pull succeeds and so does the deploy", async () => {
    const tenant = await t.tenant('prj-pull-limit');
    const rule = await t.addFault({ match: byProject(tenant), fault: 'docker_hub_rate_limit', count: 2 });
    // ErrImagePull shows for 5 s and the first back-off lasts 10 s (x 0.01): a watch sees every status the kubelet writes.
    const watch = watchPods(`gpudeploy.io/project=${tenant.project}`);
    let run: Awaited<ReturnType<typeof deployUntilReady>>;
    try {
      run = await deployUntilReady(tenant, 'm-pull-limit', 'l4-24gb', 40_000);
    } finally {
      await watch.stop();
    }
    expect(run.body.status, run.body.fail_reason).toBe('ready');
    const faults = (await (await fetch(`${t.cloud.simulator.url}/_sim/faults`)).json()) as { faults: { id: string; used?: number }[] };
    expect(faults.faults.find((f) => f.id === rule.id)?.used).toBe(2);

    const pods = new Set(watch.seen.map((s) => s.pod));
    expect(pods.size).toBe(1);
    const reasons = watch.seen.map((s) => s.waiting?.reason ?? (s.running ? 'Running' : 'none')).filter((r, i, all) => r !== all[i - 1]);
    expect(reasons.filter((r) => r !== 'ContainerCreating' && r !== 'none')).toEqual(['ErrImagePull', 'ImagePullBackOff', 'ErrImagePull', 'ImagePullBackOff', 'Running']);
    const limited = expect.stringMatching(/429 Too Many Requests - Server message: toomanyrequests: You have reached your unauthenticated pull rate limit/);
    expect(watch.seen.find((s) => s.waiting?.reason === 'ErrImagePull')?.waiting?.message).toEqual(limited);
    expect(watch.seen.find((s) => s.waiting?.reason === 'ImagePullBackOff')?.waiting?.message).toMatch(/^Back-off pulling image "vllm\/vllm-openai:[^"]+": ErrImagePull: .*toomanyrequests/);

    // The kubelet's events, deduplicated by reason and message as its recorder does.
    const [pod] = pods;
    const events = (await (await fetch(`${t.cloud.simulator.url}/api/v1/namespaces/models/events?fieldSelector=involvedObject.name=${pod}`)).json()) as {
      items: { type: string; reason: string; message: string; count: number }[];
    };
    const counted = (reason: string, message: RegExp) => events.items.filter((e) => e.reason === reason && message.test(e.message)).reduce((n, e) => n + e.count, 0);
    expect(counted('Failed', /^Failed to pull image "vllm\/vllm-openai:[^"]+": .*toomanyrequests/)).toBe(2);
    expect(counted('Failed', /^Error: ErrImagePull$/)).toBe(2);
    expect(counted('BackOff', /^Back-off pulling image "vllm\/vllm-openai:/)).toBe(2);
    expect(counted('Failed', /^Error: ImagePullBackOff$/)).toBe(2);
    expect(counted('Pulled', /Successfully pulled image/)).toBe(1);
    await remove(tenant, run.id, 'l4-24gb');
  }, 60_000);

  it('an image that does not exist fails at once as ImageNotFound', async () => {
    const started = Date.now();
    const run = await deployUntilFailed(t, { project: 'prj-no-image', fault: (tn) => ({ match: byProject(tn), fault: 'image_pull_backoff' }) });
    expect(Date.now() - started).toBeLessThan(8000); // not left to the 900 s image-pull deadline
    expect(run.body.fail_reason).toMatch(/^ImageNotFound: .*vllm\/vllm-openai.*not found/);
    await expectCleanFailure(t, run, 'ImageNotFound');
  });
});

interface ContainerSeen {
  pod: string;
  waiting?: { reason?: string; message?: string };
  running: boolean;
}

/** The main container's state in every pod status the API server sends on a watch, as an operator. */
const watchPods = (labelSelector: string) => {
  const seen: ContainerSeen[] = [];
  const abort = new AbortController();
  const url = `${t.cloud.simulator.url}/api/v1/namespaces/models/pods?watch=true&labelSelector=${encodeURIComponent(labelSelector)}`;
  const done = (async () => {
    const response = await fetch(url, { signal: abort.signal });
    const decoder = new TextDecoder();
    let buffer = '';
    for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
      buffer += decoder.decode(chunk, { stream: true });
      for (let newline = buffer.indexOf('\n'); newline >= 0; newline = buffer.indexOf('\n')) {
        const line = buffer.slice(0, newline).trim();
        buffer = buffer.slice(newline + 1);
        if (!line) continue;
        const { object } = JSON.parse(line) as { object: { metadata: { name: string }; status?: { containerStatuses?: { state?: { waiting?: ContainerSeen['waiting']; running?: unknown } }[] } } };
        const state = object.status?.containerStatuses?.[0]?.state;
        seen.push({ pod: object.metadata.name, ...(state?.waiting ? { waiting: state.waiting } : {}), running: state?.running !== undefined });
      }
    }
  })().catch((error: unknown) => {
    if (!abort.signal.aborted) throw error;
  });
  return {
    seen,
    stop: () => {
      abort.abort();
      return done;
    },
  };
};
