/**
 * Reads a model's pods and says where the rollout is, or why it failed. Pure.
 */
import type { V1Pod } from '@kubernetes/client-node';
import { isConditionTrue } from './kubernetes-objects';

export type RolloutProgress =
  | { kind: 'progress'; phase: 'scheduling' | 'pulling_image' | 'loading_model'; detail: string }
  | { kind: 'failed'; reason: FailReason; message: string; pod: string };

export type FailReason = 'ImageNotFound' | 'InvalidImageName' | 'CrashLoopBackOff' | 'OOMKilled' | 'ModelAccessDenied' | 'Unschedulable';

/**
 * Pull errors that no retry fixes: the registry says the image, tag or repository does not
 * exist (containerd: "not found", "manifest unknown", "repository does not exist"). Anything
 * else (Docker Hub's `toomanyrequests`, timeouts, 5xx) the kubelet retries with back-off, so the
 * rollout waits for it until the image-pull deadline.
 */
const PERMANENT_PULL_ERROR = /manifest unknown|: not found|NotFound desc|repository does not exist|name unknown|invalid reference format/i;

export const isPermanentPullError = (message: string): boolean => PERMANENT_PULL_ERROR.test(message) && !/toomanyrequests/i.test(message);

const waitingReasons = (pod: V1Pod) =>
  (pod.status?.containerStatuses ?? []).map((c) => ({ waiting: c.state?.waiting, last: c.lastState?.terminated, restarts: c.restartCount }));

const isReady = (pod: V1Pod) => isConditionTrue(pod, 'Ready');

/** Failures visible in pod status, worst first. The log tail is added by the caller. */
export const classifyPods = (pods: readonly V1Pod[]): RolloutProgress => {
  for (const pod of pods) {
    const name = pod.metadata?.name ?? 'pod';
    for (const { waiting, last } of waitingReasons(pod)) {
      if (last?.reason === 'OOMKilled') {
        return { kind: 'failed', reason: 'OOMKilled', message: `container of ${name} was killed for running out of memory; use a GPU config with more memory or lower max_model_len`, pod: name };
      }
      if (waiting?.reason === 'InvalidImageName') {
        return { kind: 'failed', reason: 'InvalidImageName', message: `image of ${name} is not a valid image reference: ${waiting.message ?? waiting.reason}`, pod: name };
      }
      if ((waiting?.reason === 'ImagePullBackOff' || waiting?.reason === 'ErrImagePull') && isPermanentPullError(waiting.message ?? '')) {
        return { kind: 'failed', reason: 'ImageNotFound', message: `image of ${name} does not exist in its registry: ${waiting.message ?? waiting.reason}`, pod: name };
      }
      if (waiting?.reason === 'CrashLoopBackOff') {
        return { kind: 'failed', reason: 'CrashLoopBackOff', message: `model server in ${name} keeps crashing (exit code ${last?.exitCode ?? 'unknown'})`, pod: name };
      }
    }
  }
  const notReady = pods.filter((p) => !isReady(p));
  const unscheduled = notReady.find((p) =>
    p.status?.conditions?.some((c) => c.type === 'PodScheduled' && c.status === 'False'),
  );
  if (unscheduled) {
    const condition = unscheduled.status?.conditions?.find((c) => c.type === 'PodScheduled');
    return { kind: 'progress', phase: 'scheduling', detail: condition?.message ?? 'waiting for a GPU node' };
  }
  const retryingPull = notReady
    .flatMap((p) => p.status?.containerStatuses ?? [])
    .find((c) => c.state?.waiting?.reason === 'ErrImagePull' || c.state?.waiting?.reason === 'ImagePullBackOff');
  if (retryingPull) {
    const limited = /toomanyrequests/i.test(retryingPull.state?.waiting?.message ?? '');
    return { kind: 'progress', phase: 'pulling_image', detail: limited ? 'the registry limits pulls (toomanyrequests); the kubelet retries with back-off' : `image pull failed, the kubelet retries: ${retryingPull.state?.waiting?.message ?? ''}` };
  }
  const pulling = notReady.find((p) => p.status?.containerStatuses?.some((c) => c.state?.waiting) ?? true);
  if (pulling) return { kind: 'progress', phase: 'pulling_image', detail: 'pulling the model server image' };
  return { kind: 'progress', phase: 'loading_model', detail: 'loading model weights' };
};

/** Log lines that say the Hugging Face download was refused (gated or bad token). */
export const mentionsModelAccessDenied = (log: string): boolean =>
  /GatedRepoError|401 Client Error|403 Client Error|Access to model .* is restricted|Cannot access gated repo/i.test(log);

/**
 * DeepInfra's `instances`: pods serving (Ready) and pods on their way (not Ready, not being
 * deleted). Terminating pods are neither: they are leaving.
 */
export const countInstances = (pods: readonly V1Pod[]): { running: number; pending: number } => {
  const live = pods.filter((p) => !p.metadata?.deletionTimestamp && p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed');
  const running = live.filter(isReady).length;
  return { running, pending: live.length - running };
};
