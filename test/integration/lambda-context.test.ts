/**
 * Every handler the local cloud invokes gets its own Lambda context, as the Lambda runtime
 * gives it: locally all functions share one process and one Powertools logger, and a
 * scheduled reconcile without a context logged the function name and request id of the last
 * API call (issue 17). The timer is off here: handlers that run at the same moment still share
 * the one logger locally (in AWS each function is its own process), which docs/architecture.md (Local cloud) notes.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { logger } from '../../functions/commons/logger';
import { BASE, startTestCloud, type TestCloud } from '../support/local-cloud';

let t: TestCloud;
beforeAll(async () => {
  t = await startTestCloud(0.01, { cron: false });
});
afterAll(async () => t?.close());

/** The JSON log lines written while `run` runs, at INFO so the reconcile's report is among them. */
const logLines = async (run: () => Promise<unknown>): Promise<Record<string, unknown>[]> => {
  const written: string[] = [];
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    written.push(String(chunk));
    return true;
  });
  const level = logger.getLevelName();
  logger.setLogLevel('INFO');
  try {
    await run();
  } finally {
    logger.setLogLevel(level);
    spy.mockRestore();
  }
  return written
    .flatMap((chunk) => chunk.split('\n'))
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
};

describe('Lambda context of locally invoked handlers', () => {
  it('a scheduled reconcile after an API call logs as the reconcile function, not as the API route', async () => {
    const lines = await logLines(async () => {
      expect((await t.api('GET', BASE)).status).toBe(200);
      await t.cloud.runSchedule('reconcile');
    });
    const report = lines.find((line) => line.message === 'reconcile report');
    expect(report, JSON.stringify(lines.map((l) => l.message))).toBeDefined();
    expect(report).toMatchObject({ function_name: 'gpu-control-plane-reconcile', function_arn: expect.stringMatching(/:function:gpu-control-plane-reconcile$/) });
    expect(report?.routeKey).toBeUndefined();
    const apiRequestIds = new Set(lines.filter((line) => String(line.function_name).includes('list-deployments')).map((line) => line.function_request_id));
    expect(apiRequestIds.has(report?.function_request_id)).toBe(false);
  });
});
