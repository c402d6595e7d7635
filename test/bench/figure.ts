/**
 * Runs one benchmark module in this (fresh) process and writes its result as JSON:
 *   node --import tsx test/bench/figure.ts <figure id> <result file>
 * run.ts starts one such process per figure: the handlers read their configuration once at
 * import, so each figure gets its own local cloud in its own process.
 */
import { writeFileSync } from 'node:fs';
import type { FigureResult } from './results';

const FIGURES: Record<string, () => Promise<{ measure: () => Promise<FigureResult> }>> = {
  api: () => import('./api-throughput'),
  bundles: () => import('./cold-start-bundles'),
  polling: () => import('./cold-start-polling'),
  gpu: () => import('./gpu-efficiency'),
  scale: () => import('./list-scale'),
  sweep: () => import('./schedule-sweep'),
  gateway: () => import('./inference-gateway'),
  autoscale: () => import('./autoscaling-trace'),
};

const [id, out] = process.argv.slice(2);
if (id && out) {
  // Before the figure's imports: the functions' logger is built when local/cloud is imported, reading its level once
  // (harness.ts setting it in startBenchCloud is too late), and at INFO every task and sweep would print.
  process.env.POWERTOOLS_LOG_LEVEL ??= 'ERROR';
  const load = FIGURES[id];
  if (!load) {
    console.error(`unknown figure ${id}; one of ${Object.keys(FIGURES).join(', ')}`);
    process.exit(2);
  }
  const result = await (await load()).measure();
  writeFileSync(out, JSON.stringify(result, null, 2));
  // Abandoned timers or sockets of the local cloud must not keep a finished figure alive.
  process.exit(0);
}
