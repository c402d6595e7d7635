import { describe, expect, it } from 'vitest';
import { UsageError } from '../../cli/client';
import { duration, money, newLines, seconds, table, wallClock } from '../../cli/output';
import { describeSchedule, describeUsage, parseWindow } from '../../cli/schedule';

describe('gpuctl output helpers', () => {
  it('prints only the lines after the overlap with what was printed before', () => {
    expect(newLines([], ['a', 'b'])).toEqual(['a', 'b']);
    expect(newLines(['a', 'b', 'c'], ['b', 'c', 'd', 'e'])).toEqual(['d', 'e']);
    expect(newLines(['a', 'b'], ['a', 'b'])).toEqual([]);
    // A repeated line is matched by the longest overlap, not its first occurrence.
    expect(newLines(['x', 'y', 'x'], ['y', 'x', 'x'])).toEqual(['x']);
    // No overlap (the log rolled past the tail): everything is new.
    expect(newLines(['a'], ['q', 'r'])).toEqual(['q', 'r']);
  });

  it('formats durations and aligns table columns', () => {
    expect([duration(0), duration(59.6), duration(75), duration(3700)]).toEqual(['0s', '1m00s', '1m15s', '1h1m']);
    expect(table([{ a: 'long value', b: 1 }, { a: 'x', b: null }], [['A', (r) => r.a], ['B', (r) => r.b]])).toBe('A           B\nlong value  1\nx           -');
  });

  it('formats seconds, money and wall-clock times in a zone (daylight saving included)', () => {
    expect([seconds(0), seconds(59), seconds(3712)]).toEqual(['0 s', '59 s', '1h1m (3712 s)']);
    expect([money(4.7431, 'USD'), money(0, null), money(0.5)]).toEqual(['4.7431 USD', '0.0000', '0.5000']);
    // 19:00 UTC is 20:00 in Berlin in winter; 18:00 UTC is 20:00 in summer.
    expect(wallClock('2026-12-02T19:00:00.000Z', 'Europe/Berlin')).toBe('Wed 2026-12-02 20:00 UTC+1');
    expect(wallClock('2026-07-01T18:00:00.000Z', 'Europe/Berlin')).toBe('Wed 2026-07-01 20:00 UTC+2');
    expect(wallClock('2026-12-02T00:05:00.000Z', 'UTC')).toBe('Wed 2026-12-02 00:05 UTC');
    expect(wallClock('2026-12-02T00:05:00.000Z', 'America/New_York')).toBe('Tue 2026-12-01 19:05 UTC-5');
    expect(wallClock('2026-12-02T00:05:00.000Z', 'Asia/Kolkata')).toBe('Wed 2026-12-02 05:35 UTC+5:30');
  });
});

describe('gpuctl schedule and usage views', () => {
  it('parses --window "<cron>=<replicas>" and refuses what is not', () => {
    expect(parseWindow('0 20 * * 1-5=0')).toEqual({ cron: '0 20 * * 1-5', replicas: 0 });
    expect(parseWindow(' */15 8-18 * * * = 3 ')).toEqual({ cron: '*/15 8-18 * * *', replicas: 3 });
    for (const bad of ['0 20 * * 1-5', '=1', '0 8 * * *=', '0 8 * * *=-1', '0 8 * * *=two', '0 8 * * *=1.5']) {
      expect(() => parseWindow(bad), bad).toThrow(UsageError);
    }
  });

  it('shows each window with its next fire in UTC and in the schedule\'s zone', () => {
    const view = {
      time_zone: 'Europe/Berlin',
      windows: [
        { cron: '0 20 * * 1-5', replicas: 0 },
        { cron: '0 8 * * 1-5', replicas: 2 },
      ],
      idle_timeout_minutes: 60,
      next_windows: [],
      next_check_at: '2026-12-02T10:01:00.000Z',
      last_activity_at: '2026-12-02T09:58:00.000Z',
    };
    // Wednesday 10:00 UTC (11:00 Berlin): tonight's pause, tomorrow morning's resume.
    expect(describeSchedule('dep-1', view, new Date('2026-12-02T10:00:00Z')).split('\n')).toEqual([
      'deployment    dep-1',
      'time zone     Europe/Berlin',
      'idle timeout  60 min (last activity 2026-12-02T09:58:00.000Z)',
      'next check    2026-12-02T10:01:00.000Z',
      '',
      'CRON          TIME_ZONE      REPLICAS   NEXT_FIRE_UTC             NEXT_FIRE_LOCAL',
      '0 20 * * 1-5  Europe/Berlin  0 (pause)  2026-12-02T19:00:00.000Z  Wed 2026-12-02 20:00 UTC+1',
      '0 8 * * 1-5   Europe/Berlin  2          2026-12-03T07:00:00.000Z  Thu 2026-12-03 08:00 UTC+1',
    ]);
    // Friday evening: the next resume is Monday.
    expect(describeSchedule('dep-1', view, new Date('2026-12-04T20:00:00Z'))).toContain('0 8 * * 1-5   Europe/Berlin  2          2026-12-07T07:00:00.000Z  Mon 2026-12-07 08:00 UTC+1');
    expect(describeSchedule('dep-1', { ...view, windows: [], idle_timeout_minutes: null, next_check_at: null }, new Date()).split('\n').slice(2)).toEqual([
      'idle timeout  none',
      'next check    never',
      'windows       none',
    ]);
  });

  it('shows usage per UTC day and the totals', () => {
    const view = {
      id: 'dep-1',
      as_of: '2026-12-02T10:00:00.000Z',
      uptime_seconds: 12,
      serving_seconds: 3712,
      gpu_seconds: 14848,
      cost_to_date: 4.7431,
      unit_price: 1.15,
      currency: 'USD',
      gpu_count: 4,
      replicas: 1,
      serving_since: '2026-12-02T09:59:48.000Z',
      days: [
        { date: '2026-12-01', serving_seconds: 3600, gpu_seconds: 14400, cost_to_date: 4.6 },
        { date: '2026-12-02', serving_seconds: 112, gpu_seconds: 448, cost_to_date: 0.1431 },
      ],
    };
    expect(describeUsage(view).split('\n')).toEqual([
      'dep-1 as of 2026-12-02T10:00:00.000Z: serving 1 x 4 GPU(s) since 2026-12-02T09:59:48.000Z; 1.15 USD per GPU-hour',
      '',
      'DAY (UTC)   SERVING        GPU_SECONDS  COST',
      '2026-12-01  1h0m (3600 s)  14400        4.6000 USD',
      '2026-12-02  1m52s (112 s)  448          0.1431 USD',
      'TOTAL       1h1m (3712 s)  14848        4.7431 USD',
    ]);
    expect(describeUsage({ ...view, serving_since: null, replicas: 0, currency: null, days: [] }).split('\n')).toEqual([
      'dep-1 as of 2026-12-02T10:00:00.000Z: not serving (0 replica(s) of 4 GPU(s)); 1.15 per GPU-hour',
      '',
      'DAY (UTC)  SERVING        GPU_SECONDS  COST',
      'TOTAL      1h1m (3712 s)  14848        4.7431',
    ]);
  });
});
