/**
 * The cluster's Service network as a pod sees it: a request to
 * `http://<service>.<namespace>.svc.cluster.local:<port>` reaches a Ready endpoint of that Service
 * (round robin, like kube-proxy), provided the NetworkPolicies that select the endpoint admit the
 * source. The local cloud has no pod network, so this is one listener on 127.0.0.1: a client
 * connects to it and names the Service in the Host header (as an HTTP client does through DNS), and
 * the source address stands for a pod (`sources`: 127.0.0.2 is the inference gateway's pod).
 *
 * What a real network does with an unreachable Service is what a caller sees here, never an HTTP
 * status: a source the policies do not admit gets its connection reset with no answer (a
 * NetworkPolicy drop). A Service without Ready endpoints has a kube-proxy REJECT rule, which
 * refuses the connection itself (ECONNREFUSED); one listener cannot refuse before it has read the
 * Host header, so a client asks `resolve` where to connect first (the local gateway does, as a
 * pod's DNS lookup would), and a Service without Ready endpoints resolves to an address where
 * nothing listens. A client that connects to the listener anyway is reset after its request.
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CALLER_HEADER } from '../../identity.js';
import { readBody, type SimRequest, type SimResponse } from '../http.js';
import { KubeError } from '../apiserver/status.js';
import { labelsMatch, requirementsFromSelector } from '../apiserver/selectors.js';
import type { KubeObject, LabelSelector, Labels, Pod } from '../apiserver/types.js';
import { pickEndpoint, podServerOf, readyPodsOf } from '../kubelet/vllm-server.js';
import { servePod } from '../kubelet/vllm/serve.js';
import type { SimContext } from '../context.js';

/** What a source address stands for: a pod (its namespace and labels), or a host in the cluster's subnets (the address NetworkPolicy ipBlocks see). */
export type NetworkSource = { namespace: string; labels: Labels } | { address: string };

export interface ServiceNetworkOptions {
  host: string;
  /** Source address → pod identity; any other source is a host outside the cluster (only ipBlock rules admit it). */
  sources: Record<string, NetworkSource>;
}

export interface RunningServiceNetwork {
  /** Where to connect; the Host header names the Service. */
  host: string;
  port: number;
  /**
   * Where a connection to `<service>.<namespace>.svc.cluster.local:<port>` goes: this listener, or,
   * for a Service of this network without a Ready endpoint, an address that refuses connections.
   */
  resolve(hostname: string, port: number): { host: string; port: number };
  close(): Promise<void>;
}

interface ServiceObject extends KubeObject {
  spec?: { selector?: Labels; ports?: { name?: string; port: number; targetPort?: number | string }[] };
}

interface PolicyPeer {
  podSelector?: LabelSelector;
  namespaceSelector?: LabelSelector;
  ipBlock?: { cidr: string; except?: string[] };
}

interface PolicyObject extends KubeObject {
  spec?: {
    podSelector?: LabelSelector;
    policyTypes?: string[];
    ingress?: { from?: PolicyPeer[]; ports?: { protocol?: string; port?: number | string }[] }[];
  };
}

const SERVICE_HOST = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?)\.([a-z0-9]([-a-z0-9]*[a-z0-9])?)(\.svc(\.cluster\.local)?)?$/;

const ipv4 = (address: string): number | undefined => {
  const parts = address.replace(/^::ffff:/, '').split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) return undefined;
  return (((parts[0] as number) << 24) | ((parts[1] as number) << 16) | ((parts[2] as number) << 8) | (parts[3] as number)) >>> 0;
};

export const inCidr = (address: string, cidr: string): boolean => {
  const [base, bits] = cidr.split('/');
  const ip = ipv4(address);
  const net = ipv4(base ?? '');
  const length = Number(bits ?? 32);
  if (ip === undefined || net === undefined) return false;
  const mask = length === 0 ? 0 : (0xffffffff << (32 - length)) >>> 0;
  return (ip & mask) === (net & mask);
};

const selects = (selector: LabelSelector | undefined, labels: Labels | undefined): boolean => labelsMatch(requirementsFromSelector(selector), labels);

const peerAdmits = (world: SimContext, peer: PolicyPeer, policyNamespace: string, connectedFrom: string, source: NetworkSource | undefined): boolean => {
  const address = source && 'address' in source ? source.address : connectedFrom;
  if (peer.ipBlock) return inCidr(address, peer.ipBlock.cidr) && !(peer.ipBlock.except ?? []).some((c) => inCidr(address, c));
  if (!source || 'address' in source) return false;
  // A namespaceSelector matches the source namespace's labels, which always include kubernetes.io/metadata.name (set by the API server since 1.21).
  const namespaceLabels = { ...(world.store.get('namespaces', undefined, source.namespace)?.metadata.labels ?? {}), 'kubernetes.io/metadata.name': source.namespace };
  const namespaceOk = peer.namespaceSelector ? selects(peer.namespaceSelector, namespaceLabels) : source.namespace === policyNamespace;
  return namespaceOk && (peer.podSelector === undefined || selects(peer.podSelector, source.labels));
};

/** Whether the NetworkPolicies of the pod's namespace let `address` reach it on `port` (no policy selecting it: anyone may). */
export const admitted = (world: SimContext, pod: Pod, port: { number: number; name?: string }, address: string, source: NetworkSource | undefined): boolean => {
  const namespace = pod.metadata.namespace ?? 'default';
  const policies = world.store
    .list<PolicyObject>('networkpolicies', namespace)
    .filter((p) => (p.spec?.policyTypes ?? ['Ingress']).includes('Ingress') && selects(p.spec?.podSelector, pod.metadata.labels));
  if (policies.length === 0) return true;
  return policies.some((policy) =>
    (policy.spec?.ingress ?? []).some((rule) => {
      const portOk = !rule.ports?.length || rule.ports.some((p) => p.port === undefined || p.port === port.number || p.port === port.name);
      const fromOk = !rule.from?.length || rule.from.some((peer) => peerAdmits(world, peer, namespace, address, source));
      return portOk && fromOk;
    }),
  );
};

/**
 * An address that refuses every connection while the listener runs: the listener holds its port on
 * one loopback address only, so the same port on another loopback address has no listener, and no
 * one else can bind it there meanwhile (Linux routes all of 127/8 to lo). Off loopback there is no
 * such address: the listener is returned, and resets after the request.
 */
const refusingAddress = (host: string, port: number): { host: string; port: number } =>
  /^127\./.test(host) && host !== '127.255.255.254' ? { host: '127.255.255.254', port } : { host, port };

const write = (res: ServerResponse, response: SimResponse): void => {
  if (response.respond) {
    response.respond(res);
    return;
  }
  res.writeHead(response.status, { ...response.headers, 'content-length': Buffer.byteLength(response.body) });
  res.end(response.body);
};

export const startServiceNetwork = async (world: SimContext, options: ServiceNetworkOptions): Promise<RunningServiceNetwork> => {
  const drop = (req: IncomingMessage): void => {
    req.socket.destroy();
  };
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const [hostname = '', portText = '80'] = (req.headers.host ?? '').toLowerCase().split(':');
    const match = SERVICE_HOST.exec(hostname);
    if (!match) return drop(req);
    const [serviceName, namespace] = [match[1] as string, match[3] as string];
    const service = world.store.get<ServiceObject>('services', namespace, serviceName);
    const servicePort = service?.spec?.ports?.find((p) => p.port === Number(portText));
    if (!service || !servicePort) return drop(req);
    let pod: Pod;
    try {
      pod = pickEndpoint(world, namespace, serviceName);
    } catch (error) {
      if (error instanceof KubeError) return drop(req);
      throw error;
    }
    const target = servicePort.targetPort ?? servicePort.port;
    const address = (req.socket.remoteAddress ?? '').replace(/^::ffff:/, '');
    const port = typeof target === 'number' ? { number: target } : { number: servicePort.port, name: target };
    if (!admitted(world, pod, port, address, options.sources[address])) return drop(req);
    const body = await readBody(req);
    const url = new URL(req.url ?? '/', `http://${hostname}`);
    // The local IAM's caller header is the local cloud's bookkeeping, not part of what a pod sends.
    const { [CALLER_HEADER]: _caller, ...headers } = req.headers;
    const request: SimRequest = { method: req.method ?? 'GET', url, headers, body };
    write(res, servePod(podServerOf(world, pod), request, url.pathname));
  };
  const server = http.createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      process.stderr.write(`[simulator] service network ${req.headers.host ?? ''}${req.url ?? ''} failed: ${String(error)}\n`);
      req.socket.destroy();
    });
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((ready, fail) => {
    server.once('error', fail);
    server.listen(0, options.host, () => ready());
  });
  const { port } = server.address() as AddressInfo;
  const listener = { host: options.host, port };
  const resolve = (hostname: string, servicePort: number): { host: string; port: number } => {
    const match = SERVICE_HOST.exec(hostname.toLowerCase());
    if (!match) return listener;
    const service = world.store.get<ServiceObject>('services', match[3] as string, match[1] as string);
    if (!service?.spec?.ports?.some((p) => p.port === servicePort)) return listener;
    return readyPodsOf(world, match[3] as string, service.spec.selector).length > 0 ? listener : refusingAddress(options.host, port);
  };
  return {
    host: options.host,
    port,
    resolve,
    close: async () => {
      const closed = new Promise<void>((done) => server.close(() => done()));
      server.closeAllConnections();
      await closed;
    },
  };
};
