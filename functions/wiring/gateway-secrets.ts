/** The keys derived from the gateway's master secret in Secrets Manager (adapters/gateway-secrets.ts). */
import { deploymentControlPlaneKey, deploymentModelServerKey, keyHashPepper } from '../adapters/gateway-secrets';
import type { GatewaySecrets } from '../ports';

export const gatewaySecrets: GatewaySecrets = { keyHashPepper, modelServerKey: deploymentModelServerKey, controlPlaneKey: deploymentControlPlaneKey };
