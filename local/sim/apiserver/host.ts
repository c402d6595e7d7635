/**
 * What the API server needs from the process that hosts it, and nothing more: kube-apiserver
 * knows no controller, scheduler or kubelet. The runtime (runtime/world.ts) implements these.
 */
import type { SimRequest, SimResponse, StreamSink } from '../http.js';
import type { KubeStore } from './store.js';
import type { KubeObject, Pod } from './types.js';

export type EventSource =
  | 'kubelet'
  | 'default-scheduler'
  | 'deployment-controller'
  | 'replicaset-controller'
  | 'daemonset-controller'
  | 'node-controller'
  | 'persistentvolume-controller'
  | 'attachdetach-controller'
  // The EBS CSI driver's external-provisioner (upstream it reports as `<driver>_<controller pod>_<uuid>`).
  | 'ebs.csi.aws.com';

/** Records core/v1 Events (apiserver/events.ts). */
export interface EventSink {
  record(about: KubeObject, type: 'Normal' | 'Warning', reason: string, message: string, source: EventSource, host?: string): void;
}

export interface ApiHost {
  readonly store: KubeStore;
  readonly events: EventSink;
  readonly delays: { readonly podTermination: number };
  /**
   * The kubelet's record of each bound pod, by uid. Graceful pod deletion starts the
   * container's termination there (only `removeAt`; the kubelet owns the rest).
   */
  readonly state: { readonly pods: Record<string, { removeAt?: number }> };
  now(): number;
  /** A base duration in seconds, scaled, in milliseconds. */
  ms(seconds: number): number;
  /** Records a change outside the store (so the reconcile loop runs again). */
  touch(): void;
  allocateIp(kind: 'service'): string;
}

/** The pods/log subresource's options (PodLogOptions). */
export interface LogQuery {
  container?: string;
  previous?: boolean;
  tailLines?: number;
  /** Epoch ms: only lines written at or after it (sinceSeconds / sinceTime). */
  since?: number;
  timestamps?: boolean;
  limitBytes?: number;
}

/**
 * How kube-apiserver reaches a node's kubelet: container logs and the pod/service proxy.
 * Upstream this is an HTTPS connection to the kubelet; here the runtime passes the kubelet's functions.
 */
export interface KubeletConnection {
  podLog(pod: Pod, query: LogQuery, now: number): string;
  followPodLog(pod: Pod, query: LogQuery, sink: StreamSink): void;
  /** The response of a `.../proxy/...` request, or undefined when the path is not a proxy. */
  proxy(req: SimRequest, segments: string[]): SimResponse | undefined;
}
