/**
 * Schedule sweep at 10,000 deployments: all of them have the same evening window (0 replicas
 * at 20:00 on weekdays in Europe/Berlin), so one sweep finds 10,000 due at once, claims each,
 * starts 10,000 scale executions (bounded concurrency) and writes 10,000 next due times.
 * Measured in one process against the local cloud (startBenchCloud: IAM enforced, the sweep
 * runs as its function), the scale state machine replaced by a single Succeed state
 * (StartExecution is real, the 10,000 executions do no cluster work). Items read are counted by
 * a middleware on the sweeper's own DynamoDB client (ScannedCount of every Query, 1 per GetItem).
 *
 *   npx tsx test/bench/schedule-sweep.ts         prints the figures
 *   npm run bench -- --only sweep                 as part of docs/performance.md
 */
import { ListExecutionsCommand, SFNClient } from '@aws-sdk/client-sfn';
import { fileURLToPath } from 'node:url';
import { runAsFunction } from '../../local/identity';
import { aDeployment } from '../support/in-memory/records';
import { startBenchCloud } from './harness';
import { fmt, metWhen, table, type FigureResult } from './results';
import { writeItems } from './seed';

const DEPLOYMENTS = 10_000;
const PREFIX = 'gpu-control-plane';
/** The sweeper's function: its calls are authorized against its role, as in AWS. */
const SWEEP_FUNCTION = `${PREFIX}-schedule-sweep`;
/** The budget a sweep has (the Lambda's timeout less a margin, infra: scheduled functions 300 s). */
const BUDGET_MS = 240_000;
const ORG = 'org-bench';

interface Counters {
  calls: number;
  itemsRead: number;
}

/** Executions of the scale state machine, counted through the SFN API. */
const countExecutions = async (endpoint: string, stateMachineArn: string): Promise<number> => {
  const client = new SFNClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  let count = 0;
  let nextToken: string | undefined;
  do {
    const page = await client.send(new ListExecutionsCommand({ stateMachineArn, nextToken, maxResults: 1000 }));
    count += page.executions?.length ?? 0;
    nextToken = page.nextToken;
  } while (nextToken);
  client.destroy();
  return count;
};

export const measure = async (): Promise<FigureResult> => {
  const started = performance.now();
  const cloud = await startBenchCloud({ timeScale: 1, succeedingScale: true });
  try {
    const { dueKey } = await import('../../functions/adapters/schedule-due');
    const { documentClient } = await import('../../functions/adapters/dynamodb');
    const { nextFires } = await import('../../functions/domain/schedule');
    const { sweepSchedules } = await import('../../functions/scheduled/schedule-sweep');
    const { newDeploymentId } = await import('../../functions/domain/ids');

    const schedule = { time_zone: 'Europe/Berlin', windows: [{ cron: '0 20 * * 1-5', replicas: 0 }], idle_timeout_minutes: null };
    const window = nextFires(schedule, new Date(), 1)[0]!.at;
    const dueAt = window.toISOString();
    const checked = new Date(window.getTime() - 3_600_000).toISOString();
    const t0 = performance.now();
    const items = Array.from({ length: DEPLOYMENTS }, (_, i) => {
      const id = newDeploymentId(new Date(Date.now() - (DEPLOYMENTS - i) * 1000));
      const project = `prj-${i % 100}`;
      // The unit tests' record builder, without instance counts or usage (the sweep reads neither).
      const { instances: _instances, usage: _usage, ...record } = aDeployment({
        id,
        org_id: ORG,
        project_id: project,
        name: `sweep-${i}`,
        endpoint_url: null,
        created_at: checked,
        updated_at: checked,
        ready_since: checked,
        execution_arn: `arn:aws:states:us-east-1:000000000000:execution:${PREFIX}-deploy:${id}`,
        timeline: {},
        schedule,
        schedule_state: { windows_checked_at: checked },
      });
      return { pk: `TENANT#${ORG}#${project}`, sk: `DEP#${id}`, ...record, schedule_due_at: dueAt, ...dueKey(id, dueAt) };
    });
    await writeItems(cloud.dynamoUrl, items, 8);
    const seedSeconds = (performance.now() - t0) / 1000;

    const counters: Counters = { calls: 0, itemsRead: 0 };
    documentClient.middlewareStack.add(
      (next) => async (args) => {
        const result = await next(args);
        const output = result.output as { ScannedCount?: number; Item?: unknown };
        counters.calls += 1;
        counters.itemsRead += output.ScannedCount ?? (output.Item ? 1 : 0);
        return result;
      },
      { step: 'initialize', name: 'benchReadCounter' },
    );
    const snapshot = () => ({ ...counters });

    const sweepAt = async (at: Date) => {
      const before = snapshot();
      const t = performance.now();
      const report = await runAsFunction(SWEEP_FUNCTION, () => sweepSchedules(at, { budgetMs: BUDGET_MS }));
      return { report, ms: performance.now() - t, calls: counters.calls - before.calls, itemsRead: counters.itemsRead - before.itemsRead };
    };

    const early = await sweepAt(new Date(window.getTime() - 60_000));
    const main = await sweepAt(window);
    const again = await sweepAt(new Date(window.getTime() + 30_000));

    const fired = await countExecutions(cloud.sfnUrl, cloud.stateMachineArns.scale);
    const row = (measure: string, value: string, baseline: string, goal: string, met: 'yes' | 'no' | 'n/a') => ({ measure, value, baseline, ratio: 'n/a', goal, met });
    const rows = [
      row(
        `sweep with ${DEPLOYMENTS.toLocaleString('en-US')} deployments due at once: wall time`,
        `${fmt(main.ms / 1000)} s`,
        `${BUDGET_MS / 1000} s`,
        'within the budget of one invocation, nothing left over',
        metWhen(main.ms < BUDGET_MS && main.report.left_over === 0),
      ),
      row('scale executions started (ListExecutions)', String(fired), String(DEPLOYMENTS), 'one per due deployment, no error', metWhen(fired === DEPLOYMENTS && main.report.errors.length === 0)),
      row('items read by that sweep (index Query + the scale use case reads)', String(main.itemsRead), `${DEPLOYMENTS} due`, 'n/a', 'n/a'),
      row('DynamoDB calls by that sweep (per deployment)', `${main.calls} (${fmt(main.calls / DEPLOYMENTS)})`, 'n/a', 'n/a', 'n/a'),
      row('items read by a sweep a minute before the window (nothing due)', String(early.itemsRead), '0', 'no Scan: only due items are read', metWhen(early.itemsRead === 0)),
      row('scales started by a second sweep of the same window', String(again.report.scaled.length), '0', 'a window fires once', metWhen(again.report.scaled.length === 0)),
    ];
    const details = [
      table(
        ['sweep', 'wall s', 'items read', 'DynamoDB calls', 'claimed', 'scaled', 'deferred', 'errors'],
        [early, main, again].map((s, i) => [
          ['1 min before', 'at the window', '30 s after'][i] as string,
          fmt(s.ms / 1000, 2),
          String(s.itemsRead),
          String(s.calls),
          String(s.report.claimed),
          String(s.report.scaled.length),
          String(s.report.deferred.length),
          String(s.report.errors.length),
        ]),
      ),
      '',
      `Seeded ${DEPLOYMENTS.toLocaleString('en-US')} records in ${fmt(seedSeconds)} s; concurrency 32 deployments at a time; ` +
        `the due index has 8 shards, one Query each. Per deployment: claim (conditional on the due time read), the scale use case ` +
        `(GetItem, conditional hand-over, history event, StartExecution), the final conditional write.`,
    ].join('\n');
    return {
      id: 'sweep',
      title: 'Schedule sweep at 10,000 deployments',
      method: [
        `${DEPLOYMENTS.toLocaleString('en-US')} ready deployments with the same evening window, written straight into the local cloud's DynamoDB with their due-index keys.`,
        'Three sweeps through the production use case (functions/use-cases/schedule-sweep.ts), run as the schedule-sweep function (IAM enforced on its calls): a minute before the window, at it, 30 s after.',
        'The scale state machine is one Succeed state on a second local Step Functions endpoint under the same name: StartExecution is real, the executions do no cluster work.',
      ],
      rows,
      details,
      findings: [
        'The sweep reads only what is due (one Query per due-index shard), claims each with a conditional write and starts one execution each, 32 at a time.',
      ],
      seconds: (performance.now() - started) / 1000,
    };
  } finally {
    await cloud.close();
  }
};

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const result = await measure();
  for (const row of result.rows) console.log(`${row.met === 'n/a' ? '   ' : row.met === 'yes' ? 'met' : 'MISSED'}  ${row.measure}: ${row.value} (baseline ${row.baseline})`);
  console.log(`\n${result.details ?? ''}`);
  process.exit(0);
}
