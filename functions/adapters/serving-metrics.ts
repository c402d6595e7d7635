/**
 * What a model serves right now, from vLLM's Prometheus metrics, read through the Kubernetes
 * API server's pod proxy of every Ready pod of the deployment (no network path to the pods
 * needed: the control plane already talks to the API server) and summed:
 *
 *   vllm:request_success_total   counter, all finished reasons: requests completed
 *   vllm:num_requests_running    gauge: requests in progress
 *
 * A counter starts at 0 in a new or restarted pod, so the sum can go down; the idle check
 * (domain/schedule.ts observeActivity) treats any change as activity.
 */
import type { V1Pod } from '@kubernetes/client-node';
import { isConditionTrue } from '../domain/kubernetes-objects';
import { deploymentSelector, VLLM_PORT } from '../domain/manifests';
import { sumMetrics } from '../domain/prometheus';
import { listPods, podProxyGet } from './kubernetes';
import type { ServingReading } from '../ports';

export type { ServingReading };

/** Ready and not on its way out: a terminating pod's counters are about to vanish. */
const isReady = (pod: V1Pod): boolean => pod.metadata?.deletionTimestamp === undefined && isConditionTrue(pod, 'Ready');

const COUNTER = 'vllm:request_success_total';
const RUNNING = 'vllm:num_requests_running';

export const readServingMetrics = async (deploymentId: string): Promise<ServingReading> => {
  const pods = (await listPods(deploymentSelector(deploymentId))).filter(isReady);
  const readings = await Promise.all(pods.map((pod) => podProxyGet(pod.metadata?.name ?? '', VLLM_PORT, 'metrics')));
  let counter = 0;
  let running = 0;
  for (const text of readings) {
    const sums = sumMetrics(text, [COUNTER, RUNNING]);
    counter += sums[COUNTER] ?? 0;
    running += sums[RUNNING] ?? 0;
  }
  return { counter, running, pods: pods.length };
};
