import type { ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import { LOAD_SCALING_DEFAULTS } from '../../../contract/requests/scale';
import type { DeploymentRecord } from '../../../functions/domain/deployment';
import type { WakeResult } from '../../../functions/use-cases/wake';
import { ColdStarts } from '../../../gateway/cold-starts';
import { GatewayError } from '../../../gateway/errors';
import { aDeployment, TENANT } from '../../support/in-memory/records';

const paused = aDeployment({ replicas: 0, status: 'initializing', phase: 'paused', operation: 'scale', autoscaling: { min_replicas: 0, max_replicas: 2 }, load_scaling: LOAD_SCALING_DEFAULTS });
const ready = aDeployment({ replicas: 1, autoscaling: { min_replicas: 0, max_replicas: 2 }, load_scaling: LOAD_SCALING_DEFAULTS });
const waking: WakeResult = { state: 'waking', started: true, replicas: 1, expected_ready_at: '2026-12-01T10:02:00.000Z', retry_after_seconds: 120 };

/** A response that records what the gateway wrote. */
const response = () => {
  const written: string[] = [];
  let head: number | undefined;
  const fake = {
    destroyed: false,
    writableEnded: false,
    writeHead: (status: number) => ((head = status), fake),
    write: (chunk: string) => (written.push(chunk), true),
  };
  return { res: fake as unknown as ServerResponse, written, status: () => head };
};

/** A deployment that turns ready after `readyAfter` reads; the wake is counted. */
const world = (readyAfter: number, result: WakeResult = waking) => {
  let reads = 0;
  const wakes: number[] = [];
  const coldStarts = new ColdStarts(
    async () => {
      wakes.push(1);
      await new Promise((resolve) => setTimeout(resolve, 5));
      return result;
    },
    async (): Promise<DeploymentRecord> => ((reads += 1) > readyAfter ? ready : { ...paused, phase: 'scaling', replicas: 1 }),
    { pollMs: 2, keepAliveMs: 1, maxWaiters: 3, maxHoldMs: 2000, sseHeaders: { 'content-type': 'text/event-stream' } },
  );
  return { coldStarts, wakes };
};

const refusal = async (promise: Promise<unknown>): Promise<GatewayError> => {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  if (!(error instanceof GatewayError)) throw new Error(`expected a GatewayError, got ${String(error)}`);
  return error;
};

describe('ColdStarts', () => {
  it('applies to a paused or resuming deployment that may wake, not to one paused by hand, a deploy in progress, or a ready one', () => {
    const { coldStarts } = world(0);
    expect(coldStarts.applies(paused)).toBe(true);
    expect(coldStarts.applies({ ...paused, phase: 'scaling', replicas: 1 })).toBe(true);
    expect(coldStarts.applies({ ...paused, load_scaling: null, autoscaling: null })).toBe(false);
    expect(coldStarts.applies({ ...paused, phase: 'loading_model', operation: 'deploy' })).toBe(false);
    expect(coldStarts.applies({ ...ready, phase: 'scaling', operation: 'scale' })).toBe(false);
  });

  it('wakes once for concurrent requests, holds a stream with keep-alives and a request that asked, and counts them as held', async () => {
    const { coldStarts, wakes } = world(5);
    const stream = response();
    const plain = response();
    const holds = [
      coldStarts.hold(TENANT, paused, { streaming: true, scaleUpTimeout: undefined }, stream.res),
      coldStarts.hold(TENANT, paused, { streaming: false, scaleUpTimeout: '30' }, plain.res),
    ];
    await new Promise((resolve) => setTimeout(resolve, 7));
    expect(coldStarts.held().get(paused.id)).toBe(2);
    expect(await Promise.all(holds)).toEqual([ready, ready]);
    expect(wakes).toHaveLength(1);
    expect(stream.status()).toBe(200);
    expect(stream.written[0]).toBe(': waiting for the model to start\n\n');
    expect(plain.status()).toBeUndefined();
    expect(coldStarts.held().size).toBe(0);
  });

  it('answers a plain request without X-Scale-Up-Timeout 503 with Retry-After from the ETA, and refuses waiters past the cap', async () => {
    const { coldStarts } = world(1000);
    const plain = await refusal(coldStarts.hold(TENANT, paused, { streaming: false, scaleUpTimeout: undefined }, response().res));
    expect(plain).toMatchObject({ status: 503, code: 'deployment_starting', retryAfter: 120 });
    const holds = Array.from({ length: 3 }, () => coldStarts.hold(TENANT, paused, { streaming: false, scaleUpTimeout: '0.05' }, response().res).catch((e: unknown) => e));
    await new Promise((resolve) => setTimeout(resolve, 8));
    expect(await refusal(coldStarts.hold(TENANT, paused, { streaming: false, scaleUpTimeout: '30' }, response().res))).toMatchObject({ status: 503, code: 'deployment_starting' });
    // the three held ones time out after their 50 ms
    expect(await Promise.all(holds)).toEqual(Array(3).fill(expect.objectContaining({ status: 503, code: 'scale_up_timeout' })));
  });

  it('passes on why a deployment cannot wake', async () => {
    const { coldStarts } = world(0, { state: 'unavailable', reason: 'no GPU capacity left', retry_after_seconds: 60 });
    expect(await refusal(coldStarts.hold(TENANT, paused, { streaming: true, scaleUpTimeout: undefined }, response().res))).toMatchObject({
      status: 503,
      message: 'no GPU capacity left',
      retryAfter: 60,
    });
  });
});
