/** kubectl's STATUS and AGE cells as kube-apiserver's printers derive them. */
import { describe, expect, it } from 'vitest';
import { humanDuration, printerFor } from '../../local/sim/apiserver/table-printers.js';
import type { KubeObject } from '../../local/sim/apiserver/types.js';

const NOW = Date.parse('2026-12-06T12:00:00Z');

const pod = (status: Record<string, unknown>, extra: Partial<KubeObject['metadata']> = {}): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'p', uid: 'u', resourceVersion: '1', creationTimestamp: '2026-12-06T11:55:00Z', ...extra },
  spec: { containers: [{ name: 'c' }], nodeName: 'n1' },
  status,
});

const cells = (obj: KubeObject): unknown[] => printerFor(obj.kind === 'Pod' ? 'pods' : 'nodes').cells(obj, NOW);

describe('pod STATUS', () => {
  it.each([
    ['ContainerCreating', { phase: 'Pending', containerStatuses: [{ ready: false, restartCount: 0, state: { waiting: { reason: 'ContainerCreating' } } }] }],
    ['ImagePullBackOff', { phase: 'Pending', containerStatuses: [{ ready: false, restartCount: 0, state: { waiting: { reason: 'ImagePullBackOff' } } }] }],
    ['CrashLoopBackOff', { phase: 'Running', containerStatuses: [{ ready: false, restartCount: 4, state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: { terminated: { exitCode: 1, reason: 'Error', finishedAt: '2026-12-06T11:58:00Z' } } }] }],
    ['Completed', { phase: 'Succeeded', containerStatuses: [{ ready: false, restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed' } } }] }],
    ['ExitCode:2', { phase: 'Failed', containerStatuses: [{ ready: false, restartCount: 0, state: { terminated: { exitCode: 2 } } }] }],
    ['Running', { phase: 'Running', containerStatuses: [{ ready: true, restartCount: 0, state: { running: {} } }] }],
    ['Pending', { phase: 'Pending' }],
  ])('%s', (expected, status) => {
    expect(cells(pod(status))[2]).toBe(expected);
  });

  it('Terminating wins once deletionTimestamp is set; restarts say when', () => {
    const row = cells(pod({ phase: 'Running', containerStatuses: [{ ready: true, restartCount: 2, state: { running: {} }, lastState: { terminated: { exitCode: 1, finishedAt: '2026-12-06T11:58:00Z' } } }] }, { deletionTimestamp: '2026-12-06T12:00:30Z' }));
    expect(row.slice(1, 5)).toEqual(['1/1', 'Terminating', '2 (2m ago)', '5m']);
  });
});

describe('node STATUS', () => {
  it('adds SchedulingDisabled to a cordoned node and lists roles', () => {
    const node: KubeObject = {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: 'n', uid: 'u', resourceVersion: '1', creationTimestamp: '2026-12-06T11:00:00Z', labels: { 'node-role.kubernetes.io/gpu': '' } },
      spec: { unschedulable: true },
      status: { conditions: [{ type: 'Ready', status: 'True' }], nodeInfo: { kubeletVersion: 'v1.31.4' } },
    };
    expect(cells(node).slice(0, 5)).toEqual(['n', 'Ready,SchedulingDisabled', 'gpu', '60m', 'v1.31.4']);
  });
});

describe('humanDuration', () => {
  it.each([
    [5_000, '5s'],
    [119_000, '119s'],
    [150_000, '2m30s'],
    [600_000, '10m'],
    [3 * 3600_000 + 5 * 60_000, '3h5m'],
    [30 * 3600_000, '30h'],
    [50 * 3600_000, '2d2h'],
    [30 * 86400_000, '30d'],
  ])('%d ms is %s', (ms, text) => {
    expect(humanDuration(ms)).toBe(text);
  });
});
