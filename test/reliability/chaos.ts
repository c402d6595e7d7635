/**
 * The chaos scenario (issue 12 item 5): N deployments go through deploy -> scale up -> pause ->
 * resume -> delete at the same time, through the HTTP API, while every local endpoint injects
 * faults at moderate rates: DynamoDB, Step Functions, EKS and Auto Scaling throttling, Lambda
 * task timeouts, Kubernetes 429/500/503 and dropped connections, a launch failure (ICE) and a
 * Docker Hub pull limit. Then the faults are cleared, the reconcile runs, and the cloud must be
 * back where it started: no record, GPU, node, Kubernetes object or token secret left.
 *
 * Client policy (what a well-behaved API client does, and what the figure counts): a 5xx or a
 * 429 is retried (a deploy with the same Idempotency-Key, so a retry cannot create twice), and
 * every 5xx is still counted as a defect: the API's own SDK retries (5 attempts for DynamoDB,
 * 4 for Step Functions) are meant to absorb throttling, so a client should never see it.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { expectedLeaks, measureLeaks, snapshotBaseline, type Baseline, type LeakReport } from './chaos-leaks';
import { waitFor, type TestCloud, type Tenant } from '../support/local-cloud';

export const CHAOS_PROJECT = 'prj-chaos';
const CONFIGS = ['l4-24gb', 'a10g-24gb', 'l40s-48gb'] as const;
const HF_TOKEN = 'hf_chaosScenarioToken0123456789abcdefgh';

export type OperationName = 'deploy' | 'scale-up' | 'pause' | 'resume' | 'delete';
export const OPERATIONS: readonly OperationName[] = ['deploy', 'scale-up', 'pause', 'resume', 'delete'];

export interface OperationRecord {
  deployment: string;
  operation: OperationName;
  /** ok: answered as designed and reached its resting state; otherwise why not */
  outcome: 'ok' | 'failed' | 'refused' | 'server-error' | 'timed-out' | 'skipped';
  /** the final answer's status and, when not ok, the reason (API code, fail_reason, timeout) */
  status: number;
  reason?: string;
  /** requests sent for this operation (retries of 5xx/429/409 included) */
  requests: number;
  seconds: number;
}

export interface ChaosResult {
  deployments: number;
  timeScale: number;
  operations: OperationRecord[];
  /** every 5xx the API answered, retried or not: each is a defect */
  serverErrors: { operation: string; status: number; body: string }[];
  faultsFired: Record<string, number>;
  faultsInjected: string[];
  scenarioSeconds: number;
  convergenceSeconds: number;
  leaks: LeakReport;
}

/** What each endpoint injects (rates per matching request of the control plane's functions). */
const injectFaults = async (t: TestCloud, tenant: Tenant): Promise<string[]> => {
  const faults = t.cloud.faults;
  // A few certain faults first (Auto Scaling is called only around launches and releases, so a
  // rate alone might never hit it), then the rates for the rest of the run.
  for (const service of ['dynamodb', 'stepfunctions', 'eks', 'autoscaling'] as const) faults.inject(service, { count: 2 });
  faults.inject('dynamodb', { rate: 0.04 });
  faults.inject('dynamodb', { rate: 0.02, code: 'ThrottlingException' });
  faults.inject('stepfunctions', { rate: 0.08 });
  faults.inject('eks', { rate: 0.08 });
  faults.inject('autoscaling', { rate: 0.08 });
  faults.inject('lambda-timeout', { rate: 0.03, count: 4 });
  const kubernetes = [
    { error: 'too_many_requests', rate: 0.04, retryAfterSeconds: 1 },
    { error: 'internal_error', rate: 0.01, count: 6 },
    { error: 'service_unavailable', rate: 0.02 },
    { error: 'timeout', rate: 0.01, count: 3, holdMs: 200 },
  ];
  // One certain fault of each kind, each on another task so no single task spends its retries on them.
  const certain = [
    { error: 'too_many_requests', caller: 'gpu-control-plane-check-nodes', count: 1, retryAfterSeconds: 1 },
    { error: 'internal_error', caller: 'gpu-control-plane-apply-workload', count: 1 },
    { error: 'service_unavailable', caller: 'gpu-control-plane-check-workload', count: 1 },
    { error: 'timeout', caller: 'gpu-control-plane-remove-workload', count: 1, holdMs: 200 },
  ];
  for (const rule of [...certain, ...kubernetes]) await t.addFault({ kubernetes: rule } as never);
  // One ICE on the first launch of the first group, a second on another group; two Docker Hub 429s.
  await t.addFault({ match: { nodeGroup: 'gpu-l4-24gb' }, fault: 'insufficient_capacity', count: 1 } as never);
  await t.addFault({ match: { nodeGroup: 'gpu-a10g-24gb' }, fault: 'insufficient_capacity', count: 1 } as never);
  await t.addFault({ match: { label: `gpudeploy.io/project=${tenant.project}` }, fault: 'docker_hub_rate_limit', count: 2 } as never);
  return [
    'dynamodb: the first 2 calls, then ProvisionedThroughputExceededException 4% and ThrottlingException 2%',
    'stepfunctions: the first 2 calls, then ThrottlingException 8%',
    'eks: the first 2 calls, then ThrottlingException (429) 8%',
    'autoscaling: the first 2 calls, then Throttling 8%',
    'lambda-timeout: Sandbox.Timedout 3% of tasks, at most 4',
    'kubernetes: one of each (429 on check-nodes, 500 on apply-workload, 503 on check-workload, dropped connection on remove-workload), then 429 Retry-After 4%, 500 1% (at most 6), 503 2%, dropped connection 1% (at most 3)',
    'launch: InsufficientInstanceCapacity once on gpu-l4-24gb and once on gpu-a10g-24gb',
    'pull: Docker Hub toomanyrequests twice for the scenario project',
  ];
};

const firedCounts = async (t: TestCloud): Promise<Record<string, number>> => {
  const fired: Record<string, number> = {};
  for (const service of ['dynamodb', 'stepfunctions', 'eks', 'autoscaling', 'lambda-timeout'] as const) fired[service] = t.cloud.faults.firedCount(service);
  const listed = (await (await fetch(`${t.cloud.simulator.url}/_sim/faults`)).json()) as {
    faults: { fault: string; used?: number }[];
    kubernetes: { error: string; fired: number }[];
  };
  for (const rule of listed.kubernetes) fired[`kubernetes ${rule.error}`] = (fired[`kubernetes ${rule.error}`] ?? 0) + rule.fired;
  for (const rule of listed.faults) fired[rule.fault] = (fired[rule.fault] ?? 0) + (rule.used ?? 0);
  return fired;
};

interface Lifecycle {
  t: TestCloud;
  tenant: Tenant;
  stepTimeoutMs: number;
  serverErrors: ChaosResult['serverErrors'];
  records: OperationRecord[];
}

const RETRYABLE = (status: number) => status >= 500 || status === 429 || status === 0;

/** Sends one API request as a careful client: retries 5xx/429 (and a 409 that says retry) with back-off. */
const send = async (life: Lifecycle, what: string, method: string, path: string, body?: unknown, headers?: Record<string, string>) => {
  let requests = 0;
  for (;;) {
    requests++;
    const answer = await life.t.api(method, path, { token: life.tenant.token, body, headers }).catch((error: Error) => ({ status: 0, body: { code: 'network', message: error.message } }));
    if (answer.status >= 500 || answer.status === 0) life.serverErrors.push({ operation: what, status: answer.status, body: JSON.stringify(answer.body).slice(0, 300) });
    // A 409 that says "retry" (the record changed between the read and the conditional write,
    // e.g. a workflow stamping its instance counts) is the designed answer to a race: retried.
    const busy = answer.status === 409 && answer.body?.code === 'conflict' && /retry|in progress|already running/i.test(String(answer.body?.message));
    if ((RETRYABLE(answer.status) || busy) && requests < 6) {
      await sleep(200 * 2 ** requests);
      continue;
    }
    return { ...answer, requests };
  }
};

const get = (life: Lifecycle, id: string) => life.t.api('GET', `${life.tenant.base}/${id}`, { token: life.tenant.token }).catch(() => ({ status: 0, body: undefined as any }));

/** Polls the deployment until `rest` holds, or it failed, or the step's deadline passed. */
const settle = async (life: Lifecycle, id: string, rest: (r: { status: number; body: any }) => boolean) => {
  try {
    return await waitFor(() => get(life, id), (r) => rest(r) || r.body?.status === 'failed', `${id} to settle`, life.stepTimeoutMs, 250);
  } catch {
    return undefined;
  }
};

/** The state whose task failed for good (the last TaskFailed before RecordFailure), for the figure. */
const failedState = async (t: TestCloud, arn: string): Promise<string> => {
  if (!arn) return '';
  try {
    let state = '';
    let last = '';
    for (const event of await t.history(arn)) {
      if (event.type === 'TaskStateEntered') state = event.stateEnteredEventDetails?.name ?? '';
      const error = event.taskFailedEventDetails?.error ?? event.lambdaFunctionFailedEventDetails?.error;
      if (error !== undefined) last = `${state} (${error}, after its retries): `;
      if (event.type === 'TaskStateEntered' && state === 'RecordFailure') break;
    }
    return last;
  } catch {
    return '';
  }
};

const lifecycle = async (life: Lifecycle, index: number): Promise<void> => {
  const { tenant } = life;
  const config = CONFIGS[index % CONFIGS.length]!;
  const name = `chaos-${index}`;
  // Every fourth deployment is a custom model with an hf_token (a token secret, a Secret and a PVC).
  const body =
    index % 4 === 0
      ? { name, huggingface_id: 'acme-research/tiny-chat-1b', region: 'us-east-1', gpu_config_id: config, gpu_count: 1, plan_id: `plan-${config}-ondemand`, hf_token: HF_TOKEN }
      : { name, catalog_id: 'Qwen-Qwen2.5-0.5B-Instruct', region: 'us-east-1', gpu_config_id: config, gpu_count: 1, plan_id: `plan-${config}-ondemand` };
  let id = name;
  let failed: string | undefined;

  const step = async (operation: OperationName, act: () => Promise<{ status: number; body: any; requests: number }>, expected: number, rest?: (r: { status: number; body: any }) => boolean) => {
    const started = Date.now();
    const done = (outcome: OperationRecord['outcome'], status: number, reason?: string, requests = 0) =>
      life.records.push({ deployment: name, operation, outcome, status, requests, seconds: Math.round((Date.now() - started) / 100) / 10, ...(reason ? { reason } : {}) });
    if (failed && operation !== 'delete') return done('skipped', 0, `after ${failed}`);
    const answer = await act();
    if (answer.status !== expected) {
      const reason = `${answer.body?.code ?? 'no code'}: ${String(answer.body?.message ?? '').slice(0, 160)}`;
      if (operation !== 'delete') failed = `${operation} ${answer.status}`;
      return done(answer.status >= 500 || answer.status === 0 ? 'server-error' : 'refused', answer.status, reason, answer.requests);
    }
    if (operation === 'deploy') id = answer.body.id;
    if (!rest) return done('ok', answer.status, undefined, answer.requests);
    const settled = await settle(life, id, rest);
    if (settled === undefined) {
      failed = `${operation} timed out`;
      return done('timed-out', answer.status, `not settled within ${life.stepTimeoutMs / 1000} s`, answer.requests);
    }
    if (settled.body?.status === 'failed' && operation !== 'delete') {
      failed = `${operation} failed`;
      const where = await failedState(life.t, String(settled.body.workflow?.execution_arn ?? ''));
      return done('failed', answer.status, `${where}${String(settled.body.fail_reason ?? 'failed').split('\n')[0]?.slice(0, 160)}`, answer.requests);
    }
    return done('ok', answer.status, undefined, answer.requests);
  };

  const scaled = (replicas: number, phase: string) => (r: { body: any }) => r.body?.replicas === replicas && r.body?.phase === phase;
  await step('deploy', () => send(life, 'deploy', 'POST', tenant.base, body, { 'idempotency-key': `chaos-${index}` }), 201, (r) => r.body?.status === 'ready');
  await step('scale-up', () => send(life, 'scale-up', 'PUT', `${tenant.base}/${id}/scale`, { replicas: index % 4 === 0 ? 1 : 2 }), 200, (r) =>
    r.body?.phase === 'ready' && r.body?.status === 'ready' && r.body?.replicas === (index % 4 === 0 ? 1 : 2),
  );
  await step('pause', () => send(life, 'pause', 'PUT', `${tenant.base}/${id}/scale`, { replicas: 0 }), 200, scaled(0, 'paused'));
  await step('resume', () => send(life, 'resume', 'PUT', `${tenant.base}/${id}/scale`, { replicas: 1 }), 200, scaled(1, 'ready'));
  if (id === name) return; // never created: nothing to delete
  await step('delete', () => send(life, 'delete', 'DELETE', `${tenant.base}/${id}`), 204, (r) => r.status === 404);
};

export interface ChaosOptions {
  deployments: number;
  /** wall-clock ms one step (e.g. scale to 2 replicas) may take to settle */
  stepTimeoutMs: number;
  /** wall-clock ms the cloud may take to converge after the faults are cleared */
  convergeTimeoutMs: number;
}

export const runChaos = async (t: TestCloud, options: ChaosOptions, timeScale: number): Promise<ChaosResult> => {
  const tenant = await t.tenant(CHAOS_PROJECT);
  const baseline: Baseline = await snapshotBaseline(t);
  const faultsInjected = await injectFaults(t, tenant);
  const life: Lifecycle = { t, tenant, stepTimeoutMs: options.stepTimeoutMs, serverErrors: [], records: [] };
  const started = Date.now();
  await Promise.all(Array.from({ length: options.deployments }, (_, i) => sleep(i * 150).then(() => lifecycle(life, i))));
  const scenarioSeconds = (Date.now() - started) / 1000;

  const faultsFired = await firedCounts(t);
  t.cloud.faults.clear();
  await fetch(`${t.cloud.simulator.url}/_sim/faults`, { method: 'DELETE' });
  const converging = Date.now();
  await t.cloud.runSchedule('reconcile');
  let leaks = await measureLeaks(t, baseline, tenant);
  while (expectedLeaks(leaks) > 0 && Date.now() - converging < options.convergeTimeoutMs) {
    await sleep(500);
    await t.cloud.runSchedule('reconcile');
    leaks = await measureLeaks(t, baseline, tenant);
  }
  return {
    deployments: options.deployments,
    timeScale,
    operations: life.records,
    serverErrors: life.serverErrors,
    faultsFired,
    faultsInjected,
    scenarioSeconds: Math.round(scenarioSeconds * 10) / 10,
    convergenceSeconds: Math.round((Date.now() - converging) / 100) / 10,
    leaks,
  };
};
