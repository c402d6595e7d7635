// Over 300 lines: the one place that starts and wires every local service in order; split, the start order and the shared settings would be spread over files.
/**
 * The whole control plane on one machine: dynalite, the EKS/Kubernetes simulator, the local
 * Step Functions endpoint running statemachines/*.asl.json, and the local API Gateway, wired
 * through the same environment variables the Lambdas read in AWS. The production handlers
 * and adapters run unchanged; only the far side of each API is local.
 */
import { readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gatewaySecretName } from '../contract/access';
import inventory from '../contract/data/inventory.json';
import { ROUTES, type RouteDefinition } from '../contract/routes';
import { SCHEDULES } from '../contract/schedules';
import { STATE_MACHINES, TASK_FUNCTIONS, stateMachineName, type TaskFunctionDefinition } from '../contract/workflows';
import { createConsoleSite, startApiGateway, type LambdaHandler } from './gateway';
import type { Context } from 'aws-lambda';
import { startCron, type ScheduledEventLike } from './cron';
import { lambdaContext } from './lambda-context';
import { ensureTable, startDynamo } from './dynamodb';
import { LocalFaults } from './faults';
import { allowEverything, createAuthorizer, type LocalAuthorizer } from './iam/authorizer';
import { loadLocalPrincipals } from './iam/principals';
import { createSimGate } from './iam/sim-gate';
import { applyClusterBootstrap } from './cluster-bootstrap';
import { installCallerHeader, runAsFunction } from './identity';
import { loadOrCreateDevKey } from './jwt';
import { ensureGatewaySecret } from './secrets/gateway-secret';
import { startSecretsManager, type LocalSecretsManager } from './secrets/index';
import { startStepFunctions, type LocalTaskFunction, type RunningStepFunctions } from './sfn/index';
import { TaskFailure } from './sfn/task-errors';
import { nodeGroupsFromInventory, startSimulator, SYSTEM_NODE_GROUP, type RunningSimulator, type SimDelays } from './sim/index';
import { inferenceGatewayPrincipal } from './iam/principals';
import { gatewayNetworkSources } from './gateway-network';
import type { GatewayOptions, RunningGateway } from '../gateway/server';

/** The timeout CDK gives workflow functions (infra/constructs/control-plane-function.ts). */
const WORKFLOW_FUNCTION_TIMEOUT_SECONDS = 60;
/** And the one it gives scheduled functions. */
const SCHEDULED_FUNCTION_TIMEOUT_SECONDS = 300;

const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '..');
const REGION = 'us-east-1';
const ACCOUNT = '000000000000';

export interface LocalCloudOptions {
  host?: string;
  /** API port; 0 picks a free one. */
  port?: number;
  dataDir: string;
  /** Multiplies every simulated delay and every Wait state. 1 = real time. */
  timeScale: number;
  prefix?: string;
  clusterName?: string;
  namespace?: string;
  /** Access log lines of the API gateway. */
  log?: (line: string) => void;
  /**
   * Fire the schedule list (reconcile, …) on its timer, every `everyMinutes` x 60 s x
   * timeScale, like EventBridge (default true). With false, only `runSchedule()` runs them.
   */
  cron?: boolean;
  /** Hugging Face repositories the simulated hub gates (see SimulatorOptions.gatedModels); default none. */
  gatedModels?: readonly string[];
  /**
   * Authorize every function's AWS call against its role in the synthesized template
   * (docs/local-iam.md). Default true; LOCAL_IAM=off turns it off, for debugging only.
   */
  iam?: boolean;
  /** Simulated cluster delays in cluster seconds, over the defaults (the benchmarks' slow model loads). */
  simulatorDelays?: Partial<SimDelays>;
  /**
   * Puts a front before the Step Functions endpoint: the functions' SFN_ENDPOINT and `sfnUrl`
   * become its URL. The benchmark routes some deploys through it to a variant endpoint started
   * with `endpoint.start`, which shares the cloud's task functions, IAM and faults.
   */
  stepFunctionsFront?: (endpoint: StepFunctionsParts) => Promise<{ url: string; close(): Promise<void> }>;
  /** The inference gateway's port; 0 (default) picks a free one. */
  gatewayPort?: number;
  /** Gateway settings over the defaults (tests: shorter key cache TTLs, keep-alive interval, body limit). */
  gateway?: Partial<GatewayOptions>;
}

/** The Step Functions endpoint and what a second endpoint beside it needs (see `stepFunctionsFront`). */
export interface StepFunctionsParts {
  stepFunctions: RunningStepFunctions;
  /** The state machines, placeholders substituted, by workflow. */
  stateMachines: Record<'deploy' | 'scale' | 'delete', { name: string; definition: string }>;
  /** The task functions as the endpoint invokes them (each as its own function, with injected timeouts). */
  functions: Record<string, LocalTaskFunction>;
  /** Starts another endpoint with the same region, account, time scale, IAM and faults. */
  start(options: { stateMachines: { name: string; definition: string }[]; functions: Record<string, LocalTaskFunction>; dataDir: string }): Promise<RunningStepFunctions>;
}

export interface LocalCloud {
  apiUrl: string;
  /** The inference gateway: each ready deployment's endpoint_url is `<gatewayUrl>/orgs/…/aimodels/<id>/v1`. */
  gatewayUrl: string;
  gateway: RunningGateway;
  dynamoUrl: string;
  sfnUrl: string;
  /** Secrets Manager (Hugging Face tokens), encrypted on disk under DATA_DIR/secretsmanager. */
  secretsManager: LocalSecretsManager;
  simulator: RunningSimulator;
  stepFunctions: RunningStepFunctions;
  stateMachineArns: Record<'deploy' | 'scale' | 'delete', string>;
  dataDir: string;
  /** Injects AWS-side faults: throttling of each API, Lambda task timeouts (local/faults.ts). */
  faults: LocalFaults;
  /** Whether IAM is enforced on the functions' calls. */
  iamEnforced: boolean;
  /**
   * Runs one schedule of the list now (after a run in progress) and returns its handler's
   * result; `time` is the event's time (the schedule sweeper's clock in tests).
   */
  runSchedule(name: string, options?: { time?: Date }): Promise<unknown>;
  close(): Promise<void>;
}

const functionName = (prefix: string, task: TaskFunctionDefinition) => `${prefix}-${task.name}`;
const localFunctionArn = (name: string) => `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${name}`;

/**
 * What Step Functions records when a Lambda task times out: the function's own timeout comes
 * back from Lambda as errorType Sandbox.Timedout ("Task timed out after N seconds"); a Task's
 * TimeoutSeconds elapsing is States.Timeout.
 */
const lambdaTimeout = (code: string, seconds: number): Error => {
  const after = `${seconds.toFixed(2)} seconds`;
  if (code === 'States.Timeout') return new TaskFailure('States.Timeout', 'Task timed out');
  const error = new Error(`RequestId: ${crypto.randomUUID()} Error: Task timed out after ${after}`);
  error.name = code;
  return error;
};

/** Imports a handler module the first time it is called, like a Lambda cold start. */
const lazyHandler = <T>(entry: string): (() => Promise<T>) => {
  let loaded: Promise<T> | undefined;
  return () => (loaded ??= import(join(ROOT, entry)).then((m: { handler: T }) => m.handler));
};

export const startLocalCloud = async (options: LocalCloudOptions): Promise<LocalCloud> => {
  const host = options.host ?? '127.0.0.1';
  const prefix = options.prefix ?? 'gpu-control-plane';
  const clusterName = options.clusterName ?? 'gpu-models';
  const namespace = options.namespace ?? 'models';
  const dataDir = resolve(options.dataDir);
  await mkdir(dataDir, { recursive: true });
  const tableName = `${prefix}-deployments`;
  const closers: (() => Promise<void>)[] = [];
  installCallerHeader();
  const kmsKeyArn = `arn:aws:kms:${REGION}:${ACCOUNT}:key/local-hf-token-key`;
  const iamEnforced = options.iam ?? process.env.LOCAL_IAM !== 'off';
  // The functions' roles, policies and EKS access entries, from the synthesized template (local/iam).
  const principals = await loadLocalPrincipals({ prefix, clusterName, namespace, region: REGION, account: ACCOUNT, kmsKeyArn });
  const authorizer: LocalAuthorizer = iamEnforced ? createAuthorizer(principals.principals, ACCOUNT) : allowEverything;
  const faults = new LocalFaults();
  try {
    const dynamo = await startDynamo({ host, dataDir: join(dataDir, 'dynamodb'), authorizer, faults, region: REGION, account: ACCOUNT });
    closers.push(dynamo.close);
    await ensureTable(dynamo.url, tableName, (line) => console.log(line));

    const secretsManager = await startSecretsManager({ host, dataDir: join(dataDir, 'secretsmanager'), region: REGION, accountId: ACCOUNT, authorizer });
    closers.push(secretsManager.close);
    await ensureGatewaySecret(secretsManager.url, { name: gatewaySecretName(prefix), kmsKeyArn, region: REGION });

    const simulator = await startSimulator({
      host,
      port: 0,
      clusterName,
      region: REGION,
      // The GPU node groups of the inventory, and the stack's system node group beside them.
      nodeGroups: [...nodeGroupsFromInventory(inventory), SYSTEM_NODE_GROUP],
      timeScale: options.timeScale,
      ...(options.simulatorDelays ? { delays: options.simulatorDelays } : {}),
      stateFile: join(dataDir, 'cluster-state.json'),
      ...(options.gatedModels ? { gatedModels: options.gatedModels } : {}),
      awsGate: createSimGate(authorizer, faults),
      kubernetesAuth: { principals: Object.values(principals.principals), accessEntries: principals.accessEntries },
      serviceNetwork: { sources: gatewayNetworkSources() },
    });
    closers.push(simulator.close);
    await applyClusterBootstrap(simulator.url, namespace);

    const functions: Record<string, LocalTaskFunction> = {};
    for (const task of TASK_FUNCTIONS) {
      const load = lazyHandler<(event: unknown, context: Context) => Promise<unknown>>(task.entry);
      const name = functionName(prefix, task);
      functions[name] = async (event) => {
        const result = await runAsFunction(name, async () => (await load())(event, lambdaContext(name, WORKFLOW_FUNCTION_TIMEOUT_SECONDS * 1000)));
        // An injected timeout: the function ran (its side effects stay) but its result is lost, as when Lambda cuts it off.
        const timeout = faults.take('lambda-timeout', name, name);
        if (timeout) throw lambdaTimeout(timeout.code ?? 'Sandbox.Timedout', WORKFLOW_FUNCTION_TIMEOUT_SECONDS);
        return result;
      };
    }
    const substitutions = Object.fromEntries(TASK_FUNCTIONS.map((t) => [t.substitution, localFunctionArn(functionName(prefix, t))]));
    const definitions = Object.fromEntries(
      STATE_MACHINES.map((machine) => [
        machine.workflow,
        {
          name: stateMachineName(prefix, machine.workflow),
          definition: readFileSync(join(ROOT, machine.file), 'utf8').replace(/\$\{(\w+)\}/g, (placeholder, key: string) => {
            const value = substitutions[key];
            if (!value) throw new Error(`${machine.file}: no substitution for ${placeholder}`);
            return value;
          }),
        },
      ]),
    ) as StepFunctionsParts['stateMachines'];
    const startEndpoint: StepFunctionsParts['start'] = (endpoint) =>
      startStepFunctions({ host, port: 0, region: REGION, accountId: ACCOUNT, timeScale: options.timeScale, authorizer, faults, ...endpoint });
    const sfn = await startEndpoint({ stateMachines: Object.values(definitions), functions, dataDir: join(dataDir, 'stepfunctions') });
    closers.push(sfn.close);
    let sfnUrl = sfn.url;
    if (options.stepFunctionsFront) {
      const front = await options.stepFunctionsFront({ stepFunctions: sfn, stateMachines: definitions, functions, start: startEndpoint });
      closers.push(front.close);
      sfnUrl = front.url;
    }
    const stateMachineArns = {
      deploy: sfn.stateMachineArn(stateMachineName(prefix, 'deploy')),
      scale: sfn.stateMachineArn(stateMachineName(prefix, 'scale')),
      delete: sfn.stateMachineArn(stateMachineName(prefix, 'delete')),
    };

    // What CDK sets on the functions in AWS, plus the endpoint overrides of the local cloud.
    Object.assign(process.env, {
      AWS_REGION: REGION,
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      TABLE_NAME: tableName,
      DYNAMODB_ENDPOINT: dynamo.url,
      SFN_ENDPOINT: sfnUrl,
      SECRETS_MANAGER_ENDPOINT: secretsManager.url,
      // What infra/constructs/secrets.ts passes to the functions that handle tokens.
      HF_TOKEN_SECRET_PREFIX: `${prefix}/hf-token/`,
      HF_TOKEN_KMS_KEY_ARN: kmsKeyArn,
      // What infra's GatewaySecret passes to the functions granted `gatewaySecret` (CDK passes the ARN; the name works the same).
      GATEWAY_SECRET_ID: gatewaySecretName(prefix),
      DEPLOY_STATE_MACHINE_ARN: stateMachineArns.deploy,
      SCALE_STATE_MACHINE_ARN: stateMachineArns.scale,
      DELETE_STATE_MACHINE_ARN: stateMachineArns.delete,
      EKS_CLUSTER_NAME: clusterName,
      EKS_ENDPOINT: simulator.url,
      AUTOSCALING_ENDPOINT: simulator.url,
      MODEL_NAMESPACE: namespace,
      WORKFLOW_TIME_SCALE: String(options.timeScale),
      // /prompt and /models reach the model's Service over the simulated Service network (adapters/model-server-proxy.ts).
      POWERTOOLS_LOG_LEVEL: process.env.POWERTOOLS_LOG_LEVEL ?? 'WARN',
    });

    // The inference gateway, on its own port; a ready deployment's endpoint_url is its route.
    const gatewayPrincipal = inferenceGatewayPrincipal(prefix);
    // Loaded only now: the gateway's code loads the functions' logger, which reads POWERTOOLS_LOG_LEVEL once, when loaded.
    const { startLocalInferenceGateway } = await import('./inference-gateway');
    const gateway = await startLocalInferenceGateway({
      host,
      port: options.gatewayPort ?? 0,
      namespace,
      serviceNetwork: simulator.serviceNetwork!,
      principal: principals.principals[gatewayPrincipal] ? gatewayPrincipal : undefined,
      ...(options.gateway ? { overrides: options.gateway } : {}),
    });
    closers.push(gateway.close);
    process.env.ENDPOINT_URL_TEMPLATE = `${gateway.url}/orgs/{org}/projects/{project}/aimodels/{id}/v1`;

    // Each route's handler runs as its own function (local/identity.ts), like a Lambda with its role.
    const handlers = new Map(
      ROUTES.map((r) => {
        const load = lazyHandler<LambdaHandler>(r.entry);
        const name = `${prefix}-${r.name}`;
        const asFunction: LambdaHandler = (event, context) => runAsFunction(name, async () => (await load())(event, context));
        return [r.name, async () => asFunction] as const;
      }),
    );
    const devKey = await loadOrCreateDevKey(dataDir);
    const api = await startApiGateway({
      host,
      port: options.port ?? 0,
      routes: ROUTES,
      loadHandler: (route: RouteDefinition) => handlers.get(route.name)!(),
      key: devKey,
      log: options.log,
      site: createConsoleSite(devKey),
    });
    closers.push(api.close);

    // EventBridge: the same schedule list CDK deploys, started once the API is up.
    const cron = startCron(
      SCHEDULES.map((schedule) => {
        const load = lazyHandler<(event: ScheduledEventLike, context: Context) => Promise<unknown>>(schedule.entry);
        const name = `${prefix}-${schedule.name}`;
        return {
          name: schedule.name,
          everyMs: schedule.everyMinutes * 60_000 * options.timeScale,
          run: async (event) => runAsFunction(name, async () => (await load())(event, lambdaContext(name, SCHEDULED_FUNCTION_TIMEOUT_SECONDS * 1000))),
        };
      }),
      {
        timer: options.cron !== false,
        region: REGION,
        account: ACCOUNT,
        onError: (name, error) => console.error(`schedule ${name} failed:`, error),
      },
    );
    closers.push(cron.close);

    return {
      apiUrl: api.url,
      gatewayUrl: gateway.url,
      gateway,
      dynamoUrl: dynamo.url,
      sfnUrl,
      secretsManager,
      simulator,
      stepFunctions: sfn,
      stateMachineArns,
      dataDir,
      faults,
      iamEnforced,
      runSchedule: (name, runOptions) => cron.run(name, runOptions),
      close: async () => {
        const failures: unknown[] = [];
        for (const close of closers.reverse()) await close().catch((error: unknown) => failures.push(error));
        if (failures.length > 0) throw new AggregateError(failures, 'some local services did not close cleanly');
      },
    };
  } catch (error) {
    for (const close of closers.reverse()) await close().catch(() => undefined);
    throw error;
  }
};
