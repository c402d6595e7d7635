/**
 * What the simulator's own tests share: simulators that are closed after each test, and a poll
 * that waits until a probe answers (the simulator's controllers act asynchronously).
 */
import { afterEach } from 'vitest';
import { startSimulator, type RunningSimulator, type SimulatorOptions } from '../../local/sim/index.js';

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls every 10 ms until `probe` returns something other than undefined/false, or fails naming `what` after `timeoutMs`. */
export const waitFor = async <T>(what: string, probe: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 5000): Promise<T> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(10);
  }
};

/** A `startSimulator` whose simulators this test file closes after each test. Call it at the file's top level. */
export const simulatorsClosedAfterEach = (): ((options: SimulatorOptions) => Promise<RunningSimulator>) => {
  const running: RunningSimulator[] = [];
  afterEach(async () => {
    await Promise.all(running.splice(0).map((sim) => sim.close()));
  });
  return async (options) => {
    const sim = await startSimulator(options);
    running.push(sim);
    return sim;
  };
};
