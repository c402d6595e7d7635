import { describe } from 'vitest';
import { inMemoryPorts } from '../../support/in-memory';
import { portsContract } from '../../support/in-memory/contract';

describe('in-memory ports keep the contract of the DynamoDB ones', () => {
  portsContract(() => inMemoryPorts());
});
