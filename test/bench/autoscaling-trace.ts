/**
 * Figure 8: load autoscaling on a bursty trace (issue 16). Three deployments of the same model on
 * one local cloud receive the same trace of streamed chat completions through the inference
 * gateway, at the same time:
 *   autoscaled: load scaling on, range [1, 4]
 *   fixed-min:  1 replica (the range's minimum), no load scaling
 *   fixed-max:  4 replicas (the range's maximum), no load scaling
 * The trace (cluster seconds): a quiet base load, a ramp to a burst several times the base, the
 * burst, a decay and quiet again; Poisson arrivals from one seeded generator, so every arm gets
 * the same arrival times. The schedule sweeper (the autoscaler) runs every SWEEP_EVERY_MS, so
 * the deployment is looked at every AUTOSCALER_CHECK_SECONDS (30 cluster seconds), as its
 * `schedule-due` entry asks. Afterwards a fourth deployment, paused with a range allowing 0, is
 * woken by one streamed request: its time to first token beside its own deploy's cold start.
 */
import http from 'node:http';
import type { SweepReport } from '../../functions/use-cases/schedule-sweep';
import { deployBody } from '../support/deploy-body';
import { createInferenceKey, deploymentsPath, startBenchCloud, type BenchCloud } from './harness';
import { fmt, metWhen, quantile, ratioOf, sleep, sum, table, type FigureResult, type Row } from './results';

/**
 * The simulated vLLM runs on the cloud's time scale too (engine.ts: real ms = model s x 1000 x
 * timeScale), so a smaller scale streams proportionally more tokens per real second. At 0.25 one
 * stream is ~440 tokens per real second (an L4's ~9 ms per token for a 0.5B model) and the ~16
 * streams of the three arms at the burst stay within what the shared 2-core machine relays;
 * the sweeper's 30-cluster-second looks come every 7.5 s, so a 15-minute trace takes ~4 minutes.
 */
const TIME_SCALE = 0.25;
/**
 * Cluster seconds of a cold start, cut from the defaults (node boot 90, pull 40, load 10 + 4/GiB,
 * device plugin 15: ~160 s) to ~70 s, as a warm AMI and a cached image give: with the defaults a
 * scale-up would land after the burst of a trace this short.
 */
const DELAYS = { nodeBoot: 45, imagePull: 15, modelLoadBase: 5, modelLoadPerGiB: 2, devicePluginRegistration: 5, nodegroupUpdate: 2 };
const PROJECT = 'prj-autoscale';
const MAX_REPLICAS = 4;
/** vLLM's --max-num-seqs: four sequences per replica, so one replica saturates at a load this process can drive (see the notes). */
const MAX_NUM_SEQS = 4;
const OUTPUT_TOKENS = 128;
/** Concurrent requests per replica the autoscaler aims at: half the batch, the headroom that absorbs the ramp while a replica boots. */
const TARGET_CONCURRENCY = 2;
/** The deployment's own delays (cluster seconds), shorter than the defaults (30 / 600 / 300) so that the trace fits in minutes. */
const SCALE_UP_DELAY = 30;
const SCALE_DOWN_DELAY = 60;
const STABILIZATION = 90;
/** Time to first token a request should meet, cluster seconds. */
const TTFT_TARGET_S = 1;
const SWEEP_EVERY_MS = 2_000;
const SEED = 16;

/** The trace: arrival rate (requests per cluster second) by phase, linear within a ramp. */
const BASE_RATE = 1;
const BURST_RATE = 4;
const PHASES: { name: string; seconds: number; from: number; to: number }[] = [
  { name: 'quiet', seconds: 150, from: BASE_RATE, to: BASE_RATE },
  { name: 'ramp', seconds: 180, from: BASE_RATE, to: BURST_RATE },
  { name: 'burst', seconds: 240, from: BURST_RATE, to: BURST_RATE },
  { name: 'decay', seconds: 180, from: BURST_RATE, to: BASE_RATE },
  { name: 'quiet', seconds: 150, from: BASE_RATE, to: BASE_RATE },
];
const TRACE_SECONDS = sum(PHASES.map((p) => p.seconds));
/** Real ms the requests still open when the trace ends may take to finish. */
const DRAIN_MS = 90_000;

type Arm = 'autoscaled' | 'fixed-min' | 'fixed-max';
const ARMS: Arm[] = ['autoscaled', 'fixed-min', 'fixed-max'];

interface Outcome {
  /** Cluster seconds from the trace start. */
  at: number;
  /** Cluster seconds; NaN when no token came. */
  ttft: number;
  status: number;
  error?: string;
}

const rateAt = (t: number): number => {
  let start = 0;
  for (const phase of PHASES) {
    if (t < start + phase.seconds) return phase.from + ((phase.to - phase.from) * (t - start)) / phase.seconds;
    start += phase.seconds;
  }
  return BASE_RATE;
};

/** mulberry32: the same arrivals in every run. */
const random = (seed: number) => () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};

/** Arrival times (cluster seconds) of a non-homogeneous Poisson process, by thinning. */
const arrivals = (): number[] => {
  const next = random(SEED);
  const peak = Math.max(BASE_RATE, BURST_RATE);
  const times: number[] = [];
  for (let t = 0; ; ) {
    t += -Math.log(1 - next()) / peak;
    if (t >= TRACE_SECONDS) return times;
    if (next() < rateAt(t) / peak) times.push(t);
  }
};

interface Target {
  host: string;
  port: number;
  path: string;
  key: string;
}

/** One streamed chat completion through the gateway: real ms to the first content token (NaN when none came). */
const stream = (agent: http.Agent, target: Target, body: string): Promise<{ ttftMs: number; status: number; error?: string }> =>
  new Promise((resolve) => {
    const started = performance.now();
    let ttftMs = Number.NaN;
    const request = http.request({
      agent,
      host: target.host,
      port: target.port,
      method: 'POST',
      path: target.path,
      headers: { authorization: `Bearer ${target.key}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
    });
    request.on('error', (error) => resolve({ ttftMs, status: 0, error: error.message }));
    request.on('response', (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        if (!Number.isNaN(ttftMs)) return;
        text += chunk;
        if (/"delta":\{"content":"[^"]/.test(text)) {
          ttftMs = performance.now() - started;
          text = '';
        }
      });
      response.on('end', () => resolve({ ttftMs, status: response.statusCode ?? 0, ...(response.statusCode === 200 ? {} : { error: text.slice(0, 200) }) }));
      response.on('error', (error) => resolve({ ttftMs, status: response.statusCode ?? 0, error: error.message }));
    });
    request.end(body);
  });

/** The smallest catalog deploy, with the engine's concurrency this trace is sized for. */
const traceBody = (name: string, extra: Record<string, unknown>) => deployBody(name, { config: { max_num_seqs: MAX_NUM_SEQS }, ...extra });

const view = async (cloud: BenchCloud, id: string) => (await cloud.api('GET', `${deploymentsPath(PROJECT)}/${id}`)).body;

const until = async (cloud: BenchCloud, id: string, done: (v: any) => boolean, what: string, timeoutMs: number) => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await view(cloud, id);
    if (done(v)) return v;
    if (v?.status === 'failed' || Date.now() > deadline) throw new Error(`${id}: ${what} not reached: ${v?.status} ${v?.phase} replicas ${v?.replicas}`);
    await sleep(250);
  }
};

/** The scale changes the autoscaler requested ("scale from 1 to 2 replicas by the autoscaler: …"), oldest first. */
const scaleChanges = async (cloud: BenchCloud, id: string): Promise<{ at: string; from: number; to: number }[]> => {
  const events = (await cloud.api('GET', `${deploymentsPath(PROJECT)}/${id}/events?limit=100`)).body.items as { type: string; message: string; at: string }[];
  return events.flatMap((e) => {
    const m = e.type === 'scale_requested' ? /^scale from (\d+) to (\d+) replicas by the autoscaler/.exec(e.message) : null;
    return m ? [{ at: e.at, from: Number(m[1]), to: Number(m[2]) }] : [];
  });
};

/** Direction changes in a series of scale steps: up then down counts one. */
const directionChanges = (changes: readonly { from: number; to: number }[]): number => {
  let count = 0;
  let last = 0;
  for (const { from, to } of changes) {
    const direction = Math.sign(to - from);
    if (direction !== 0 && last !== 0 && direction !== last) count += 1;
    if (direction !== 0) last = direction;
  }
  return count;
};

export const measure = async (): Promise<FigureResult> => {
  const started = performance.now();
  const cloud = await startBenchCloud({ timeScale: TIME_SCALE, delays: DELAYS });
  const sweepErrors: string[] = [];
  let sweeping = true;
  // The autoscaler: the schedule sweeper, as the cron would run it, but every 2 s so that each 30-cluster-second look is on time.
  const sweeper = (async () => {
    while (sweeping) {
      try {
        const report = (await cloud.runSchedule('schedule-sweep', { time: new Date() })) as SweepReport;
        for (const error of report.errors ?? []) sweepErrors.push(JSON.stringify(error));
      } catch (error) {
        sweepErrors.push((error as Error).message);
      }
      await sleep(SWEEP_EVERY_MS);
    }
  })();
  try {
    const ids = {} as Record<Arm | 'wake', string>;
    const bodies: Record<Arm | 'wake', Record<string, unknown>> = {
      autoscaled: traceBody('as-auto', {
        autoscaling: {
          min_replicas: 1,
          max_replicas: MAX_REPLICAS,
          target: { metric: 'concurrency', value: TARGET_CONCURRENCY },
          scale_up_delay_seconds: SCALE_UP_DELAY,
          scale_down_delay_seconds: SCALE_DOWN_DELAY,
          stabilization_window_seconds: STABILIZATION,
        },
      }),
      'fixed-min': traceBody('as-min', { replicas: 1 }),
      'fixed-max': traceBody('as-max', { replicas: MAX_REPLICAS }),
      // On A10G, its own node group: the node its pause keeps warm (release_after_seconds 600) is neither lent to the L4 arms'
      // scale-ups nor still there when the trace (900 s) ends, so the wake is a full cold start like its deploy.
      wake: traceBody('as-wake', { gpu_config_id: 'a10g-24gb', plan_id: 'plan-a10g-24gb-ondemand', autoscaling: { min_replicas: 0, max_replicas: 1, enabled: true } }),
    };
    for (const [arm, body] of Object.entries(bodies) as [Arm | 'wake', Record<string, unknown>][]) {
      const created = await cloud.api('POST', deploymentsPath(PROJECT), body);
      if (created.status !== 201) throw new Error(`deploy ${arm} refused: ${created.status} ${JSON.stringify(created.body)}`);
      ids[arm] = String(created.body.id);
    }
    const ready: Record<string, any> = {};
    for (const [arm, id] of Object.entries(ids)) {
      const replicas = arm === 'fixed-max' ? MAX_REPLICAS : 1;
      ready[arm] = await until(cloud, id, (v) => v.status === 'ready' && v.phase === 'ready' && v.instances?.running === replicas, `ready with ${replicas}`, 180_000);
    }
    // The wake deployment sleeps through the trace (paused by hand; its range allows 0, so a request wakes it).
    const paused = await cloud.api('PUT', `${deploymentsPath(PROJECT)}/${ids.wake}/scale`, { replicas: 0 });
    if (paused.status !== 200) throw new Error(`pause refused: ${paused.status} ${JSON.stringify(paused.body)}`);

    const key = await createInferenceKey(cloud, PROJECT, 'bench-autoscale');
    const targetOf = (v: any): Target => {
      const endpoint = new URL(String(v.endpoint_url));
      return { host: endpoint.hostname, port: Number(endpoint.port), path: `${endpoint.pathname}/chat/completions`, key: key };
    };
    const body = (model: string) =>
      JSON.stringify({ model, messages: [{ role: 'user', content: 'Tell me about GPUs' }], max_tokens: OUTPUT_TOKENS, ignore_eos: true, stream: true });
    const agents = Object.fromEntries(ARMS.map((arm) => [arm, new http.Agent({ keepAlive: true, maxSockets: Infinity })])) as Record<Arm, http.Agent>;
    // Warm the gateway's key and deployment caches and the sockets.
    for (const arm of ARMS) for (let i = 0; i < 3; i += 1) await stream(agents[arm], targetOf(ready[arm]), body(ready[arm].name));

    // The trace, the same arrivals to every arm.
    const times = arrivals();
    const gpuBefore = Object.fromEntries(await Promise.all(ARMS.map(async (arm) => [arm, Number((await view(cloud, ids[arm])).gpu_seconds)] as const))) as Record<Arm, number>;
    const outcomes: Record<Arm, Outcome[]> = { autoscaled: [], 'fixed-min': [], 'fixed-max': [] };
    const pending: Promise<void>[] = [];
    const replicaSamples: Record<Arm, number[]> = { autoscaled: [], 'fixed-min': [], 'fixed-max': [] };
    const t0 = performance.now();
    const t0Wall = Date.now();
    const clusterNow = () => (performance.now() - t0) / 1000 / TIME_SCALE;
    let sampling = true;
    // Running replicas, every 2 s: a cross-check of the usage meter's GPU time.
    const sampler = (async () => {
      while (sampling) {
        for (const arm of ARMS) replicaSamples[arm].push(Number((await view(cloud, ids[arm])).instances?.running ?? 0));
        await sleep(2_000);
      }
    })();
    for (const at of times) {
      const wait = t0 + at * 1000 * TIME_SCALE - performance.now();
      if (wait > 0) await sleep(wait);
      for (const arm of ARMS) {
        pending.push(
          stream(agents[arm], targetOf(ready[arm]), body(ready[arm].name)).then((r) => {
            outcomes[arm].push({ at, ttft: r.ttftMs / 1000 / TIME_SCALE, status: r.status, ...(r.error ? { error: r.error } : {}) });
          }),
        );
      }
    }
    const traceEndedAt = clusterNow();
    const gpuAfter = Object.fromEntries(await Promise.all(ARMS.map(async (arm) => [arm, Number((await view(cloud, ids[arm])).gpu_seconds)] as const))) as Record<Arm, number>;
    sampling = false;
    await sampler;
    const drained = await Promise.race([Promise.all(pending).then(() => true), sleep(DRAIN_MS).then(() => false)]);
    for (const agent of Object.values(agents)) agent.destroy();
    const changes = await scaleChanges(cloud, ids.autoscaled);

    // Scale from zero: one streamed request to the paused deployment, beside its deploy's cold start.
    await until(cloud, ids.wake, (v) => v.phase === 'paused', 'paused', 120_000);
    const wakeAgent = new http.Agent({ keepAlive: false });
    const wakeView = ready.wake;
    const woken = await stream(wakeAgent, targetOf(wakeView), body(wakeView.name));
    wakeAgent.destroy();
    const coldStart = (Date.parse(wakeView.timeline.ready) - Date.parse(wakeView.timeline.accepted)) / 1000 / TIME_SCALE;
    const wakeTtft = woken.ttftMs / 1000 / TIME_SCALE;
    // The resume the request started, from its events: resume_requested, the phases it went through, ready.
    const wakeEvents = (await cloud.api('GET', `${deploymentsPath(PROJECT)}/${ids.wake}/events?limit=100`)).body.items as { at: string; type: string; status: string; phase: string }[];
    const resumeAt = wakeEvents.findLastIndex((e) => e.type === 'resume_requested');
    const resumed = resumeAt >= 0 ? wakeEvents.slice(resumeAt) : [];
    const resumeReady = resumed.find((e) => e.status === 'ready' && e.phase === 'ready');
    const sinceResume = (e: { at: string }) => (Date.parse(e.at) - Date.parse(resumed[0]!.at)) / 1000 / TIME_SCALE;
    const resumeSeconds = resumeReady ? sinceResume(resumeReady) : Number.NaN;
    const resumePhases = resumed.map((e) => `${e.phase} ${fmt(sinceResume(e), 0)} s`).filter((p, i, all) => all.findIndex((q) => q.split(' ')[0] === p.split(' ')[0]) === i);

    // Figures, in cluster time.
    const stats = (arm: Arm) => {
      const all = outcomes[arm];
      const ttfts = all.map((o) => (Number.isNaN(o.ttft) ? Number.POSITIVE_INFINITY : o.ttft));
      const within = all.filter((o) => o.status === 200 && o.ttft <= TTFT_TARGET_S).length;
      const gpuMinutes = (gpuAfter[arm] - gpuBefore[arm]) / TIME_SCALE / 60;
      const samples = replicaSamples[arm];
      const sampledMinutes = (sum(samples) / Math.max(1, samples.length)) * (traceEndedAt / 60);
      return {
        requests: all.length,
        share: within / Math.max(1, all.length),
        failed: all.filter((o) => o.status !== 200 || Number.isNaN(o.ttft)).length,
        p50: quantile(ttfts, 0.5),
        p95: quantile(ttfts, 0.95),
        p99: quantile(ttfts, 0.99),
        gpuMinutes,
        sampledMinutes,
        burstShare: (() => {
          const burst = all.filter((o) => o.at >= PHASES[0]!.seconds && o.at < PHASES[0]!.seconds + PHASES[1]!.seconds + PHASES[2]!.seconds);
          return burst.filter((o) => o.status === 200 && o.ttft <= TTFT_TARGET_S).length / Math.max(1, burst.length);
        })(),
      };
    };
    const s = Object.fromEntries(ARMS.map((arm) => [arm, stats(arm)])) as Record<Arm, ReturnType<typeof stats>>;
    const flips = directionChanges(changes);
    const gpuRatio = ratioOf(s.autoscaled.gpuMinutes, s['fixed-max'].gpuMinutes);
    const seconds = (v: number) => (Number.isFinite(v) ? fmt(v, 2) : 'none');
    const rows: Row[] = [
      {
        measure: `share of requests with time to first token ≤ ${TTFT_TARGET_S} s (fixed-max: ${fmt(s['fixed-max'].share, 3)})`,
        value: fmt(s.autoscaled.share, 3),
        baseline: `${fmt(s['fixed-min'].share, 3)} (fixed-min)`,
        ratio: fmt(ratioOf(s.autoscaled.share, s['fixed-min'].share), 2),
        goal: '≥ 0.95',
        met: metWhen(s.autoscaled.share >= 0.95),
      },
      {
        measure: `GPU-minutes over the trace (fixed-min: ${fmt(s['fixed-min'].gpuMinutes, 1)})`,
        value: fmt(s.autoscaled.gpuMinutes, 1),
        baseline: `${fmt(s['fixed-max'].gpuMinutes, 1)} (fixed-max)`,
        ratio: fmt(gpuRatio, 2),
        goal: '≤ 0.6',
        met: metWhen(gpuRatio <= 0.6),
      },
      {
        measure: `scale direction changes (${changes.map((c) => `${c.from}→${c.to}`).join(', ') || 'no change'})`,
        value: String(flips),
        baseline: '0 (fixed)',
        ratio: '–',
        goal: '≤ 1 (one burst: up, then down)',
        met: metWhen(flips <= 1),
      },
      {
        measure: 'time to first token of a request that wakes a paused deployment (s)',
        value: seconds(wakeTtft),
        baseline: `${fmt(coldStart, 1)} (its deploy's cold start; the resume: ${fmt(resumeSeconds, 1)})`,
        ratio: fmt(ratioOf(wakeTtft, coldStart), 2),
        goal: '–',
        met: 'n/a',
      },
    ];
    const details = table(
      ['arm', 'requests', `≤ ${TTFT_TARGET_S} s`, '≤ target, ramp + burst', 'failed', 'TTFT p50 (s)', 'p95', 'p99', 'GPU-minutes (usage)', 'GPU-minutes (sampled replicas)'],
      ARMS.map((arm) => [
        arm,
        String(s[arm].requests),
        fmt(s[arm].share, 3),
        fmt(s[arm].burstShare, 3),
        String(s[arm].failed),
        seconds(s[arm].p50),
        seconds(s[arm].p95),
        seconds(s[arm].p99),
        fmt(s[arm].gpuMinutes, 1),
        fmt(s[arm].sampledMinutes, 1),
      ]),
    );
    const errors = ARMS.flatMap((arm) => outcomes[arm].filter((o) => o.error).map((o) => `${arm}: ${o.status} ${o.error}`)).slice(0, 3);
    return {
      id: 'autoscale',
      title: 'Load autoscaling on a bursty trace',
      method: [
        `Three deployments of Qwen2.5 0.5B on 1 x L4 (vLLM max_num_seqs ${MAX_NUM_SEQS}), on one local cloud at time scale ${TIME_SCALE}, get the same trace at the same time, through the inference gateway with one inference key: streamed chat completions of ${OUTPUT_TOKENS} tokens (ignore_eos). Times below are cluster seconds (real / ${TIME_SCALE}); the simulated vLLM runs on that scale too, so its token timing is an L4's.`,
        `Trace (${TRACE_SECONDS} cluster s, ${times.length} requests per arm, Poisson arrivals, seed ${SEED}): ${PHASES.map((p) => `${p.name} ${p.seconds} s at ${p.from === p.to ? p.from : `${p.from}→${p.to}`} req/s`).join(', ')}. One replica serves ~3.4 req/s at this length, so the burst (${BURST_RATE / BASE_RATE}x the base) overloads the minimum.`,
        `autoscaled: load scaling on, range [1, ${MAX_REPLICAS}], target ${TARGET_CONCURRENCY} concurrent requests per replica, up after ${SCALE_UP_DELAY} s, down after ${SCALE_DOWN_DELAY} s, stabilization ${STABILIZATION} s (the deployment's own settings, shorter than the defaults 30/600/300 so that a 15-minute trace shows the way down; a per-deployment choice, not a change of policy). Baselines: replicas fixed at 1 (fixed-min) and at ${MAX_REPLICAS} (fixed-max).`,
        `The autoscaler is the schedule sweep, run every ${SWEEP_EVERY_MS / 1000} s real (the deployment is due every 30 cluster s); cold start delays cut to ~70 cluster s (node boot ${DELAYS.nodeBoot}, image pull ${DELAYS.imagePull}, model load ${DELAYS.modelLoadBase} + ${DELAYS.modelLoadPerGiB}/GiB, device plugin ${DELAYS.devicePluginRegistration}) so that a scale-up lands inside the burst.`,
        'GPU-minutes: the deployment\'s metered gpu_seconds (replicas x GPUs x ready time) over the trace, in cluster minutes; the detail table also integrates the running replicas sampled every 2 s. Direction changes: the autoscaler\'s scale_requested events.',
        `Scale from zero: a fourth deployment (range [0, 1], load scaling on, on A10G so that its paused node is not lent to the L4 arms and is released before the wake) paused by hand during the trace, then one streamed request; its time to first token beside its deploy's cold start (timeline accepted → ready) and the resume's own events.`,
      ],
      rows,
      details,
      findings: [
        `Within the ${TTFT_TARGET_S} s target: autoscaled ${fmt(s.autoscaled.share, 3)}, fixed-min ${fmt(s['fixed-min'].share, 3)}, fixed-max ${fmt(s['fixed-max'].share, 3)}; over the ramp and burst alone ${fmt(s.autoscaled.burstShare, 3)} / ${fmt(s['fixed-min'].burstShare, 3)} / ${fmt(s['fixed-max'].burstShare, 3)}.`,
        `GPU-minutes: autoscaled ${fmt(s.autoscaled.gpuMinutes, 1)}, ${fmt(gpuRatio, 2)} of fixed-max's ${fmt(s['fixed-max'].gpuMinutes, 1)}.`,
        `The autoscaler's steps: ${changes.map((c) => `${c.from}→${c.to} at ${fmt((Date.parse(c.at) - t0Wall) / 1000 / TIME_SCALE, 0)} s`).join(', ') || 'none'}; ${flips} direction change(s).`,
        `A request to the paused deployment waited ${seconds(wakeTtft)} s for its first token (HTTP ${woken.status}); the resume it started was ready ${fmt(resumeSeconds, 1)} s after resume_requested (${resumePhases.join(', ') || 'no resume event'}), and the deploy's own cold start (timeline) was ${fmt(coldStart, 1)} s, when four deploys booted nodes at once. The gateway held the stream with keep-alives meanwhile: the first token costs one cold start plus the hold's poll.`,
        ...(drained ? [] : [`Some requests had not finished ${DRAIN_MS / 1000} s (real) after the trace: counted by what they had received.`]),
        ...(errors.length > 0 ? [`Failed requests, first ones: ${errors.join('; ')}.`] : []),
        ...(sweepErrors.length > 0 ? [`Sweep errors: ${sweepErrors.slice(0, 3).join('; ')}.`] : []),
      ],
      seconds: Math.round((performance.now() - started) / 1000),
    };
  } finally {
    sweeping = false;
    await sweeper;
    await cloud.close();
  }
};
