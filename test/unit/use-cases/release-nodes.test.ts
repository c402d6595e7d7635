import { describe, expect, it } from 'vitest';
import { RELEASE_CORDON_ANNOTATION } from '../../../functions/domain/capacity';
import { releaseIdleNodesOf } from '../../../functions/use-cases/release-nodes';
import { inMemoryPorts } from '../../support/in-memory';
import { aDeployment, aNode, aPod } from '../../support/in-memory/records';

const GROUP = 'gpu-l4-24gb';
const inService = (...ids: string[]) => ids.map((instanceId) => ({ instanceId, lifecycleState: 'InService' }));

describe('releaseIdleNodesOf', () => {
  it('terminates the idle nodes no deployment needs, booting instances first, never a busy one', async () => {
    const ports = inMemoryPorts();
    ports.deployments.seed(aDeployment({ gpu_count: 4, replicas: 1, reserved_gpus: 4 }));
    ports.nodeGroups.add(GROUP, { max: 4 }, inService('i-busy', 'i-idle', 'i-booting'));
    ports.cluster.nodes = [aNode('busy', 'i-busy'), aNode('idle', 'i-idle')];
    ports.cluster.pods = [aPod('model-a', 'dep-0001', 'busy')];
    const result = await releaseIdleNodesOf(ports, 'l4-24gb');
    expect(result).toEqual({ released: ['i-booting', 'i-idle'], needed: 1 });
    expect(ports.nodeGroups.groups.get(GROUP)?.state.desiredSize).toBe(1);
    expect(ports.cluster.nodes.find((n) => n.metadata?.name === 'idle')?.spec?.unschedulable).toBe(true);
  });

  it('keeps and uncordons a node a pod landed on after the cordon', async () => {
    const ports = inMemoryPorts();
    ports.nodeGroups.add(GROUP, { max: 4 }, inService('i-1'));
    ports.cluster.nodes = [aNode('n1', 'i-1')];
    const { cluster } = ports;
    const racing = {
      ...ports,
      cluster: Object.assign(Object.create(cluster) as typeof cluster, {
        cordonNode: async (...args: Parameters<typeof cluster.cordonNode>) => {
          await cluster.cordonNode(...args);
          cluster.pods.push(aPod('late', 'dep-0002', 'n1'));
        },
      }),
    };
    expect(await releaseIdleNodesOf(racing, 'l4-24gb')).toEqual({ released: [], needed: 0 });
    expect(ports.nodeGroups.terminated).toEqual([]);
    expect(cluster.nodes[0]?.spec?.unschedulable).toBe(false);
    expect(cluster.nodes[0]?.metadata?.annotations?.[RELEASE_CORDON_ANNOTATION]).toBeUndefined();
  });

  it('lifts a release cordon left behind by a crash once it is stale, and not before', async () => {
    const ports = inMemoryPorts();
    ports.deployments.seed(aDeployment({ gpu_count: 4, replicas: 1, reserved_gpus: 4 }));
    const cordonedAt = ports.clock.now().toISOString();
    ports.nodeGroups.add(GROUP, { max: 4 }, inService('i-1'));
    ports.cluster.nodes = [aNode('n1', 'i-1', { unschedulable: true, annotations: { [RELEASE_CORDON_ANNOTATION]: cordonedAt } })];
    ports.clock.advance(60);
    await releaseIdleNodesOf(ports, 'l4-24gb');
    expect(ports.cluster.nodes[0]?.spec?.unschedulable).toBe(true);
    ports.clock.advance(300);
    await releaseIdleNodesOf(ports, 'l4-24gb');
    expect(ports.cluster.nodes[0]?.spec?.unschedulable).toBe(false);
  });

  it('lowers a desired size no instance backs (failed launches) only when asked', async () => {
    const ports = inMemoryPorts();
    ports.nodeGroups.add(GROUP, { max: 4, desired: 3 }, inService('i-1'));
    ports.cluster.nodes = [aNode('n1', 'i-1')];
    ports.cluster.pods = [aPod('model-a', 'dep-0001', 'n1')];
    ports.deployments.seed(aDeployment({ gpu_count: 4, replicas: 1, reserved_gpus: 4 }));
    expect(await releaseIdleNodesOf(ports, 'l4-24gb')).toEqual({ released: [], needed: 1 });
    ports.cluster.pods = [];
    ports.deployments.seed(aDeployment({ id: 'dep-0002', gpu_count: 4, replicas: 1, reserved_gpus: 4 }));
    expect(await releaseIdleNodesOf(ports, 'l4-24gb', { lowerUnlaunchedDesired: true })).toEqual({ released: [], needed: 2, desired_lowered: { from: 3, to: 2 } });
    expect(ports.nodeGroups.groups.get(GROUP)?.state.desiredSize).toBe(2);
  });
});
