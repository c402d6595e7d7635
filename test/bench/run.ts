/**
 * `npm run bench`: runs every figure of issue 8, each in its own Node process with its own
 * local cloud (loopback only, bounded durations), and rewrites docs/performance.md.
 *
 *   npm run bench                      all figures, writes docs/performance.md
 *   npm run bench -- --only api,scale  some figures, prints the report instead of writing it
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, platform, release, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './harness';
import { renderReport, type FigureOutcome } from './report';
import type { FigureResult } from './results';

const FIGURES: { id: string; title: string; timeoutSeconds: number }[] = [
  { id: 'api', title: 'API throughput and latency', timeoutSeconds: 240 },
  // ~300 fresh Node processes (7 import rounds of every bundle and baseline): over 240 s on the shared 2-core machine.
  { id: 'bundles', title: 'Lambda cold start: bundle size and import time', timeoutSeconds: 480 },
  { id: 'polling', title: 'Cold-start overhead of readiness polling (adaptive vs fixed 10 s)', timeoutSeconds: 600 },
  { id: 'gpu', title: 'GPU efficiency of a mixed workload', timeoutSeconds: 180 },
  { id: 'scale', title: 'List latency and reads vs deployments per project', timeoutSeconds: 240 },
  { id: 'sweep', title: 'Schedule sweep at 10,000 deployments', timeoutSeconds: 400 },
  { id: 'gateway', title: 'Inference gateway overhead', timeoutSeconds: 240 },
  // A 900-cluster-second trace at time scale 0.25 (~4 min) after four cold starts, then a wake.
  { id: 'autoscale', title: 'Load autoscaling on a bursty trace', timeoutSeconds: 480 },
];

const onlyArg = process.argv.indexOf('--only');
const only = onlyArg >= 0 ? new Set((process.argv[onlyArg + 1] ?? '').split(',').filter(Boolean)) : undefined;
const unknown = [...(only ?? [])].filter((id) => !FIGURES.some((f) => f.id === id));
if (unknown.length > 0) {
  console.error(`unknown figure(s) ${unknown.join(', ')}; choose from ${FIGURES.map((f) => f.id).join(', ')}`);
  process.exit(2);
}
const selected = FIGURES.filter((f) => !only || only.has(f.id));

const runFigure = (id: string, timeoutSeconds: number, out: string): Promise<void> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'test/bench/figure.ts'), id, out], { cwd: ROOT, stdio: ['ignore', 'inherit', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-4000);
      process.stderr.write(chunk);
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutSeconds * 1000);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new Error(signal ? `killed (${signal}) after the ${timeoutSeconds} s limit` : `exit ${code}: ${stderr.trim().split('\n').slice(-3).join(' ')}`));
    });
  });

const git = (...args: string[]): string => {
  try {
    return execFileSync('git', args, { cwd: ROOT, encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
};

const started = performance.now();
const scratch = mkdtempSync(join(tmpdir(), 'gpu-cp-bench-results-'));
const outcomes: FigureOutcome[] = [];
try {
  for (const figure of selected) {
    const t0 = performance.now();
    console.log(`[bench] ${figure.id}: ${figure.title} ...`);
    const out = join(scratch, `${figure.id}.json`);
    try {
      await runFigure(figure.id, figure.timeoutSeconds, out);
      const result = JSON.parse(readFileSync(out, 'utf8')) as FigureResult;
      outcomes.push({ id: figure.id, title: figure.title, result });
      const summary = result.rows.filter((r) => r.met !== 'n/a').map((r) => `${r.met === 'yes' ? 'met' : 'MISSED'}: ${r.measure} (${r.value} vs ${r.baseline})`);
      console.log(`[bench] ${figure.id} done in ${Math.round((performance.now() - t0) / 1000)} s${summary.length ? `\n  ${summary.join('\n  ')}` : ''}`);
    } catch (error) {
      outcomes.push({ id: figure.id, title: figure.title, error: (error as Error).message });
      console.error(`[bench] ${figure.id} FAILED: ${(error as Error).message}`);
    }
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}

const dirty = git('status', '--porcelain', '--untracked-files=no') ? ' (with uncommitted changes)' : '';
const report = renderReport(
  {
    command: only ? `npm run bench -- --only ${[...only].join(',')}` : 'npm run bench',
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    nproc: availableParallelism(),
    cpu: cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    platform: `${platform()} ${release()}`,
    commit: `${git('rev-parse', '--short', 'HEAD')}${dirty}`,
    totalSeconds: (performance.now() - started) / 1000,
  },
  outcomes,
);
if (only) {
  console.log(report);
} else {
  writeFileSync(join(ROOT, 'docs', 'performance.md'), report);
  console.log(`[bench] wrote docs/performance.md in ${Math.round((performance.now() - started) / 1000)} s`);
}
process.exit(outcomes.some((o) => o.error) ? 1 : 0);
