/**
 * Docker Hub's anonymous pull limit, as the kubelet meets it: an injected `docker_hub_rate_limit`
 * rule (with a count, or a time window) refuses pulls of docker.io images with `toomanyrequests`
 * until it is spent. Images from any other registry (an ECR pull-through cache included) and
 * images already on the node are not limited.
 */
import { podFaultFor } from '../faults.js';
import { consume, dockerHubRateLimitMessage, isDockerHubRef, isSpent } from '../launch-faults.js';
import type { Pod } from '../apiserver/types.js';
import type { SimContext } from '../context.js';

/** Whether this pull is refused; consumes one use of the rule that refuses it. */
export const pullRateLimited = (world: SimContext, pod: Pod, nodeName: string, qualifiedRef: string): boolean => {
  if (!isDockerHubRef(qualifiedRef)) return false;
  if (world.instanceByNodeName(nodeName)?.images.includes(pod.spec.containers[0]?.image ?? '')) return false;
  const nodeGroupOf = (name: string) => world.instanceByNodeName(name)?.group;
  const bound = { ...pod, spec: { ...pod.spec, nodeName } };
  for (const rule of world.faults()) {
    if (rule.fault !== 'docker_hub_rate_limit' || isSpent(rule, world.now(), world.ms(1))) continue;
    if (podFaultFor({ ...bound, metadata: { ...bound.metadata, annotations: {} } }, [rule], nodeGroupOf) === 'docker_hub_rate_limit') {
      consume(rule);
      world.touch();
      return true;
    }
  }
  return pod.metadata.annotations?.['gpudeploy.io/sim-fault'] === 'docker_hub_rate_limit';
};

/** The ErrImagePull message for a refused pull, as containerd's error reaches the kubelet. */
export const rateLimitedPullMessage = (qualifiedRef: string): string => `rpc error: code = Unknown desc = ${dockerHubRateLimitMessage(qualifiedRef)}`;
