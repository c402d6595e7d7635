/**
 * Calls to a deployment's model server through the Kubernetes API server's service proxy.
 */
import { ApiException, Observable, type ObservableMiddleware } from '@kubernetes/client-node';
import { logger } from '../commons/logger';
import { connect, parseJson } from './kubernetes-client';
import { namespace } from './model-namespace';
import type { ModelServerResult, ModelServerCall } from '../ports';

export type { ModelServerResult, ModelServerCall };

/** Sets the JSON body and the deadline on the generated client's request (its proxy calls take no body). */
const requestMiddleware = (call: ModelServerCall, signal: AbortSignal): ObservableMiddleware => ({
  pre: (context) => {
    context.setSignal(signal);
    if (call.body !== undefined) {
      context.setHeaderParam('Content-Type', 'application/json');
      context.setBody(JSON.stringify(call.body));
    }
    return new Observable(Promise.resolve(context));
  },
  post: (response) => new Observable(Promise.resolve(response)),
});

/**
 * Calls the model server of a deployment through the Kubernetes API service proxy
 * (`…/services/<name>:http/proxy/<path>`): the API server picks a Ready pod, so the control
 * plane needs no network path into the cluster. Never throws for the server's own answers.
 */
export const callModelServer = async (service: string, call: ModelServerCall): Promise<ModelServerResult> => {
  const { core } = await connect();
  const signal = AbortSignal.timeout(call.timeoutMs);
  const options = { middleware: [requestMiddleware(call, signal)], middlewareMergeStrategy: 'append' as const };
  const request = { name: `${service}:http`, namespace, path: call.path };
  try {
    const body =
      call.method === 'GET'
        ? await core.connectGetNamespacedServiceProxyWithPath(request, options)
        : await core.connectPostNamespacedServiceProxyWithPath(request, options);
    return { kind: 'ok', body: typeof body === 'string' ? parseJson(body) ?? body : body };
  } catch (error) {
    if (signal.aborted) return { kind: 'timeout' };
    if (error instanceof ApiException) {
      const body: unknown = typeof error.body === 'string' ? parseJson(error.body) ?? error.body : error.body;
      return { kind: 'http_error', status: error.code, body };
    }
    logger.warn('model server call failed', { error: error as Error });
    return { kind: 'unreachable', message: error instanceof Error ? error.message.slice(0, 300) : 'no answer' };
  }
};
