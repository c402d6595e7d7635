/** The deployments' model servers through the inference gateway (adapters/model-server-proxy.ts). */
import { callModelServer } from '../adapters/model-server-proxy';
import type { ModelServers } from '../ports';

export const modelServers: ModelServers = { call: callModelServer };
