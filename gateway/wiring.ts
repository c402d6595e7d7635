/**
 * The gateway's production ports, from functions/wiring like a Lambda entry's: keys, deployments,
 * token counters, the master secret's derived keys, the load signals the autoscaler reads, and the
 * wake of a paused deployment (the scale use case: ledger, workflow, cold-start ETA). Imported
 * lazily, because the adapters read their configuration when loaded: the container sets it before
 * start, the local cloud only once its services are up. One composition for both.
 */
import type { GatewayPorts } from './server';

export const productionGatewayPorts = async (): Promise<GatewayPorts> => {
  const [
    { deploymentStore },
    { inferenceKeyStore },
    { tokenUsageStore },
    { gatewaySecrets },
    { loadSignals },
    { wakeDeployment },
    { capacityLedger },
    { workflowEngine },
    { coldStartStats },
    { catalogStore },
    { clock },
  ] = await Promise.all([
    import('../functions/wiring/deployment-store'),
    import('../functions/wiring/inference-keys'),
    import('../functions/wiring/token-usage'),
    import('../functions/wiring/gateway-secrets'),
    import('../functions/wiring/load-signals'),
    import('../functions/use-cases/wake'),
    import('../functions/wiring/capacity-ledger'),
    import('../functions/wiring/workflow-engine'),
    import('../functions/wiring/cold-start-stats'),
    import('../functions/wiring/catalog-store'),
    import('../functions/wiring/clock'),
  ]);
  const wakePorts = { deployments: deploymentStore, ledger: capacityLedger, workflows: workflowEngine, coldStarts: coldStartStats, catalog: catalogStore, clock };
  return {
    deployments: deploymentStore,
    inferenceKeys: inferenceKeyStore,
    tokenUsage: tokenUsageStore,
    gatewaySecrets,
    loadSignals,
    wake: (tenant, id) => wakeDeployment(wakePorts, tenant, id),
  };
};
