import { describe, expect, it } from 'vitest';
import { ConflictError, ValidationError } from '../../../functions/domain/errors';
import { changeScaleRange } from '../../../functions/use-cases/scale-range';
import { inMemoryPorts } from '../../support/in-memory';
import { aDeployment, TENANT } from '../../support/in-memory/records';

describe('changeScaleRange', () => {
  it('sets the range with a history event, conditional on the version read', async () => {
    const ports = inMemoryPorts();
    ports.deployments.seed(aDeployment({ replicas: 2, reserved_gpus: 2, autoscaling: { min_replicas: 1, max_replicas: 2 } }));
    const updated = await changeScaleRange(ports, TENANT, 'dep-0001', { min_replicas: 0, max_replicas: 3 }, ports.clock.now());
    expect(updated).toMatchObject({ autoscaling: { min_replicas: 0, max_replicas: 3 }, version: 6 });
    expect(ports.events.of(TENANT, 'dep-0001').at(-1)).toMatchObject({ type: 'autoscaling_changed', message: 'scale range set to [0, 3] (was [1, 2])' });
  });

  it('refuses a range that does not hold the current replicas (400) and a deployment being deleted (409)', async () => {
    const ports = inMemoryPorts();
    ports.deployments.seed(aDeployment({ replicas: 2 }));
    await expect(changeScaleRange(ports, TENANT, 'dep-0001', { min_replicas: 3, max_replicas: 4 }, ports.clock.now())).rejects.toBeInstanceOf(ValidationError);
    ports.deployments.seed(aDeployment({ id: 'dep-0002', status: 'terminating', phase: 'deleting' }));
    await expect(changeScaleRange(ports, TENANT, 'dep-0002', { min_replicas: 0, max_replicas: 2 }, ports.clock.now())).rejects.toBeInstanceOf(ConflictError);
  });

  it('answers 409 when a workflow wrote the record after it was read', async () => {
    const ports = inMemoryPorts();
    ports.deployments.seed(aDeployment());
    const store = ports.deployments;
    const racing = {
      deployments: Object.assign(Object.create(store) as typeof store, {
        get: async (...args: Parameters<typeof store.get>) => {
          const read = await store.get(...args);
          await store.update(TENANT, 'dep-0001', { instances: { running: 1, pending: 0, observed_at: null } }, {}, { now: new Date() });
          return read;
        },
      }),
    };
    await expect(changeScaleRange(racing, TENANT, 'dep-0001', { min_replicas: 0, max_replicas: 2 }, new Date())).rejects.toThrow(/changed while the range was being set/);
    expect(store.peek({ ...TENANT, id: 'dep-0001' })?.autoscaling).toBeNull();
  });
});
