/**
 * Clients of the model cluster's Kubernetes API, through @kubernetes/client-node.
 *
 * The server and CA come from EKS DescribeCluster and the token from a presigned STS call
 * (TLS verified, no kubeconfig file). The local cloud takes the same path: its simulated
 * EKS describes an HTTPS Kubernetes endpoint with its own CA.
 */
import {
  ApiException,
  AppsV1Api,
  CoreV1Api,
  createConfiguration,
  KubeConfig,
  NetworkingV1Api,
  Observable,
  PolicyV1Api,
  ServerConfiguration,
  type ObservableMiddleware,
} from '@kubernetes/client-node';
import { clusterName, describeCluster } from './eks-node-groups';
import { eksToken } from './eks-token';

/** The field manager of every server-side apply, and the managed-by label of what it creates. */
export const FIELD_MANAGER = 'gpu-control-plane';
const TOKEN_LIFETIME_MS = 10 * 60 * 1000;

/**
 * Every call gives up after this long. client-node sets no timeout of its own, so an API
 * server that accepts the connection and never answers (a private endpoint out of reach, an
 * overloaded control plane) would hold the task to the Lambda timeout; failing fast lets the
 * state machine's retry try again. Calls with their own deadline (callModelServer) override it.
 */
export const KUBERNETES_REQUEST_TIMEOUT_MS = 10_000;

export const requestTimeoutMiddleware = (timeoutMs: number): ObservableMiddleware => ({
  pre: (context) => {
    context.setSignal(AbortSignal.timeout(timeoutMs));
    return new Observable(Promise.resolve(context));
  },
  post: (response) => new Observable(Promise.resolve(response)),
});

export interface Clients {
  core: CoreV1Api;
  apps: AppsV1Api;
  policy: PolicyV1Api;
  networking: NetworkingV1Api;
  expiresAt: number;
}
let clients: Clients | undefined;

/** The API clients of a loaded KubeConfig, every request bounded by `timeoutMs`. */
export const makeClients = (kc: KubeConfig, timeoutMs = KUBERNETES_REQUEST_TIMEOUT_MS): Omit<Clients, 'expiresAt'> => {
  const server = kc.getCurrentCluster()?.server;
  if (!server) throw new Error('the Kubernetes configuration names no cluster');
  const configuration = createConfiguration({
    baseServer: new ServerConfiguration(server, {}),
    authMethods: { default: kc },
    middleware: [requestTimeoutMiddleware(timeoutMs)],
  });
  return {
    core: retrying(new CoreV1Api(configuration)),
    apps: retrying(new AppsV1Api(configuration)),
    policy: retrying(new PolicyV1Api(configuration)),
    networking: retrying(new NetworkingV1Api(configuration)),
  };
};

/** Retries of an answer that asks for one; the ASL's Retry handles anything longer. */
const API_RETRIES = 3;
const MAX_RETRY_AFTER_MS = 1_000;

/**
 * How long to wait before retrying, or undefined for no retry. client-node retries nothing, so
 * a burst of 429s (API Priority and Fairness) or a 503 from an overloaded API server went
 * straight to the workflow's few Retry attempts. Like client-go, which retries an answer that
 * carries Retry-After, a 429 or 5xx is tried again after that delay (bounded here), else after a
 * short jittered back-off. Connection errors are not retried here: a create may have happened.
 */
const retryDelayMs = (error: unknown, attempt: number): number | undefined => {
  if (!(error instanceof ApiException) || !(error.code === 429 || (error.code >= 500 && error.code <= 504))) return undefined;
  const retryAfter = Number((error.headers as Record<string, string> | undefined)?.['retry-after']);
  const backoff = 100 * 2 ** attempt * (0.5 + Math.random());
  return Math.min(MAX_RETRY_AFTER_MS, Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : backoff);
};

const retrying = <T extends object>(api: T): T =>
  new Proxy(api, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      // connect* calls reach the model server through the proxy: its 5xx are its own, and a
      // prompt must not be generated twice.
      if (typeof property === 'string' && property.startsWith('connect')) return (value as (...a: unknown[]) => unknown).bind(target);
      return async (...args: unknown[]) => {
        for (let attempt = 0; ; attempt += 1) {
          try {
            return await (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
          } catch (error) {
            const delay = retryDelayMs(error, attempt);
            if (delay === undefined || attempt >= API_RETRIES) throw error;
            await new Promise((resolve) => setTimeout(resolve, delay));
          }
        }
      };
    },
  });

/** The cluster's clients, built once per container and again when the token is about to expire. */
export const connect = async (): Promise<Clients> => {
  if (clients && clients.expiresAt > Date.now()) return clients;
  const kc = new KubeConfig();
  const cluster = await describeCluster();
  const token = await eksToken(clusterName, cluster.region ?? process.env.AWS_REGION ?? 'us-east-1');
  kc.loadFromOptions({
    clusters: [{ name: clusterName, server: cluster.endpoint, caData: cluster.caData, skipTLSVerify: false }],
    users: [{ name: 'workflow', token }],
    contexts: [{ name: clusterName, cluster: clusterName, user: 'workflow' }],
    currentContext: clusterName,
  });
  clients = { ...makeClients(kc), expiresAt: Date.now() + TOKEN_LIFETIME_MS };
  return clients;
};

export const isStatus = (error: unknown, code: number): boolean => error instanceof ApiException && error.code === code;

/** Runs a delete, treating "already gone" as success. */
export const ignoreNotFound = async (op: () => Promise<unknown>): Promise<void> => {
  try {
    await op();
  } catch (error) {
    if (!isStatus(error, 404)) throw error;
  }
};

/** A JSON body, or undefined if it is not JSON (API servers and model servers answer text too). */
export const parseJson = (text: string): unknown => {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
};
