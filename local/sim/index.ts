/**
 * The local cloud's EKS + Auto Scaling + Kubernetes simulator. See docs/simulator.md.
 */
import { writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { dirname, join } from 'node:path';
import { DEFAULT_DELAYS, validateNodeGroupConfig, type SimDelays, type SimNodeGroupConfig } from './config.js';
import { addFault, clearFaults, nodeGroupView, stateView, type InstanceView, type NodeGroupView, type SimStateView } from './server/control.js';
import { faultRequestSchema, type FaultRequest, type FaultRule } from './faults.js';
import { configureKubernetesAuth, type KubernetesAuthConfig } from './apiserver/authorizer.js';
import { NODE, POD } from './apiserver/resources.js';
import { clone, type Node, type Pod } from './apiserver/types.js';
import { listen, type AwsGate } from './server/server.js';
import { loadPersisted, StatePersister } from './runtime/state.js';
import { World } from './runtime/world.js';
import { startServiceNetwork, type NetworkSource, type RunningServiceNetwork } from './network/service-network.js';

export { DEFAULT_DELAYS, nodeGroupsFromInventory, SYSTEM_NODE_GROUP, type SimDelays, type SimNodeGroupConfig, type SimTaint } from './config.js';
export { FAULT_ANNOTATION, NODE_GROUP_FAULTS, POD_FAULTS, type FaultKind, type FaultRequest, type FaultRule } from './faults.js';
export { WEIGHTS_ANNOTATION } from './kubelet/vllm-logs.js';
export type { InstanceView, NodeGroupView, NodeView, PodView, SimStateView } from './server/control.js';
export type { KubernetesAuthConfig } from './apiserver/authorizer.js';
export type { NetworkSource } from './network/service-network.js';
export { KUBERNETES_FAULTS, type KubernetesFaultRequest, type KubernetesFaultRule } from './apiserver/protocol-faults.js';
export type { Node as SimNode, Pod as SimPod } from './apiserver/types.js';

export interface SimulatorOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** 0 (default) picks a free port. */
  port?: number;
  clusterName: string;
  /** Default us-east-1. */
  region?: string;
  nodeGroups: SimNodeGroupConfig[];
  /** Multiplies every delay; default 1. Tests use e.g. 0.005. */
  timeScale?: number;
  /** Persist the whole state here (debounced, and on close) and resume from it on start. */
  stateFile?: string;
  /** Base seconds before scaling. */
  delays?: Partial<SimDelays>;
  /**
   * Hugging Face repositories (exact, or an `owner/` prefix) that are gated: a pod serving one
   * without an HF_TOKEN (a value, or a key of an existing Secret) fails like `hf_unauthorized`.
   */
  gatedModels?: readonly string[];
  /** IAM and injected faults in front of the EKS and Auto Scaling APIs (local/iam/sim-gate.ts). */
  awsGate?: AwsGate;
  /**
   * Who the Lambda functions are to the Kubernetes API: function → execution role, and the
   * cluster's EKS access entries (WIRING POINT: local/cloud.ts passes what it loads from the
   * synthesized template). Without it every request carrying a function's caller header is 401
   * Unauthorized, like a role without an access entry; requests without one are the operator.
   */
  kubernetesAuth?: KubernetesAuthConfig;
  /**
   * Also listen as the cluster's Service network (local/sim/network/service-network.ts): source
   * address → the pod it stands for (the local cloud maps 127.0.0.2 to the inference gateway).
   */
  serviceNetwork?: { sources: Record<string, NetworkSource> };
}

/** Plain options for `KubeConfig.loadFromOptions`. */
export interface SimKubeConfigOptions {
  clusters: { name: string; server: string; caData?: string; skipTLSVerify: boolean }[];
  users: { name: string; token: string }[];
  contexts: { name: string; cluster: string; user: string }[];
  currentContext: string;
}

export interface RunningSimulator {
  /** http://host:port — AWS SDK endpoint, control plane, and Kubernetes with skipTLSVerify. */
  url: string;
  /** https://host:port — Kubernetes API with TLS verified against `caData`; DescribeCluster's endpoint. */
  httpsUrl: string;
  /** Base64 PEM of the cluster CA, as in DescribeCluster certificateAuthority.data. */
  caData: string;
  clusterName: string;
  region: string;
  /**
   * Where the Service network listens (with `serviceNetwork`): connect here, name the Service in Host;
   * `resolve` gives the address to connect to (one that refuses, for a Service without Ready endpoints).
   */
  serviceNetwork?: Pick<RunningServiceNetwork, 'host' | 'port' | 'resolve'>;
  /** A kubeconfig for this simulator; `tls: false` uses the plain URL with skipTLSVerify. */
  kubeConfig(options?: { tls?: boolean }): SimKubeConfigOptions;
  state(): SimStateView;
  nodeGroup(name: string): NodeGroupView | undefined;
  instances(group?: string): InstanceView[];
  nodes(): Node[];
  pods(namespace?: string): Pod[];
  addFault(request: FaultRequest): FaultRule;
  clearFaults(): void;
  reset(): void;
  close(): Promise<void>;
}

const tlsHostsFor = (host: string): string[] => {
  const hosts = new Set(['127.0.0.1', 'localhost']);
  if (isIP(host) === 4 && host !== '0.0.0.0') hosts.add(host);
  if (isIP(host) === 0) hosts.add(host);
  return [...hosts];
};

export const startSimulator = async (options: SimulatorOptions): Promise<RunningSimulator> => {
  const host = options.host ?? '127.0.0.1';
  const timeScale = options.timeScale ?? 1;
  if (!(timeScale > 0)) throw new Error('timeScale must be positive');
  options.nodeGroups.forEach(validateNodeGroupConfig);
  const names = options.nodeGroups.map((g) => g.name);
  const duplicate = names.find((name, i) => names.indexOf(name) !== i);
  if (duplicate) throw new Error(`node group ${duplicate} is configured twice`);
  const persisted = options.stateFile ? loadPersisted(options.stateFile) : undefined;
  const world = new World({
    clusterName: options.clusterName,
    region: options.region ?? 'us-east-1',
    nodeGroups: options.nodeGroups,
    timeScale,
    delays: { ...DEFAULT_DELAYS, ...(options.delays ?? {}) },
    tlsHosts: tlsHostsFor(host),
    ...(persisted ? { persisted } : {}),
    ...(options.gatedModels ? { gatedModels: options.gatedModels } : {}),
  });
  if (options.kubernetesAuth) configureKubernetesAuth(world, options.kubernetesAuth);
  const persister = options.stateFile ? new StatePersister(options.stateFile, () => world.snapshot()) : undefined;
  world.onChange = () => persister?.schedule();

  const caData = Buffer.from(world.state.tls.caCertPem).toString('base64');
  const publicHost = host === '0.0.0.0' ? '127.0.0.1' : host;
  let httpsUrl = '';
  const server = await listen(world, {
    host,
    port: options.port ?? 0,
    tls: world.state.tls,
    cluster: () => ({ endpoint: httpsUrl, caData }),
    ...(options.awsGate ? { awsGate: options.awsGate } : {}),
  });
  let services: RunningServiceNetwork | undefined;
  try {
    services = options.serviceNetwork ? await startServiceNetwork(world, { host: publicHost, sources: options.serviceNetwork.sources }) : undefined;
  } catch (error) {
    await server.close();
    throw error;
  }
  const url = `http://${publicHost}:${server.port}`;
  httpsUrl = `https://${publicHost}:${server.port}`;
  world.reconcile();
  persister?.flush();
  // Next to the state: where this simulator listens, for `npm run kubeconfig` (ports are picked at start).
  if (options.stateFile) {
    const published = { url, httpsUrl, clusterName: options.clusterName, region: world.state.region };
    writeFileSync(join(dirname(options.stateFile), 'simulator-endpoint.json'), `${JSON.stringify(published, null, 2)}\n`);
  }

  let closed = false;
  return {
    url,
    httpsUrl,
    caData,
    clusterName: options.clusterName,
    region: world.state.region,
    ...(services ? { serviceNetwork: { host: services.host, port: services.port, resolve: services.resolve } } : {}),
    kubeConfig: ({ tls = true } = {}) => ({
      clusters: [tls ? { name: options.clusterName, server: httpsUrl, caData, skipTLSVerify: false } : { name: options.clusterName, server: url, skipTLSVerify: true }],
      users: [{ name: 'simulator', token: 'simulator-token' }],
      contexts: [{ name: options.clusterName, cluster: options.clusterName, user: 'simulator' }],
      currentContext: options.clusterName,
    }),
    state: () => stateView(world),
    nodeGroup: (name) => nodeGroupView(world, name),
    instances: (group) => stateView(world).instances.filter((i) => group === undefined || i.group === group),
    nodes: () => clone(world.store.list<Node>(NODE.plural)),
    pods: (namespace) => clone(world.store.list<Pod>(POD.plural, namespace)),
    addFault: (request) => addFault(world, faultRequestSchema.parse(request)),
    clearFaults: () => {
      clearFaults(world);
    },
    reset: () => world.reset(),
    close: async () => {
      if (closed) return;
      closed = true;
      world.close();
      await services?.close();
      await server.close();
      if (persister) persister.flush();
    },
  };
};
