/**
 * Serving time, GPU time and cost of one deployment, as accumulated segments: the closed
 * totals (overall and per UTC day) plus the one open segment while it serves. Pure: every
 * function takes the time it works at.
 *
 * A segment is open while the deployment is ready with `replicas` serving; a scale change
 * closes it and opens one with the new count (at the moment the new count is serving), a
 * pause, a failure or a delete closes it. Time is kept in milliseconds so splitting a
 * segment anywhere never loses a rounding; the view rounds to seconds.
 */
import type { UsageView } from '../../contract/api-schemas';

export interface UsageTotals {
  serving_ms: number;
  /** replicas x gpu_count x serving time. */
  gpu_ms: number;
}

export interface Usage {
  closed: UsageTotals;
  /** Closed totals per UTC day (`YYYY-MM-DD`). */
  days: Record<string, UsageTotals>;
  /** The segment in progress: since when, with how many GPUs (replicas x gpu_count). */
  open: { since: string; gpus: number } | null;
}

export const emptyUsage = (): Usage => ({ closed: { serving_ms: 0, gpu_ms: 0 }, days: {}, open: null });

const DAY_MS = 86_400_000;
const dayOf = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

const add = (a: UsageTotals | undefined, servingMs: number, gpus: number): UsageTotals => ({
  serving_ms: (a?.serving_ms ?? 0) + servingMs,
  gpu_ms: (a?.gpu_ms ?? 0) + servingMs * gpus,
});

/** Adds [from, to) with `gpus` to the totals, split at UTC midnights. */
const accumulate = (usage: Usage, fromMs: number, toMs: number, gpus: number): Usage => {
  if (toMs <= fromMs) return usage;
  const days = { ...usage.days };
  for (let start = fromMs; start < toMs; ) {
    const end = Math.min(toMs, (Math.floor(start / DAY_MS) + 1) * DAY_MS);
    days[dayOf(start)] = add(days[dayOf(start)], end - start, gpus);
    start = end;
  }
  return { ...usage, closed: add(usage.closed, toMs - fromMs, gpus), days };
};

/** Closes the open segment at `at` (nothing open: unchanged). */
export const closeSegment = (usage: Usage | undefined, at: Date): Usage => {
  const current = usage ?? emptyUsage();
  if (!current.open) return current;
  return { ...accumulate(current, Date.parse(current.open.since), at.getTime(), current.open.gpus), open: null };
};

/**
 * From `at` on, `gpus` GPUs serve (0: not serving). Closes what was open; keeps the open
 * segment as it is when the count does not change, so repeating a call changes nothing.
 */
export const serveFrom = (usage: Usage | undefined, at: Date, gpus: number): Usage => {
  const current = usage ?? emptyUsage();
  if (current.open && current.open.gpus === gpus) return current;
  const closed = closeSegment(current, at);
  return gpus > 0 ? { ...closed, open: { since: at.toISOString(), gpus } } : closed;
};

/** Totals up to `at`, the open segment included. */
export const totalsAt = (usage: Usage | undefined, at: Date): Usage => closeSegment(usage, at);

export interface UsageFigures {
  serving_seconds: number;
  gpu_seconds: number;
  /** gpu_seconds x unit_price / 3600 (unit_price is per GPU-hour), rounded to a cent's hundredth. */
  cost_to_date: number;
}

const round4 = (x: number): number => Math.round(x * 10_000) / 10_000;

export const figures = (totals: UsageTotals, unitPricePerGpuHour: number): UsageFigures => ({
  serving_seconds: Math.floor(totals.serving_ms / 1000),
  gpu_seconds: Math.floor(totals.gpu_ms / 1000),
  cost_to_date: round4(((totals.gpu_ms / 1000) * unitPricePerGpuHour) / 3600),
});

export interface DailyUsage extends UsageFigures {
  /** UTC day. */
  date: string;
}

/** The per-day breakdown up to `at`, oldest first. */
export const dailyUsage = (usage: Usage | undefined, at: Date, unitPricePerGpuHour: number): DailyUsage[] => {
  const totals = totalsAt(usage, at);
  return Object.keys(totals.days)
    .sort()
    .map((date) => ({ date, ...figures(totals.days[date] as UsageTotals, unitPricePerGpuHour) }));
};

/** GET …/usage answer. */
export type { UsageView };
