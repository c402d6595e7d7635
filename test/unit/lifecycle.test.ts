/** The lifecycle's transitions, as pure functions: no cloud, no mocks. */
import { describe, expect, it } from 'vitest';
import { DeploymentFailedError, failureOfCaught, formatFailure } from '../../functions/domain/errors';
import {
  accept,
  ASL_EVENT_PHASES,
  ASL_EVENTS,
  enterPhase,
  isInFlight,
  markDeleteFailed,
  markFailed,
  markPaused,
  markReady,
  milestonesReached,
  scaleKind,
  startDelete,
  startScale,
} from '../../functions/domain/lifecycle';
import { serveFrom, totalsAt } from '../../functions/domain/usage';

const T0 = new Date('2026-12-06T10:00:00Z');
const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);

describe('isInFlight', () => {
  it('lists every phase an execution works in, and no resting phase', () => {
    for (const phase of ['accepted', 'provisioning_nodes', 'scheduling', 'pulling_image', 'loading_model', 'scaling', 'deleting'] as const) {
      expect(isInFlight(phase)).toBe(true);
    }
    for (const phase of ['ready', 'failed', 'paused'] as const) expect(isInFlight(phase)).toBe(false);
  });
});

describe('accept', () => {
  it('starts initializing in phase accepted, owned by a deploy, with its GPUs already reserved', () => {
    const accepted = accept('Qwen/Qwen2.5-0.5B-Instruct');
    expect(accepted.changes).toEqual({ status: 'initializing', phase: 'accepted', fail_reason: null, endpoint_url: null, ready_since: null, operation: 'deploy' });
    expect(accepted.milestones).toEqual(['accepted', 'capacity_reserved']);
    expect(accepted.event).toEqual({ type: 'accepted', message: 'deployment of Qwen/Qwen2.5-0.5B-Instruct accepted' });
    expect(isInFlight(accepted.changes.phase)).toBe(true);
  });
});

describe('startScale', () => {
  const ready = { phase: 'ready' as const, replicas: 2 };
  const paused = { phase: 'paused' as const, replicas: 0 };

  it('tells a pause, a resume and a scale apart by the replicas before and after', () => {
    expect(scaleKind(ready, 0)).toBe('pause');
    expect(scaleKind(paused, 1)).toBe('resume');
    expect(scaleKind(ready, 3)).toBe('scale');
  });

  it('hands the deployment to the scale workflow in phase scaling, keeping its status', () => {
    const scale = startScale(ready, 3, 6, 'requested');
    expect(scale.changes).toEqual({ replicas: 3, phase: 'scaling', reserved_gpus: 6 });
    expect(scale.changes).not.toHaveProperty('status');
    expect(scale.event).toEqual({ type: 'scale_requested', message: 'scale from 2 to 3 replicas requested' });
  });

  it('says pause and resume in the history, with who asked', () => {
    expect(startScale(ready, 0, 4, 'by the schedule').event).toEqual({ type: 'pause_requested', message: 'pause (scale from 2 to 0 replicas) by the schedule' });
    expect(startScale(paused, 2, 4, 'requested').event).toEqual({ type: 'resume_requested', message: 'resume with 2 replicas requested' });
  });
});

describe('startDelete', () => {
  it('makes the deployment terminating and no longer ready', () => {
    expect(startDelete()).toEqual({
      changes: { status: 'terminating', phase: 'deleting', ready_since: null },
      event: { type: 'delete_requested', message: 'deletion requested' },
    });
  });

  it('records why a delete was restarted', () => {
    expect(startDelete('WorkflowLost: the delete execution x ended ABORTED').event).toEqual({
      type: 'delete_restarted',
      message: 'deletion restarted: WorkflowLost: the delete execution x ended ABORTED',
    });
  });
});

describe('enterPhase', () => {
  const deploying = { operation: 'deploy' as const, phase: 'scheduling' as const, timeline: { accepted: T0.toISOString() } };

  it('records a deploy entering a new phase, with the milestones the pods passed on the way', () => {
    expect(enterPhase(deploying, 'loading_model', 'loading model weights')).toEqual({
      changes: { phase: 'loading_model' },
      event: { type: 'phase_changed', message: 'phase loading_model: loading model weights' },
      milestones: ['scheduled', 'image_pulled', 'model_loading'],
    });
    expect(enterPhase({ ...deploying, phase: 'accepted' }, 'provisioning_nodes')).toEqual({
      changes: { phase: 'provisioning_nodes' },
      event: { type: 'phase_changed', message: 'phase provisioning_nodes' },
      milestones: [],
    });
  });

  it('is idempotent: the same phase again writes nothing, and no milestone is stamped twice', () => {
    const pulling = { ...deploying, phase: 'pulling_image' as const, timeline: { ...deploying.timeline, scheduled: at(5).toISOString() } };
    expect(enterPhase(pulling, 'pulling_image', 'pulling the model server image')).toEqual({ changes: {}, milestones: [] });
    expect(milestonesReached(pulling, 'loading_model')).toEqual(['image_pulled', 'model_loading']);
  });

  it('leaves a scale in phase scaling, but still stamps milestones its record lacks', () => {
    const scaling = { operation: 'scale' as const, phase: 'scaling' as const, timeline: {} };
    expect(enterPhase(scaling, 'pulling_image', 'pulling')).toEqual({ changes: {}, milestones: ['scheduled'] });
  });

  it('maps every ASL event to a phase', () => {
    expect(ASL_EVENTS).toEqual(['provisioning_started']);
    for (const event of ASL_EVENTS) expect(isInFlight(ASL_EVENT_PHASES[event])).toBe(true);
  });
});

describe('markReady', () => {
  const record = { status: 'initializing' as const, ready_since: null, usage: undefined, replicas: 2, gpu_count: 4 };

  it('serves at the endpoint from now, opening a usage segment for every GPU serving', () => {
    const ready = markReady(record, at(60), 'http://m.svc:8000/v1');
    expect(ready.changes).toMatchObject({ status: 'ready', phase: 'ready', fail_reason: null, endpoint_url: 'http://m.svc:8000/v1', ready_since: at(60).toISOString() });
    expect(ready.changes.usage.open).toEqual({ since: at(60).toISOString(), gpus: 8 });
    expect(ready.milestones).toEqual(['ready']);
    expect(ready.event).toEqual({ type: 'ready', message: '2 replica(s) ready; serving at the endpoint' });
  });

  it('keeps ready_since across a scale of a ready deployment, and the open segment when the GPUs do not change', () => {
    const first = markReady(record, at(60), 'e').changes;
    const again = markReady({ ...record, ...first }, at(600), 'e').changes;
    expect(again.ready_since).toBe(at(60).toISOString());
    expect(again.usage).toBe(first.usage);
    const grown = markReady({ ...record, ...first, replicas: 3 }, at(600), 'e').changes;
    expect(grown.ready_since).toBe(at(60).toISOString());
    expect(grown.usage.open).toEqual({ since: at(600).toISOString(), gpus: 12 });
    expect(grown.usage.closed.gpu_ms).toBe(540_000 * 8);
  });
});

describe('markPaused', () => {
  it('stops serving: no endpoint, not ready, the usage segment closed', () => {
    const paused = markPaused({ usage: serveFrom(undefined, T0, 2) }, at(10), 600);
    expect(paused.changes).toMatchObject({ status: 'initializing', phase: 'paused', fail_reason: null, endpoint_url: null, ready_since: null });
    expect(paused.changes.usage.open).toBeNull();
    expect(paused.changes.usage.closed).toEqual({ serving_ms: 10_000, gpu_ms: 20_000 });
    expect(paused.event).toEqual({ type: 'paused', message: 'paused: no pods; GPUs and nodes are given back in 600 s unless it resumes' });
    expect(isInFlight(paused.changes.phase)).toBe(false);
  });
});

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

  it('is idempotent: failing a failed deployment again changes its usage no further', () => {
    const once = markFailed({ usage: serveFrom(undefined, T0, 2) }, at(30), { reason: 'OOMKilled', message: 'x' }).changes;
    const twice = markFailed(once, at(90), { reason: 'OOMKilled', message: 'x' }).changes;
    expect(twice.usage).toEqual(once.usage);
  });

  it('keeps the reason apart from the message in the event, and the API form `Reason: message` in fail_reason', () => {
    const failed = markFailed({}, T0, { reason: 'ImagePullBackOff', message: 'image not found' });
    expect(failed.changes.fail_reason).toBe('ImagePullBackOff: image not found');
    expect(failed.event).toEqual({ type: 'failed', reason: 'ImagePullBackOff', message: 'ImagePullBackOff: image not found' });
  });

  it('bounds fail_reason to 2000 characters', () => {
    expect(markFailed({}, T0, { reason: 'CrashLoopBackOff', message: 'x'.repeat(5000) }).changes.fail_reason).toHaveLength(2000);
  });
});

describe('markDeleteFailed', () => {
  it('stays deleting (a new delete retries it) and keeps the reason', () => {
    expect(markDeleteFailed({ reason: 'States.Timeout', message: 'the task timed out' })).toEqual({
      changes: { phase: 'deleting', fail_reason: 'States.Timeout: the task timed out' },
      event: { type: 'delete_failed', message: 'States.Timeout: the task timed out', reason: 'States.Timeout' },
    });
  });
});

describe('typed failures across Step Functions', () => {
  const caughtFrom = (error: Error) => ({ Error: error.name, Cause: JSON.stringify({ errorType: error.name, errorMessage: error.message, trace: [] }) });

  it('gets back the reason and message a task threw, through the Cause JSON', () => {
    const thrown = new DeploymentFailedError('ModelAccessDenied', 'Hugging Face refused: gated model. Last log lines:\n401: unauthorized');
    expect(failureOfCaught(caughtFrom(thrown))).toEqual(thrown.failure);
    expect(formatFailure(failureOfCaught(caughtFrom(thrown)))).toBe(thrown.message);
  });

  it('names any other error by its Error, with its message', () => {
    expect(failureOfCaught(caughtFrom(new TypeError('x is undefined')))).toEqual({ reason: 'TypeError', message: 'x is undefined' });
    expect(failureOfCaught({ Error: 'States.Timeout', Cause: 'Task timed out after 120 seconds' })).toEqual({ reason: 'States.Timeout', message: 'Task timed out after 120 seconds' });
    expect(failureOfCaught({ Error: 'States.Timeout' })).toEqual({ reason: 'States.Timeout', message: '' });
  });

  it('keeps an unclassified DeploymentFailed message whole, as a generic failure', () => {
    expect(failureOfCaught({ Error: 'DeploymentFailed', Cause: JSON.stringify({ errorMessage: 'no reason given' }) })).toEqual({ reason: 'Failed', message: 'no reason given' });
  });
});
