/** What the API server's HTTP side (router, watch, authentication, faults) needs from its host. */
import type { ApiServer } from './api-server.js';
import type { ApiHost, KubeletConnection } from './host.js';

export interface ApiServing extends ApiHost {
  readonly api: ApiServer;
  readonly kubelet: KubeletConnection;
  /** Runs the controllers after a write, so a client sees their effect at once. */
  reconcile(): void;
}
