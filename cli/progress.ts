/**
 * `--wait`: polls the deployment and shows where it is: phase, time waited, the API's ETA and
 * the cold-start milestones as they are stamped. On a terminal one line is redrawn in place;
 * otherwise (a pipe, a CI log) one line is printed per change.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { MILESTONES } from '../functions/domain/deployment';
import { ApiError, type Client, type Json } from './client';
import { duration } from './output';

/** ready: serving; scaled: serving with no scale in flight; paused: scaled to 0 (status initializing); gone: 404. */
export type WaitGoal = 'ready' | 'scaled' | 'paused' | 'gone';

export class DeploymentFailedError extends Error {
  constructor(readonly deployment: Json) {
    super(`deployment ${deployment.id} failed${deployment.fail_reason ? `: ${deployment.fail_reason}` : ''} (phase ${deployment.phase}); see gpuctl events ${deployment.id}`);
  }
}
export class WaitTimeoutError extends Error {}

export interface WaitOptions {
  intervalMs: number;
  timeoutMs: number;
  /** Where progress goes (stderr: stdout stays for the result). */
  out: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
}

const reached = (d: Json): string[] => MILESTONES.filter((m) => d?.timeline?.[m]);

/** "nodes_ready +42s" for each stamped milestone, relative to `accepted`. */
const milestoneText = (d: Json, names: string[]): string => {
  const start = Date.parse(d?.timeline?.accepted ?? d?.created_at ?? '');
  return names.map((m) => `${m} +${duration((Date.parse(d.timeline[m]) - start) / 1000)}`).join(', ');
};

const etaText = (d: Json, now: number): string => {
  const at = d?.eta?.expected_ready_at;
  if (!at) return '';
  const left = (Date.parse(at) - now) / 1000;
  return left >= 0 ? `ETA ${duration(left)}` : `ETA passed ${duration(-left)} ago`;
};

const isDone = (goal: WaitGoal, d: Json): boolean => {
  switch (goal) {
    case 'ready':
      return d.status === 'ready';
    case 'scaled':
      return d.status === 'ready' && d.phase === 'ready';
    case 'paused':
      return d.phase === 'paused';
    case 'gone':
      return false;
  }
};

/** Polls until the goal holds; returns the last deployment seen (undefined once gone). */
export const waitForDeployment = async (client: Client, id: string, goal: WaitGoal, options: WaitOptions): Promise<Json | undefined> => {
  const path = `${client.deploymentsPath()}/${encodeURIComponent(id)}`;
  const started = Date.now();
  const tty = options.out.isTTY === true;
  let lastKey = '';
  let shown: string[] = [];
  const finishLine = () => tty && options.out.write('\n');

  for (;;) {
    let d: Json | undefined;
    try {
      d = (await client.request('GET', path)).body;
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 404)) throw error;
      if (goal !== 'gone') throw error;
      d = undefined;
    }
    const now = Date.now();
    const elapsed = duration((now - started) / 1000);
    if (d === undefined) {
      if (tty) options.out.write(`\r\x1b[2K${id} deleted after ${elapsed}\n`);
      else options.out.write(`[${elapsed}] ${id} deleted\n`);
      return undefined;
    }

    // The milestones are the deploy's cold start (stamped once): news only while deploying.
    const milestones = goal === 'ready' ? reached(d) : [];
    const status = `${d.status}/${d.phase}`;
    if (tty) {
      // The newest milestone and how far along the list it is, so the line fits a terminal.
      const latest = milestones.at(-1);
      const progress = latest ? `milestone ${milestones.length}/${MILESTONES.length} ${milestoneText(d, [latest])}` : '';
      const parts = [`${id}`, status, `waited ${elapsed}`, etaText(d, now), progress];
      const line = parts.filter(Boolean).join('  ');
      options.out.write(`\r\x1b[2K${line.slice(0, Math.max(20, (options.out.columns || 120) - 1))}`);
    } else {
      const key = `${status} ${d.replicas}`;
      if (key !== lastKey) options.out.write(`[${elapsed}] ${id} ${status}${d.replicas === undefined ? '' : ` replicas=${d.replicas}`}${etaText(d, now) ? ` ${etaText(d, now)}` : ''}\n`);
      for (const m of milestones.filter((name) => !shown.includes(name))) options.out.write(`[${elapsed}] ${id} milestone ${milestoneText(d, [m])}\n`);
      lastKey = key;
    }
    shown = milestones;

    if (isDone(goal, d)) {
      finishLine();
      return d;
    }
    if (d.status === 'failed') {
      finishLine();
      throw new DeploymentFailedError(d);
    }
    if (now - started > options.timeoutMs) {
      finishLine();
      throw new WaitTimeoutError(`gave up waiting after ${duration(options.timeoutMs / 1000)}: ${id} is ${status}; it goes on (gpuctl get ${id})`);
    }
    await sleep(options.intervalMs);
  }
};
