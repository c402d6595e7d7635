// Over 300 lines: a pod's runtime stages and the status rendered from them belong together.
/**
 * The kubelet of every simulated node: pulls the image, starts the model server, reports it
 * Ready once the weights are loaded, and plays injected faults (image pull back-off, crash
 * loops, OOM kills, gated-model 401s, never-ready servers). Pod status is always rendered
 * from the pod's runtime record, so it is consistent after a restart.
 */
import { createHash } from 'node:crypto';
import { podFaultFor, type PodFault } from '../faults.js';
import { nowIso } from '../ids.js';
import { setCondition } from '../apiserver/conditions.js';
import { POD } from '../apiserver/resources.js';
import { eventRecorded } from '../apiserver/events.js';
import { multiAttachError } from '../apiserver/volumes.js';
import type { Condition, ContainerState, ContainerStatus, KubeObject, Pod, PodStatus } from '../apiserver/types.js';
import { podAgentProfile } from './node-agents.js';
import type { PodRuntime } from './state.js';
import { serverArgs, weightsGiB } from './vllm-logs.js';
import type { SimContext } from '../context.js';
import { pullRateLimited, rateLimitedPullMessage } from './pull-limits.js';

const CRASH_FAULTS: readonly PodFault[] = ['crash_loop', 'oom_killed', 'hf_unauthorized'];
const BACKOFF_BASE_S = 10;
const BACKOFF_CAP_S = 300;
const CACHED_PULL_S = 0.5;
/** How long ErrImagePull shows before the kubelet's next sync turns it into ImagePullBackOff. */
const ERR_IMAGE_PULL_S = 5;
const TERMINATED_DISPLAY_S = 1;

export const mainImage = (pod: Pod): string => pod.spec.containers[0]?.image ?? '';

/** `vllm/vllm-openai:v0.8.5` -> `docker.io/vllm/vllm-openai:v0.8.5`, as containerd reports it. */
export const qualifiedImage = (image: string): string => {
  const first = image.split('/')[0] ?? '';
  const hasRegistry = image.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost');
  let ref = hasRegistry ? image : `docker.io/${image.includes('/') ? image : `library/${image}`}`;
  const last = ref.split('/').pop() ?? '';
  if (!last.includes(':') && !last.includes('@')) ref = `${ref}:latest`;
  return ref;
};

const sha = (text: string): string => createHash('sha256').update(text).digest('hex');

const backoffMs = (world: SimContext, attempt: number): number =>
  world.ms(Math.min(BACKOFF_CAP_S, BACKOFF_BASE_S * 2 ** Math.max(0, attempt - 1)));

export const loadDurationMs = (world: SimContext, pod: Pod): number =>
  world.ms(world.delays.modelLoadBase + world.delays.modelLoadPerGiB * weightsGiB(pod));

const faultOf = (world: SimContext, pod: Pod): PodFault | undefined =>
  podFaultFor(pod, world.faults(), (nodeName) => world.instanceByNodeName(nodeName)?.group) ?? (podAgentProfile(pod) ? undefined : gatedRefusal(world, pod));

/** Whether the model server's container gets an HF_TOKEN: a value, or a key of a Secret that exists. */
const hasHfToken = (world: SimContext, pod: Pod): boolean => {
  const variable = pod.spec.containers[0]?.env?.find((e) => e.name === 'HF_TOKEN' || e.name === 'HUGGING_FACE_HUB_TOKEN');
  if (!variable) return false;
  if (variable.value) return true;
  const ref = variable.valueFrom?.secretKeyRef;
  if (!ref?.name || !ref.key) return false;
  const secret = world.store.get<{ data?: Record<string, string> } & KubeObject>('secrets', pod.metadata.namespace ?? 'default', ref.name);
  return typeof secret?.data?.[ref.key] === 'string' && secret.data[ref.key] !== '';
};

/** Hugging Face refuses a gated repository to a pod without a token (401, GatedRepoError). */
const gatedRefusal = (world: SimContext, pod: Pod): PodFault | undefined => {
  if (world.gatedModels.length === 0) return undefined;
  const { model } = serverArgs(pod);
  const gated = world.gatedModels.some((repo) => (repo.endsWith('/') ? model.startsWith(repo) : model === repo));
  return gated && !hasHfToken(world, pod) ? 'hf_unauthorized' : undefined;
};

export const createPodRuntime = (world: SimContext, pod: Pod, now: number): PodRuntime => {
  const nodeName = pod.spec.nodeName ?? '';
  const cached = world.instanceByNodeName(nodeName)?.images.includes(mainImage(pod)) ?? false;
  const runtime: PodRuntime = {
    uid: pod.metadata.uid,
    namespace: pod.metadata.namespace ?? 'default',
    name: pod.metadata.name,
    nodeName,
    podIP: world.allocateIp('pod'),
    scheduledAt: now,
    stage: 'pulling',
    stageSince: now,
    nextAt: now + world.ms(cached ? CACHED_PULL_S : (podAgentProfile(pod)?.pullSeconds ?? world.delays.imagePull)),
    pullAttempts: 1,
    restartCount: 0,
  };
  world.state.pods[pod.metadata.uid] = runtime;
  world.touch();
  const image = mainImage(pod);
  world.events.record(
    pod,
    'Normal',
    cached ? 'Pulled' : 'Pulling',
    cached ? `Container image "${image}" already present on machine` : `Pulling image "${image}"`,
    'kubelet',
    nodeName,
  );
  return runtime;
};

const enter = (rt: PodRuntime, stage: PodRuntime['stage'], at: number, nextAt: number | null): void => {
  rt.stage = stage;
  rt.stageSince = at;
  rt.nextAt = nextAt;
};

const startContainer = (world: SimContext, pod: Pod, rt: PodRuntime, at: number): void => {
  const fault = faultOf(world, pod);
  rt.containerStartedAt = at;
  rt.runFault = fault === 'image_pull_backoff' || fault === 'docker_hub_rate_limit' ? undefined : fault;
  delete rt.readyAt;
  // A node agent is Ready seconds after it starts; a model server once its weights are loaded.
  const startup = podAgentProfile(pod) ? world.ms(podAgentProfile(pod)?.readySeconds ?? 0) : loadDurationMs(world, pod);
  const next = rt.runFault && CRASH_FAULTS.includes(rt.runFault) ? at + world.ms(world.delays.crashAfter) : rt.runFault === 'never_ready' ? null : at + startup;
  enter(rt, 'loading', at, next);
  const name = pod.spec.containers[0]?.name ?? 'main';
  world.events.record(pod, 'Normal', 'Created', `Created container: ${name}`, 'kubelet', rt.nodeName);
  world.events.record(pod, 'Normal', 'Started', `Started container ${name}`, 'kubelet', rt.nodeName);
};

/** Moves a runtime through every transition that is due by `now`. */
const advance = (world: SimContext, pod: Pod, rt: PodRuntime, now: number): void => {
  const image = mainImage(pod);
  const container = pod.spec.containers[0]?.name ?? 'main';
  for (let guard = 0; guard < 1000 && rt.nextAt !== null && rt.nextAt <= now; guard += 1) {
    const at = rt.nextAt;
    switch (rt.stage) {
      case 'pulling': {
        const limited = pullRateLimited(world, pod, rt.nodeName, qualifiedImage(image));
        if (limited || faultOf(world, pod) === 'image_pull_backoff') {
          rt.pullError = limited ? 'rate_limited' : 'not_found';
          enter(rt, 'pull_error', at, at + world.ms(ERR_IMAGE_PULL_S));
          world.events.record(pod, 'Warning', 'Failed', `Failed to pull image "${image}": ${pullErrorMessage(image, rt.pullError)}`, 'kubelet', rt.nodeName);
          world.events.record(pod, 'Warning', 'Failed', 'Error: ErrImagePull', 'kubelet', rt.nodeName);
          break;
        }
        delete rt.pullError;
        const instance = world.instanceByNodeName(rt.nodeName);
        if (instance && !instance.images.includes(image)) {
          instance.images.push(image);
          world.events.record(pod, 'Normal', 'Pulled', `Successfully pulled image "${image}" in ${((at - rt.stageSince) / 1000).toFixed(3)}s`, 'kubelet', rt.nodeName);
        }
        startContainer(world, pod, rt, at);
        break;
      }
      case 'pull_error':
        enter(rt, 'pull_backoff', at, at + backoffMs(world, rt.pullAttempts));
        world.events.record(pod, 'Normal', 'BackOff', `Back-off pulling image "${image}"`, 'kubelet', rt.nodeName);
        world.events.record(pod, 'Warning', 'Failed', 'Error: ImagePullBackOff', 'kubelet', rt.nodeName);
        break;
      case 'pull_backoff':
        rt.pullAttempts += 1;
        enter(rt, 'pulling', at, at + world.ms(world.delays.imagePull));
        world.events.record(pod, 'Normal', 'Pulling', `Pulling image "${image}"`, 'kubelet', rt.nodeName);
        break;
      case 'loading':
        if (rt.runFault && CRASH_FAULTS.includes(rt.runFault)) {
          rt.lastTermination = {
            reason: rt.runFault === 'oom_killed' ? 'OOMKilled' : 'Error',
            exitCode: rt.runFault === 'oom_killed' ? 137 : 1,
            startedAt: rt.containerStartedAt ?? at,
            finishedAt: at,
            fault: rt.runFault,
          };
          enter(rt, 'crashed', at, at + world.ms(TERMINATED_DISPLAY_S));
        } else {
          rt.readyAt = at;
          enter(rt, 'ready', at, null);
        }
        break;
      case 'crashed':
        rt.restartCount += 1;
        enter(rt, 'crash_backoff', at, at + backoffMs(world, rt.restartCount));
        world.events.record(pod, 'Warning', 'BackOff', `Back-off restarting failed container ${container} in pod ${pod.metadata.name}_${pod.metadata.namespace ?? 'default'}(${pod.metadata.uid})`, 'kubelet', rt.nodeName);
        break;
      case 'crash_backoff':
        startContainer(world, pod, rt, at);
        break;
      case 'ready':
      case 'node_lost':
        rt.nextAt = null;
        break;
    }
    world.touch();
  }
};

export const pullErrorMessage = (image: string, kind: PodRuntime['pullError'] = 'not_found'): string => {
  const ref = qualifiedImage(image);
  if (kind === 'rate_limited') return rateLimitedPullMessage(ref);
  return `rpc error: code = NotFound desc = failed to pull and unpack image "${ref}": failed to resolve reference "${ref}": ${ref}: not found`;
};

const containerId = (rt: PodRuntime, name: string): string => `containerd://${sha(`${rt.uid}/${name}/${rt.restartCount}`)}`;

const terminatedState = (rt: PodRuntime, name: string): ContainerState => {
  const t = rt.lastTermination;
  if (!t) return {};
  return {
    terminated: {
      exitCode: t.exitCode,
      reason: t.reason,
      startedAt: nowIso(t.startedAt),
      finishedAt: nowIso(t.finishedAt),
      containerID: `containerd://${sha(`${rt.uid}/${name}/${rt.stage === 'crashed' ? rt.restartCount : rt.restartCount - 1}`)}`,
    },
  };
};

const currentState = (rt: PodRuntime, pod: Pod, name: string): ContainerState => {
  const image = pod.spec.containers.find((c) => c.name === name)?.image ?? '';
  switch (rt.stage) {
    case 'pulling':
      return { waiting: { reason: 'ContainerCreating' } };
    case 'pull_error':
      return { waiting: { reason: 'ErrImagePull', message: pullErrorMessage(image, rt.pullError) } };
    case 'pull_backoff':
      return { waiting: { reason: 'ImagePullBackOff', message: `Back-off pulling image "${image}": ErrImagePull: ${pullErrorMessage(image, rt.pullError)}` } };
    case 'crashed':
      return terminatedState(rt, name);
    case 'crash_backoff': {
      const seconds = Math.min(BACKOFF_CAP_S, BACKOFF_BASE_S * 2 ** Math.max(0, rt.restartCount - 1));
      return {
        waiting: {
          reason: 'CrashLoopBackOff',
          message: `back-off ${seconds >= 60 ? `${Math.floor(seconds / 60)}m${seconds % 60}s` : `${seconds}s`} restarting failed container=${name} pod=${pod.metadata.name}_${pod.metadata.namespace ?? 'default'}(${pod.metadata.uid})`,
        },
      };
    }
    case 'loading':
    case 'ready':
    case 'node_lost':
      return { running: { startedAt: nowIso(rt.containerStartedAt ?? rt.stageSince) } };
  }
};

/** The pod status a kubelet would report for this runtime. */
export const renderPodStatus = (pod: Pod, rt: PodRuntime, hostIP: string, now: number): PodStatus => {
  const terminating = pod.metadata.deletionTimestamp !== undefined;
  const containersReady = rt.stage === 'ready' && !terminating;
  const started = rt.stage === 'loading' || rt.stage === 'ready' || rt.stage === 'node_lost';
  const phase = rt.stage === 'pulling' || rt.stage === 'pull_error' || rt.stage === 'pull_backoff' ? 'Pending' : 'Running';
  const names = pod.spec.containers.map((c) => c.name);
  const statuses: ContainerStatus[] = pod.spec.containers.map((c) => ({
    name: c.name,
    image: c.image ?? '',
    imageID: phase === 'Pending' ? '' : `${qualifiedImage(c.image ?? '').replace(/[:@][^/]*$/, '')}@sha256:${sha(c.image ?? '')}`,
    ...(started || rt.stage === 'crashed' || rt.stage === 'crash_backoff' ? { containerID: containerId(rt, c.name) } : {}),
    ready: containersReady,
    started,
    restartCount: rt.restartCount,
    state: currentState(rt, pod, c.name),
    lastState: rt.stage === 'crashed' ? {} : terminatedState(rt, c.name),
  }));
  const at = nowIso(now);
  const unready: Partial<Condition> = containersReady ? {} : { reason: 'ContainersNotReady', message: `containers with unready status: [${names.join(' ')}]` };
  const nodeLost = rt.stage === 'node_lost';
  let conditions = pod.status?.conditions;
  conditions = setCondition(conditions, { type: 'PodReadyToStartContainers', status: 'True', lastProbeTime: null, lastTransitionTime: nowIso(rt.scheduledAt) });
  conditions = setCondition(conditions, { type: 'Initialized', status: 'True', lastProbeTime: null, lastTransitionTime: nowIso(rt.scheduledAt) });
  conditions = setCondition(conditions, {
    type: 'Ready',
    status: containersReady ? 'True' : 'False',
    ...(nodeLost ? { reason: 'NodeNotReady', message: 'Node is not ready' } : unready),
    lastProbeTime: null,
    lastTransitionTime: at,
  });
  conditions = setCondition(conditions, { type: 'ContainersReady', status: containersReady ? 'True' : 'False', ...unready, lastProbeTime: null, lastTransitionTime: at });
  conditions = setCondition(conditions, { type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: nowIso(rt.scheduledAt) });
  const order = ['PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady', 'PodScheduled'];
  conditions.sort((a, b) => order.indexOf(a.type) - order.indexOf(b.type));
  return {
    ...(pod.status ?? {}),
    phase,
    conditions,
    hostIP,
    hostIPs: [{ ip: hostIP }],
    podIP: rt.podIP,
    podIPs: [{ ip: rt.podIP }],
    startTime: nowIso(rt.scheduledAt),
    containerStatuses: statuses,
  };
};

export const runKubelet = (world: SimContext, now: number): void => {
  for (const pod of world.store.list<Pod>(POD.plural)) {
    if (!pod.spec.nodeName) continue;
    let rt = world.state.pods[pod.metadata.uid];
    if (!rt) {
      if (pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') continue;
      // The pod's ReadWriteOnce volume is still attached to another node: nothing starts until that node's pods let go of it.
      const attach = pod.metadata.deletionTimestamp ? undefined : multiAttachError(world.store, pod, (other) => world.state.pods[other.metadata.uid] !== undefined);
      if (attach) {
        if (!eventRecorded(world.store, pod, 'FailedAttachVolume', attach)) world.events.record(pod, 'Warning', 'FailedAttachVolume', attach, 'attachdetach-controller');
        continue;
      }
      rt = createPodRuntime(world, pod, now);
    }
    if (pod.metadata.deletionTimestamp) {
      if (rt.removeAt === undefined) {
        rt.removeAt = now + world.ms(world.delays.podTermination);
        world.touch();
      }
      // The container has stopped; like the API server, keep the object until its finalizers are gone.
      if (rt.removeAt <= now && (pod.metadata.finalizers ?? []).length > 0) continue;
      if (rt.removeAt <= now) {
        world.store.remove(POD.plural, pod.metadata.namespace, pod.metadata.name);
        delete world.state.pods[pod.metadata.uid];
        world.touch();
        continue;
      }
      world.wakeAt(rt.removeAt);
    }
    const instance = world.instanceByNodeName(rt.nodeName);
    if (!instance) continue;
    if (instance.lifecycle === 'Terminating') {
      if (rt.stage !== 'node_lost') {
        enter(rt, 'node_lost', now, null);
        world.touch();
      }
    } else {
      advance(world, pod, rt, now);
    }
    if (rt.nextAt !== null) world.wakeAt(rt.nextAt);
    const status = renderPodStatus(pod, rt, instance.privateIp, now);
    if (JSON.stringify(status) !== JSON.stringify(pod.status)) {
      world.store.mutate<Pod>(POD, pod.metadata.namespace, pod.metadata.name, (draft) => {
        draft.status = status;
      });
    }
  }
};
