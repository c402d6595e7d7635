/**
 * The load autoscaler's policy (docs/autoscaling.md): from the load signals of one deployment
 * (the gateways' in-flight and held requests, vLLM's running and waiting requests and KV-cache
 * usage), its target and its range, how many replicas it should run now. Pure: the schedule
 * sweeper reads the signals, calls `decide` with the state it kept from the previous sweep, and
 * starts the scale workflow when the decision changes the replicas.
 *
 *   wanted  = max(⌈demand / concurrency target⌉, replicas + ⌈queued / queue target⌉ when queued ≥ it, replicas + 1 when KV > 0.8)
 *   desired = wanted clamped to [max(min, floor), max], reached in steps: up after `scale_up_delay_seconds` of sustained
 *             demand, at most ×2 a step; down after `scale_down_delay_seconds` of lower demand, one replica a step;
 *             never a direction change within `stabilization_window_seconds` of the last change; to 0 only when the
 *             range allows it and no request came for `scale_to_zero_delay_seconds`. A paused deployment with demand
 *             wakes at once (scale from zero never waits).
 */
import type { AutoscalingTarget, LoadScaling } from '../../contract/requests/scale';

export type { AutoscalingTarget, LoadScaling };

/** Queued requests that justify one more replica when the target is a concurrency (llm-d's WVA uses 5). */
export const QUEUE_PER_REPLICA = 5;
/** KV-cache usage above which a replica is about to preempt requests (llm-d's WVA and Fireworks' load 0.8). */
export const KV_CACHE_HIGH = 0.8;
/** With a queue target, a replica counts as full when this share of its batch (max_num_seqs) runs. */
export const BATCH_UTILISATION = 0.8;

/** Cluster seconds between two looks of the sweeper at a load-scaled deployment: half the sweep period, so every sweep finds it due. */
export const AUTOSCALER_CHECK_SECONDS = 30;

/** When the sweeper should look at a load-scaled deployment next. */
export const nextAutoscalerCheck = (now: Date, timeScale: number): Date => new Date(now.getTime() + AUTOSCALER_CHECK_SECONDS * 1000 * timeScale);

/** The signals one sweep read, summed over gateway instances and Ready pods. */
export interface LoadSample {
  /** Gateway instances that published recently; 0: no gateway signal. */
  gatewayInstances: number;
  inFlight: number;
  held: number;
  /** Requests the gateways answered since their previous snapshot (activity between two sweeps). */
  completed: number;
  /** vLLM's gauges over the Ready pods; null when unreadable (or no pod is Ready). */
  vllm: { pods: number; running: number; waiting: number; kvCacheUsage: number } | null;
}

/** What the policy remembers between sweeps (on the record, beside the schedule's state). */
export interface PolicyState {
  /** Since when demand has asked for more replicas than run, without a break. */
  above_since?: string;
  /** Since when demand has asked for fewer. */
  below_since?: string;
  /** Since when no request was seen at all. */
  idle_since?: string;
  /** The last change this policy (or a range or floor correction) made. */
  last_change?: { at: string; direction: 'up' | 'down'; to: number };
}

/** The numbers a decision was made from: what its event and the deployment view show. */
export interface DecisionInputs {
  replicas: number;
  min_replicas: number;
  max_replicas: number;
  /** The floor the latest schedule window set (0 without one). */
  floor: number;
  target: AutoscalingTarget;
  in_flight: number;
  held: number;
  completed: number;
  running: number | null;
  waiting: number | null;
  kv_cache_usage: number | null;
  /** The replicas the signals ask for, before range, steps and delays. */
  wanted: number;
}

export type Direction = 'up' | 'down' | 'none';

export interface Decision {
  desired: number;
  direction: Direction;
  reason: string;
  inputs: DecisionInputs;
}

export interface DecideInput {
  now: Date;
  /** Cluster seconds per wall second's fraction (1 in AWS; the local cloud runs faster). */
  timeScale: number;
  replicas: number;
  range: { min_replicas: number; max_replicas: number };
  /** The latest schedule window's replicas: the autoscaler keeps at least this many (clamped to the range). */
  floor: number;
  settings: LoadScaling;
  /** The model's batch size (vLLM max_num_seqs): what a full replica runs at once. */
  maxNumSeqs: number;
  sample: LoadSample;
  state: PolicyState;
}

/** A decision as the deployment shows it, with what came of it. */
export interface LastDecision {
  at: string;
  desired: number;
  direction: Direction;
  reason: string;
  inputs: DecisionInputs;
  /** `unchanged`, `scale started`, or why the scale could not start (retried next sweep). */
  outcome: string;
}

/** What the sweeper keeps per load-scaled deployment (in its schedule state). */
export interface AutoscalerState extends PolicyState {
  /** The latest schedule window's replicas (a window moves the floor). */
  floor?: number;
  desired?: number;
  last_decision?: LastDecision;
}

/** The inputs in one line, for the history. */
export const describeInputs = (i: DecisionInputs): string =>
  [
    `in flight ${i.in_flight}, held ${i.held}`,
    i.running === null ? 'vLLM metrics unread' : `running ${i.running}, waiting ${i.waiting}, KV cache ${Math.round((i.kv_cache_usage ?? 0) * 100)} %`,
    `target ${i.target.metric} ${i.target.value}, range [${i.min_replicas}, ${i.max_replicas}]${i.floor > 0 ? `, floor ${i.floor}` : ''}`,
  ].join('; ');

const clamp = (value: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, value));

/** Cluster seconds from `since` to `now`. */
const secondsSince = (since: string, now: Date, timeScale: number): number => (now.getTime() - Date.parse(since)) / (1000 * timeScale);

/** The replicas the signals ask for, before the range, the steps and the delays. */
export const wantedReplicas = (sample: LoadSample, replicas: number, target: AutoscalingTarget, maxNumSeqs: number): number => {
  const { vllm, held } = sample;
  // Held requests have not reached vLLM; vLLM also sees requests that bypass the gateway.
  const demand = Math.max(sample.inFlight + held, vllm ? vllm.running + vllm.waiting + held : 0);
  const queued = (vllm?.waiting ?? 0) + held;
  const perReplica = target.metric === 'concurrency' ? target.value : Math.max(1, Math.floor(maxNumSeqs * BATCH_UTILISATION));
  const queueStep = target.metric === 'queue' ? target.value : QUEUE_PER_REPLICA;
  const byConcurrency = Math.ceil(demand / perReplica);
  const byQueue = queued >= queueStep ? replicas + Math.ceil(queued / queueStep) : 0;
  const byKvCache = vllm && vllm.kvCacheUsage > KV_CACHE_HIGH ? replicas + 1 : 0;
  return Math.max(byConcurrency, byQueue, byKvCache);
};

/**
 * One sweep's decision and the state to keep. `desired` equals `replicas` when nothing is to
 * change; the reason then says what the policy waits for.
 */
export const decide = (input: DecideInput): { decision: Decision; state: PolicyState } => {
  const { now, timeScale, replicas, range, settings, sample } = input;
  const at = now.toISOString();
  const hi = range.max_replicas;
  const floor = clamp(input.floor, 0, hi);
  const lo = Math.max(range.min_replicas, floor);
  const wanted = wantedReplicas(sample, replicas, settings.target, input.maxNumSeqs);
  const inputs: DecisionInputs = {
    replicas,
    min_replicas: range.min_replicas,
    max_replicas: hi,
    floor,
    target: settings.target,
    in_flight: sample.inFlight,
    held: sample.held,
    completed: sample.completed,
    running: sample.vllm?.running ?? null,
    waiting: sample.vllm?.waiting ?? null,
    kv_cache_usage: sample.vllm?.kvCacheUsage ?? null,
    wanted,
  };
  const active = wanted > 0 || sample.completed > 0 || (sample.vllm?.running ?? 0) > 0;
  const idleSince = active ? undefined : (input.state.idle_since ?? at);
  const base: PolicyState = { ...(idleSince ? { idle_since: idleSince } : {}), ...(input.state.last_change ? { last_change: input.state.last_change } : {}) };
  const hold = (reason: string, state: PolicyState) => ({ decision: { desired: replicas, direction: 'none' as const, reason, inputs }, state });
  const change = (desired: number, reason: string) => {
    const direction = desired > replicas ? ('up' as const) : ('down' as const);
    return {
      decision: { desired, direction, reason, inputs },
      state: { ...(idleSince ? { idle_since: idleSince } : {}), last_change: { at, direction, to: desired } },
    };
  };

  // A change of the range or of the floor applies at once: those are the operator's, not the load's.
  if (replicas > hi) return change(hi, `above max_replicas ${hi}`);
  if (replicas < lo) return change(lo, floor > range.min_replicas ? `below the schedule window's floor ${floor}` : `below min_replicas ${lo}`);

  if (replicas === 0) {
    if (wanted === 0) return hold('paused, no request waiting', base);
    // Scale from zero never waits: requests are being held right now.
    return change(clamp(wanted, Math.max(lo, 1), hi), `wake: ${sample.held} request(s) held, ${sample.inFlight} in flight`);
  }

  if (sample.gatewayInstances === 0 && sample.vllm === null) return hold('no load signal (no gateway published, vLLM metrics unreadable): no change', base);

  const idleFor = idleSince ? secondsSince(idleSince, now, timeScale) : 0;
  const zeroAllowed = lo === 0 && idleSince !== undefined && idleFor >= settings.scale_to_zero_delay_seconds;
  const goal = zeroAllowed ? 0 : clamp(wanted, Math.max(lo, 1), hi);
  const last = input.state.last_change;
  const sinceLast = last ? secondsSince(last.at, now, timeScale) : Infinity;
  const window = settings.stabilization_window_seconds;

  if (goal > replicas) {
    const aboveSince = input.state.above_since ?? at;
    const state = { ...base, above_since: aboveSince };
    const sustained = secondsSince(aboveSince, now, timeScale);
    if (sustained < settings.scale_up_delay_seconds) {
      return hold(`load asks for ${goal} replicas for ${Math.round(sustained)} s; scales up after ${settings.scale_up_delay_seconds} s`, state);
    }
    if (last?.direction === 'down' && sinceLast < window) {
      return hold(`load asks for ${goal} replicas, but the last scale-down was ${Math.round(sinceLast)} s ago (stabilization window ${window} s)`, state);
    }
    const step = Math.min(goal, replicas * 2);
    return change(step, `sustained load asks for ${goal} replicas (wanted ${wanted})${step < goal ? `; at most x2 per step` : ''}`);
  }
  if (goal < replicas) {
    const belowSince = input.state.below_since ?? at;
    const state = { ...base, below_since: belowSince };
    const quiet = secondsSince(belowSince, now, timeScale);
    // The step to zero waited the idle delay already (zeroAllowed).
    if (!(goal === 0 && replicas === 1) && quiet < settings.scale_down_delay_seconds) {
      return hold(`load asks for ${goal} replicas for ${Math.round(quiet)} s; scales down after ${settings.scale_down_delay_seconds} s`, state);
    }
    if (last?.direction === 'up' && sinceLast < window) {
      return hold(`load asks for ${goal} replicas, but the last scale-up was ${Math.round(sinceLast)} s ago (stabilization window ${window} s)`, state);
    }
    return change(
      replicas - 1,
      goal === 0 && replicas === 1 ? `no request for ${Math.round(idleFor)} s: scale to zero` : `load asks for ${goal} replicas for ${Math.round(quiet)} s; one replica fewer`,
    );
  }
  return hold(`load matches ${replicas} replica(s)`, base);
};
