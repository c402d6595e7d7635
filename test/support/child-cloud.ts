/**
 * The local cloud as `npm start` runs it (`tsx local/main.ts` with DATA_DIR, PORT and
 * SIM_TIME_SCALE), in a child process that a test can SIGKILL and start again on the same
 * data dir: a real crash (no close(), no flush), not the in-process restart of
 * local-cloud.ts. The test inspects it from outside, as an operator would: the HTTP API,
 * `/_sim/state`, DynamoDB and Step Functions through the real SDK clients. Every line the
 * process writes is kept, for the log hygiene checks.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DescribeExecutionCommand, GetExecutionHistoryCommand, ListExecutionsCommand, SFNClient, type HistoryEvent } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient, GetCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SimStateView } from '../../local/sim/server/control';
import { TABLE, type StoredDeployment } from './local-cloud';

const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');
const TSX_CLI = join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs');
const AWS = { region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } };
const STARTUP_TIMEOUT_MS = 45_000;

export interface ChildCloudOptions {
  dataDir: string;
  timeScale: number;
  env?: Record<string, string>;
}

/** The endpoints `npm start` announces in its banner. */
export interface ChildCloudEndpoints {
  apiUrl: string;
  /** The inference gateway: a ready deployment's endpoint_url starts with it. */
  gatewayUrl: string;
  dynamoUrl: string;
  sfnUrl: string;
  secretsManagerUrl: string;
  /** EKS, Auto Scaling and the Kubernetes API share it. */
  simUrl: string;
}

export class ChildCloud {
  /** Every stdout and stderr line of every process started so far. */
  readonly output: string[] = [];
  private child: ChildProcess | undefined;
  private endpoints: ChildCloudEndpoints | undefined;
  private dynamo: DynamoDBDocumentClient | undefined;
  private sfn: SFNClient | undefined;
  starts = 0;
  kills = 0;

  constructor(private readonly options: ChildCloudOptions) {}

  get apiUrl(): string {
    return this.urls().apiUrl;
  }

  /** Starts `tsx local/main.ts` and waits until it announces its endpoints. */
  async start(): Promise<void> {
    if (this.child) throw new Error('the child cloud is already running');
    const child = spawn(process.execPath, [TSX_CLI, 'local/main.ts'], {
      cwd: ROOT,
      env: {
        ...process.env,
        // no fixed port: test files run in parallel, and a developer's `npm start` may hold 8080/8081
        PORT: '0',
        GATEWAY_PORT: '0',
        DATA_DIR: this.options.dataDir,
        SIM_TIME_SCALE: String(this.options.timeScale),
        QUIET: '0',
        ...this.options.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
      // its own process group: tsx runs the script in a child process of its own, and a
      // SIGKILL must take both at once (tsx cannot relay a signal it never receives)
      detached: true,
    });
    this.child = child;
    this.starts += 1;
    const lines: string[] = [];
    const collect = (chunk: Buffer) => {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line.length === 0) continue;
        lines.push(line);
        this.output.push(line);
      }
    };
    child.stdout!.on('data', collect);
    child.stderr!.on('data', collect);
    child.once('exit', () => {
      if (this.child === child) this.child = undefined;
    });

    const deadline = Date.now() + STARTUP_TIMEOUT_MS;
    while (Date.now() < deadline) {
      const text = lines.join('\n');
      const api = /listening on (http:\/\/[\d.:]+)/.exec(text)?.[1];
      const dynamo = /DynamoDB\s+(http:\/\/[\d.:]+)/.exec(text)?.[1];
      const sfn = /Step Functions\s+(http:\/\/[\d.:]+)/.exec(text)?.[1];
      const sim = /EKS\/Auto Scaling\/Kubernetes\s+(http:\/\/[\d.:]+)/.exec(text)?.[1];
      const gateway = /Inference\s+(http:\/\/[\d.:]+)/.exec(text)?.[1];
      const secrets = /Secrets Manager\s+(http:\/\/[\d.:]+)/.exec(text)?.[1];
      if (api && dynamo && sfn && sim && gateway && secrets) {
        this.endpoints = { apiUrl: api, gatewayUrl: gateway, dynamoUrl: dynamo, sfnUrl: sfn, secretsManagerUrl: secrets, simUrl: sim };
        this.dynamo = DynamoDBDocumentClient.from(new DynamoDBClient({ ...AWS, endpoint: dynamo }));
        this.sfn = new SFNClient({ ...AWS, endpoint: sfn });
        return;
      }
      if (child.exitCode !== null) throw new Error(`the child cloud exited with ${child.exitCode}:\n${text}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    await this.kill();
    throw new Error(`the child cloud did not start within ${STARTUP_TIMEOUT_MS} ms:\n${lines.join('\n')}`);
  }

  /** SIGKILL: the process gets no chance to flush or close anything. */
  async kill(): Promise<void> {
    const child = this.child;
    this.dynamo?.destroy();
    this.sfn?.destroy();
    this.dynamo = undefined;
    this.sfn = undefined;
    this.endpoints = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    process.kill(-child.pid!, 'SIGKILL');
    await exited;
    await this.waitUntilGroupGone(child.pid!);
    this.kills += 1;
  }

  /** The whole group (tsx and the script it started) has exited, so nothing holds the data dir. */
  private async waitUntilGroupGone(groupId: number): Promise<void> {
    for (let i = 0; i < 200; i++) {
      try {
        process.kill(-groupId, 0);
      } catch {
        return;
      }
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error(`process group ${groupId} still has members 5 s after SIGKILL`);
  }

  async api(method: string, path: string, options: { token?: string; body?: unknown } = {}): Promise<{ status: number; body: any }> {
    const headers: Record<string, string> = {};
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(`${this.urls().apiUrl}${path}`, { method, headers, body: options.body === undefined ? undefined : JSON.stringify(options.body) });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : undefined };
  }

  async simState(): Promise<SimStateView> {
    const response = await fetch(`${this.urls().simUrl}/_sim/state`);
    return (await response.json()) as SimStateView;
  }

  async records(): Promise<StoredDeployment[]> {
    const page = await this.db().send(
      new ScanCommand({ TableName: TABLE, ConsistentRead: true, FilterExpression: 'begins_with(sk, :dep)', ExpressionAttributeValues: { ':dep': 'DEP#' } }),
    );
    return (page.Items ?? []) as StoredDeployment[];
  }

  async ledger(gpuConfigId: string): Promise<number> {
    const { Item } = await this.db().send(new GetCommand({ TableName: TABLE, Key: { pk: `CAPACITY#${gpuConfigId}`, sk: 'LEDGER' }, ConsistentRead: true }));
    return Number(Item?.reserved_gpus ?? 0);
  }

  async executions(stateMachineArn: string): Promise<{ executionArn: string; name: string; status: string }[]> {
    const page = await this.stepFunctions().send(new ListExecutionsCommand({ stateMachineArn, maxResults: 1000 }));
    return (page.executions ?? []).map((e) => ({ executionArn: e.executionArn ?? '', name: e.name ?? '', status: String(e.status) }));
  }

  async execution(executionArn: string) {
    return this.stepFunctions().send(new DescribeExecutionCommand({ executionArn }));
  }

  async history(executionArn: string): Promise<HistoryEvent[]> {
    const events: HistoryEvent[] = [];
    let nextToken: string | undefined;
    do {
      const page = await this.stepFunctions().send(new GetExecutionHistoryCommand({ executionArn, nextToken, includeExecutionData: true }));
      events.push(...(page.events ?? []));
      nextToken = page.nextToken;
    } while (nextToken);
    return events;
  }

  /** The endpoints of the running process, as its banner printed them. */
  urls(): ChildCloudEndpoints {
    if (!this.endpoints) throw new Error('the child cloud is not running');
    return this.endpoints;
  }

  private db(): DynamoDBDocumentClient {
    if (!this.dynamo) throw new Error('the child cloud is not running');
    return this.dynamo;
  }

  private stepFunctions(): SFNClient {
    if (!this.sfn) throw new Error('the child cloud is not running');
    return this.sfn;
  }
}
