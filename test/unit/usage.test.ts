import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { closeSegment, dailyUsage, figures, serveFrom, totalsAt, type Usage } from '../../functions/domain/usage';

const at = (iso: string) => new Date(iso);

describe('usage segments', () => {
  it('adds replicas x gpu_count x ready time across scale changes and a pause', () => {
    // gpu_count 2: 1 replica for 10 min, 3 replicas for 5 min, paused 1 h, 1 replica for 2 min
    let u: Usage | undefined;
    u = serveFrom(u, at('2026-12-01T10:00:00Z'), 2);
    u = serveFrom(u, at('2026-12-01T10:10:00Z'), 6);
    u = closeSegment(u, at('2026-12-01T10:15:00Z'));
    u = serveFrom(u, at('2026-12-01T11:15:00Z'), 2);
    const totals = totalsAt(u, at('2026-12-01T11:17:00Z')).closed;
    expect(totals.serving_ms).toBe((10 + 5 + 2) * 60_000);
    expect(totals.gpu_ms).toBe((10 * 2 + 5 * 6 + 2 * 2) * 60_000);
    // unit_price 1.15 per GPU-hour: 54 GPU-minutes = 0.9 GPU-hours
    expect(figures(totals, 1.15)).toEqual({ serving_seconds: 17 * 60, gpu_seconds: 54 * 60, cost_to_date: 1.035 });
  });

  it('keeps the open segment when the count does not change, and a failure closes it', () => {
    let u = serveFrom(undefined, at('2026-12-01T10:00:00Z'), 1);
    expect(serveFrom(u, at('2026-12-01T10:05:00Z'), 1)).toBe(u);
    u = closeSegment(u, at('2026-12-01T10:05:00Z'));
    expect(u.open).toBeNull();
    expect(totalsAt(u, at('2026-12-02T00:00:00Z')).closed.serving_ms).toBe(300_000);
  });

  it('splits at UTC midnight', () => {
    const u = serveFrom(undefined, at('2026-12-01T23:30:00Z'), 4);
    const days = dailyUsage(u, at('2026-12-02T00:45:00Z'), 2);
    expect(days).toEqual([
      { date: '2026-12-01', serving_seconds: 1800, gpu_seconds: 7200, cost_to_date: 4 },
      { date: '2026-12-02', serving_seconds: 2700, gpu_seconds: 10_800, cost_to_date: 6 },
    ]);
  });

  it('property: splitting time anywhere, in any number of pieces, gives the same totals and days', () => {
    const start = Date.parse('2026-11-28T00:00:00Z');
    fc.assert(
      fc.property(
        fc.array(fc.record({ gap: fc.integer({ min: 0, max: 3 * 86_400_000 }), gpus: fc.integer({ min: 0, max: 32 }) }), { minLength: 1, maxLength: 12 }),
        fc.array(fc.integer({ min: 1, max: 86_400_000 }), { maxLength: 10 }),
        (steps, cuts) => {
          // one history: at each step the GPU count changes
          let t = start;
          let whole: Usage | undefined;
          const changes: { t: number; gpus: number }[] = [];
          for (const s of steps) {
            t += s.gap;
            changes.push({ t, gpus: s.gpus });
            whole = serveFrom(whole, new Date(t), s.gpus);
          }
          const end = t + 1 + (cuts[0] ?? 0);
          // the same history, with extra closes and reopens at arbitrary instants in between
          const cutTimes = cuts.map((c) => start + (c % Math.max(1, end - start)));
          const events = [...changes.map((c) => ({ ...c, cut: false })), ...cutTimes.map((c) => ({ t: c, gpus: 0, cut: true }))].sort(
            (a, b) => a.t - b.t || Number(a.cut) - Number(b.cut),
          );
          let split: Usage | undefined;
          let gpus = 0;
          for (const e of events) {
            if (e.cut) {
              split = closeSegment(split, new Date(e.t));
              split = serveFrom(split, new Date(e.t), gpus);
            } else {
              gpus = e.gpus;
              split = serveFrom(split, new Date(e.t), gpus);
            }
          }
          const a = totalsAt(whole, new Date(end));
          const b = totalsAt(split, new Date(end));
          expect(b.closed).toEqual(a.closed);
          expect(b.days).toEqual(a.days);
          const daySum = Object.values(a.days).reduce((sum, d) => sum + d.gpu_ms, 0);
          expect(daySum).toBe(a.closed.gpu_ms);
        },
      ),
      { numRuns: 300 },
    );
  });
});
