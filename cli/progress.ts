/**
 * `--wait`: polls the deployment and shows where it is: phase, time waited, the API's ETA and
 * the cold-start milestones as they are stamped. Each poll shows its milestones before its status,
 * so the timeline never follows the line that says the goal was reached. On a terminal the
 * milestones stay as lines and one status line under them (with a bar of the milestones reached)
 * is redrawn in place; otherwise (a pipe, a CI log) one line is printed per change.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { MILESTONES } from '../functions/domain/deployment';
import type { Deployment } from './api';
import { ApiError, type Client } from './client';
import { duration } from './output';

/** ready: serving; scaled: serving with no scale in flight; paused: scaled to 0 (status initializing); gone: 404. */
export type WaitGoal = 'ready' | 'scaled' | 'paused' | 'gone';

export class DeploymentFailedError extends Error {
  constructor(readonly deployment: Deployment) {
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

type Milestone = (typeof MILESTONES)[number];

const reached = (d: Deployment): Milestone[] => MILESTONES.filter((m) => d.timeline[m]);

/** "nodes_ready +42s" for each stamped milestone, relative to `accepted`. */
const milestoneText = (d: Deployment, names: Milestone[]): string => {
  const start = Date.parse(d.timeline.accepted ?? d.created_at);
  return names.map((m) => `${m} +${duration((Date.parse(d.timeline[m] ?? '') - start) / 1000)}`).join(', ');
};

const etaText = (d: Deployment, now: number): string => {
  const at = d.eta?.expected_ready_at;
  if (!at) return '';
  const left = (Date.parse(at) - now) / 1000;
  return left >= 0 ? `ETA ${duration(left)}` : `ETA passed ${duration(-left)} ago`;
};

const isDone = (goal: WaitGoal, d: Deployment): boolean => {
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

/** What a wait returns: the last deployment seen, nothing once gone. */
type Waited<Goal extends WaitGoal> = Goal extends 'gone' ? undefined : Deployment;

/** Polls until the goal holds; returns the last deployment seen (undefined once gone). */
export const waitForDeployment = async <Goal extends WaitGoal>(client: Client, id: string, goal: Goal, options: WaitOptions): Promise<Waited<Goal>> => {
  const started = Date.now();
  const tty = options.out.isTTY === true;
  let lastKey = '';
  let shown: Milestone[] = [];
  const finishLine = () => tty && options.out.write('\n');

  for (;;) {
    let d: Deployment | undefined;
    try {
      d = await client.call('get-deployment', { model_id: id });
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
      return undefined as Waited<Goal>;
    }

    // The milestones are the deploy's cold start (stamped once): news only while deploying.
    const milestones = goal === 'ready' ? reached(d) : [];
    const fresh = milestones.filter((name) => !shown.includes(name));
    const status = `${d.status}/${d.phase}`;
    const eta = isDone(goal, d) ? '' : etaText(d, now);
    if (tty) {
      // Finished milestones scroll up as lines; the status line below them is redrawn each poll.
      for (const m of fresh) options.out.write(`\r\x1b[2K  ${m === 'ready' ? '*' : '+'} ${milestoneText(d, [m])}\n`);
      const bar = goal === 'ready' ? `[${'#'.repeat(milestones.length)}${'.'.repeat(MILESTONES.length - milestones.length)}] ${milestones.length}/${MILESTONES.length}` : '';
      const parts = [`${id}`, status, d.replicas === undefined ? '' : `replicas ${d.replicas}`, bar, `waited ${elapsed}`, eta];
      const line = parts.filter(Boolean).join('  ');
      options.out.write(`\r\x1b[2K${line.slice(0, Math.max(20, (options.out.columns || 120) - 1))}`);
    } else {
      for (const m of fresh) options.out.write(`[${elapsed}] ${id} milestone ${milestoneText(d, [m])}\n`);
      const key = `${status} ${d.replicas}`;
      if (key !== lastKey) options.out.write(`[${elapsed}] ${id} ${status}${d.replicas === undefined ? '' : ` replicas=${d.replicas}`}${eta ? ` ${eta}` : ''}\n`);
      lastKey = key;
    }
    shown = milestones;

    if (isDone(goal, d)) {
      finishLine();
      return d as Waited<Goal>;
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
