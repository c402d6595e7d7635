import { describe, expect, it } from 'vitest';
import { sweepSchedules } from '../../../functions/use-cases/schedule-sweep';
import { inMemoryPorts } from '../../support/in-memory';
import { aDeployment, TENANT } from '../../support/in-memory/records';

const key = { ...TENANT, id: 'dep-0001' };
const evening = { time_zone: 'UTC', windows: [{ cron: '0 20 * * *', replicas: 0 }], idle_timeout_minutes: null };

const scheduled = (schedule: typeof evening | (Omit<typeof evening, 'idle_timeout_minutes'> & { idle_timeout_minutes: number }), dueAt: string) => {
  const ports = inMemoryPorts({ start: new Date('2026-12-01T20:00:30Z') });
  const record = aDeployment({ autoscaling: { min_replicas: 0, max_replicas: 2 }, schedule, schedule_state: { windows_checked_at: '2026-12-01T19:00:00.000Z' } });
  ports.deployments.seed(record, { dueAt });
  return ports;
};

describe('sweepSchedules', () => {
  it('scales at a window fire through the scale use case, and schedules the next fire', async () => {
    const ports = scheduled(evening, '2026-12-01T20:00:00.000Z');
    const report = await sweepSchedules(ports, ports.clock.now());
    expect(report).toMatchObject({ items_read: 1, claimed: 1, taken: 0, scaled: [{ id: 'dep-0001', replicas: 0, why: 'by the schedule window of 2026-12-01T20:00:00.000Z' }], errors: [] });
    expect(ports.deployments.peek(key)).toMatchObject({ phase: 'scaling', replicas: 0, schedule_state: { windows_checked_at: '2026-12-01T20:00:30.000Z' } });
    expect(ports.workflows.started('scale')).toHaveLength(1);
    expect(await ports.deployments.scheduleDueAt(TENANT, 'dep-0001')).toBe('2026-12-02T20:00:00.000Z');
    // the same minute again finds nothing due
    expect(await sweepSchedules(ports, ports.clock.now())).toMatchObject({ items_read: 0, scaled: [] });
  });

  it('defers a fire that meets a running operation and tries it again a minute later', async () => {
    const ports = scheduled(evening, '2026-12-01T20:00:00.000Z');
    await ports.deployments.update(TENANT, 'dep-0001', { phase: 'scaling' }, {}, { now: ports.clock.now() });
    const report = await sweepSchedules(ports, ports.clock.now());
    expect(report.deferred).toEqual([{ id: 'dep-0001', reason: expect.stringMatching(/can be scaled once it is ready/) }]);
    expect(ports.deployments.peek(key)?.schedule_state?.windows_checked_at).toBe('2026-12-01T19:00:00.000Z');
    expect(await ports.deployments.scheduleDueAt(TENANT, 'dep-0001')).toBe('2026-12-01T20:01:30.000Z');
  });

  it('pauses a deployment idle for its timeout, from the serving metrics', async () => {
    const idle = { time_zone: 'UTC', windows: [{ cron: '0 8 * * *', replicas: 1 }], idle_timeout_minutes: 30 };
    const ports = scheduled(idle, '2026-12-01T20:00:00.000Z');
    ports.servingMetrics.readings.set('dep-0001', { counter: 12, running: 0, pods: 1 });
    expect((await sweepSchedules(ports, ports.clock.now())).scaled).toEqual([]);
    // checked again every minute; the counter has not moved for 30.5 minutes by 20:31
    expect(await ports.deployments.scheduleDueAt(TENANT, 'dep-0001')).toBe('2026-12-01T20:01:30.000Z');
    ports.clock.set('2026-12-01T20:31:00Z');
    const report = await sweepSchedules(ports, ports.clock.now());
    expect(report.scaled).toEqual([{ id: 'dep-0001', replicas: 0, why: 'after 30 minutes without requests' }]);
  });
});
