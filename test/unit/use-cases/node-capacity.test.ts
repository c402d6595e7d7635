import { describe, expect, it } from 'vitest';
import { DeploymentFailedError, SupersededError } from '../../../functions/domain/errors';
import { NotReadyYetError } from '../../../functions/domain/polling';
import { checkNodes, ensureNodeCapacity } from '../../../functions/use-cases/workflow/node-capacity';
import { inMemoryPorts } from '../../support/in-memory';
import { aDeployment, aNode, TENANT } from '../../support/in-memory/records';

const GROUP = 'gpu-l4-24gb';
const deploying = aDeployment({ status: 'initializing', phase: 'provisioning_nodes', gpu_count: 4, replicas: 2, reserved_gpus: 8 });
const input = { deployment: { ...TENANT, id: deploying.id, gpu_config_id: 'l4-24gb' }, execution: deploying.execution_arn };

const setUp = () => {
  const ports = inMemoryPorts();
  ports.deployments.seed(deploying);
  ports.nodeGroups.add(GROUP, { max: 4, desired: 0 });
  return ports;
};

describe('ensureNodeCapacity', () => {
  it('grows the node group to what every deployment on it needs, and waits for the boot', async () => {
    const ports = setUp();
    ports.deployments.seed(aDeployment({ id: 'dep-0009', gpu_count: 4, replicas: 1, reserved_gpus: 4 }));
    const wait = await ensureNodeCapacity(ports, input);
    expect(ports.nodeGroups.desiredSizes).toEqual([{ name: GROUP, size: 3 }]);
    expect(wait).toEqual({ needed: 3, started_at: ports.clock.now().toISOString(), ready: false, wait_seconds: 90 });
  });

  it('fails as InsufficientCapacity past the group maximum, and waits briefly while the group is busy', async () => {
    const ports = setUp();
    ports.deployments.seed(aDeployment({ id: 'dep-0009', gpu_count: 4, replicas: 3, reserved_gpus: 12 }));
    await expect(ensureNodeCapacity(ports, input)).rejects.toMatchObject({ reason: 'InsufficientCapacity' });

    const busy = setUp();
    busy.nodeGroups.groups.get(GROUP)!.busy = true;
    expect(await ensureNodeCapacity(busy, input)).toMatchObject({ needed: 2, wait_seconds: 10 });
    expect(busy.nodeGroups.desiredSizes).toEqual([]);
  });

  it('is superseded once another execution owns the deployment', async () => {
    const ports = setUp();
    await expect(ensureNodeCapacity(ports, { ...input, execution: 'arn:older' })).rejects.toBeInstanceOf(SupersededError);
  });
});

describe('checkNodes', () => {
  const capacity = (ports: ReturnType<typeof setUp>) => ({ needed: 2, started_at: ports.clock.now().toISOString(), ready: false, wait_seconds: 90 });

  it('stamps nodes_ready once enough schedulable nodes are Ready', async () => {
    const ports = setUp();
    const wait = capacity(ports);
    ports.cluster.nodes = [aNode('n1', 'i-1'), aNode('n2', 'i-2', { unschedulable: true })];
    ports.clock.advance(100);
    expect(await checkNodes(ports, { ...input, capacity: wait })).toMatchObject({ ready: false, wait_seconds: 40 });
    ports.cluster.nodes.push(aNode('n3', 'i-3'));
    expect(await checkNodes(ports, { ...input, capacity: wait })).toMatchObject({ ready: true, wait_seconds: 0 });
    expect(ports.deployments.peek(input.deployment)?.timeline.nodes_ready).toBe(ports.clock.now().toISOString());
  });

  it('polls cheaply near the expected time, grows again a desired size that fell short, and times out at the deadline', async () => {
    const ports = setUp();
    const wait = capacity(ports);
    ports.clock.advance(170);
    await expect(checkNodes(ports, { ...input, capacity: wait })).rejects.toBeInstanceOf(NotReadyYetError);
    expect(ports.nodeGroups.desiredSizes).toEqual([{ name: GROUP, size: 2 }]);
    ports.clock.advance(800);
    const failed = await checkNodes(ports, { ...input, capacity: wait }).catch((error: unknown) => error);
    expect(failed).toBeInstanceOf(DeploymentFailedError);
    expect(failed).toMatchObject({ reason: 'NodeProvisioningTimeout' });
  });

  it('fails at once on a launch failure of this grow that will not pass, but not on one from before it', async () => {
    const ports = setUp();
    const wait = capacity(ports);
    const group = ports.nodeGroups.groups.get(GROUP)!;
    group.activities.push({ statusCode: 'Failed', statusMessage: 'The requested configuration is currently not supported.', description: 'Launching a new EC2 instance', startTime: new Date(Date.parse(wait.started_at) - 60_000) });
    ports.clock.advance(30);
    expect(await checkNodes(ports, { ...input, capacity: wait })).toMatchObject({ ready: false });
    group.activities.push({ statusCode: 'Failed', statusMessage: 'The requested configuration is currently not supported.', description: 'Launching a new EC2 instance', startTime: ports.clock.now() });
    await expect(checkNodes(ports, { ...input, capacity: wait })).rejects.toMatchObject({ reason: 'NodeGroupUnhealthy' });
  });
});
