import { describe, expect, it } from 'vitest';
import type { V1Pod } from '@kubernetes/client-node';
import { nodesNeeded, pickInstancesToRelease, planNodeGroupGrowth, podKeepsNodeBusy } from '../../functions/domain/capacity';

describe('nodesNeeded', () => {
  it('packs replicas first-fit-decreasing onto nodes of the group size', () => {
    expect(nodesNeeded([], 4)).toBe(0);
    expect(nodesNeeded([{ gpuCount: 1, replicas: 1 }], 4)).toBe(1);
    expect(nodesNeeded([{ gpuCount: 1, replicas: 4 }], 4)).toBe(1);
    expect(nodesNeeded([{ gpuCount: 1, replicas: 5 }], 4)).toBe(2);
    expect(nodesNeeded([{ gpuCount: 3, replicas: 2 }, { gpuCount: 1, replicas: 2 }], 4)).toBe(2);
    expect(nodesNeeded([{ gpuCount: 4, replicas: 2 }, { gpuCount: 2, replicas: 1 }], 8)).toBe(2);
  });

  it('rejects a replica larger than a node', () => {
    expect(() => nodesNeeded([{ gpuCount: 8, replicas: 1 }], 4)).toThrow(RangeError);
  });
});

describe('planNodeGroupGrowth', () => {
  it('grows to the need, never shrinks, and refuses beyond max size', () => {
    expect(planNodeGroupGrowth({ minSize: 0, maxSize: 4, desiredSize: 0 }, 1)).toEqual({ kind: 'grow', from: 0, to: 1, needed: 1 });
    expect(planNodeGroupGrowth({ minSize: 0, maxSize: 4, desiredSize: 3 }, 1)).toEqual({ kind: 'sufficient', desiredSize: 3, needed: 1 });
    expect(planNodeGroupGrowth({ minSize: 0, maxSize: 2, desiredSize: 1 }, 3)).toEqual({ kind: 'exceeds_max', needed: 3, maxSize: 2 });
  });
});

describe('pickInstancesToRelease', () => {
  const members = [
    { instanceId: 'i-busy', joined: true, workloadPods: 1 },
    { instanceId: 'i-empty', joined: true, workloadPods: 0 },
    { instanceId: 'i-booting', joined: false, workloadPods: 0 },
  ];

  it('releases booting instances first, then empty ones, never a busy one', () => {
    expect(pickInstancesToRelease(members, 2, 0)).toEqual(['i-booting']);
    expect(pickInstancesToRelease(members, 1, 0)).toEqual(['i-booting', 'i-empty']);
    expect(pickInstancesToRelease(members, 0, 0)).toEqual(['i-booting', 'i-empty']);
  });

  it('keeps the group minimum and releases nothing when nothing is surplus', () => {
    expect(pickInstancesToRelease(members, 0, 3)).toEqual([]);
    expect(pickInstancesToRelease(members, 3, 0)).toEqual([]);
  });
});

describe('podKeepsNodeBusy (kubectl drain --ignore-daemonsets)', () => {
  const pod = (meta: V1Pod['metadata'], phase = 'Running'): V1Pod => ({ metadata: { name: 'p', namespace: 'ns', ...meta }, status: { phase } });
  const owner = (kind: string, controller = true, apiVersion = 'apps/v1') => ({ ownerReferences: [{ apiVersion, kind, name: 'o', uid: 'u', controller }] });

  it('ignores the pods a DaemonSet controls, mirror pods and finished pods', () => {
    expect(podKeepsNodeBusy(pod(owner('DaemonSet')))).toBe(false);
    expect(podKeepsNodeBusy(pod({ annotations: { 'kubernetes.io/config.mirror': 'a1b2c3' } }))).toBe(false);
    expect(podKeepsNodeBusy(pod(owner('ReplicaSet'), 'Succeeded'))).toBe(false);
    expect(podKeepsNodeBusy(pod(owner('ReplicaSet'), 'Failed'))).toBe(false);
  });

  it('counts every other pod: model replicas, bare pods, pending and terminating ones, and a DaemonSet that is only a non-controlling owner', () => {
    expect(podKeepsNodeBusy(pod(owner('ReplicaSet')))).toBe(true);
    expect(podKeepsNodeBusy(pod({}))).toBe(true);
    expect(podKeepsNodeBusy(pod(owner('ReplicaSet'), 'Pending'))).toBe(true);
    expect(podKeepsNodeBusy(pod({ ...owner('ReplicaSet'), deletionTimestamp: new Date() }))).toBe(true);
    expect(podKeepsNodeBusy(pod(owner('DaemonSet', false)))).toBe(true);
    expect(podKeepsNodeBusy(pod(owner('DaemonSet', true, 'example.com/v1')))).toBe(true);
  });
});
