import { describe, expect, it } from 'vitest';
import { ConflictError, NotFoundError } from '../../../functions/domain/errors';
import { deleteSchedule, getSchedule, putSchedule } from '../../../functions/use-cases/schedules';
import { inMemoryPorts } from '../../support/in-memory';
import { aDeployment, TENANT } from '../../support/in-memory/records';

// One window: a second with other replicas makes the domain check a year of fires for clashes (domain/schedule.ts), slow for a unit test of the use case.
const schedule = { time_zone: 'Europe/Berlin', windows: [{ cron: '0 21 * * *', replicas: 0 }], idle_timeout_minutes: null };

describe('schedule use cases', () => {
  it('stores a schedule due at its next window fire and shows the next fires', async () => {
    const ports = inMemoryPorts({ start: new Date('2026-12-01T10:00:00Z') });
    ports.deployments.seed(aDeployment({ autoscaling: { min_replicas: 0, max_replicas: 2 } }));
    const view = await putSchedule(ports, TENANT, 'dep-0001', schedule, ports.clock.now());
    expect(view.next_check_at).toBe('2026-12-01T20:00:00.000Z');
    expect(view.next_windows.slice(0, 2)).toEqual([
      { at: '2026-12-01T20:00:00.000Z', replicas: 0 },
      { at: '2026-12-02T20:00:00.000Z', replicas: 0 },
    ]);
    expect(await ports.deployments.scheduleDueAt(TENANT, 'dep-0001')).toBe('2026-12-01T20:00:00.000Z');
    expect(await getSchedule(ports, TENANT, 'dep-0001', ports.clock.now())).toEqual(view);

    await deleteSchedule(ports, TENANT, 'dep-0001');
    await expect(getSchedule(ports, TENANT, 'dep-0001', ports.clock.now())).rejects.toBeInstanceOf(NotFoundError);
    expect(await ports.deployments.scheduleDueAt(TENANT, 'dep-0001')).toBeNull();
  });

  it('refuses a schedule for a deployment being deleted, also when the delete starts between read and write', async () => {
    const ports = inMemoryPorts();
    ports.deployments.seed(aDeployment({ id: 'dep-0002', status: 'terminating', phase: 'deleting' }));
    await expect(putSchedule(ports, TENANT, 'dep-0002', schedule, ports.clock.now())).rejects.toBeInstanceOf(ConflictError);

    ports.deployments.seed(aDeployment({ id: 'dep-0003', autoscaling: { min_replicas: 0, max_replicas: 2 } }));
    const store = ports.deployments;
    const racing = {
      clock: ports.clock,
      deployments: Object.assign(Object.create(store) as typeof store, {
        putSchedule: async (...args: Parameters<typeof store.putSchedule>) => {
          await store.update(TENANT, 'dep-0003', { status: 'terminating', phase: 'deleting' }, {}, { now: ports.clock.now() });
          return store.putSchedule(...args);
        },
      }),
    };
    await expect(putSchedule(racing, TENANT, 'dep-0003', schedule, ports.clock.now())).rejects.toThrow(/being deleted/);
  });

  it('answers 404 for another tenant', async () => {
    const ports = inMemoryPorts();
    ports.deployments.seed(aDeployment());
    await expect(getSchedule(ports, { org_id: 'org-b', project_id: 'prj-a' }, 'dep-0001', ports.clock.now())).rejects.toBeInstanceOf(NotFoundError);
  });
});
