/**
 * Where the local gateway sits on the simulator's Service network: the source address the
 * simulator maps to the gateway's pods. Its own module, free of the gateway's code, because the
 * simulator needs it before the local cloud has set the environment the gateway's adapters (and
 * the functions' logger) read when loaded.
 */
import { INFERENCE_GATEWAY_NAMESPACE, INFERENCE_GATEWAY_POD_LABELS } from '../functions/domain/model-policies';
import type { NetworkSource } from './sim/index';

/** The gateway pods' source address on the simulated Service network (loopback: no setup needed on Linux). */
export const GATEWAY_SOURCE_ADDRESS = '127.0.0.2';

/**
 * What the simulator maps the local sources to: only the gateway's pods. The functions run outside
 * the VPC, as in AWS: /prompt and /models reach a model through the gateway, never the Service network.
 */
export const gatewayNetworkSources = (): Record<string, NetworkSource> => ({
  [GATEWAY_SOURCE_ADDRESS]: { namespace: INFERENCE_GATEWAY_NAMESPACE, labels: { ...INFERENCE_GATEWAY_POD_LABELS } },
});
