/** What every benchmark module returns, and the small statistics they share. */

export type Met = 'yes' | 'no' | 'n/a';

/** One line of a figure's table: our value beside the baseline measured in the same run. */
export interface Row {
  measure: string;
  value: string;
  baseline: string;
  /** ours / baseline (or what the goal compares), formatted. */
  ratio: string;
  goal: string;
  met: Met;
}

export interface FigureResult {
  id: string;
  title: string;
  /** How it was measured: one sentence each. */
  method: string[];
  rows: Row[];
  /** Further markdown (a detail table) printed under the main table. */
  details?: string;
  /** What the numbers mean, and why a goal is missed. */
  findings: string[];
  seconds: number;
}

export const median = (values: readonly number[]): number => quantile(values, 0.5);

/** Linear-interpolated quantile; NaN for no values. */
export const quantile = (values: readonly number[], q: number): number => {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const position = (sorted.length - 1) * q;
  const low = Math.floor(position);
  const high = Math.ceil(position);
  return (sorted[low] ?? 0) + ((sorted[high] ?? 0) - (sorted[low] ?? 0)) * (position - low);
};

export const sum = (values: readonly number[]): number => values.reduce((total, value) => total + value, 0);

/** `digits` decimals, or '–' for a missing value. */
export const fmt = (value: number | undefined, digits = 1): string =>
  value === undefined || !Number.isFinite(value) ? '–' : value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

export const ratioOf = (value: number, baseline: number): number => (baseline === 0 ? Number.NaN : value / baseline);

export const metWhen = (condition: boolean | undefined): Met => (condition === undefined ? 'n/a' : condition ? 'yes' : 'no');

/** A markdown table. */
export const table = (header: readonly string[], rows: readonly (readonly string[])[]): string =>
  [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...rows.map((row) => `| ${row.join(' | ')} |`)].join('\n');

export const sleep = (ms: number): Promise<void> => new Promise((done) => setTimeout(done, ms));

/** Polls `probe` every `everyMs` until it returns a value other than undefined, or throws after `timeoutMs`. */
export const pollUntil = async <T>(probe: () => Promise<T | undefined> | T | undefined, what: string, timeoutMs: number, everyMs = 50): Promise<T> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
};
