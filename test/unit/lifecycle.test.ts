/** The lifecycle's transitions, as pure functions: no cloud, no mocks. */
import { describe, expect, it } from 'vitest';
import { markFailed } from '../../functions/domain/lifecycle';
import { serveFrom, totalsAt } from '../../functions/domain/usage';

const T0 = new Date('2026-12-06T10:00:00Z');
const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);

describe('markFailed', () => {
  it('ends the usage segment at the failure, so serving time and GPU time stop growing', () => {
    const serving = serveFrom(undefined, T0, 2);
    const { changes } = markFailed({ usage: serving }, at(30), { reason: 'WorkflowLost', message: 'the scale execution ended ABORTED' });
    expect(changes.usage.open).toBeNull();
    const an_hour_later = totalsAt(changes.usage, at(3600)).closed;
    expect(an_hour_later).toEqual(totalsAt(changes.usage, at(31)).closed);
    expect(an_hour_later.serving_ms).toBe(30_000);
    expect(an_hour_later.gpu_ms).toBe(60_000);
  });

  it('counts no instance and leaves no endpoint', () => {
    const { changes } = markFailed({}, at(5), { reason: 'OOMKilled', message: 'the container ran out of memory' });
    expect(changes).toMatchObject({
      status: 'failed',
      phase: 'failed',
      ready_since: null,
      endpoint_url: null,
      instances: { running: 0, pending: 0, observed_at: at(5).toISOString() },
    });
  });

  it('keeps the reason apart from the message in the event, and the API form `Reason: message` in fail_reason', () => {
    const plain = markFailed({}, T0, { reason: 'ImagePullBackOff', message: 'image not found' });
    expect(plain.changes.fail_reason).toBe('ImagePullBackOff: image not found');
    expect(plain.event).toEqual({ type: 'failed', reason: 'ImagePullBackOff', message: 'ImagePullBackOff: image not found' });
    const prefixed = markFailed({}, T0, { reason: 'WorkflowLost', message: 'WorkflowLost: the deploy execution died' });
    expect(prefixed.changes.fail_reason).toBe('WorkflowLost: the deploy execution died');
  });
});
