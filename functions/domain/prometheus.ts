/** The Prometheus text exposition format, as far as reading a few counters and gauges needs. Pure. */

/** `name{labels} value [timestamp]`; label values may hold anything but an unescaped quote. */
const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[^"}]|"(?:[^"\\]|\\.)*")*\})?\s+(\S+)/;

/** Sums the samples of the named metrics over all their label sets (absent: 0). */
export const sumMetrics = (text: string, names: readonly string[]): Record<string, number> => {
  const sums: Record<string, number> = Object.fromEntries(names.map((n) => [n, 0]));
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const match = SAMPLE.exec(line);
    const name = match?.[1];
    if (!match || name === undefined || !(name in sums)) continue;
    const value = Number(match[3]);
    if (Number.isFinite(value)) sums[name] = (sums[name] ?? 0) + value;
  }
  return sums;
};
