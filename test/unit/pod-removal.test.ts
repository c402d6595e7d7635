import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MAX_REMOVAL_POLLS, maxRemovalWaitSeconds, podsToForceDelete, removalWaitSeconds } from '../../functions/domain/pod-removal';

/** Step Functions Standard: an execution fails once its history reaches 25,000 events. */
const HISTORY_LIMIT = 25_000;

interface AslState {
  Type: string;
  Next?: string;
  Retry?: { ErrorEquals: string[]; MaxAttempts?: number }[];
  Choices?: { Next: string }[];
  Default?: string;
}

const machine = (name: string): Record<string, AslState> =>
  (JSON.parse(readFileSync(`statemachines/${name}.asl.json`, 'utf8')) as { States: Record<string, AslState> }).States;

/**
 * The most history events one visit of a state can write. A Lambda task: TaskStateEntered,
 * LambdaFunctionScheduled/Started/Succeeded, TaskStateExited, plus Scheduled/Started/Failed for
 * every retry (each retrier counts its own attempts, so in the worst case all of them run out).
 * Choice, Wait and Pass: Entered and Exited.
 */
const worstEvents = (state: AslState): number => {
  if (state.Type !== 'Task') return 2;
  const retries = (state.Retry ?? []).reduce((sum, r) => sum + (r.MaxAttempts ?? 3), 0);
  return 5 + 3 * retries;
};

describe('the pod wait of the removal loops (m1)', () => {
  it('grows from 2 s to a 60 s cap, and gives up after about 12 minutes', () => {
    const waits = Array.from({ length: MAX_REMOVAL_POLLS }, (_, i) => removalWaitSeconds(i + 1));
    expect(waits.slice(0, 6)).toEqual([2, 3, 5, 7, 10, 15]);
    for (let i = 1; i < waits.length; i++) expect(waits[i]).toBeGreaterThanOrEqual(waits[i - 1]!);
    expect(Math.max(...waits)).toBe(60);
    // Long past the 30 s grace period and a lost node's 40 s NotReady detection; short enough to end the execution.
    expect(maxRemovalWaitSeconds()).toBeGreaterThan(5 * 60);
    expect(maxRemovalWaitSeconds()).toBeLessThan(15 * 60);
  });

  for (const [name, loop] of [
    ['delete', ['RemoveWorkload', 'PodsGone?', 'WaitForPodsToStop']],
    ['deploy', ['RemoveFailedWorkload', 'FailedPodsGone?', 'WaitForFailedPods']],
    ['scale', ['RemoveFailedWorkload', 'FailedPodsGone?', 'WaitForFailedPods']],
  ] as const) {
    it(`keeps the ${name} workflow's removal loop far below the 25,000-event history limit`, () => {
      const states = machine(name);
      for (const state of loop) expect(states[state], `${name} has ${state}`).toBeDefined();
      const removal = states[loop[0]]!;
      expect(removal.Next).toBe(loop[1]);
      expect(states[loop[2]]!.Next).toBe(loop[0]);
      const perPoll = loop.reduce((sum, state) => sum + worstEvents(states[state]!), 0);
      expect(perPoll * MAX_REMOVAL_POLLS).toBeLessThan(HISTORY_LIMIT / 20);
      if (name === 'delete') {
        // The delete workflow has no other loop: every other state once at its worst, and the execution's own events.
        const rest = Object.entries(states).filter(([state]) => !(loop as readonly string[]).includes(state)).reduce((sum, [, s]) => sum + worstEvents(s), 0);
        expect(perPoll * MAX_REMOVAL_POLLS + rest + 2).toBeLessThan(HISTORY_LIMIT / 10);
      }
    });
  }

  it('the delete workflow counts its polls: the removal task gets the counter it returned', () => {
    const states = machine('delete');
    const start = Object.entries(states).find(([, s]) => s.Type === 'Pass' && s.Next === 'RemoveWorkload');
    expect(start?.[1]).toMatchObject({ Result: { attempts: 0 }, ResultPath: '$.removal' });
    expect(states.RemoveWorkload).toMatchObject({ Parameters: { 'removal.$': '$.removal' }, ResultPath: '$.removal' });
    expect(states.WaitForPodsToStop).toMatchObject({ SecondsPath: '$.removal.wait_seconds' });
  });
});

describe('pods force-deleted by the removal (m1)', () => {
  const now = new Date('2026-01-01T00:10:00Z');
  const pod = (name: string, nodeName: string | undefined, deletedSecondsAgo: number | undefined, grace = 30) => ({
    name,
    nodeName,
    deletionTimestamp: deletedSecondsAgo === undefined ? undefined : new Date(now.getTime() - deletedSecondsAgo * 1000),
    gracePeriodSeconds: grace,
  });

  it('only pods asked to stop, past their grace period, on a node that cannot confirm it', () => {
    const pods = [
      pod('lost-and-late', 'node-lost', 45),
      pod('lost-in-grace', 'node-lost', 10),
      pod('ready-node', 'node-ok', 600),
      pod('not-deleted', 'node-lost', undefined),
      pod('unscheduled', undefined, 600),
    ];
    expect(podsToForceDelete(pods, new Set(['node-lost']), now)).toEqual(['lost-and-late']);
    expect(podsToForceDelete(pods, new Set(), now)).toEqual([]);
  });
});
