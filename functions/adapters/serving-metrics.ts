/**
 * What a model serves right now, from vLLM's Prometheus metrics, read through the Kubernetes
 * API server's pod proxy of every Ready pod of the deployment (no network path to the pods
 * needed: the control plane already talks to the API server) and summed:
 *
 *   vllm:request_success_total   counter, all finished reasons: requests completed
 *   vllm:num_requests_running    gauge: requests in progress
 *   vllm:num_requests_waiting    gauge: requests queued for a batch slot (the load autoscaler)
 *   vllm:kv_cache_usage_perc     gauge 0..1 (vLLM before 0.10: vllm:gpu_cache_usage_perc), the highest over the pods
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
const WAITING = 'vllm:num_requests_waiting';
const KV_CACHE = 'vllm:kv_cache_usage_perc';
const KV_CACHE_OLD = 'vllm:gpu_cache_usage_perc';

export const readServingMetrics = async (deploymentId: string): Promise<ServingReading> => {
  const pods = (await listPods(deploymentSelector(deploymentId))).filter(isReady);
  const readings = await Promise.all(pods.map((pod) => podProxyGet(pod.metadata?.name ?? '', VLLM_PORT, 'metrics')));
  let counter = 0;
  let running = 0;
  let waiting = 0;
  let kvCacheUsage = 0;
  for (const text of readings) {
    const sums = sumMetrics(text, [COUNTER, RUNNING, WAITING, KV_CACHE, KV_CACHE_OLD]);
    counter += sums[COUNTER] ?? 0;
    running += sums[RUNNING] ?? 0;
    waiting += sums[WAITING] ?? 0;
    // One pod prints one engine's gauge; a newer vLLM prints both names with the same value.
    kvCacheUsage = Math.max(kvCacheUsage, sums[KV_CACHE] || sums[KV_CACHE_OLD] || 0);
  }
  return { counter, running, pods: pods.length, waiting, kvCacheUsage };
};
