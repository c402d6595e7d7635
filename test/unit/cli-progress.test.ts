/**
 * `--wait`'s progress (cli/progress.ts) against a scripted deployment: the milestones of a poll
 * come before its status line, so the last thing said is that the goal holds; on a terminal the
 * milestones stay as lines and the status line is redrawn in place.
 */
import { describe, expect, it } from 'vitest';
import type { Deployment, Logs } from '../../cli/api';
import type { Client } from '../../cli/client';
import { waitForDeployment } from '../../cli/progress';

const at = (s: number) => new Date(Date.UTC(2026, 11, 6, 12, 0, s)).toISOString();
const polls: Partial<Deployment>[] = [
  { status: 'initializing', phase: 'provisioning_nodes', replicas: 1, timeline: { accepted: at(0) }, eta: { expected_ready_at: new Date(Date.now() + 600_000).toISOString(), based_on: 'model_size', samples: 0 } },
  {
    status: 'initializing',
    phase: 'loading_model',
    replicas: 1,
    timeline: { accepted: at(0), capacity_reserved: at(1), nodes_ready: at(40), scheduled: at(41), image_pulled: at(70), model_loading: at(71) },
  },
  {
    status: 'ready',
    phase: 'ready',
    replicas: 1,
    timeline: { accepted: at(0), capacity_reserved: at(1), nodes_ready: at(40), scheduled: at(41), image_pulled: at(70), model_loading: at(71), ready: at(95) },
  },
];

type Pods = Logs['pods'];
const pod = (name: string, phase: string, ready: boolean, log: string, restarts = 0): Pods[number] => ({ name, phase, ready, restarts, log });

/**
 * A client answering get-deployment with the next scripted poll, and the logs route with that
 * poll's pods (none by default: the route answers 404 before the first pod exists).
 */
const scripted = (pods: (Pods | 'error')[] = []): Client => {
  let next = 0;
  return {
    call: async (name: string) => {
      if (name === 'get-deployment') return { id: 'dep-1', created_at: at(0), ...polls[Math.min(next++, polls.length - 1)] };
      const answer = pods[next - 1] ?? [];
      if (answer === 'error') throw new Error('logs unavailable');
      return { deployment_id: 'dep-1', pods: answer };
    },
  } as unknown as Client;
};

/**
 * What a terminal shows after `text`: \r to column 0, \n down a row, ESC[2K erases the row,
 * ESC[1A moves up one (the only sequences progress writes).
 */
const terminal = (text: string): string[] => {
  const rows: string[] = [''];
  let row = 0;
  // eslint-disable-next-line no-control-regex -- the terminal sequences are what is interpreted
  for (const token of text.match(/\x1b\[2K|\x1b\[1A|\r|\n|[^\x1b\r\n]+/g) ?? []) {
    if (token === '\x1b[2K') rows[row] = '';
    else if (token === '\x1b[1A') row = Math.max(0, row - 1);
    else if (token === '\n') rows[++row] ??= '';
    else if (token !== '\r') rows[row] += token;
  }
  return rows.filter((line, index) => line !== '' || index < rows.length - 1);
};

const sink = (isTTY: boolean) => {
  let text = '';
  return { out: { isTTY, columns: 200, write: (chunk: string) => ((text += chunk), true) } as unknown as NodeJS.WritableStream & { isTTY: boolean }, text: () => text };
};

const twoReplicas: (Pods | 'error')[] = [
  'error',
  [pod('dep-1-abc', 'Pending', false, ''), pod('dep-1-def', 'Running', false, 'INFO Loading weights took 12.3 s')],
  [pod('dep-1-abc', 'Running', true, 'INFO Application startup complete.\n'), pod('dep-1-def', 'Running', true, 'INFO Application startup complete.', 1)],
];

describe('gpuctl --wait progress', () => {
  it('prints each poll\'s milestones before its status, ending with the ready status (no pipe redraws)', async () => {
    const { out, text } = sink(false);
    const ready = await waitForDeployment(scripted(), 'dep-1', 'ready', { intervalMs: 0, timeoutMs: 60_000, out });
    expect(ready.status).toBe('ready');
    const lines = text().trimEnd().split('\n').map((line) => line.replace(/^\[\d+s\] dep-1 /, ''));
    expect(lines).toEqual([
      'milestone accepted +0s',
      expect.stringMatching(/^initializing\/provisioning_nodes replicas=1 ETA (9m5\ds|10m00s)$/),
      'milestone capacity_reserved +1s',
      'milestone nodes_ready +40s',
      'milestone scheduled +41s',
      'milestone image_pulled +1m10s',
      'milestone model_loading +1m11s',
      'initializing/loading_model replicas=1',
      'milestone ready +1m35s',
      'ready/ready replicas=1',
    ]);
    expect(text()).not.toContain('\r');
  });

  it('on a terminal keeps the milestones as lines and redraws one status line under them, left on the ready status', async () => {
    const { out, text } = sink(true);
    await waitForDeployment(scripted(), 'dep-1', 'ready', { intervalMs: 0, timeoutMs: 60_000, out });
    const screen = text();
    expect(screen.endsWith('\n')).toBe(true);
    // What a terminal shows: each \r\x1b[2K clears the line it starts.
    const shown = screen
      .split('\n')
      .map((line) => line.split('\r\x1b[2K').at(-1))
      .filter(Boolean);
    expect(shown).toEqual([
      '  + accepted +0s',
      '  + capacity_reserved +1s',
      '  + nodes_ready +40s',
      '  + scheduled +41s',
      '  + image_pulled +1m10s',
      '  + model_loading +1m11s',
      '  * ready +1m35s',
      expect.stringMatching(/^dep-1 {2}ready\/ready {2}replicas 1 {2}\[#######\] 7\/7 {2}waited \d+s$/),
    ]);
    // The status line was redrawn in place on the way (the first poll's, with its bar and ETA).
    // eslint-disable-next-line no-control-regex -- the terminal's erase-line sequence is what is checked
    expect(screen).toMatch(/\r\x1b\[2Kdep-1 {2}initializing\/provisioning_nodes {2}replicas 1 {2}\[#\.{6}\] 1\/7 {2}waited \d+s {2}ETA /);
  });

  it('on a terminal redraws one line per replica under the status line, ending with every replica ready', async () => {
    const { out, text } = sink(true);
    await waitForDeployment(scripted(twoReplicas), 'dep-1', 'ready', { intervalMs: 0, timeoutMs: 60_000, out });
    expect(terminal(text())).toEqual([
      '  + accepted +0s',
      '  + capacity_reserved +1s',
      '  + nodes_ready +40s',
      '  + scheduled +41s',
      '  + image_pulled +1m10s',
      '  + model_loading +1m11s',
      '  * ready +1m35s',
      expect.stringMatching(/^dep-1 {2}ready\/ready {2}replicas 1 {2}\[#######\] 7\/7 {2}waited \d+s$/),
      '    dep-1-abc  Running ready  INFO Application startup complete.',
      '    dep-1-def  Running ready  restarts 1  INFO Application startup complete.',
    ]);
    // The second poll's block as it stood until the third poll moved up to redraw it.
    const second = terminal(text().slice(0, text().indexOf('\r\x1b[2K\x1b[1A')));
    expect(second.slice(-3)).toEqual([
      expect.stringMatching(/^dep-1 {2}initializing\/loading_model {2}replicas 1 {2}\[#{6}\.\] 6\/7 {2}waited \d+s$/),
      '    dep-1-abc  Pending',
      '    dep-1-def  Running  INFO Loading weights took 12.3 s',
    ]);
  });

  it('cuts replica lines to the terminal width', async () => {
    const { out, text } = sink(true);
    (out as unknown as { columns: number }).columns = 30;
    await waitForDeployment(scripted(twoReplicas), 'dep-1', 'ready', { intervalMs: 0, timeoutMs: 60_000, out });
    for (const line of terminal(text())) expect(line.length).toBeLessThanOrEqual(29);
  });

  it('piped: one plain line per replica change, and when a replica is gone', async () => {
    const { out, text } = sink(false);
    const gone: (Pods | 'error')[] = [...twoReplicas.slice(0, 2), [pod('dep-1-def', 'Running', true, 'ok')]];
    await waitForDeployment(scripted(gone), 'dep-1', 'ready', { intervalMs: 0, timeoutMs: 60_000, out });
    const lines = text().trimEnd().split('\n').map((line) => line.replace(/^\[\d+s\] dep-1 /, ''));
    expect(lines.filter((line) => line.startsWith('replica '))).toEqual([
      'replica dep-1-abc Pending restarts=0',
      'replica dep-1-def Running restarts=0',
      'replica dep-1-def Running ready restarts=0',
      'replica dep-1-abc gone',
    ]);
    // Each poll's replicas, then its milestones, then its status: the last line says the goal holds.
    expect(lines.slice(-4)).toEqual(['replica dep-1-def Running ready restarts=0', 'replica dep-1-abc gone', 'milestone ready +1m35s', 'ready/ready replicas=1']);
    expect(text()).not.toContain('\r');
    expect(text()).not.toContain('\x1b');
  });
});
