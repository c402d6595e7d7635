/**
 * Scale from zero in the gateway (issue 16, docs/autoscaling.md): a request for a paused
 * deployment (or one being resumed) wakes it through the control plane's `wakeDeployment`, once
 * per deployment however many requests arrive (singleflight here; the use case's conditional
 * write makes it once across gateway instances), and then:
 *
 *  - a streaming request is answered 200 at once and held with SSE keep-alive comments until the
 *    deployment is ready (bounded: `maxHoldMs`), then proxied as usual; past the bound it gets an
 *    SSE error event;
 *  - a non-streaming request is held only when the client sends `X-Scale-Up-Timeout: <seconds>`
 *    (Hugging Face Inference Endpoints' header), else it gets 503 with Retry-After from the
 *    cold-start ETA.
 *
 * At most `maxWaiters` requests wait per deployment (the rest get 503). Held requests are counted
 * per deployment: the gateway publishes them as the load signal `held`.
 */
import type { ServerResponse } from 'node:http';
import type { DeploymentRecord, Tenant } from '../functions/domain/deployment';
import { wakeable, type WakeResult } from '../functions/use-cases/wake';
import { unavailable } from './errors';

export type Wake = (tenant: Tenant, id: string) => Promise<WakeResult>;

export interface ColdStartOptions {
  /** How often a held request re-reads the deployment (default 1 s). */
  pollMs?: number;
  /** Held requests per deployment at most (default 64). */
  maxWaiters?: number;
  /** The longest any request is held (default 10 min). */
  maxHoldMs?: number;
  keepAliveMs: number;
  sseHeaders: Record<string, string>;
}

export const SCALE_UP_TIMEOUT_HEADER = 'x-scale-up-timeout';

/** Serving: ready with replicas (a ready deployment keeps serving while it scales). */
const serving = (record: DeploymentRecord): boolean => record.status === 'ready' && record.replicas > 0;

export class ColdStarts {
  private readonly wakes = new Map<string, Promise<WakeResult>>();
  private readonly waiting = new Map<string, number>();
  private readonly pollMs: number;
  private readonly maxWaiters: number;
  private readonly maxHoldMs: number;

  constructor(
    private readonly wake: Wake,
    private readonly read: (tenant: Tenant, id: string) => Promise<DeploymentRecord | undefined>,
    private readonly options: ColdStartOptions,
  ) {
    this.pollMs = options.pollMs ?? 1000;
    this.maxWaiters = options.maxWaiters ?? 64;
    this.maxHoldMs = options.maxHoldMs ?? 600_000;
  }

  /**
   * A request to this deployment waits for it instead of a 503: paused or being resumed, and
   * allowed to wake on a request (wake.ts `wakeable`). A deploy in progress, or a deployment
   * paused by hand without such a range, answers 503 as before.
   */
  applies(record: DeploymentRecord): boolean {
    return record.status === 'initializing' && (record.phase === 'paused' || record.operation === 'scale') && wakeable(record);
  }

  /** Requests held now, per deployment (the `held` load signal). */
  held(): ReadonlyMap<string, number> {
    return this.waiting;
  }

  /** One wake per deployment at a time in this gateway. */
  private wakeOnce(tenant: Tenant, id: string): Promise<WakeResult> {
    let pending = this.wakes.get(id);
    if (!pending) {
      pending = this.wake(tenant, id).finally(() => this.wakes.delete(id));
      this.wakes.set(id, pending);
    }
    return pending;
  }

  /** Resolves with the ready deployment, or throws the 503 to answer (an SSE error event once a stream was promised). */
  async hold(tenant: Tenant, record: DeploymentRecord, request: { streaming: boolean; scaleUpTimeout: string | string[] | undefined }, res: ServerResponse): Promise<DeploymentRecord> {
    const woken = await this.wakeOnce(tenant, record.id);
    if (woken.state === 'unavailable') throw unavailable('deployment_paused', woken.reason, woken.retry_after_seconds ?? undefined);
    if (woken.state === 'ready') {
      const fresh = await this.read(tenant, record.id);
      if (fresh && serving(fresh)) return fresh;
    }
    const retryAfter = woken.state === 'waking' ? woken.retry_after_seconds : 5;
    const asked = Number(Array.isArray(request.scaleUpTimeout) ? request.scaleUpTimeout[0] : request.scaleUpTimeout);
    if (!request.streaming && !(asked > 0)) {
      throw unavailable('deployment_starting', `deployment ${record.id} is starting from zero replicas; retry after ${retryAfter} s, or send ${SCALE_UP_TIMEOUT_HEADER}: <seconds> to wait`, retryAfter);
    }
    const waiters = this.waiting.get(record.id) ?? 0;
    if (waiters >= this.maxWaiters) throw unavailable('deployment_starting', `deployment ${record.id} is starting and ${waiters} requests already wait for it`, retryAfter);
    const holdMs = request.streaming ? this.maxHoldMs : Math.min(asked * 1000, this.maxHoldMs);
    this.waiting.set(record.id, waiters + 1);
    let keepAlive: NodeJS.Timeout | undefined;
    try {
      if (request.streaming) {
        // The stream is promised now; comments keep the client and any load balancer from giving up while the model starts.
        res.writeHead(200, this.options.sseHeaders);
        res.write(': waiting for the model to start\n\n');
        keepAlive = setInterval(() => {
          if (!res.writableEnded) res.write(': keep-alive\n\n');
        }, this.options.keepAliveMs);
      }
      const deadline = Date.now() + holdMs;
      for (;;) {
        if (res.destroyed) throw unavailable('client_gone', 'the client closed the connection while the model started');
        const current = await this.read(tenant, record.id);
        if (!current || current.status === 'terminating') throw unavailable('deployment_gone', `deployment ${record.id} is being deleted`);
        if (serving(current)) return current;
        if (current.status === 'failed') throw unavailable('deployment_failed', `deployment ${record.id} failed while starting; see its events`);
        // Paused again (another pause won, or the wake was refused meanwhile): wake again.
        if (current.phase === 'paused') await this.wakeOnce(tenant, record.id);
        if (Date.now() >= deadline) throw unavailable('scale_up_timeout', `deployment ${record.id} was not ready within ${Math.round(holdMs / 1000)} s`, retryAfter);
        await new Promise((resolve) => setTimeout(resolve, Math.min(this.pollMs, Math.max(1, deadline - Date.now()))));
      }
    } finally {
      if (keepAlive) clearInterval(keepAlive);
      const left = (this.waiting.get(record.id) ?? 1) - 1;
      if (left > 0) this.waiting.set(record.id, left);
      else this.waiting.delete(record.id);
    }
  }
}
