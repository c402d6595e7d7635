/**
 * The LoadSignals DynamoDB adapter (items `LOAD#<deployment>` / `GW#<instance>`, TTL) and the
 * due index of load-scaled deployments keep the contract of the in-memory ports
 * (test/support/in-memory/load-contract.ts). Only dynalite is started.
 */
import { afterAll, beforeAll, describe } from 'vitest';
import type { LocalDynamo } from '../../local/dynamodb';
import { startDynaliteTable } from '../support/dynalite';
import { loadContract, type LoadContractPorts } from '../support/in-memory/load-contract';

const TABLE_NAME = 'load-contract';
let dynamo: LocalDynamo | undefined;
let ports: LoadContractPorts | undefined;

beforeAll(async () => {
  dynamo = await startDynaliteTable(TABLE_NAME);
  // The adapters read their configuration when first imported.
  const [{ loadSignals }, { deploymentStore }] = await Promise.all([import('../../functions/wiring/load-signals'), import('../../functions/wiring/deployment-store')]);
  ports = { loadSignals, deployments: deploymentStore };
});

afterAll(async () => {
  await dynamo?.close();
});

describe('DynamoDB load signals and due index keep the contract of the in-memory ones', () => {
  loadContract(() => {
    if (!ports) throw new Error('dynalite did not start');
    return ports;
  });
});
