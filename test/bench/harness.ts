/**
 * The local cloud for the benchmarks, started piece by piece (the same pieces and wiring as
 * local/cloud.ts) because the benchmarks need two things `startLocalCloud` does not offer:
 *
 * - custom simulator delays (e.g. a model load of ten cluster minutes);
 * - a second Step Functions endpoint running the fixed-10-second-polling variant of
 *   statemachines/deploy.asl.json under the SAME state machine name. The API derives the
 *   execution ARN it records from the state machine ARN, and every task checks that its
 *   execution owns the deployment, so the baseline must live under the same ARN; a small
 *   router in front of both endpoints sends the deploys of the baseline projects to it.
 *   Everything else (API, DynamoDB, the simulated cluster, the task code) is shared, so
 *   adaptive and fixed polling are measured side by side on the same cloud.
 *
 * Handlers read their configuration once at import, so one process runs one bench cloud.
 */
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import inventory from '../../contract/data/inventory.json';
import { ROUTES, type RouteDefinition } from '../../contract/routes';
import { SCHEDULES } from '../../contract/schedules';
import { STATE_MACHINES, TASK_FUNCTIONS, stateMachineName } from '../../contract/workflows';
import { startApiGateway, type LambdaHandler } from '../../local/gateway';
import { startCron, type ScheduledEventLike } from '../../local/cron';
import { ensureTable, startDynamo } from '../../local/dynamodb';
import { loadOrCreateDevKey, signDevToken, type DevKey } from '../../local/jwt';
import { startStepFunctions, type LocalTaskFunction, type RunningStepFunctions } from '../../local/sfn/index';
import { nodeGroupsFromInventory, startSimulator, type RunningSimulator, type SimDelays } from '../../local/sim/index';

export const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');
export const REGION = 'us-east-1';
const ACCOUNT = '000000000000';
const PREFIX = 'gpu-control-plane';
export const CLUSTER = 'gpu-models';
export const NAMESPACE = 'models';
export const TABLE_NAME = `${PREFIX}-deployments`;
export const ORG = 'org-bench';
export const API_BASE = '/api/v1beta1';
export const deploymentsPath = (project: string) => `${API_BASE}/orgs/${ORG}/projects/${project}/aimodels`;

/** Seconds every Wait of the baseline deploy definition waits. */
export const FIXED_POLL_SECONDS = 10;

export interface BenchCloudOptions {
  /** Multiplies every simulated delay and every Wait state. */
  timeScale: number;
  delays?: Partial<SimDelays>;
  /** Projects whose deploys run the fixed-10-second-polling deploy definition. */
  fixedPollProjects?: readonly string[];
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
  dynamoUrl: string;
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

const lazyHandler = <T>(entry: string): (() => Promise<T>) => {
  let loaded: Promise<T> | undefined;
  return () => (loaded ??= import(join(ROOT, entry)).then((m: { handler: T }) => m.handler));
};

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
 * Sends StartExecution of a fixed-poll project's deploy to the baseline endpoint and any call
 * naming one of its executions there too; everything else goes to the real endpoint.
 */
const startSfnRouter = async (real: RunningStepFunctions, baseline: RunningStepFunctions, deployArn: string, fixedProjects: ReadonlySet<string>) => {
  const baselineExecutions = new Set<string>();
  const server = createServer((request, response) => {
    void (async () => {
      const body = await readBody(request);
      const target = String(request.headers['x-amz-target'] ?? '');
      let toBaseline = false;
      try {
        const parsed = JSON.parse(body.toString('utf8') || '{}') as { stateMachineArn?: string; executionArn?: string; input?: string };
        if (target.endsWith('.StartExecution') && parsed.stateMachineArn === deployArn && parsed.input) {
          const input = JSON.parse(parsed.input) as { deployment?: { project_id?: string } };
          toBaseline = fixedProjects.has(input.deployment?.project_id ?? '');
        } else if (parsed.executionArn) {
          toBaseline = baselineExecutions.has(parsed.executionArn);
        }
      } catch {
        // not JSON: let the real endpoint answer it
      }
      const upstream = await fetch(toBaseline ? baseline.url : real.url, {
        method: request.method,
        headers: Object.fromEntries(
          Object.entries(request.headers).filter((entry): entry is [string, string] => typeof entry[1] === 'string' && entry[0] !== 'host' && entry[0] !== 'content-length'),
        ),
        body: request.method === 'POST' ? body : undefined,
      });
      const text = await upstream.text();
      if (toBaseline && target.endsWith('.StartExecution') && upstream.ok) {
        const started = JSON.parse(text) as { executionArn?: string };
        if (started.executionArn) baselineExecutions.add(started.executionArn);
      }
      response.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? 'application/x-amz-json-1.0' });
      response.end(text);
    })().catch((error: unknown) => {
      response.writeHead(500, { 'content-type': 'application/x-amz-json-1.0' });
      response.end(JSON.stringify({ __type: 'InternalFailure', message: String(error) }));
    });
  });
  const url = await listen(server);
  return {
    url,
    isBaseline: (executionArn: string) => baselineExecutions.has(executionArn),
    close: () =>
      new Promise<void>((done) => {
        server.close(() => done());
        server.closeAllConnections();
      }),
  };
};

export const startBenchCloud = async (options: BenchCloudOptions): Promise<BenchCloud> => {
  const dataDir = await mkdtemp(join(tmpdir(), 'gpu-cp-bench-'));
  const closers: (() => Promise<void>)[] = [async () => rm(dataDir, { recursive: true, force: true })];
  const closeAll = async () => {
    for (const close of closers.reverse()) await close().catch(() => undefined);
  };
  try {
    const dynamo = await startDynamo({ host: '127.0.0.1', dataDir: join(dataDir, 'dynamodb') });
    closers.push(dynamo.close);
    await ensureTable(dynamo.url, TABLE_NAME);

    const simulator = await startSimulator({
      host: '127.0.0.1',
      port: 0,
      clusterName: CLUSTER,
      region: REGION,
      nodeGroups: nodeGroupsFromInventory(inventory),
      timeScale: options.timeScale,
      ...(options.delays ? { delays: options.delays } : {}),
    });
    closers.push(simulator.close);

    const functions: Record<string, LocalTaskFunction> = {};
    for (const task of TASK_FUNCTIONS) {
      const load = lazyHandler<(event: unknown) => Promise<unknown>>(task.entry);
      functions[`${PREFIX}-${task.name}`] = async (event) => (await load())(event);
    }
    const substitutions = Object.fromEntries(
      TASK_FUNCTIONS.map((t) => [t.substitution, `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${PREFIX}-${t.name}`]),
    );
    const substitute = (file: string, text: string) =>
      text.replace(/\$\{(\w+)\}/g, (placeholder, key: string) => {
        const value = substitutions[key];
        if (!value) throw new Error(`${file}: no substitution for ${placeholder}`);
        return value;
      });
    const machines = STATE_MACHINES.map((machine) => ({
      workflow: machine.workflow,
      name: stateMachineName(PREFIX, machine.workflow),
      definition: substitute(machine.file, readFileSync(join(ROOT, machine.file), 'utf8')),
    }));
    const sfnOptions = { host: '127.0.0.1', port: 0, region: REGION, accountId: ACCOUNT, functions, timeScale: options.timeScale };
    const real = await startStepFunctions({ ...sfnOptions, stateMachines: machines, dataDir: join(dataDir, 'sfn-real') });
    closers.push(real.close);
    const deploy = machines.find((m) => m.workflow === 'deploy');
    if (!deploy) throw new Error('no deploy state machine');
    const deployArn = real.stateMachineArn(deploy.name);

    let sfnUrl = real.url;
    let transitions = (arn: string) => real.transitions(arn);
    let endpointOf = (_arn: string) => real.url;
    const fixedProjects = new Set(options.fixedPollProjects ?? []);
    if (fixedProjects.size > 0) {
      const baseline = await startStepFunctions({
        ...sfnOptions,
        functions: fixedPollFunctions(functions),
        stateMachines: [{ name: deploy.name, definition: fixedPollDeployDefinition(deploy.definition) }],
        dataDir: join(dataDir, 'sfn-fixed-poll'),
      });
      closers.push(baseline.close);
      const router = await startSfnRouter(real, baseline, deployArn, fixedProjects);
      closers.push(router.close);
      sfnUrl = router.url;
      transitions = (arn) => (router.isBaseline(arn) ? baseline.transitions(arn) : real.transitions(arn));
      endpointOf = (arn) => (router.isBaseline(arn) ? baseline.url : real.url);
    }

    // What local/cloud.ts sets: the variables CDK sets in AWS plus the local endpoint overrides.
    Object.assign(process.env, {
      AWS_REGION: REGION,
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      TABLE_NAME,
      DYNAMODB_ENDPOINT: dynamo.url,
      SFN_ENDPOINT: sfnUrl,
      DEPLOY_STATE_MACHINE_ARN: deployArn,
      SCALE_STATE_MACHINE_ARN: real.stateMachineArn(stateMachineName(PREFIX, 'scale')),
      DELETE_STATE_MACHINE_ARN: real.stateMachineArn(stateMachineName(PREFIX, 'delete')),
      EKS_CLUSTER_NAME: CLUSTER,
      EKS_ENDPOINT: simulator.url,
      AUTOSCALING_ENDPOINT: simulator.url,
      MODEL_NAMESPACE: NAMESPACE,
      WORKFLOW_TIME_SCALE: String(options.timeScale),
      ENDPOINT_URL_TEMPLATE: `${simulator.url}/api/v1/namespaces/{namespace}/services/{service}:http/proxy/v1`,
      POWERTOOLS_LOG_LEVEL: process.env.POWERTOOLS_LOG_LEVEL ?? 'ERROR',
    });

    const key: DevKey = await loadOrCreateDevKey(dataDir);
    const handlers = new Map(ROUTES.map((r) => [r.name, lazyHandler<LambdaHandler>(r.entry)]));
    const gateway = await startApiGateway({
      host: '127.0.0.1',
      port: 0,
      routes: ROUTES,
      loadHandler: (route: RouteDefinition) => handlers.get(route.name)!(),
      key,
    });
    closers.push(gateway.close);

    if (options.cron) {
      const cron = startCron(
        SCHEDULES.map((schedule) => {
          const load = lazyHandler<(event: ScheduledEventLike) => Promise<unknown>>(schedule.entry);
          return { name: schedule.name, everyMs: schedule.everyMinutes * 60_000 * options.timeScale, run: async (event) => (await load())(event) };
        }),
        { timer: true, region: REGION, account: ACCOUNT, onError: (name, error) => console.error(`schedule ${name} failed:`, error) },
      );
      closers.push(cron.close);
    }

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
      apiUrl: gateway.url,
      dynamoUrl: dynamo.url,
      simulator,
      timeScale: options.timeScale,
      token,
      api: async (method, path, body) => {
        const headers: Record<string, string> = { authorization: `Bearer ${await token()}` };
        if (body !== undefined) headers['content-type'] = 'application/json';
        const response = await fetch(`${gateway.url}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
        const text = await response.text();
        return { status: response.status, body: text ? JSON.parse(text) : undefined };
      },
      transitions: (arn) => transitions(arn),
      execution: async (arn) => {
        const response = await fetch(`${endpointOf(arn)}/_local/executions/${encodeURIComponent(arn)}`);
        if (!response.ok) throw new Error(`no execution ${arn}: ${response.status}`);
        return (await response.json()) as { status: string; transitions: number };
      },
      history: async (arn) => {
        const entries: HistoryEntry[] = [];
        let nextToken: string | undefined;
        do {
          const response = await fetch(sfnUrl, {
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
      close: closeAll,
    };
  } catch (error) {
    await closeAll();
    throw error;
  }
};

/** A fresh directory for a benchmark's scratch files. */
export const scratchDir = async (name: string): Promise<string> => {
  const dir = await mkdtemp(join(tmpdir(), `gpu-cp-bench-${name}-`));
  await mkdir(dir, { recursive: true });
  return dir;
};
