/**
 * The metrics the alarms count (aws-review.md M11): a workflow task emits `TaskFailed` only for an
 * error nobody expected, never for a not-ready poll (the state machine's Retry loop), a superseded
 * task or a classified failure; record-failure emits `WorkflowFailed` with the failure's class.
 * The EMF lines Powertools writes to stdout are read back, as CloudWatch would read them.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

// Metrics are recorded only where a namespace is configured, read once when the module loads.
vi.hoisted(() => {
  process.env.POWERTOOLS_METRICS_NAMESPACE = 'TaskMetricsTest';
  process.env.POWERTOOLS_LOG_LEVEL = 'ERROR';
});

import { workflowTask } from '../../functions/commons/workflow';
import { METRIC } from '../../functions/commons/observability';
import { DeploymentFailedError, SupersededError } from '../../functions/domain/errors';
import { NotReadyYetError } from '../../functions/domain/polling';
import { recordFailure } from '../../functions/use-cases/workflow/record-failure';
import { inMemoryPorts } from '../support/in-memory';
import { aDeployment, TENANT } from '../support/in-memory/records';

interface EmfLine {
  _aws: { CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string }[] }[] };
  [field: string]: unknown;
}

let lines: string[] = [];
beforeEach(() => {
  lines = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    lines.push(...(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8')).split('\n'));
    return true;
  });
});
afterEach(() => vi.restoreAllMocks());

/** The EMF documents written since the test began (log lines are not EMF: they have no `_aws`). */
const emf = (): EmfLine[] =>
  lines.flatMap((line) => {
    if (!line.startsWith('{')) return [];
    const parsed = JSON.parse(line) as Partial<EmfLine>;
    return parsed._aws ? [parsed as EmfLine] : [];
  });

/** Every metric name of every EMF document, with the document's dimension values. */
const emitted = () =>
  emf().flatMap((doc) =>
    doc._aws.CloudWatchMetrics.flatMap((set) =>
      set.Metrics.map((m) => ({ name: m.Name, namespace: set.Namespace, dimensions: Object.fromEntries(set.Dimensions.flat().map((d) => [d, doc[d]])) })),
    ),
  );

const names = () => emitted().map((m) => m.name);

const input = { deployment: { ...TENANT, id: 'dep-0001', gpu_config_id: 'l4-24gb' }, execution: 'arn:exec' };
const runTask = (error: Error) =>
  workflowTask('check-workload', () => Promise.reject(error))(input).then(
    () => expect.unreachable('the task throws'),
    (thrown: unknown) => expect(thrown).toBe(error),
  );

describe('TaskFailed counts only the errors nobody expected (M11)', () => {
  it('a not-ready poll, a superseded task and a classified failure emit no TaskFailed, only their duration', async () => {
    await runTask(new NotReadyYetError('workload not ready yet'));
    expect(names()).toEqual([METRIC.taskDuration]);
    await runTask(new DeploymentFailedError('CrashLoopBackOff', 'the model server exits'));
    expect(names()).toEqual([METRIC.taskDuration, METRIC.taskDuration]);
    await runTask(new SupersededError('a delete took over'));
    expect(names()).toEqual([METRIC.taskDuration, METRIC.taskDuration, METRIC.taskDuration, METRIC.taskSuperseded]);
    expect(names()).not.toContain(METRIC.taskFailed);
  });

  it('an unexpected error emits one TaskFailed with the task dimension, in the namespace the alarms watch', async () => {
    await runTask(new Error('connect ETIMEDOUT'));
    expect(emitted().filter((m) => m.name === METRIC.taskFailed)).toEqual([
      { name: METRIC.taskFailed, namespace: 'TaskMetricsTest', dimensions: expect.objectContaining({ task: 'check-workload' }) },
    ]);
  });

  it('a task that succeeds emits its duration only', async () => {
    await workflowTask('check-workload', () => Promise.resolve({ ready: true }))(input);
    expect(names()).toEqual([METRIC.taskDuration]);
  });
});

describe('record-failure emits WorkflowFailed with its class (M11, m10)', () => {
  const failing = () => {
    const ports = inMemoryPorts({ start: new Date('2026-12-01T09:02:00Z') });
    const record = ports.deployments.seed(aDeployment({ status: 'initializing', phase: 'scheduling', ready_since: null, endpoint_url: null }));
    return { ports, input: { deployment: { ...TENANT, id: record.id, gpu_config_id: record.gpu_config_id }, execution: record.execution_arn } };
  };
  const deploymentFailed = (reason: string) => ({ Error: 'DeploymentFailed', Cause: JSON.stringify({ errorType: 'DeploymentFailed', errorMessage: `${reason}: details` }) });

  it("a tenant's crashing model is class=workload; a node timeout and an unexpected task error are class=platform", async () => {
    const cases = [
      { error: deploymentFailed('CrashLoopBackOff'), operation: 'deploy', expected: 'workload' },
      { error: deploymentFailed('NodeProvisioningTimeout'), operation: 'scale', expected: 'platform' },
      { error: { Error: 'States.Timeout', Cause: 'State timed out' }, operation: 'delete', expected: 'platform' },
    ] as const;
    for (const { error, operation, expected } of cases) {
      lines = [];
      const { ports, input: failingInput } = failing();
      await recordFailure(ports, { ...failingInput, operation, error });
      expect(emitted(), `${operation} ${error.Error}`).toEqual([
        { name: METRIC.workflowFailed, namespace: 'TaskMetricsTest', dimensions: expect.objectContaining({ workflow: operation, class: expected }) },
      ]);
    }
  });
});
