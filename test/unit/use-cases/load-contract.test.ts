import { describe } from 'vitest';
import { inMemoryPorts } from '../../support/in-memory';
import { loadContract } from '../../support/in-memory/load-contract';

describe('in-memory load signals and due index keep the contract of the DynamoDB ones', () => {
  loadContract(() => inMemoryPorts());
});
