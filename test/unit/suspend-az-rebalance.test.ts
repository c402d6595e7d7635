/**
 * The custom resource that suspends AZRebalance on each GPU node group's Auto Scaling group
 * (aws-review.md M4), run as CloudFormation runs it: its SDK clients talk to the simulator's EKS
 * and Auto Scaling endpoints, and its answer is PUT to a local listener playing the ResponseURL.
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AutoScalingClient, DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { CustomResourceEvent } from '../../infra/custom-resources/cfn-response';
import { startSimulator, type RunningSimulator, type SimNodeGroupConfig } from '../../local/sim/index.js';

const CLUSTER = 'gpu-models';
const GPU: SimNodeGroupConfig = { name: 'gpu-l4-24gb', configId: 'l4-24gb', instanceType: 'g6.12xlarge', gpusPerNode: 4, gpuMemoryGiB: 22.4, minSize: 0, maxSize: 2 };
const OTHER: SimNodeGroupConfig = { ...GPU, name: 'gpu-a10g-24gb', configId: 'a10g-24gb', instanceType: 'g5.12xlarge' };
const PHYSICAL_ID = `${CLUSTER}/${GPU.name}/AZRebalance`;

let sim: RunningSimulator;
let autoscaling: AutoScalingClient;
let handler: (event: CustomResourceEvent) => Promise<void>;
const received: Record<string, unknown>[] = [];
const responses = createServer((request: IncomingMessage, response) => {
  let text = '';
  request.on('data', (chunk: Buffer) => (text += chunk.toString()));
  request.on('end', () => {
    received.push(JSON.parse(text) as Record<string, unknown>);
    response.writeHead(200).end();
  });
});
let responseUrl = '';

beforeAll(async () => {
  sim = await startSimulator({ clusterName: CLUSTER, nodeGroups: [GPU, OTHER], timeScale: 0.01 });
  await new Promise<void>((resolve) => responses.listen(0, '127.0.0.1', resolve));
  responseUrl = `http://127.0.0.1:${(responses.address() as AddressInfo).port}/response?X-Amz-Signature=x`;
  // The handler builds its clients with no endpoint, as in Lambda; the SDK's standard variable points them here.
  Object.assign(process.env, { AWS_ENDPOINT_URL: sim.url, AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local' });
  ({ handler } = await import('../../infra/custom-resources/suspend-az-rebalance'));
  autoscaling = new AutoScalingClient({ region: 'us-east-1', endpoint: sim.url, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
});
afterAll(async () => {
  autoscaling?.destroy();
  await new Promise<void>((resolve) => responses.close(() => resolve()));
  await sim?.close();
});
beforeEach(() => {
  received.length = 0;
});

const run = async (requestType: CustomResourceEvent['RequestType'], nodegroupName: string, physicalResourceId?: string) => {
  await handler({
    RequestType: requestType,
    ResponseURL: responseUrl,
    StackId: 'arn:aws:cloudformation:us-east-1:123456789012:stack/GpuControlPlane/1',
    RequestId: `request-${received.length}`,
    LogicalResourceId: 'SuspendAzRebalance',
    ...(physicalResourceId === undefined ? {} : { PhysicalResourceId: physicalResourceId }),
    ResourceProperties: { ServiceToken: 'arn:aws:lambda:us-east-1:123456789012:function:x', ClusterName: CLUSTER, NodegroupName: nodegroupName },
  });
  expect(received).toHaveLength(1);
  return received.pop() as { Status: string; PhysicalResourceId: string; Reason?: string; Data?: Record<string, string> };
};

/** Every Auto Scaling group of the cluster by its node group tag, with its suspended processes. */
const suspended = async (): Promise<Record<string, string[]>> => {
  const { AutoScalingGroups = [] } = await autoscaling.send(new DescribeAutoScalingGroupsCommand({}));
  return Object.fromEntries(
    AutoScalingGroups.map((g) => [g.Tags?.find((t) => t.Key === 'eks:nodegroup-name')?.Value ?? '?', (g.SuspendedProcesses ?? []).map((p) => p.ProcessName ?? '?')]),
  );
};

describe('suspend-az-rebalance custom resource (M4)', () => {
  it('Create suspends exactly AZRebalance on the node group ASG and no other group; Update re-applies it', async () => {
    const created = await run('Create', GPU.name);
    expect(created).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: PHYSICAL_ID, Data: { AutoScalingGroupName: sim.nodeGroup(GPU.name)?.asgName } });
    expect(await suspended()).toEqual({ [GPU.name]: ['AZRebalance'], [OTHER.name]: [] });
    expect(await run('Update', GPU.name, PHYSICAL_ID)).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: PHYSICAL_ID });
    expect(await suspended()).toEqual({ [GPU.name]: ['AZRebalance'], [OTHER.name]: [] });
  });

  it("Delete of another resource's id (a failed Create) touches nothing; Delete of its own resumes AZRebalance", async () => {
    await run('Create', GPU.name);
    expect(await run('Delete', GPU.name, 'failed-request-1')).toEqual(expect.objectContaining({ Status: 'SUCCESS', PhysicalResourceId: 'failed-request-1' }));
    expect((await suspended())[GPU.name]).toEqual(['AZRebalance']);
    expect(await run('Delete', GPU.name, PHYSICAL_ID)).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: PHYSICAL_ID });
    expect(await suspended()).toEqual({ [GPU.name]: [], [OTHER.name]: [] });
  });

  it('Delete of a node group that is gone succeeds: there is nothing left to resume', async () => {
    const gone = `${CLUSTER}/gpu-gone/AZRebalance`;
    expect(await run('Delete', 'gpu-gone', gone)).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: gone });
  });

  it("Create on a node group that does not exist answers FAILED with EKS's reason, so the stack stops there", async () => {
    const failed = await run('Create', 'gpu-gone');
    expect(failed).toMatchObject({ Status: 'FAILED', PhysicalResourceId: expect.stringMatching(/^failed-request-/) });
    expect(failed.Reason).toContain('No node group found for name: gpu-gone');
    expect(await suspended()).toEqual({ [GPU.name]: [], [OTHER.name]: [] });
  });
});
