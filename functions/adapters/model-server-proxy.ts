/**
 * Calls to a deployment's model server the way its customers make them: through the inference
 * gateway, at the deployment's `endpoint_url`, with the control plane's own credential for that
 * deployment (domain/inference-keys.ts controlPlaneKey) instead of a customer key. So /prompt and
 * /models need no network path into the cluster (the functions run outside the VPC), carry no
 * Kubernetes access, are not cut at the API server proxy's limits, and are metered like any call.
 */
import { logger } from '../commons/logger';
import { parseJson } from './kubernetes-client';
import type { ModelServerResult, ModelServerCall } from '../ports';

export type { ModelServerResult, ModelServerCall };

/** `endpoint_url` ends in `/v1`; the call's path starts with `v1/`. */
const urlOf = (call: ModelServerCall): string => `${call.endpointUrl.replace(/\/v1\/?$/, '')}/${call.path.replace(/^\//, '')}`;

/** Calls the model server of a deployment through the gateway; never throws for an answer. */
export const callModelServer = async (call: ModelServerCall): Promise<ModelServerResult> => {
  const signal = AbortSignal.timeout(call.timeoutMs);
  try {
    const response = await fetch(urlOf(call), {
      method: call.method,
      headers: { authorization: `Bearer ${call.apiKey}`, accept: 'application/json', ...(call.body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(call.body === undefined ? {} : { body: JSON.stringify(call.body) }),
      signal,
    });
    const text = await response.text();
    const body: unknown = parseJson(text) ?? text;
    return response.ok ? { kind: 'ok', body } : { kind: 'http_error', status: response.status, body };
  } catch (error) {
    if (signal.aborted) return { kind: 'timeout' };
    const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error instanceof Error ? error.message : 'no answer');
    logger.warn('model server call failed', { endpoint: call.endpointUrl, code: cause });
    return { kind: 'unreachable', message: `the inference endpoint ${call.endpointUrl} did not answer (${cause})`.slice(0, 300) };
  }
};
