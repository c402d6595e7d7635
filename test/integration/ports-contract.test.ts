/**
 * The DynamoDB adapters, as the production wiring plugs them into the ports, keep the same
 * contract as the in-memory ports the use cases' unit tests run on (test/support/in-memory/contract.ts).
 * Only dynalite is started: no local cloud needed.
 */
import { afterAll, beforeAll, describe } from 'vitest';
import type { LocalDynamo } from '../../local/dynamodb';
import { startDynaliteTable } from '../support/dynalite';
import { portsContract, type ContractPorts } from '../support/in-memory/contract';

const TABLE_NAME = 'ports-contract';
let dynamo: LocalDynamo | undefined;
let ports: ContractPorts | undefined;

beforeAll(async () => {
  dynamo = await startDynaliteTable(TABLE_NAME);
  // The adapters read their configuration when first imported.
  const [{ deploymentStore }, { eventLog }, { capacityLedger }, { inferenceKeyStore }, { tokenUsageStore }] = await Promise.all([
    import('../../functions/wiring/deployment-store'),
    import('../../functions/wiring/event-log'),
    import('../../functions/wiring/capacity-ledger'),
    import('../../functions/wiring/inference-keys'),
    import('../../functions/wiring/token-usage'),
  ]);
  ports = { deployments: deploymentStore, events: eventLog, ledger: capacityLedger, inferenceKeys: inferenceKeyStore, tokenUsage: tokenUsageStore };
});

afterAll(async () => {
  await dynamo?.close();
});

describe('DynamoDB ports keep the contract of the in-memory ones', () => {
  portsContract(() => {
    if (!ports) throw new Error('dynalite did not start');
    return ports;
  });
});
