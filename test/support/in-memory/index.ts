/**
 * Every port in memory, wired together as production wires the real ones: the store writes its
 * history into the event log the `events` port reads, and time comes from one manual clock.
 */
import type { Ports } from '../../../functions/ports';
import { InMemoryCapacityLedger } from './capacity-ledger';
import { InMemoryCatalogStore } from './catalog-store';
import { ManualClock } from './clock';
import { InMemoryCluster, InMemoryModelServers } from './cluster';
import { InMemoryGatewaySecrets, InMemoryInferenceKeyStore, InMemoryLoadSignals, InMemoryTokenUsage } from './data-plane';
import { InMemoryDeploymentStore } from './deployment-store';
import { InMemoryEventLog } from './event-log';
import { InMemoryNodeGroups } from './node-groups';
import { InMemoryColdStartStats, InMemoryServingMetrics, InMemoryTokenSecrets, servingSettings, transientErrors } from './small-stores';
import { InMemoryWorkflowEngine } from './workflow-engine';

export const inMemoryPorts = (options: { start?: Date; timeScale?: number } = {}) => {
  const clock = new ManualClock(options.start, options.timeScale);
  const events = new InMemoryEventLog();
  return {
    clock,
    events,
    deployments: new InMemoryDeploymentStore(events),
    ledger: new InMemoryCapacityLedger(clock),
    workflows: new InMemoryWorkflowEngine(clock),
    cluster: new InMemoryCluster(),
    modelServers: new InMemoryModelServers(),
    nodeGroups: new InMemoryNodeGroups(),
    coldStarts: new InMemoryColdStartStats(),
    catalog: new InMemoryCatalogStore(),
    secrets: new InMemoryTokenSecrets(),
    servingMetrics: new InMemoryServingMetrics(),
    serving: servingSettings(),
    transientErrors,
    inferenceKeys: new InMemoryInferenceKeyStore(),
    tokenUsage: new InMemoryTokenUsage(),
    gatewaySecrets: new InMemoryGatewaySecrets(),
    loadSignals: new InMemoryLoadSignals(),
  } satisfies Ports;
};

export type InMemoryPorts = ReturnType<typeof inMemoryPorts>;
