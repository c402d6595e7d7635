/**
 * Figures a reliability test measured, for `npm run reliability` (test/reliability/run.ts):
 * with RELIABILITY_FIGURES_DIR set, each call writes `<dir>/<suite>.json` (merged with what the
 * suite wrote before); without it, nothing is written and the tests only assert.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const figuresDir = (): string | undefined => process.env.RELIABILITY_FIGURES_DIR || undefined;

export const recordFigures = (suite: string, figures: Record<string, unknown>): void => {
  const dir = figuresDir();
  if (dir === undefined) return;
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${suite}.json`);
  const previous = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>) : {};
  writeFileSync(file, JSON.stringify({ ...previous, ...figures }, null, 2));
};

export const readFigures = (dir: string, suite: string): Record<string, unknown> | undefined => {
  const file = join(dir, `${suite}.json`);
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>) : undefined;
};
