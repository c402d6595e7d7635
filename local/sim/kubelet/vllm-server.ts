/**
 * What a vLLM pod answers on its HTTP port, reached two ways as in a real cluster: on the Service
 * network (local/sim/network/service-network.ts), where the inference gateway sends completions,
 * and through the Kubernetes API server's proxy subresources
 * (`/api/v1/namespaces/{ns}/services/{name}[:{port}]/proxy/{path}` and the same under `pods/`),
 * where the idle sweeper reads each pod's `/metrics` (pods/proxy) and operators and tests look in.
 *
 * A service proxy picks one Ready pod behind the Service's selector (round robin), like
 * kube-proxy; with none Ready it answers 503 as the API server does. Each pod keeps its own
 * request counters, reset whenever its container (re)starts, exactly like a real vLLM process,
 * so readers of `/metrics` must handle counter resets. Tests drive the counters without sending
 * completions through `POST /_sim/traffic`.
 *
 * Each pod's current container run has one vLLM process: a throughput engine (vllm/engine.ts)
 * configured from the pod's args and its node's GPU (vllm/hardware.ts), behind vLLM 0.11's
 * HTTP surface (vllm/serve.ts). Streamed answers are written straight to the client's socket,
 * so the proxy passes server-sent events through unbuffered.
 */
import { isPodReady } from '../apiserver/conditions.js';
import { jsonResponse, type SimRequest, type SimResponse } from '../http.js';
import { POD, resource } from '../apiserver/resources.js';
import { labelsMatch, requirementsFromSelector } from '../apiserver/selectors.js';
import { badRequest, KubeError } from '../apiserver/status.js';
import { isRecord, type Deployment, type KubeObject, type Labels, type Pod } from '../apiserver/types.js';
import type { PodTraffic } from './state.js';
import { serverArgs } from './vllm-logs.js';
import { Engine, type EngineStats } from './vllm/engine.js';
import { argFlag, engineConfigOfPod, hasFlag } from './vllm/hardware.js';
import { emptyHistogram, observe, renderMetrics } from './vllm/metrics.js';
import { servePod, type PodServer } from './vllm/serve.js';
import type { SimContext } from '../context.js';

const SERVICE = resource('services');

interface ServiceObject {
  metadata: { name: string; namespace?: string };
  spec?: { selector?: Labels; ports?: { name?: string; port: number; targetPort?: number | string }[] };
}

const unavailable = (message: string): KubeError =>
  new KubeError({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason: 'ServiceUnavailable', code: 503 });

/** Ready and not being deleted: the pods a Service sends traffic to. */
const servesTraffic = (pod: Pod): boolean => pod.metadata.deletionTimestamp === undefined && isPodReady(pod);

/** The counters of a pod's current container run (fresh ones after a restart). */
export const trafficOf = (world: SimContext, pod: Pod): PodTraffic => {
  const rt = world.state.pods[pod.metadata.uid];
  const run = rt?.containerStartedAt ?? 0;
  if (!rt) return { run, completed: 0, running: 0, waiting: 0, promptTokens: 0, generationTokens: 0 };
  if (!rt.traffic || rt.traffic.run !== run) {
    rt.traffic = { run, completed: 0, running: 0, waiting: 0, promptTokens: 0, generationTokens: 0 };
    world.touch();
  }
  return rt.traffic;
};

/** Ready pods of a Deployment (by its selector), oldest first. */
export const readyPodsOf = (world: SimContext, namespace: string, selector: Labels | undefined): Pod[] => {
  if (!selector || Object.keys(selector).length === 0) return [];
  const requirements = requirementsFromSelector({ matchLabels: selector });
  return world.store
    .list<Pod>(POD.plural, namespace)
    .filter((p) => labelsMatch(requirements, p.metadata.labels) && servesTraffic(p))
    .sort((a, b) => (a.metadata.creationTimestamp ?? '').localeCompare(b.metadata.creationTimestamp ?? '') || a.metadata.name.localeCompare(b.metadata.name));
};

const roundRobin = new WeakMap<SimContext, Map<string, number>>();

/** One Ready endpoint of a Service, round robin (a 503 KubeError when none is Ready). */
export const pickEndpoint = (world: SimContext, namespace: string, serviceName: string): Pod => {
  const service = world.api.get(SERVICE, namespace, serviceName) as unknown as ServiceObject;
  const pods = readyPodsOf(world, namespace, service.spec?.selector);
  if (pods.length === 0) throw unavailable(`no endpoints available for service "${serviceName}"`);
  const counters = roundRobin.get(world) ?? new Map<string, number>();
  roundRobin.set(world, counters);
  const key = `${namespace}/${serviceName}`;
  const next = counters.get(key) ?? 0;
  counters.set(key, next + 1);
  return pods[next % pods.length] as Pod;
};

const engines = new WeakMap<SimContext, Map<string, { run: number; engine: Engine; server: PodServer }>>();

/** The traffic record as the engine's counters and histograms (persisted with the pod). */
const statsOf = (world: SimContext, pod: Pod): EngineStats => {
  const t = (): PodTraffic => trafficOf(world, pod);
  return {
    promptTokens: (n) => {
      t().promptTokens += n;
    },
    generationTokens: (n) => {
      t().generationTokens += n;
    },
    preempted: () => {
      const traffic = t();
      traffic.preemptions = (traffic.preemptions ?? 0) + 1;
    },
    finished: (reason) => {
      const traffic = t();
      traffic.completed += 1;
      if (reason === 'length') traffic.length = (traffic.length ?? 0) + 1;
      if (reason === 'abort') traffic.aborted = (traffic.aborted ?? 0) + 1;
      world.touch();
      world.onChange?.();
    },
    observe: (name, seconds) => {
      const histograms = (t().histograms ??= {});
      observe((histograms[name] ??= emptyHistogram(name)), name, seconds);
    },
  };
};

/** --api-key, else the VLLM_API_KEY environment variable (a value or a Secret's key). */
const apiKeysOf = (world: SimContext, pod: Pod): string[] => {
  const flag = argFlag(pod, '--api-key');
  if (flag) return [flag];
  const env = pod.spec.containers[0]?.env?.find((e) => e.name === 'VLLM_API_KEY');
  if (!env) return [];
  if (typeof env.value === 'string') return env.value ? [env.value] : [];
  const ref = env.valueFrom?.secretKeyRef;
  if (!ref?.name || !ref.key) return [];
  const secret = world.store.get<{ data?: Record<string, string> } & KubeObject>('secrets', pod.metadata.namespace ?? 'default', ref.name);
  const encoded = secret?.data?.[ref.key];
  return encoded ? [Buffer.from(encoded, 'base64').toString('utf8')] : [];
};

/** The vLLM process of the pod's current container run (a restarted container gets a fresh one). */
export const podServerOf = (world: SimContext, pod: Pod): PodServer => {
  const byPod = engines.get(world) ?? new Map<string, { run: number; engine: Engine; server: PodServer }>();
  engines.set(world, byPod);
  const run = trafficOf(world, pod).run;
  const existing = byPod.get(pod.metadata.uid);
  if (existing && existing.run === run) return existing.server;
  existing?.engine.close();
  const args = serverArgs(pod);
  const alive = (): boolean => {
    const rt = world.state.pods[pod.metadata.uid];
    return rt !== undefined && (rt.containerStartedAt ?? 0) === run && rt.stage === 'ready';
  };
  const engine = new Engine(engineConfigOfPod(world, pod), world.timeScale, statsOf(world, pod), undefined, alive);
  const showHidden010 = argFlag(pod, '--show-hidden-metrics-for-version') === '0.10';
  const server: PodServer = {
    servedModelName: args.servedModelName,
    model: args.model,
    maxModelLen: args.maxModelLen,
    startedAt: Math.floor((world.state.pods[pod.metadata.uid]?.readyAt ?? world.now()) / 1000),
    apiKeys: apiKeysOf(world, pod),
    requestIdHeaders: hasFlag(pod, '--enable-request-id-headers'),
    forceIncludeUsage: hasFlag(pod, '--enable-force-include-usage'),
    engine,
    metrics: () => {
      const t = trafficOf(world, pod);
      const length = t.length ?? 0;
      const abort = t.aborted ?? 0;
      return {
        modelName: args.servedModelName,
        running: engine.numRunning + t.running,
        waiting: engine.numWaiting + t.waiting,
        kvUsage: engine.kvUsage,
        showHidden010,
        promptTokens: t.promptTokens,
        generationTokens: t.generationTokens,
        preemptions: t.preemptions ?? 0,
        finished: { stop: Math.max(0, t.completed - length - abort), length, abort },
        histograms: t.histograms ?? {},
      };
    },
  };
  byPod.set(pod.metadata.uid, { run, engine, server });
  return server;
};

/** vLLM's Prometheus exposition of a pod. */
export const metricsText = (world: SimContext, pod: Pod): string => renderMetrics(podServerOf(world, pod).metrics());

/** `[scheme:]name[:port]` of a proxy path segment -> the object name. */
const objectName = (segment: string): string => {
  const parts = segment.split(':');
  if (parts.length === 3) return parts[1] ?? '';
  if (parts.length === 2 && (parts[0] === 'http' || parts[0] === 'https')) return parts[1] ?? '';
  return parts[0] ?? '';
};

/**
 * `segments` = decoded path segments; answers when they address a proxy subresource:
 * api, v1, namespaces, {ns}, services|pods, {name}, proxy, ...path. Undefined otherwise.
 */
export const handleProxy = (world: SimContext, req: SimRequest, segments: string[]): SimResponse | undefined => {
  const [api, version, namespaces, namespace, kind, target, proxy, ...rest] = segments;
  if (api !== 'api' || version !== 'v1' || namespaces !== 'namespaces' || proxy !== 'proxy' || !namespace || !target) return undefined;
  if (kind !== 'services' && kind !== 'pods') return undefined;
  if (!['GET', 'POST'].includes(req.method)) throw badRequest(`the simulator proxies GET and POST only, not ${req.method}`);
  const name = objectName(target);
  const path = `/${rest.join('/')}`;
  let pod: Pod;
  if (kind === 'services') {
    pod = pickEndpoint(world, namespace, name);
  } else {
    pod = world.api.get(POD, namespace, name) as Pod;
    if (!servesTraffic(pod)) {
      const ip = world.state.pods[pod.metadata.uid]?.podIP ?? pod.status?.podIP ?? '';
      throw unavailable(`error trying to reach service: dial tcp ${ip}:${serverArgs(pod).port}: connect: connection refused`);
    }
  }
  // kube-apiserver drops the Authorization header once it has authenticated the caller, so a
  // model server behind the proxy never sees the client's bearer token.
  const { authorization: _dropped, ...headers } = req.headers;
  return servePod(podServerOf(world, pod), { ...req, headers }, path);
};

/** POST /_sim/traffic: add completed requests and set the running gauge on a Deployment's Ready pods. */
export const driveTraffic = (world: SimContext, body: unknown): SimResponse => {
  if (!isRecord(body) || typeof body.deployment !== 'string') {
    return jsonResponse(400, { error: 'body must be {namespace?, deployment, completed?, running?, waiting?}' });
  }
  const namespace = typeof body.namespace === 'string' ? body.namespace : 'models';
  const counts = ['completed', 'running', 'waiting'].map((k) => body[k]);
  if (counts.some((v) => v !== undefined && (typeof v !== 'number' || !Number.isInteger(v) || v < 0))) {
    return jsonResponse(400, { error: 'completed, running and waiting must be non-negative integers' });
  }
  const pods = trafficPods(world, namespace, body.deployment);
  if (pods === undefined) return jsonResponse(404, { error: `no Deployment ${namespace}/${body.deployment}` });
  if (pods.length === 0) return jsonResponse(409, { error: `Deployment ${namespace}/${body.deployment} has no Ready pod to serve traffic` });
  const completed = (body.completed as number | undefined) ?? 0;
  pods.forEach((pod, i) => {
    const t = trafficOf(world, pod);
    t.completed += Math.floor(completed / pods.length) + (i < completed % pods.length ? 1 : 0);
    if (body.running !== undefined) t.running = body.running as number;
    if (body.waiting !== undefined) t.waiting = body.waiting as number;
  });
  world.touch();
  world.onChange?.();
  return jsonResponse(200, trafficView(world, pods));
};

/** GET /_sim/traffic?namespace=&deployment= */
export const readTraffic = (world: SimContext, params: URLSearchParams): SimResponse => {
  const namespace = params.get('namespace') ?? 'models';
  const deployment = params.get('deployment') ?? '';
  const pods = trafficPods(world, namespace, deployment);
  if (pods === undefined) return jsonResponse(404, { error: `no Deployment ${namespace}/${deployment}` });
  return jsonResponse(200, trafficView(world, pods));
};

const trafficPods = (world: SimContext, namespace: string, deployment: string): Pod[] | undefined => {
  const found = world.store.get<Deployment>(resource('deployments').plural, namespace, deployment);
  if (!found) return undefined;
  return readyPodsOf(world, namespace, found.spec?.selector?.matchLabels);
};

const trafficView = (world: SimContext, pods: Pod[]) => ({
  pods: pods.map((pod) => {
    // What /metrics says: the engine's own sequences plus the driven gauges.
    const m = podServerOf(world, pod).metrics();
    return { name: pod.metadata.name, completed: trafficOf(world, pod).completed, running: m.running, waiting: m.waiting };
  }),
});
