import { describe, expect, it } from 'vitest';
import { daemonPodNode, nodeEligibility } from '../../local/sim/controllers/daemonset';
import type { DaemonSet, Node, Pod, PodSpec, Taint } from '../../local/sim/apiserver/types';
import { unschedulableMessage } from '../../local/sim/scheduler/scheduler';

const node = (taints: Taint[] = [], labels: Record<string, string> = {}, unschedulable = false): Node => ({
  apiVersion: 'v1',
  kind: 'Node',
  metadata: { name: 'ip-10-0-1-4.ec2.internal', uid: 'n', resourceVersion: '1', creationTimestamp: '', labels: { 'kubernetes.io/os': 'linux', ...labels } },
  spec: { ...(taints.length > 0 ? { taints } : {}), ...(unschedulable ? { unschedulable } : {}) },
  status: { capacity: {}, allocatable: {}, conditions: [], addresses: [], nodeInfo: {} },
});

const daemonSet = (spec: Partial<PodSpec>): DaemonSet => ({
  apiVersion: 'apps/v1',
  kind: 'DaemonSet',
  metadata: { name: 'agent', namespace: 'kube-system', uid: 'd', resourceVersion: '1', creationTimestamp: '' },
  spec: { selector: { matchLabels: { app: 'agent' } }, template: { metadata: { labels: { app: 'agent' } }, spec: { containers: [{ name: 'a', image: 'a:1' }], ...spec } } },
});

const GPU_TAINT: Taint = { key: 'nvidia.com/gpu', value: 'true', effect: 'NoSchedule' };

describe('nodeEligibility (NodeShouldRunDaemonPod)', () => {
  it('places a tolerate-everything agent on tainted GPU nodes', () => {
    expect(nodeEligibility(daemonSet({ tolerations: [{ operator: 'Exists' }] }), node([GPU_TAINT]))).toEqual({ shouldRun: true, shouldContinueRunning: true });
  });

  it('keeps a pod it does not tolerate off a NoSchedule taint, but lets one already there stay', () => {
    expect(nodeEligibility(daemonSet({}), node([GPU_TAINT]))).toEqual({ shouldRun: false, shouldContinueRunning: true });
    expect(nodeEligibility(daemonSet({ tolerations: [{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }] }), node([GPU_TAINT])).shouldRun).toBe(true);
    expect(nodeEligibility(daemonSet({ tolerations: [{ key: 'nvidia.com/gpu', operator: 'Equal', value: 'false' }] }), node([GPU_TAINT])).shouldRun).toBe(false);
  });

  it('removes a pod from a node with an untolerated NoExecute taint', () => {
    expect(nodeEligibility(daemonSet({}), node([{ key: 'dedicated', value: 'x', effect: 'NoExecute' }]))).toEqual({ shouldRun: false, shouldContinueRunning: false });
  });

  it('adds the controller tolerations: cordoned, unreachable and (hostNetwork) network-unavailable nodes still get daemon pods', () => {
    const cordoned = node([{ key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' }], {}, true);
    expect(nodeEligibility(daemonSet({}), cordoned).shouldRun).toBe(true);
    const unreachable = node([
      { key: 'node.kubernetes.io/unreachable', effect: 'NoSchedule' },
      { key: 'node.kubernetes.io/unreachable', effect: 'NoExecute' },
    ]);
    // NoExecute is tolerated by the controller's toleration; NoSchedule (not added by it) is not.
    expect(nodeEligibility(daemonSet({}), unreachable)).toEqual({ shouldRun: false, shouldContinueRunning: true });
    const noNetwork = node([{ key: 'node.kubernetes.io/network-unavailable', effect: 'NoSchedule' }]);
    expect(nodeEligibility(daemonSet({}), noNetwork).shouldRun).toBe(false);
    expect(nodeEligibility(daemonSet({ hostNetwork: true }), noNetwork).shouldRun).toBe(true);
  });

  it('honours nodeSelector and required node affinity', () => {
    expect(nodeEligibility(daemonSet({ nodeSelector: { 'kubernetes.io/os': 'windows' } }), node()).shouldRun).toBe(false);
    const affinity = (op: 'In' | 'NotIn', values: string[]) => ({
      nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'eks.amazonaws.com/compute-type', operator: op, values }] }] } },
    });
    expect(nodeEligibility(daemonSet({ affinity: affinity('NotIn', ['fargate']) }), node()).shouldRun).toBe(true);
    expect(nodeEligibility(daemonSet({ affinity: affinity('NotIn', ['fargate']) }), node([], { 'eks.amazonaws.com/compute-type': 'fargate' }))).toEqual({
      shouldRun: false,
      shouldContinueRunning: false,
    });
  });
});

describe('daemonPodNode', () => {
  it('reads the bound node, else the node the matchFields affinity names', () => {
    const pod = (spec: Partial<PodSpec>): Pod => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', uid: 'p', resourceVersion: '', creationTimestamp: '' }, spec: { containers: [], ...spec } });
    expect(daemonPodNode(pod({ nodeName: 'a' }))).toBe('a');
    expect(
      daemonPodNode(pod({ affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['b'] }] }] } } } })),
    ).toBe('b');
    expect(daemonPodNode(pod({}))).toBeUndefined();
  });
});

describe('unschedulableMessage', () => {
  it('gives each node its preemption verdict: resources could be freed (no victims here), other filters cannot', () => {
    expect(unschedulableMessage(3, [['Insufficient nvidia.com/gpu'], ['Insufficient cpu', 'Insufficient nvidia.com/gpu'], ["node(s) didn't match Pod's node affinity/selector"]])).toBe(
      "0/3 nodes are available: 1 Insufficient cpu, 1 node(s) didn't match Pod's node affinity/selector, 2 Insufficient nvidia.com/gpu. " +
        'preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling, 2 No preemption victims found for incoming pod.',
    );
  });
});
