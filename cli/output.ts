/** Tables and durations for people; `--output json` bypasses all of it. */

export type Column<Row> = [header: string, value: (row: Row) => unknown];

export const table = <Row>(rows: readonly Row[], columns: readonly Column<NoInfer<Row>>[]): string => {
  const cells = rows.map((row) => columns.map(([, value]) => String(value(row) ?? '-')));
  const widths = columns.map(([header], i) => Math.max(header.length, ...cells.map((r) => r[i]!.length)));
  const line = (values: string[]) => values.map((v, i) => (i === values.length - 1 ? v : v.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(columns.map(([header]) => header)), ...cells.map(line)].join('\n');
};

/** 75 -> "1m15s", 3700 -> "1h1m". */
export const duration = (seconds: number): string => {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${Math.floor((s % 3600) / 60)}m`;
};

export const age = (iso: string | undefined, now = Date.now()): string => (iso ? duration((now - Date.parse(iso)) / 1000) : '-');

/** The lines of `next` that follow what `previous` ended with (the overlap found, not assumed). */
export const newLines = (previous: readonly string[], next: readonly string[]): string[] => {
  for (let overlap = Math.min(previous.length, next.length); overlap > 0; overlap--) {
    let same = true;
    for (let i = 0; i < overlap && same; i++) same = next[i] === previous[previous.length - overlap + i];
    if (same) return next.slice(overlap);
  }
  return [...next];
};

/** "1h1m (3712 s)": a duration people read, with the exact seconds the API counted. */
export const seconds = (s: number): string => (s < 60 ? `${s} s` : `${duration(s)} (${s} s)`);

/** The API's cost (rounded to 4 decimals) with its currency when known. */
export const money = (amount: number, currency?: string | null): string => `${amount.toFixed(4)}${currency ? ` ${currency}` : ''}`;

/**
 * "Wed 2026-12-02 20:00 UTC+1": an instant as wall-clock time in `timeZone`, with the zone's
 * offset at that instant (computed, not ICU's zone name, so it reads the same on every Node).
 */
export const wallClock = (iso: string, timeZone: string): string => {
  const instant = new Date(iso);
  const p = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', { timeZone, weekday: 'short', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' })
      .formatToParts(instant)
      .map((part) => [part.type, part.value]),
  );
  const wall = Date.UTC(Number(p.year), Number(p.month) - 1, Number(p.day), Number(p.hour), Number(p.minute), Number(p.second));
  const offset = Math.round((wall - Math.floor(instant.getTime() / 1000) * 1000) / 60_000);
  const abs = Math.abs(offset);
  const zone = offset === 0 ? 'UTC' : `UTC${offset < 0 ? '-' : '+'}${Math.floor(abs / 60)}${abs % 60 ? `:${String(abs % 60).padStart(2, '0')}` : ''}`;
  return `${p.weekday} ${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute} ${zone}`;
};
