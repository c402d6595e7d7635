/**
 * What a vLLM pod answers on its HTTP port, reached the way production code reaches it: through
 * the Kubernetes API server's proxy subresources
 * (`/api/v1/namespaces/{ns}/services/{name}[:{port}]/proxy/{path}` and the same under `pods/`).
 *
 * A service proxy picks one Ready pod behind the Service's selector (round robin), like
 * kube-proxy; with none Ready it answers 503 as the API server does. Each pod keeps its own
 * request counters, reset whenever its container (re)starts, exactly like a real vLLM process,
 * so readers of `/metrics` must handle counter resets. Tests drive the counters without sending
 * completions through `POST /_sim/traffic`.
 */
import { jsonResponse, parseJsonBody, textResponse, type SimRequest, type SimResponse } from './http.js';
import { POD, resource } from './kubernetes/resources.js';
import { labelsMatch, requirementsFromSelector } from './kubernetes/selectors.js';
import { badRequest, KubeError } from './kubernetes/status.js';
import { isRecord, type Deployment, type Labels, type Pod } from './kubernetes/types.js';
import type { PodTraffic } from './state.js';
import { serverArgs } from './vllm-logs.js';
import type { World } from './world.js';

const SERVICE = resource('services');

interface ServiceObject {
  metadata: { name: string; namespace?: string };
  spec?: { selector?: Labels; ports?: { name?: string; port: number; targetPort?: number | string }[] };
}

const unavailable = (message: string): KubeError =>
  new KubeError({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason: 'ServiceUnavailable', code: 503 });

export const isPodReady = (pod: Pod): boolean =>
  pod.metadata.deletionTimestamp === undefined && (pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false);

/** The counters of a pod's current container run (fresh ones after a restart). */
export const trafficOf = (world: World, pod: Pod): PodTraffic => {
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
export const readyPodsOf = (world: World, namespace: string, selector: Labels | undefined): Pod[] => {
  if (!selector || Object.keys(selector).length === 0) return [];
  const requirements = requirementsFromSelector({ matchLabels: selector });
  return world.store
    .list<Pod>(POD.plural, namespace)
    .filter((p) => labelsMatch(requirements, p.metadata.labels) && isPodReady(p))
    .sort((a, b) => (a.metadata.creationTimestamp ?? '').localeCompare(b.metadata.creationTimestamp ?? '') || a.metadata.name.localeCompare(b.metadata.name));
};

const roundRobin = new WeakMap<World, Map<string, number>>();

const pickEndpoint = (world: World, namespace: string, serviceName: string): Pod => {
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

const openAiError = (status: number, type: string, message: string): SimResponse =>
  jsonResponse(status, { object: 'error', message, type, param: null, code: status });

/** A rough token count (about four characters a token), enough for `usage`. */
const tokens = (text: string): number => Math.max(1, Math.ceil(text.length / 4));

const MAX_REPLY_WORDS = 64;

/** A deterministic reply: the same prompt gets the same answer, bounded by max_tokens. */
const replyTo = (servedModelName: string, prompt: string, maxTokens: number): string => {
  const words = `This is ${servedModelName}, simulated. You said: ${prompt.replace(/\s+/g, ' ').trim()}`.split(' ');
  return words.slice(0, Math.max(1, Math.min(maxTokens, MAX_REPLY_WORDS))).join(' ');
};

const promptOfChat = (messages: unknown): string | undefined => {
  if (!Array.isArray(messages) || messages.length === 0) return undefined;
  const parts: string[] = [];
  for (const message of messages) {
    if (!isRecord(message) || typeof message.role !== 'string') return undefined;
    if (typeof message.content === 'string') parts.push(message.content);
    else if (Array.isArray(message.content)) {
      for (const part of message.content) if (isRecord(part) && typeof part.text === 'string') parts.push(part.text);
    } else return undefined;
  }
  const last = messages.at(-1) as Record<string, unknown>;
  return typeof last.content === 'string' ? last.content : parts.join(' ');
};

const completion = (world: World, pod: Pod, req: SimRequest, chat: boolean): SimResponse => {
  const args = serverArgs(pod);
  let body: unknown;
  try {
    body = parseJsonBody(req);
  } catch {
    return openAiError(400, 'BadRequestError', 'the request body is not valid JSON');
  }
  if (!isRecord(body)) return openAiError(400, 'BadRequestError', 'the request body must be a JSON object');
  if (body.model !== undefined && body.model !== args.servedModelName) {
    return openAiError(404, 'NotFoundError', `The model \`${String(body.model)}\` does not exist.`);
  }
  if (body.stream === true) return openAiError(400, 'BadRequestError', 'stream=true is not supported by the simulator');
  const prompt = chat ? promptOfChat(body.messages) : typeof body.prompt === 'string' ? body.prompt : undefined;
  if (prompt === undefined) {
    return openAiError(400, 'BadRequestError', chat ? 'messages must be a non-empty array of {role, content}' : 'prompt must be a string');
  }
  const maxTokens = typeof body.max_tokens === 'number' && body.max_tokens > 0 ? Math.floor(body.max_tokens) : 16;
  const text = replyTo(args.servedModelName, prompt, maxTokens);
  const usage = { prompt_tokens: tokens(prompt), completion_tokens: text.split(' ').length, total_tokens: 0 };
  usage.total_tokens = usage.prompt_tokens + usage.completion_tokens;
  const traffic = trafficOf(world, pod);
  traffic.completed += 1;
  traffic.promptTokens += usage.prompt_tokens;
  traffic.generationTokens += usage.completion_tokens;
  world.touch();
  world.onChange?.();
  const created = Math.floor(world.now() / 1000);
  const id = `${chat ? 'chatcmpl' : 'cmpl'}-${pod.metadata.uid.replace(/-/g, '').slice(0, 12)}${traffic.completed}`;
  return chat
    ? jsonResponse(200, {
        id,
        object: 'chat.completion',
        created,
        model: args.servedModelName,
        choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop', logprobs: null }],
        usage,
      })
    : jsonResponse(200, {
        id,
        object: 'text_completion',
        created,
        model: args.servedModelName,
        choices: [{ index: 0, text, finish_reason: 'stop', logprobs: null }],
        usage,
      });
};

/** vLLM's Prometheus exposition, the series a control plane reads. */
export const metricsText = (world: World, pod: Pod): string => {
  const { servedModelName } = serverArgs(pod);
  const t = trafficOf(world, pod);
  const label = `model_name="${servedModelName.replace(/["\\]/g, '\\$&')}"`;
  return [
    '# HELP vllm:num_requests_running Number of requests currently running on GPU.',
    '# TYPE vllm:num_requests_running gauge',
    `vllm:num_requests_running{${label}} ${t.running}`,
    '# HELP vllm:num_requests_waiting Number of requests waiting to be processed.',
    '# TYPE vllm:num_requests_waiting gauge',
    `vllm:num_requests_waiting{${label}} ${t.waiting}`,
    '# HELP vllm:request_success_total Count of successfully processed requests.',
    '# TYPE vllm:request_success_total counter',
    `vllm:request_success_total{finished_reason="stop",${label}} ${t.completed}`,
    '# HELP vllm:prompt_tokens_total Number of prefill tokens processed.',
    '# TYPE vllm:prompt_tokens_total counter',
    `vllm:prompt_tokens_total{${label}} ${t.promptTokens}`,
    '# HELP vllm:generation_tokens_total Number of generation tokens processed.',
    '# TYPE vllm:generation_tokens_total counter',
    `vllm:generation_tokens_total{${label}} ${t.generationTokens}`,
    '',
  ].join('\n');
};

/** One request to a pod's vLLM HTTP server. */
const serve = (world: World, pod: Pod, req: SimRequest, path: string): SimResponse => {
  const args = serverArgs(pod);
  const get = req.method === 'GET';
  const post = req.method === 'POST';
  if (path === '/health' && get) return textResponse(200, '');
  if (path === '/metrics' && get) return textResponse(200, metricsText(world, pod), 'text/plain; version=0.0.4; charset=utf-8');
  if (path === '/v1/models' && get) {
    const created = Math.floor((world.state.pods[pod.metadata.uid]?.readyAt ?? world.now()) / 1000);
    return jsonResponse(200, {
      object: 'list',
      data: [{ id: args.servedModelName, object: 'model', created, owned_by: 'vllm', root: args.model, parent: null, max_model_len: args.maxModelLen, permission: [] }],
    });
  }
  if (path === '/v1/chat/completions' && post) return completion(world, pod, req, true);
  if (path === '/v1/completions' && post) return completion(world, pod, req, false);
  if (['/health', '/metrics', '/v1/models', '/v1/chat/completions', '/v1/completions'].includes(path)) {
    return jsonResponse(405, { detail: 'Method Not Allowed' });
  }
  return jsonResponse(404, { detail: 'Not Found' });
};

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
export const handleProxy = (world: World, req: SimRequest, segments: string[]): SimResponse | undefined => {
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
    if (!isPodReady(pod)) {
      const ip = world.state.pods[pod.metadata.uid]?.podIP ?? pod.status?.podIP ?? '';
      throw unavailable(`error trying to reach service: dial tcp ${ip}:${serverArgs(pod).port}: connect: connection refused`);
    }
  }
  return serve(world, pod, req, path);
};

/** POST /_sim/traffic: add completed requests and set the running gauge on a Deployment's Ready pods. */
export const driveTraffic = (world: World, body: unknown): SimResponse => {
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
export const readTraffic = (world: World, params: URLSearchParams): SimResponse => {
  const namespace = params.get('namespace') ?? 'models';
  const deployment = params.get('deployment') ?? '';
  const pods = trafficPods(world, namespace, deployment);
  if (pods === undefined) return jsonResponse(404, { error: `no Deployment ${namespace}/${deployment}` });
  return jsonResponse(200, trafficView(world, pods));
};

const trafficPods = (world: World, namespace: string, deployment: string): Pod[] | undefined => {
  const found = world.store.get<Deployment>(resource('deployments').plural, namespace, deployment);
  if (!found) return undefined;
  return readyPodsOf(world, namespace, found.spec?.selector?.matchLabels);
};

const trafficView = (world: World, pods: Pod[]) => ({
  pods: pods.map((pod) => {
    const t = trafficOf(world, pod);
    return { name: pod.metadata.name, completed: t.completed, running: t.running, waiting: t.waiting };
  }),
});
