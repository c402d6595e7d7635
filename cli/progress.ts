/**
 * `--wait`: polls the deployment and shows where it is: phase, time waited, the API's ETA, the
 * cold-start milestones as they are stamped, and each replica (pod) with its phase, readiness,
 * restarts and last log line (from the logs route, one line per pod). Each poll shows its
 * milestones before its status, so the timeline never follows the line that says the goal was
 * reached. On a terminal the milestones stay as lines and a live block under them (the status
 * line with a bar of the milestones reached, then one line per replica) is redrawn in place;
 * otherwise (a pipe, a CI log) one line is printed per change.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { MILESTONES } from '../functions/domain/deployment';
import type { Deployment, Logs } from './api';
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
type Pod = Logs['pods'][number];

/**
 * The deployment's pods as the logs route sees them (last log line only). Progress is a view:
 * a failed read (no pod yet, a transient error) shows no replicas rather than ending the wait.
 */
const podsOf = async (client: Client, id: string): Promise<Pod[]> => {
  try {
    const logs = await client.call('get-deployment-logs', { model_id: id }, { query: { tail_lines: '1' } });
    return Array.isArray(logs?.pods) ? logs.pods : [];
  } catch {
    return [];
  }
};

const podState = (pod: Pod): string => `${pod.phase}${pod.ready ? ' ready' : ''}`;
const lastLogLine = (pod: Pod): string => (pod.error ?? pod.log.trimEnd().split('\n').at(-1) ?? '').trim();

/** One terminal line per replica: name, phase and readiness, restarts, what its server said last. */
const replicaLine = (pod: Pod): string =>
  `    ${[pod.name, podState(pod), pod.restarts > 0 ? `restarts ${pod.restarts}` : '', lastLogLine(pod)].filter(Boolean).join('  ')}`;

/** Moves from the last line of a block of `lines` lines to its first, clearing each. */
const clearBlock = (lines: number): string => `\r\x1b[2K${'\x1b[1A\r\x1b[2K'.repeat(Math.max(0, lines - 1))}`;

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
  /** Lines of the live block on the terminal (the status line and the replica lines). */
  let drawn = 1;
  /** Piped: each replica's last printed state. */
  const podKeys = new Map<string, string>();
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
      if (tty) options.out.write(`${clearBlock(drawn)}${id} deleted after ${elapsed}\n`);
      else options.out.write(`[${elapsed}] ${id} deleted\n`);
      return undefined as Waited<Goal>;
    }

    // The milestones are the deploy's cold start (stamped once): news only while deploying.
    const milestones = goal === 'ready' ? reached(d) : [];
    const fresh = milestones.filter((name) => !shown.includes(name));
    const status = `${d.status}/${d.phase}`;
    const eta = isDone(goal, d) ? '' : etaText(d, now);
    const pods = await podsOf(client, id);
    if (tty) {
      // Finished milestones scroll up as lines; the live block below them is redrawn each poll.
      const width = Math.max(20, (options.out.columns || 120) - 1);
      let screen = clearBlock(drawn);
      for (const m of fresh) screen += `  ${m === 'ready' ? '*' : '+'} ${milestoneText(d, [m])}\n\r\x1b[2K`;
      const bar = goal === 'ready' ? `[${'#'.repeat(milestones.length)}${'.'.repeat(MILESTONES.length - milestones.length)}] ${milestones.length}/${MILESTONES.length}` : '';
      const parts = [`${id}`, status, d.replicas === undefined ? '' : `replicas ${d.replicas}`, bar, `waited ${elapsed}`, eta];
      const block = [parts.filter(Boolean).join('  '), ...pods.map(replicaLine)].map((line) => line.slice(0, width));
      options.out.write(screen + block.join('\n\r\x1b[2K'));
      drawn = block.length;
    } else {
      // One line per replica whose phase, readiness or restarts changed, and one when it is gone;
      // then the milestones the pods led to, then the status: the last line says whether the goal holds.
      for (const pod of pods) {
        const podKey = `${podState(pod)} restarts=${pod.restarts}`;
        if (podKeys.get(pod.name) !== podKey) options.out.write(`[${elapsed}] ${id} replica ${pod.name} ${podKey}\n`);
        podKeys.set(pod.name, podKey);
      }
      for (const name of [...podKeys.keys()].filter((name) => !pods.some((pod) => pod.name === name))) {
        options.out.write(`[${elapsed}] ${id} replica ${name} gone\n`);
        podKeys.delete(name);
      }
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
