/** The pure readings of Kubernetes objects (functions/domain/kubernetes-objects.ts). */
import type { V1Node, V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { instanceIdOf, isConditionTrue, isNodeReady, keepNewestBytes } from '../../functions/domain/kubernetes-objects';

const node = (ready: string | undefined, providerID?: string): V1Node => ({
  spec: providerID === undefined ? {} : { providerID },
  status: { conditions: ready === undefined ? [] : [{ type: 'MemoryPressure', status: 'False' }, { type: 'Ready', status: ready }] },
});

describe('isConditionTrue', () => {
  it('is true only for a condition of that type whose status is True', () => {
    const pod: V1Pod = { status: { conditions: [{ type: 'PodScheduled', status: 'True' }, { type: 'Ready', status: 'False' }] } };
    expect(isConditionTrue(pod, 'PodScheduled')).toBe(true);
    expect(isConditionTrue(pod, 'Ready')).toBe(false);
    expect(isConditionTrue(pod, 'Initialized')).toBe(false);
    expect(isConditionTrue({}, 'Ready')).toBe(false);
  });

  it('reads a node as Ready only when the kubelet says True (not False, not Unknown)', () => {
    expect(isNodeReady(node('True'))).toBe(true);
    expect(isNodeReady(node('False'))).toBe(false);
    expect(isNodeReady(node('Unknown'))).toBe(false);
    expect(isNodeReady(node(undefined))).toBe(false);
  });
});

describe('instanceIdOf', () => {
  it('takes the EC2 instance id from the provider id', () => {
    expect(instanceIdOf(node('True', 'aws:///us-east-1a/i-0abc'))).toBe('i-0abc');
    expect(instanceIdOf(node('True'))).toBeUndefined();
  });
});

describe('keepNewestBytes', () => {
  it('keeps a log that fits as it is', () => {
    expect(keepNewestBytes('a\nb\n', 4)).toEqual({ log: 'a\nb\n' });
  });

  it('drops the oldest lines, never showing a partial first line', () => {
    expect(keepNewestBytes('first line\nsecond\nthird\n', 13)).toEqual({ log: 'second\nthird\n', truncated: true });
    expect(keepNewestBytes('first line\nsecond\nthird\n', 12)).toEqual({ log: 'third\n', truncated: true });
  });

  it('counts bytes, not characters', () => {
    // 'é' is two bytes in UTF-8: 'éé\n' is 5 bytes
    expect(keepNewestBytes('éé\nx\n', 4)).toEqual({ log: 'x\n', truncated: true });
  });
});
