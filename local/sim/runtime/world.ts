/**
 * The simulated cloud: state, object store, and the reconcile loop that drives every
 * controller. All timed behaviour is expressed as absolute timestamps in state; after each
 * reconcile one unref'd timer is armed for the earliest pending timestamp, so a restart from
 * a state file resumes exactly where it stopped.
 */
import { DEFAULT_GPU_TAINT, type SimDelays, type SimNodeGroupConfig } from '../config.js';
import { nodeGroupFaultFor, type FaultRule } from '../faults.js';
import { uuid } from '../ids.js';
import { runKubelet } from '../kubelet/kubelet.js';
import { ApiServer } from '../apiserver/api-server.js';
import { reconcileDaemonSets } from '../controllers/daemonset.js';
import { reconcileVolumeClaims } from '../controllers/volume-binding.js';
import { reconcileDeployments } from '../controllers/deployment.js';
import { reconcileEndpoints } from '../controllers/endpoints.js';
import { EventRecorder } from '../apiserver/events.js';
import { collectGarbage } from '../controllers/garbage-collector.js';
import { reconcileNodeLifecycle } from '../controllers/node-lifecycle.js';
import { DAEMONSET, NAMESPACE } from '../apiserver/resources.js';
import { eksSystemDaemonSets } from '../aws/eks-system-daemonsets.js';
import { registerDevicePlugins } from '../kubelet/device-plugins.js';
import { KubeStore } from '../apiserver/store.js';
import type { KubeObject } from '../apiserver/types.js';
import { createNodeGroupState, launchInstance, reconcileNodeGroups } from '../aws/nodegroups.js';
import { schedulePods } from '../scheduler/scheduler.js';
import type { InstanceState, NodeGroupState } from '../aws/state.js';
import type { KubeletConnection } from '../apiserver/host.js';
import type { ApiServing } from '../apiserver/serving.js';
import type { SimContext, SimState } from '../context.js';
import { followPodLog, podLog } from '../kubelet/pod-logs.js';
import { handleProxy } from '../kubelet/vllm-server.js';
import type { PersistedSimulator } from './state.js';
import { createTlsMaterial, coversHosts } from '../tls.js';

export interface WorldOptions {
  clusterName: string;
  region: string;
  nodeGroups: SimNodeGroupConfig[];
  timeScale: number;
  delays: SimDelays;
  /** Hosts the TLS certificate must cover. */
  tlsHosts: string[];
  persisted?: PersistedSimulator;
  /** Hugging Face repositories (or `owner/` prefixes) that refuse a download without a token. */
  gatedModels?: readonly string[];
}

const SYSTEM_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];
const MAX_PASSES = 50;
const MAX_TIMER_MS = 2 ** 31 - 1;

export class World implements SimContext, ApiServing {
  readonly store: KubeStore;
  readonly api: ApiServer;
  readonly events: EventRecorder;
  /** How the API server reaches the kubelet (logs, proxy), as kube-apiserver dials a node. */
  readonly kubelet: KubeletConnection = {
    podLog: (pod, query, now) => podLog(this, pod, query, now),
    followPodLog: (pod, query, sink) => followPodLog(this, pod, query, sink),
    proxy: (req, segments) => handleProxy(this, req, segments),
  };
  readonly delays: SimDelays;
  readonly timeScale: number;
  readonly gatedModels: readonly string[];
  state: SimState;
  /** Called after every reconcile that changed something (persistence hooks in here). */
  onChange: (() => void) | undefined;

  private revision = 0;
  private nextWake = Number.POSITIVE_INFINITY;
  private timer: NodeJS.Timeout | undefined;
  private reconciling = false;
  private pendingReconcile = false;
  private closed = false;

  constructor(private readonly options: WorldOptions) {
    this.delays = options.delays;
    this.timeScale = options.timeScale;
    this.gatedModels = options.gatedModels ?? [];
    this.store = new KubeStore(options.persisted?.kube);
    this.state = options.persisted ? this.adoptPersisted(options.persisted.state) : this.freshState();
    this.api = new ApiServer(this);
    this.events = new EventRecorder(this);
    if (!options.persisted) this.seedKubernetes();
    else this.seedSystemDaemonSets();
  }

  now(): number {
    return Date.now();
  }

  /** A base duration in seconds, scaled, in milliseconds. */
  ms(seconds: number): number {
    return seconds * 1000 * this.timeScale;
  }

  /** Records a change to non-Kubernetes state (instances, node groups, runtimes). */
  touch(): void {
    this.revision += 1;
  }

  /** Asks for a reconcile at `at` (epoch ms). */
  wakeAt(at: number): void {
    if (at < this.nextWake) this.nextWake = at;
  }

  nodeGroup(name: string): NodeGroupState | undefined {
    return this.state.nodeGroups[name];
  }

  instancesOf(group: string): InstanceState[] {
    return Object.values(this.state.instances)
      .filter((i) => i.group === group)
      .sort((a, b) => a.launchedAt - b.launchedAt || a.instanceId.localeCompare(b.instanceId));
  }

  instanceByNodeName(nodeName: string): InstanceState | undefined {
    return Object.values(this.state.instances).find((i) => i.nodeName === nodeName);
  }

  faults(): readonly FaultRule[] {
    return this.state.faults;
  }

  nodeGroupFault(group: string): ReturnType<typeof nodeGroupFaultFor> {
    return nodeGroupFaultFor(group, this.state.faults);
  }

  /** Next free address in one of the simulator's ranges. */
  allocateIp(kind: 'node' | 'pod' | 'service'): string {
    const n = this.state.ipCounter++;
    const hi = Math.floor(n / 250);
    const lo = 4 + (n % 250);
    this.touch();
    if (kind === 'node') return `10.0.${1 + (hi % 60)}.${lo}`;
    if (kind === 'pod') return `10.0.${64 + (hi % 190)}.${lo}`;
    return `172.20.${hi % 255}.${lo}`;
  }

  /** Runs every controller until nothing changes, then arms the timer for the next due event. */
  reconcile(): void {
    if (this.closed) return;
    if (this.reconciling) {
      this.pendingReconcile = true;
      return;
    }
    this.reconciling = true;
    const startRevision = this.store.revision + this.revision;
    try {
      do {
        this.pendingReconcile = false;
        for (let pass = 0; pass < MAX_PASSES; pass += 1) {
          const before = this.store.revision + this.revision;
          this.nextWake = Number.POSITIVE_INFINITY;
          const now = this.now();
          reconcileNodeGroups(this, now);
          reconcileNodeLifecycle(this, now);
          registerDevicePlugins(this, now);
          collectGarbage(this, now);
          reconcileDeployments(this, now);
          reconcileDaemonSets(this, now);
          schedulePods(this, now);
          reconcileVolumeClaims(this, now);
          runKubelet(this, now);
          reconcileEndpoints(this, now);
          if (this.store.revision + this.revision === before) break;
        }
      } while (this.pendingReconcile);
    } catch (error) {
      process.stderr.write(`[simulator] reconcile failed: ${(error as Error).stack ?? String(error)}\n`);
    } finally {
      this.reconciling = false;
    }
    this.arm();
    if (this.store.revision + this.revision !== startRevision) this.onChange?.();
  }

  /** Clears everything but the node-group configuration (desired sizes back to their initial value). */
  reset(): void {
    this.store.clear();
    this.state = this.freshState();
    this.seedKubernetes();
    this.touch();
    this.reconcile();
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  snapshot(): PersistedSimulator {
    return { state: this.state, kube: this.store.snapshot() };
  }

  private arm(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.closed || !Number.isFinite(this.nextWake)) return;
    const delay = Math.min(MAX_TIMER_MS, Math.max(0, this.nextWake - this.now()));
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.reconcile();
    }, delay);
    this.timer.unref();
  }

  private freshState(): SimState {
    const now = this.now();
    const state: SimState = {
      version: 1,
      clusterName: this.options.clusterName,
      region: this.options.region,
      createdAt: now,
      nodeGroups: {},
      instances: {},
      pods: {},
      faults: [],
      deploymentProgress: {},
      ipCounter: 0,
      tls: this.state?.tls ?? createTlsMaterial(this.options.tlsHosts),
    };
    this.state = state;
    for (const config of this.options.nodeGroups) {
      const group = createNodeGroupState(config, this.options.clusterName, this.options.region, now);
      state.nodeGroups[group.name] = group;
      for (let i = 0; i < group.desiredSize; i += 1) launchInstance(this, group, now, { alreadyBooted: true });
    }
    return state;
  }

  /** Takes a persisted state, refreshing node-group configuration from the options. */
  private adoptPersisted(persisted: SimState): SimState {
    this.state = persisted;
    persisted.clusterName = this.options.clusterName;
    persisted.region = this.options.region;
    const now = this.now();
    const wanted = new Map(this.options.nodeGroups.map((c) => [c.name, c]));
    for (const name of Object.keys(persisted.nodeGroups)) {
      if (!wanted.has(name)) {
        delete persisted.nodeGroups[name];
        for (const instance of Object.values(persisted.instances)) {
          if (instance.group === name) delete persisted.instances[instance.instanceId];
        }
      }
    }
    for (const config of this.options.nodeGroups) {
      const existing = persisted.nodeGroups[config.name];
      if (!existing) {
        persisted.nodeGroups[config.name] = createNodeGroupState(config, persisted.clusterName, persisted.region, now);
        continue;
      }
      existing.config = config;
      existing.taints = config.taints ?? [DEFAULT_GPU_TAINT];
      existing.labels = { ...(config.labels ?? {}) };
    }
    if (!coversHosts(persisted.tls, this.options.tlsHosts)) persisted.tls = createTlsMaterial(this.options.tlsHosts);
    return persisted;
  }

  private seedKubernetes(): void {
    for (const name of SYSTEM_NAMESPACES) {
      const ns: KubeObject = { apiVersion: 'v1', kind: 'Namespace', metadata: { name, uid: uuid(), resourceVersion: '', creationTimestamp: '' } };
      this.api.createInternal(NAMESPACE, ns);
    }
    this.seedSystemDaemonSets();
  }

  /** The EKS add-on DaemonSets exist from cluster creation on; a state file written before they were simulated gets them too. */
  private seedSystemDaemonSets(): void {
    for (const ds of eksSystemDaemonSets(this.options.region)) {
      if (!this.store.get(DAEMONSET.plural, ds.metadata.namespace, ds.metadata.name)) this.api.createInternal(DAEMONSET, ds);
    }
  }
}
