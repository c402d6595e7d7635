/**
 * Scale from zero (docs/autoscaling.md): the gateway calls `wakeDeployment` when a request
 * arrives for a paused deployment. However many gateways and requests call it at once, one
 * resume starts: the resume goes through the same use case as PUT …/scale, whose hand-over is a
 * write conditional on the version read, so exactly one caller wins it and starts the scale
 * execution (its name is the one the record names); every other caller re-reads and finds the
 * deployment waking. The answer says when it should be ready (the cold-start ETA), which the
 * gateway turns into keep-alives, a held request or a 503 with Retry-After.
 */
import { weightsGiB } from '../../contract/catalog';
import { replicaBounds } from '../domain/autoscaling';
import type { DeploymentRecord, Tenant } from '../domain/deployment';
import { ConflictError, ServiceUnavailableError } from '../domain/errors';
import { estimateReadyAt } from '../domain/eta';
import { isInFlight } from '../domain/lifecycle';
import { EXPECTED_NODE_SECONDS } from '../domain/startup';
import type { Ports } from '../ports';
import { deploymentModelOf } from './catalog';
import { scaleDeployment } from './deployments';
import { findDeployment } from './ownership';

type WakePorts = Pick<Ports, 'deployments' | 'ledger' | 'workflows' | 'coldStarts' | 'catalog' | 'clock'>;

export type WakeResult =
  /** Serving now: forward the request. */
  | { state: 'ready'; endpoint_url: string | null }
  /** Starting (this call started it, or another one did): hold the request until ready, or answer 503 with Retry-After. */
  | { state: 'waking'; started: boolean; replicas: number; expected_ready_at: string; retry_after_seconds: number }
  /** It will not serve on its own (paused by hand without a range allowing 0, failed, being deleted, or no GPU free now): answer 503. */
  | { state: 'unavailable'; reason: string; retry_after_seconds: number | null };

const UNAVAILABLE_RETRY_SECONDS = 60;
/** Attempts at the resume when a concurrent write (another wake, a workflow's progress) moved the version. */
const ATTEMPTS = 3;

/**
 * Who may be woken by a request: a paused deployment with load scaling on, or whose scale range
 * allows 0 (its owner chose to let it pause and come back). One paused by hand with no range
 * stays paused until PUT …/scale.
 */
export const wakeable = (record: Pick<DeploymentRecord, 'load_scaling' | 'autoscaling'>): boolean => record.load_scaling != null || (record.autoscaling != null && record.autoscaling.min_replicas === 0);

const waking = async (ports: WakePorts, record: DeploymentRecord, started: boolean, now: Date): Promise<WakeResult> => {
  const [model, samples] = await Promise.all([deploymentModelOf(ports, record), ports.coldStarts.samples(record.catalog_id, record.gpu_config_id)]);
  const weights = model ? weightsGiB(model) : (record.custom?.model_size_gib ?? 10);
  const since = started ? now.toISOString() : record.updated_at;
  const eta = estimateReadyAt(since, samples, weights, EXPECTED_NODE_SECONDS, ports.clock.timeScale);
  const seconds = Math.max(1, Math.ceil((Date.parse(eta.expected_ready_at) - now.getTime()) / 1000));
  return { state: 'waking', started, replicas: record.replicas, expected_ready_at: eta.expected_ready_at, retry_after_seconds: seconds };
};

/** What a request to this deployment should do now, resuming it if it is paused and may be woken. */
export const wakeDeployment = async (ports: WakePorts, tenant: Tenant, id: string): Promise<WakeResult> => {
  for (let attempt = 1; ; attempt++) {
    const now = ports.clock.now();
    const record = await findDeployment(ports, tenant, id);
    // Ready (also while a scale of a ready deployment runs: it keeps serving).
    if (record.status === 'ready' && record.replicas > 0) return { state: 'ready', endpoint_url: record.endpoint_url };
    if (record.status === 'terminating') return { state: 'unavailable', reason: `deployment '${id}' is being deleted`, retry_after_seconds: null };
    if (record.status === 'failed') return { state: 'unavailable', reason: `deployment '${id}' failed: ${record.fail_reason ?? 'see its events'}`, retry_after_seconds: null };
    // A deploy, a scale, or a resume another caller started: wait for it.
    if (isInFlight(record.phase) && record.replicas > 0) return waking(ports, record, false, now);
    if (record.phase !== 'paused' || !wakeable(record)) {
      return { state: 'unavailable', reason: `deployment '${id}' is paused; resume it with PUT …/scale (its scale range does not allow waking on a request)`, retry_after_seconds: null };
    }
    const replicas = Math.max(1, replicaBounds(record).min);
    try {
      const resumed = await scaleDeployment(ports, record, id, replicas, now, 'to wake on a request');
      return waking(ports, resumed, true, now);
    } catch (error) {
      if (!(error instanceof ConflictError || error instanceof ServiceUnavailableError)) throw error;
      // Most likely another caller's resume won the conditional write: answer from what is there now.
      const latest = await findDeployment(ports, tenant, id);
      if (isInFlight(latest.phase) && latest.replicas > 0) return waking(ports, latest, false, now);
      // Still paused but changed meanwhile (a workflow's last write): try again.
      if (latest.phase === 'paused' && latest.version !== record.version && attempt < ATTEMPTS) continue;
      return { state: 'unavailable', reason: error.message, retry_after_seconds: UNAVAILABLE_RETRY_SECONDS };
    }
  }
};
