/**
 * Calls to a deployment's model server on the inference gateway's path: straight to its Service
 * (`http://<service>.<namespace>.svc.cluster.local:8000`), with the model server's own key. Not
 * the Kubernetes API server's service proxy: that drops the Authorization header vLLM's
 * --api-key needs, and caps what it carries.
 *
 *   MODEL_SERVER_URL_TEMPLATE    the Service's base URL, `{service}` and `{namespace}` filled in
 *   MODEL_SERVER_CONNECT         host:port to connect to instead of resolving the URL's host (the
 *                                local cloud's simulated Service network; the Host header still names the Service)
 *   MODEL_SERVER_SOURCE_ADDRESS  the local address to connect from (the local cloud maps it to an address in the cluster's subnets)
 */
import http from 'node:http';
import * as z from 'zod';
import { readEnv } from '../commons/env';
import { logger } from '../commons/logger';
import { parseJson } from './kubernetes-client';
import { namespace } from './model-namespace';
import type { ModelServerResult, ModelServerCall } from '../ports';

export type { ModelServerResult, ModelServerCall };

const env = readEnv({
  MODEL_SERVER_URL_TEMPLATE: z.string().includes('{service}').default('http://{service}.{namespace}.svc.cluster.local:8000'),
  MODEL_SERVER_CONNECT: z
    .string()
    .regex(/^[^:]+:\d+$/)
    .optional(),
  MODEL_SERVER_SOURCE_ADDRESS: z.string().min(1).optional(),
});

const agent = new http.Agent({ keepAlive: true });

/** Calls the model server of a deployment; never throws for the server's own answers. */
export const callModelServer = (service: string, call: ModelServerCall): Promise<ModelServerResult> => {
  const base = new URL(env.MODEL_SERVER_URL_TEMPLATE.replaceAll('{service}', service).replaceAll('{namespace}', namespace));
  const [connectHost, connectPort] = env.MODEL_SERVER_CONNECT?.split(':') ?? [base.hostname, base.port || '80'];
  const payload = call.body === undefined ? undefined : Buffer.from(JSON.stringify(call.body));
  return new Promise((resolve) => {
    let settled = false;
    const settle = (result: ModelServerResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(result);
    };
    const request = http.request({
      agent,
      host: connectHost,
      port: Number(connectPort),
      ...(env.MODEL_SERVER_SOURCE_ADDRESS ? { localAddress: env.MODEL_SERVER_SOURCE_ADDRESS } : {}),
      method: call.method,
      path: `${base.pathname.replace(/\/$/, '')}/${call.path.replace(/^\//, '')}`,
      headers: {
        host: base.host,
        authorization: `Bearer ${call.apiKey}`,
        accept: 'application/json',
        ...(payload ? { 'content-type': 'application/json', 'content-length': payload.length } : {}),
      },
    });
    const timer = setTimeout(() => {
      request.destroy();
      settle({ kind: 'timeout' });
    }, call.timeoutMs);
    request.on('error', (error: NodeJS.ErrnoException) => {
      logger.warn('model server call failed', { service, code: error.code });
      // Refused or reset before any answer: what a Service without a Ready endpoint does (kube-proxy rejects).
      const noEndpoint = error.code === 'ECONNREFUSED' || error.code === 'ECONNRESET';
      settle({ kind: 'unreachable', message: noEndpoint ? `no endpoints available for service "${service}" (${error.code})` : (error.code ?? error.message).slice(0, 300) });
    });
    request.on('response', (response) => {
      const parts: Buffer[] = [];
      response.on('data', (chunk: Buffer) => parts.push(chunk));
      response.on('error', () => settle({ kind: 'unreachable', message: 'the answer was cut off' }));
      response.on('end', () => {
        const text = Buffer.concat(parts).toString('utf8');
        const body: unknown = parseJson(text) ?? text;
        const status = response.statusCode ?? 502;
        settle(status >= 200 && status < 300 ? { kind: 'ok', body } : { kind: 'http_error', status, body });
      });
    });
    request.end(payload);
  });
};
