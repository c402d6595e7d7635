/**
 * gpuctl's schedule and usage views, pure: parsing `--window "<cron>=<replicas>"` and the
 * tables of GET …/schedule and GET …/usage (`--output json` bypasses all of it).
 */
import { nextFires } from '../functions/domain/schedule';
import type { ScheduleView, Usage } from './api';
import { UsageError } from './client';
import { money, seconds, table, wallClock } from './output';

/** `0 20 * * 1-5=0` -> {cron: '0 20 * * 1-5', replicas: 0}; the cron itself is the API's to judge. */
export const parseWindow = (text: string): { cron: string; replicas: number } => {
  const at = text.lastIndexOf('=');
  const cron = text.slice(0, Math.max(at, 0)).trim();
  const replicas = text.slice(at + 1).trim();
  if (at < 0 || cron === '' || !/^\d+$/.test(replicas)) {
    throw new UsageError(`--window '${text}' must be "<cron>=<replicas>", e.g. --window "0 20 * * 1-5=0"`);
  }
  return { cron, replicas: Number(replicas) };
};

/**
 * The schedule for people: zone, idle timeout, when the sweeper looks next, and one row per
 * window with its next fire (computed with the same croner rules as the API, from `now`).
 */
export const describeSchedule = (id: string, view: ScheduleView, now: Date): string => {
  const zone = view.time_zone;
  const header = [
    `deployment    ${id}`,
    `time zone     ${zone}`,
    `idle timeout  ${view.idle_timeout_minutes === null ? 'none' : `${view.idle_timeout_minutes} min${view.last_activity_at ? ` (last activity ${view.last_activity_at})` : ''}`}`,
    `next check    ${view.next_check_at ?? 'never'}`,
  ];
  if (view.windows.length === 0) return [...header, 'windows       none'].join('\n');
  const rows = view.windows.map((window) => ({
    ...window,
    next: nextFires({ time_zone: zone, windows: [window], idle_timeout_minutes: null }, now, 1)[0]?.at.toISOString(),
  }));
  const windows = table(rows, [
    ['CRON', (w) => w.cron],
    ['TIME_ZONE', () => zone],
    ['REPLICAS', (w) => (w.replicas === 0 ? '0 (pause)' : w.replicas)],
    ['NEXT_FIRE_UTC', (w) => w.next],
    ['NEXT_FIRE_LOCAL', (w) => (w.next ? wallClock(w.next, zone) : undefined)],
  ]);
  return [...header, '', windows].join('\n');
};

/** Usage for people: one row per UTC day, then the totals. */
export const describeUsage = (view: Usage): string => {
  const currency = view.currency;
  const rows = [
    ...view.days.map((d) => ({ day: d.date, ...d })),
    { day: 'TOTAL', serving_seconds: view.serving_seconds, gpu_seconds: view.gpu_seconds, cost_to_date: view.cost_to_date },
  ];
  const days = table(rows, [
    ['DAY (UTC)', (d) => d.day],
    ['SERVING', (d) => seconds(d.serving_seconds)],
    ['GPU_SECONDS', (d) => d.gpu_seconds],
    ['COST', (d) => money(d.cost_to_date, currency)],
  ]);
  const serving = view.serving_since
    ? `serving ${view.replicas} x ${view.gpu_count} GPU(s) since ${view.serving_since}`
    : `not serving (${view.replicas} replica(s) of ${view.gpu_count} GPU(s))`;
  const tokens = view.tokens?.total;
  // only once the gateway metered something, so a deployment nobody called reads as before
  const metered = tokens && tokens.requests > 0
    ? ['', `tokens: ${tokens.requests} request(s), ${tokens.prompt_tokens} prompt + ${tokens.completion_tokens} completion${tokens.estimated_requests > 0 ? ` (${tokens.estimated_requests} request(s) estimated)` : ''}`]
    : [];
  return [`${view.id} as of ${view.as_of}: ${serving}; ${view.unit_price}${currency ? ` ${currency}` : ''} per GPU-hour`, '', days, ...metered].join('\n');
};
