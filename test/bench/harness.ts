/**
 * The local cloud for the benchmarks: `startLocalCloud` (local/cloud.ts), the same cloud as the
 * tests and `npm start` (IAM enforced, Secrets Manager, faults, each handler as its function),
 * plus what only the benchmarks need, through its options:
 *
 * - custom simulator delays (e.g. a model load of ten cluster minutes);
 * - a second Step Functions endpoint running the fixed-10-second-polling variant of
 *   statemachines/deploy.asl.json under the SAME state machine name. The API derives the
 *   execution ARN it records from the state machine ARN, and every task checks that its
 *   execution owns the deployment, so the baseline must live under the same ARN; a small
 *   router in front of both endpoints (the cloud's `stepFunctionsFront`) sends the deploys of
 *   the baseline projects to it. Everything else (API, DynamoDB, the simulated cluster, the
 *   task functions, IAM) is shared, so adaptive and fixed polling are measured side by side;
 * - the same way, for the sweep figure, a scale state machine of one Succeed state, so 10,000
 *   scale executions are started for real but do no cluster work.
 *
 * Handlers read their configuration once at import, so one process runs one bench cloud.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startLocalCloud, type LocalCloud, type StepFunctionsParts } from '../../local/cloud';
import { loadOrCreateDevKey, signDevToken } from '../../local/jwt';
import type { LocalTaskFunction, RunningStepFunctions } from '../../local/sfn/index';
import type { RunningSimulator, SimDelays } from '../../local/sim/index';

export const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');
export const REGION = 'us-east-1';
const PREFIX = 'gpu-control-plane';
export const TABLE_NAME = `${PREFIX}-deployments`;
export const ORG = 'org-bench';
export const API_BASE = '/api/v1beta1';
export const deploymentsPath = (project: string) => `${API_BASE}/orgs/${ORG}/projects/${project}/aimodels`;

/** A new inference key of the project, through the keys route as a customer creates one; the key itself. */
export const createInferenceKey = async (cloud: Pick<BenchCloud, 'api'>, project: string, name: string): Promise<string> => {
  const created = await cloud.api('POST', `${API_BASE}/orgs/${ORG}/projects/${project}/inference-keys`, { name });
  if (created.status !== 201) throw new Error(`key refused: ${created.status} ${JSON.stringify(created.body)}`);
  return String((created.body as { key: string }).key);
};

/** Seconds every Wait of the baseline deploy definition waits. */
export const FIXED_POLL_SECONDS = 10;

export interface BenchCloudOptions {
  /** Multiplies every simulated delay and every Wait state. */
  timeScale: number;
  delays?: Partial<SimDelays>;
  /** Projects whose deploys run the fixed-10-second-polling deploy definition. */
  fixedPollProjects?: readonly string[];
  /** The sweep figure: every scale execution is one Succeed state (StartExecution is real, no cluster work). */
  succeedingScale?: boolean;
  /** Fire the schedule list (reconcile) like `npm start` does; off by default. */
  cron?: boolean;
}

export interface ApiResponse {
  status: number;
  body: any;
}

export interface HistoryEntry {
  at: number;
  type: string;
  state?: string;
}

export interface BenchCloud {
  apiUrl: string;
  /** The inference gateway (endpoint_url's base). */
  gatewayUrl: string;
  dynamoUrl: string;
  /** What the functions call for Step Functions (the router when a variant runs). */
  sfnUrl: string;
  stateMachineArns: LocalCloud['stateMachineArns'];
  simulator: RunningSimulator;
  timeScale: number;
  token(project?: string): Promise<string>;
  api(method: string, path: string, body?: unknown): Promise<ApiResponse>;
  /** State transitions of an execution, on whichever endpoint runs it. */
  transitions(executionArn: string): number;
  /** Status and transitions from the endpoint's debug view (GET /_local/executions/<arn>). */
  execution(executionArn: string): Promise<{ status: string; transitions: number }>;
  /** The execution's history (GetExecutionHistory, every page): time (epoch ms), type, state name. */
  history(executionArn: string): Promise<HistoryEntry[]>;
  /** Runs one schedule now (the autoscale figure drives the schedule sweep itself, with cron off). */
  runSchedule: LocalCloud['runSchedule'];
  close(): Promise<void>;
}

/**
 * The baseline deploy definition: naive fixed polling. Every `SecondsPath` Wait becomes
 * `Seconds: 10`, and the `NotReadyYet` Retry/Catch of the adaptive mode is dropped (the
 * baseline's check tasks answer "not ready" instead, see `fixedPollFunctions`), so each poll is
 * Wait -> check Task -> Choice, every 10 s.
 */
export const fixedPollDeployDefinition = (definitionText: string, seconds = FIXED_POLL_SECONDS): string => {
  const definition = JSON.parse(definitionText) as { States: Record<string, Record<string, unknown>> };
  const isNotReadyYet = (rule: { ErrorEquals?: string[] }) => rule.ErrorEquals?.length === 1 && rule.ErrorEquals[0] === NOT_READY_YET;
  let rewritten = 0;
  for (const state of Object.values(definition.States)) {
    if (Array.isArray(state.Retry)) state.Retry = (state.Retry as { ErrorEquals?: string[] }[]).filter((rule) => !isNotReadyYet(rule));
    if (Array.isArray(state.Catch)) state.Catch = (state.Catch as { ErrorEquals?: string[] }[]).filter((rule) => !isNotReadyYet(rule));
    if (state.Type !== 'Wait' || state.SecondsPath === undefined) continue;
    delete state.SecondsPath;
    state.Seconds = seconds;
    state.Comment = `Benchmark baseline: fixed ${seconds} s polling.`;
    rewritten += 1;
  }
  if (rewritten < 2) throw new Error(`expected the node and model Waits to use SecondsPath; rewrote ${rewritten}`);
  return JSON.stringify(definition);
};

/** The error a readiness check throws to ask for the adaptive mode's cheap Retry poll. */
const NOT_READY_YET = 'NotReadyYet';
/** Readiness checks and the key of their state in the task input and output. */
const READINESS_CHECKS: Record<string, string> = { 'check-nodes': 'capacity', 'check-workload': 'workload' };

/**
 * The baseline's task functions: the same handlers, except that a readiness check's
 * `NotReadyYet` becomes a plain "not ready" result, as a check written for fixed polling
 * returns it.
 */
const fixedPollFunctions = (functions: Record<string, LocalTaskFunction>): Record<string, LocalTaskFunction> =>
  Object.fromEntries(
    Object.entries(functions).map(([name, fn]) => {
      const key = Object.entries(READINESS_CHECKS).find(([task]) => name === `${PREFIX}-${task}`)?.[1];
      if (!key) return [name, fn];
      const wrapped: LocalTaskFunction = async (event) => {
        try {
          return await fn(event);
        } catch (error) {
          if ((error as Error).name !== NOT_READY_YET) throw error;
          const state = (event as Record<string, Record<string, unknown>>)[key];
          return { ...state, ready: false, wait_seconds: FIXED_POLL_SECONDS };
        }
      };
      return [name, wrapped];
    }),
  );

const readBody = (request: IncomingMessage): Promise<Buffer> =>
  new Promise((done, fail) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => done(Buffer.concat(chunks)));
    request.on('error', fail);
  });

const listen = (server: Server): Promise<string> =>
  new Promise((done, fail) => {
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => done(`http://127.0.0.1:${(server.address() as AddressInfo).port}`));
  });

/**
 * A second Step Functions endpoint beside the cloud's own, under the same state machine names,
 * serving the StartExecution (and ListExecutions) calls `routes` picks and every later call
 * naming one of its executions.
 */
interface Variant {
  stateMachines(parts: StepFunctionsParts): { name: string; definition: string }[];
  functions(parts: StepFunctionsParts): Record<string, LocalTaskFunction>;
  routes(parts: StepFunctionsParts): (stateMachineArn: string, input: { deployment?: { project_id?: string } } | undefined) => boolean;
}

/** The fixed-poll baseline: the deploys of `projects` run the fixed-10-second-polling definition. */
const fixedPollVariant = (projects: ReadonlySet<string>): Variant => ({
  stateMachines: ({ stateMachines: { deploy } }) => [{ name: deploy.name, definition: fixedPollDeployDefinition(deploy.definition) }],
  functions: (parts) => fixedPollFunctions(parts.functions),
  routes: (parts) => {
    const deployArn = parts.stepFunctions.stateMachineArn(parts.stateMachines.deploy.name);
    return (arn, input) => arn === deployArn && projects.has(input?.deployment?.project_id ?? '');
  },
});

/** Every scale execution is one Succeed state: StartExecution is real, the execution does no cluster work. */
const succeedingScaleVariant: Variant = {
  stateMachines: ({ stateMachines: { scale } }) => [{ name: scale.name, definition: JSON.stringify({ StartAt: 'Done', States: { Done: { Type: 'Succeed' } } }) }],
  functions: () => ({}),
  routes: (parts) => {
    const scaleArn = parts.stepFunctions.stateMachineArn(parts.stateMachines.scale.name);
    return (arn) => arn === scaleArn;
  },
};

/** Starts the variant endpoint and the router in front of both: the cloud's `stepFunctionsFront`. */
const variantFront = (variant: Variant, dataDir: string) => {
  const variantExecutions = new Set<string>();
  let endpoint: RunningStepFunctions | undefined;
  const front = async (parts: StepFunctionsParts) => {
    const routes = variant.routes(parts);
    const started = await parts.start({ stateMachines: variant.stateMachines(parts), functions: variant.functions(parts), dataDir: join(dataDir, 'sfn-variant') });
    const server = createServer((request, response) => {
      void (async () => {
        const body = await readBody(request);
        const target = String(request.headers['x-amz-target'] ?? '');
        let toVariant = false;
        try {
          const parsed = JSON.parse(body.toString('utf8') || '{}') as { stateMachineArn?: string; executionArn?: string; input?: string };
          if (parsed.stateMachineArn && (target.endsWith('.StartExecution') || target.endsWith('.ListExecutions'))) {
            toVariant = routes(parsed.stateMachineArn, parsed.input ? (JSON.parse(parsed.input) as { deployment?: { project_id?: string } }) : undefined);
          } else if (parsed.executionArn) {
            toVariant = variantExecutions.has(parsed.executionArn);
          }
        } catch {
          // not JSON: let the cloud's endpoint answer it
        }
        const upstream = await fetch(toVariant ? started.url : parts.stepFunctions.url, {
          method: request.method,
          // The caller header goes along: the variant authorizes each function's call as the cloud's endpoint does.
          headers: Object.fromEntries(
            Object.entries(request.headers).filter((entry): entry is [string, string] => typeof entry[1] === 'string' && entry[0] !== 'host' && entry[0] !== 'content-length'),
          ),
          body: request.method === 'POST' ? body : undefined,
        });
        const text = await upstream.text();
        if (toVariant && target.endsWith('.StartExecution') && upstream.ok) {
          const execution = JSON.parse(text) as { executionArn?: string };
          if (execution.executionArn) variantExecutions.add(execution.executionArn);
        }
        response.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? 'application/x-amz-json-1.0' });
        response.end(text);
      })().catch((error: unknown) => {
        response.writeHead(500, { 'content-type': 'application/x-amz-json-1.0' });
        response.end(JSON.stringify({ __type: 'InternalFailure', message: String(error) }));
      });
    });
    const url = await listen(server).catch(async (error: unknown) => {
      await started.close();
      throw error;
    });
    endpoint = started;
    return {
      url,
      close: async () => {
        await new Promise<void>((done) => {
          server.close(() => done());
          server.closeAllConnections();
        });
        await started.close();
      },
    };
  };
  /** The endpoint that runs an execution: the variant's for one it started. */
  const endpointOf = (cloud: LocalCloud, executionArn: string): RunningStepFunctions =>
    endpoint && variantExecutions.has(executionArn) ? endpoint : cloud.stepFunctions;
  return { front, endpointOf };
};

export const startBenchCloud = async (options: BenchCloudOptions): Promise<BenchCloud> => {
  const dataDir = await mkdtemp(join(tmpdir(), 'gpu-cp-bench-'));
  process.env.POWERTOOLS_LOG_LEVEL ??= 'ERROR';
  const fixedProjects = new Set(options.fixedPollProjects ?? []);
  if (fixedProjects.size > 0 && options.succeedingScale) throw new Error('one Step Functions variant at a time: fixedPollProjects or succeedingScale');
  const variant = fixedProjects.size > 0 ? fixedPollVariant(fixedProjects) : options.succeedingScale ? succeedingScaleVariant : undefined;
  const routed = variant ? variantFront(variant, dataDir) : undefined;
  let cloud: LocalCloud;
  try {
    cloud = await startLocalCloud({
      dataDir,
      timeScale: options.timeScale,
      cron: options.cron ?? false,
      ...(options.delays ? { simulatorDelays: options.delays } : {}),
      ...(routed ? { stepFunctionsFront: routed.front } : {}),
    });
  } catch (error) {
    await rm(dataDir, { recursive: true, force: true });
    throw error;
  }
  const endpointOf = (arn: string) => routed?.endpointOf(cloud, arn) ?? cloud.stepFunctions;
  const key = await loadOrCreateDevKey(dataDir);
  const tokens = new Map<string, Promise<string>>();
  const token = (project = '*') => {
    let signed = tokens.get(project);
    if (!signed) {
      signed = signDevToken(key, { org_id: ORG, project_ids: project, ttlSeconds: 6 * 3600 });
      tokens.set(project, signed);
    }
    return signed;
  };
  return {
    apiUrl: cloud.apiUrl,
    gatewayUrl: cloud.gatewayUrl,
    dynamoUrl: cloud.dynamoUrl,
    sfnUrl: cloud.sfnUrl,
    stateMachineArns: cloud.stateMachineArns,
    simulator: cloud.simulator,
    timeScale: options.timeScale,
    token,
    api: async (method, path, body) => {
      const headers: Record<string, string> = { authorization: `Bearer ${await token()}` };
      if (body !== undefined) headers['content-type'] = 'application/json';
      const response = await fetch(`${cloud.apiUrl}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
      const text = await response.text();
      return { status: response.status, body: text ? JSON.parse(text) : undefined };
    },
    transitions: (arn) => endpointOf(arn).transitions(arn),
    execution: async (arn) => {
      const response = await fetch(`${endpointOf(arn).url}/_local/executions/${encodeURIComponent(arn)}`);
      if (!response.ok) throw new Error(`no execution ${arn}: ${response.status}`);
      return (await response.json()) as { status: string; transitions: number };
    },
    history: async (arn) => {
      const entries: HistoryEntry[] = [];
      let nextToken: string | undefined;
      do {
        const response = await fetch(cloud.sfnUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'AWSStepFunctions.GetExecutionHistory' },
          body: JSON.stringify({ executionArn: arn, maxResults: 1000, includeExecutionData: false, ...(nextToken ? { nextToken } : {}) }),
        });
        if (!response.ok) throw new Error(`GetExecutionHistory ${arn}: ${response.status} ${await response.text()}`);
        const page = (await response.json()) as {
          events: { timestamp: number; type: string; stateEnteredEventDetails?: { name?: string } }[];
          nextToken?: string;
        };
        for (const event of page.events) {
          entries.push({ at: event.timestamp * 1000, type: event.type, ...(event.stateEnteredEventDetails?.name ? { state: event.stateEnteredEventDetails.name } : {}) });
        }
        nextToken = page.nextToken;
      } while (nextToken);
      return entries;
    },
    runSchedule: (name, runOptions) => cloud.runSchedule(name, runOptions),
    close: async () => {
      try {
        await cloud.close();
      } finally {
        await rm(dataDir, { recursive: true, force: true });
      }
    },
  };
};

/** A fresh directory for a benchmark's scratch files. */
export const scratchDir = async (name: string): Promise<string> => {
  const dir = await mkdtemp(join(tmpdir(), `gpu-cp-bench-${name}-`));
  await mkdir(dir, { recursive: true });
  return dir;
};
