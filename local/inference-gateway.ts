/**
 * The inference gateway (gateway/) in the local cloud: the same server the cluster runs, on its
 * own port, reading keys, deployments and the master secret through the production adapters
 * (functions/wiring) against the local DynamoDB and Secrets Manager, and reaching the model
 * servers through the simulator's Service network from 127.0.0.2, the address the simulator maps
 * to the gateway's pods (so each model's NetworkPolicy admits it, and nothing else). The network
 * resolves each Service as the cluster's DNS and kube-proxy would: a Service without a Ready
 * endpoint refuses the connection, which the gateway answers with 503 no_ready_replica.
 *
 * Its AWS calls run as the principal of the gateway's IAM role in the synthesized template
 * (`<prefix>-inference-gateway`, local/iam/principals.ts), as a function's run as its role.
 */
import { createGateway, type GatewayOptions, type RunningGateway } from '../gateway/server';
import { productionGatewayPorts } from '../gateway/wiring';
import { runAsFunction } from './identity';
import { GATEWAY_SOURCE_ADDRESS } from './gateway-network';

export interface LocalGatewayOptions {
  host: string;
  port: number;
  namespace: string;
  serviceNetwork: { resolve(hostname: string, port: number): { host: string; port: number } };
  /** The principal to run as; undefined when the template has no gateway role (calls are then not IAM-checked). */
  principal: string | undefined;
  overrides?: Partial<GatewayOptions>;
}

export const startLocalInferenceGateway = async (options: LocalGatewayOptions): Promise<RunningGateway> => {
  // Built here, after the local cloud set the environment the adapters read.
  const ports = await productionGatewayPorts();
  const principal = options.principal;
  const gateway = createGateway(
    ports,
    {
      namespace: options.namespace,
      upstreamTemplate: 'http://{service}.{namespace}.svc.cluster.local:8000',
      connectTo: options.serviceNetwork.resolve,
      localAddress: GATEWAY_SOURCE_ADDRESS,
      ...(principal ? { around: <T>(work: () => T): T => runAsFunction(principal, work) } : {}),
      ...options.overrides,
    },
  );
  return gateway.listen(options.port, options.host);
};
