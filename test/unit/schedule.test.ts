import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../functions/domain/errors';
import { parseOrThrow } from '../../functions/domain/requests';
import { scheduleSchema } from '../../contract/requests/schedule';
import { isIdle, latestFireIn, nextDueAt, nextFires, observeActivity, validateSchedule } from '../../functions/domain/schedule';

const NOW = new Date('2026-12-07T06:00:00Z'); // a Monday
const berlin = (windows: { cron: string; replicas: number }[], idle: number | null = null) =>
  parseOrThrow(scheduleSchema, { time_zone: 'Europe/Berlin', windows, idle_timeout_minutes: idle });
const officeHours = berlin([
  { cron: '0 20 * * 1-5', replicas: 0 },
  { cron: '0 8 * * 1-5', replicas: 1 },
]);

const rejects = (fn: () => unknown, field: string, message: RegExp) => {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).field).toBe(field);
    expect((error as Error).message).toMatch(message);
    return;
  }
  throw new Error('expected a ValidationError');
};

describe('schedule validation', () => {
  it('accepts office hours in Europe/Berlin', () => {
    expect(validateSchedule(officeHours, 16, NOW)).toBe(officeHours);
  });
  it('names the field of a bad cron, an unknown zone, replicas over the node group, and a contradiction', () => {
    rejects(() => validateSchedule(berlin([{ cron: '0 25 * * *', replicas: 0 }]), 16, NOW), 'windows.0.cron', /not a valid 5-field cron/);
    rejects(() => validateSchedule(berlin([{ cron: '0 8 * * * *', replicas: 0 }]), 16, NOW), 'windows.0.cron', /not a valid/);
    rejects(() => validateSchedule({ ...officeHours, time_zone: 'Mars/Olympus' }, 16, NOW), 'time_zone', /not a known IANA/);
    rejects(() => validateSchedule({ time_zone: 'UTC', windows: [], idle_timeout_minutes: null }, 16, NOW), 'windows', /needs windows or idle_timeout_minutes/);
    rejects(() => validateSchedule(berlin([{ cron: '0 8 * * *', replicas: 5 }]), 4, NOW), 'windows.0.replicas', /exceeds what the node group can hold/);
    rejects(
      () => validateSchedule(berlin([{ cron: '0 20 * * 1-5', replicas: 0 }, { cron: '0 20 * * 5', replicas: 2 }]), 16, NOW),
      'windows.1.cron',
      /contradicts windows.0: both fire at 2026-12-11T19:00:00.000Z/,
    );
    // the same instant with the same replicas is no contradiction
    expect(() => validateSchedule(berlin([{ cron: '0 20 * * 1-5', replicas: 0 }, { cron: '0 20 * * 5', replicas: 0 }]), 16, NOW)).not.toThrow();
  });
  it('the schema names fields too', () => {
    expect(() => parseOrThrow(scheduleSchema, { time_zone: 'UTC', windows: [{ cron: '* * * * *', replicas: -1 }] })).toThrow(/windows.0.replicas/);
    expect(() => parseOrThrow(scheduleSchema, { time_zone: 'UTC', idle_timeout_minutes: 0 })).toThrow(/idle_timeout_minutes must be between 1 and 10080/);
    expect(parseOrThrow(scheduleSchema, { idle_timeout_minutes: 30 })).toEqual({ time_zone: 'UTC', windows: [], idle_timeout_minutes: 30 });
    expect(() => parseOrThrow(scheduleSchema, { time_zone: 7 })).toThrow(/time_zone must be an IANA time zone/);
    expect(() => parseOrThrow(scheduleSchema, { time_zone: 'UTC', extra: 1 })).toThrow(/unknown fields: extra/);
  });
});

describe('window fires in the zone', () => {
  it('20:00 Berlin is 19:00 UTC in winter and 18:00 UTC in summer', () => {
    expect(nextFires(officeHours, NOW, 2).map((f) => [f.at.toISOString(), f.replicas])).toEqual([
      ['2026-12-07T07:00:00.000Z', 1],
      ['2026-12-07T19:00:00.000Z', 0],
    ]);
    expect(nextFires(officeHours, new Date('2026-07-06T12:00:00Z'), 1)[0]?.at.toISOString()).toBe('2026-07-06T18:00:00.000Z');
  });
  it('the latest fire not yet handled wins; a fire at exactly now is due', () => {
    const friday = new Date('2026-12-11T19:00:00Z');
    expect(latestFireIn(officeHours, new Date('2026-12-11T07:30:00Z'), friday)).toEqual({ at: friday, replicas: 0 });
    // a weekend later (missed sweeps): still the Friday evening window
    expect(latestFireIn(officeHours, new Date('2026-12-11T07:30:00Z'), new Date('2026-12-13T12:00:00Z'))?.replicas).toBe(0);
    expect(latestFireIn(officeHours, friday, new Date('2026-12-13T12:00:00Z'))).toBeUndefined();
  });
  it('next due is the next fire, or sooner the next idle check', () => {
    expect(nextDueAt(officeHours, NOW, 1)?.toISOString()).toBe('2026-12-07T07:00:00.000Z');
    expect(nextDueAt({ ...officeHours, idle_timeout_minutes: 30 }, NOW, 1)?.toISOString()).toBe('2026-12-07T06:01:00.000Z');
    expect(nextDueAt(berlin([]), NOW, 1)).toBeNull();
  });
});

describe('idle detection', () => {
  it('a changed counter (also a reset) or running requests are activity; a resume restarts the clock', () => {
    const first = observeActivity(undefined, { counter: 5, running: 0 }, NOW, null);
    expect(first).toEqual({ counter: 5, changed_at: NOW.toISOString() });
    const t1 = new Date(NOW.getTime() + 10 * 60_000);
    expect(observeActivity(first, { counter: 5, running: 0 }, t1, null).changed_at).toBe(NOW.toISOString());
    expect(observeActivity(first, { counter: 9, running: 0 }, t1, null).changed_at).toBe(t1.toISOString());
    expect(observeActivity(first, { counter: 0, running: 0 }, t1, null).changed_at).toBe(t1.toISOString()); // reset
    expect(observeActivity(first, { counter: 5, running: 2 }, t1, null).changed_at).toBe(t1.toISOString());
    const resumed = new Date(NOW.getTime() + 5 * 60_000).toISOString();
    expect(observeActivity(first, { counter: 5, running: 0 }, t1, resumed).changed_at).toBe(resumed);
  });
  it('idle after the timeout, in cluster minutes', () => {
    const idle = { counter: 1, changed_at: NOW.toISOString() };
    expect(isIdle(idle, 30, new Date(NOW.getTime() + 29 * 60_000), 1)).toBe(false);
    expect(isIdle(idle, 30, new Date(NOW.getTime() + 30 * 60_000), 1)).toBe(true);
    expect(isIdle(idle, 30, new Date(NOW.getTime() + 18_000), 0.01)).toBe(true);
  });
});
