/**
 * The seam between the simulator's components and the runtime that drives them. Controllers,
 * the scheduler, the kubelet and the AWS side take a SimContext; runtime/world.ts implements
 * it and imports them, never the other way round (test/unit/sim-layers.test.ts).
 */
import type { ApiServer } from './apiserver/api-server.js';
import type { ApiHost, EventSink } from './apiserver/host.js';
import type { KubeStore } from './apiserver/store.js';
import type { InstanceState, NodeGroupState } from './aws/state.js';
import type { SimDelays } from './config.js';
import type { CreateFailure, DeploymentProgress } from './controllers/state.js';
import type { FaultRule, nodeGroupFaultFor } from './faults.js';
import type { PodRuntime } from './kubelet/state.js';
import type { TlsMaterial } from './tls.js';

/** The persisted simulator state (besides the Kubernetes store): each component owns its slice. */
export interface SimState {
  version: 1;
  clusterName: string;
  region: string;
  createdAt: number;
  /** aws/ */
  nodeGroups: Record<string, NodeGroupState>;
  /** aws/ */
  instances: Record<string, InstanceState>;
  /** kubelet/ */
  pods: Record<string, PodRuntime>;
  faults: FaultRule[];
  /** controllers/ */
  deploymentProgress: Record<string, DeploymentProgress>;
  /** controllers/ (optional: state files written before it have none) */
  createFailures?: Record<string, CreateFailure>;
  /**
   * controllers/: the availability zone of each provisioned EBS volume, by claim uid (the
   * PersistentVolume's node affinity upstream; PersistentVolumes are not served here).
   */
  volumeZones?: Record<string, string>;
  ipCounter: number;
  tls: TlsMaterial;
}

export interface SimContext extends ApiHost {
  readonly store: KubeStore;
  /** Controllers write through it (createInternal, delete) where they create or delete objects. */
  readonly api: ApiServer;
  readonly events: EventSink;
  readonly delays: SimDelays;
  readonly timeScale: number;
  readonly gatedModels: readonly string[];
  readonly state: SimState;
  /** Persistence hook, for changes made outside a reconcile (traffic counters). */
  readonly onChange: (() => void) | undefined;
  /** Asks for a reconcile at `at` (epoch ms). */
  wakeAt(at: number): void;
  /** Runs every controller now (the AWS APIs call it after a write). */
  reconcile(): void;
  allocateIp(kind: 'node' | 'pod' | 'service'): string;
  nodeGroup(name: string): NodeGroupState | undefined;
  instancesOf(group: string): InstanceState[];
  instanceByNodeName(nodeName: string): InstanceState | undefined;
  faults(): readonly FaultRule[];
  nodeGroupFault(group: string): ReturnType<typeof nodeGroupFaultFor>;
}
