/**
 * `npm run bundle`: bundles every Lambda handler (API routes and workflow tasks) the way CDK
 * deploys it (same esbuild options, infra/bundling.ts) into dist/functions/<name>/index.mjs,
 * prints their sizes and writes them to dist/functions/sizes.json, so bundle growth shows up in
 * review before it shows up as cold-start time.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { LAMBDA_BUNDLE_OPTIONS, PROJECT_ROOT, esbuildOptionsFor } from '../infra/bundling';
import { ROUTES } from '../contract/routes';
import { SCHEDULES } from '../contract/schedules';
import { TASK_FUNCTIONS } from '../contract/workflows';

interface BundleSize {
  readonly name: string;
  readonly kind: 'api' | 'workflow' | 'scheduled';
  readonly entry: string;
  /** Size of index.mjs. */
  readonly bytes: number;
  /** index.mjs gzipped: close to what the deployment zip adds for the code. */
  readonly gzipBytes: number;
  readonly sourceMapBytes: number;
  /** Input files esbuild pulled in. */
  readonly modules: number;
}

const OUT_DIR = path.join(PROJECT_ROOT, 'dist', 'functions');

const handlers = [
  ...ROUTES.map((route) => ({ name: route.name, kind: 'api' as const, entry: route.entry })),
  ...TASK_FUNCTIONS.map((task) => ({ name: task.name, kind: 'workflow' as const, entry: task.entry })),
  ...SCHEDULES.map((schedule) => ({ name: schedule.name, kind: 'scheduled' as const, entry: schedule.entry })),
];

const missing = handlers.filter((handler) => !existsSync(path.join(PROJECT_ROOT, handler.entry)));
if (missing.length > 0) {
  console.error(`Missing handler files:\n${missing.map((handler) => `  ${handler.entry} (${handler.name})`).join('\n')}`);
  process.exit(1);
}

rmSync(OUT_DIR, { recursive: true, force: true });
mkdirSync(OUT_DIR, { recursive: true });

const bundle = async (handler: (typeof handlers)[number]): Promise<BundleSize> => {
  const outfile = path.join(OUT_DIR, handler.name, LAMBDA_BUNDLE_OPTIONS.outputFileName);
  const result = await build(esbuildOptionsFor(path.join(PROJECT_ROOT, handler.entry), outfile));
  const code = readFileSync(outfile);
  return {
    ...handler,
    bytes: code.length,
    gzipBytes: gzipSync(code).length,
    sourceMapBytes: statSync(`${outfile}.map`).size,
    modules: Object.keys(result.metafile?.inputs ?? {}).length,
  };
};

const kib = (bytes: number): string => `${(bytes / 1024).toFixed(1)} KiB`;

const started = performance.now();
const sizes = await Promise.all(handlers.map(bundle));
const seconds = ((performance.now() - started) / 1000).toFixed(1);

const header = ['function', 'kind', 'index.mjs', 'gzip', 'source map', 'modules'];
const body = sizes.map((size) => [size.name, size.kind, kib(size.bytes), kib(size.gzipBytes), kib(size.sourceMapBytes), String(size.modules)]);
const widths = header.map((title, column) => Math.max(title.length, ...body.map((row) => (row[column] ?? '').length)));
/** Names left-aligned, numbers right-aligned. */
const formatRow = (row: readonly string[]): string =>
  row.map((cell, column) => (column < 2 ? cell.padEnd(widths[column] ?? 0) : cell.padStart(widths[column] ?? 0))).join('  ');

console.log(formatRow(header));
console.log(widths.map((width) => '-'.repeat(width)).join('  '));
for (const row of body) console.log(formatRow(row));
const total = sizes.reduce((sum, size) => sum + size.bytes, 0);
console.log(`\n${sizes.length} bundles, ${kib(total)} in total, built in ${seconds} s -> ${path.relative(PROJECT_ROOT, OUT_DIR)}/`);

writeFileSync(
  path.join(OUT_DIR, 'sizes.json'),
  `${JSON.stringify({ target: LAMBDA_BUNDLE_OPTIONS.target, format: LAMBDA_BUNDLE_OPTIONS.format, functions: sizes }, null, 2)}\n`,
);
