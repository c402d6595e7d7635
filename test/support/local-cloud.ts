/**
 * Starts a private local cloud for one test file (its own data dir and ports) and gives the
 * test real clients for what it needs to check: the HTTP API with a signed token (every
 * answer checked against the OpenAPI document, ./openapi-contract.ts), EKS and
 * Kubernetes through the same SDKs production uses, the DynamoDB table and the Step
 * Functions executions. `restart()` closes the whole cloud and starts a new one on the same
 * data dir, like `npm start` after a crash.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DescribeNodegroupCommand, EKSClient } from '@aws-sdk/client-eks';
import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  SFNClient,
  type HistoryEvent,
} from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient, GetCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { AppsV1Api, CoreV1Api, KubeConfig, NetworkingV1Api, PolicyV1Api } from '@kubernetes/client-node';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { vi } from 'vitest';
import type { LocalCloud } from '../../local/cloud';
import type { GatewayOptions } from '../../gateway/server';
import type { FaultRequest, FaultRule } from '../../local/sim/index';
import { loadOrCreateDevKey, signDevToken } from '../../local/jwt';
import { contractViolation } from './openapi-contract';

export interface TestCloud {
  /** The running cloud (a new one after `restart()`). */
  readonly cloud: LocalCloud;
  token(claims?: { org_id?: string; project_ids?: string; role?: 'admin' | 'editor' | 'viewer' }): Promise<string>;
  api(method: string, path: string, options?: { token?: string | null; body?: unknown; rawBody?: string; headers?: Record<string, string> }): Promise<{ status: number; body: any }>;
  nodeGroupDesiredSize(name: string): Promise<number>;
  pods(labelSelector: string): Promise<number>;
  /** The bearer token the api() helper sends by default (org-acme / prj-web). */
  readonly defaultToken: string;
  /** A project of its own (its pods carry `gpudeploy.io/project=<project>`), with a token for it. */
  tenant(project: string): Promise<Tenant>;
  /** reserved_gpus of a node group's capacity ledger item (0 when absent). */
  ledger(gpuConfigId: string): Promise<number>;
  /** Every deployment record in the table (all tenants). */
  records(): Promise<StoredDeployment[]>;
  /** Kubernetes objects left of one deployment: by its label and by its object name. */
  leftovers(deploymentId: string): Promise<Leftovers>;
  /** POST /_sim/faults over HTTP, as an operator would. */
  addFault(request: FaultRequest): Promise<FaultRule>;
  removeFault(id: string): Promise<void>;
  /** Step Functions through the real SDK. */
  execution(arn: string): Promise<{ status: string; error?: string; cause?: string }>;
  executions(workflow: 'deploy' | 'scale' | 'delete'): Promise<{ executionArn: string; name: string; status: string }[]>;
  history(arn: string): Promise<HistoryEvent[]>;
  /** Closes every service of the cloud and starts them again on the same data dir. */
  restart(): Promise<void>;
  close(): Promise<void>;
}

export interface Tenant {
  project: string;
  token: string;
  base: string;
}

export interface StoredDeployment {
  id: string;
  org_id: string;
  project_id: string;
  status: string;
  phase: string;
  gpu_config_id: string;
  gpu_count: number;
  replicas: number;
  reserved_gpus: number;
  execution_arn: string;
  fail_reason: string | null;
}

export interface Leftovers {
  deployments: string[];
  pods: string[];
  services: string[];
  secrets: string[];
  pvcs: string[];
  pdbs: string[];
  networkPolicies: string[];
}

export const ORG = 'org-acme';
export const PROJECT = 'prj-web';
export const BASE = `/api/v1beta1/orgs/${ORG}/projects/${PROJECT}/aimodels`;
export const TABLE = 'gpu-control-plane-deployments';
export const NAMESPACE = 'models';
export const CLUSTER = 'gpu-models';
const AWS = { region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } };

export const basePath = (project: string, org = ORG) => `/api/v1beta1/orgs/${org}/projects/${project}/aimodels`;

export { deployBody } from './deploy-body';

interface Clients {
  eks: EKSClient;
  sfn: SFNClient;
  dynamo: DynamoDBDocumentClient;
  core: CoreV1Api;
  apps: AppsV1Api;
  policy: PolicyV1Api;
  networking: NetworkingV1Api;
  destroy(): void;
}

const clientsFor = (cloud: LocalCloud): Clients => {
  const eks = new EKSClient({ ...AWS, endpoint: cloud.simulator.url });
  const sfn = new SFNClient({ ...AWS, endpoint: cloud.sfnUrl });
  const raw = new DynamoDBClient({ ...AWS, endpoint: cloud.dynamoUrl });
  const dynamo = DynamoDBDocumentClient.from(raw);
  const kc = new KubeConfig();
  kc.loadFromOptions(cloud.simulator.kubeConfig({ tls: true }));
  return {
    eks,
    sfn,
    dynamo,
    core: kc.makeApiClient(CoreV1Api),
    apps: kc.makeApiClient(AppsV1Api),
    policy: kc.makeApiClient(PolicyV1Api),
    networking: kc.makeApiClient(NetworkingV1Api),
    destroy: () => {
      eks.destroy();
      sfn.destroy();
      raw.destroy();
    },
  };
};

/**
 * The handlers build their SDK clients from the environment when first imported; a cloud
 * started again in the same process has new ports, so it needs fresh module instances
 * (as a new Lambda container would have).
 */
const launch = async (dataDir: string, timeScale: number, options: TestCloudOptions, fresh: boolean): Promise<LocalCloud> => {
  if (fresh) vi.resetModules();
  const { startLocalCloud } = await import('../../local/cloud');
  const cloudOptions = {
    dataDir,
    timeScale,
    port: 0,
    ...(options.cron === undefined ? {} : { cron: options.cron }),
    ...(options.gatedModels === undefined ? {} : { gatedModels: options.gatedModels }),
    ...(options.gateway === undefined ? {} : { gateway: options.gateway }),
  };
  return startLocalCloud(cloudOptions as Parameters<typeof startLocalCloud>[0]);
};

export interface TestCloudOptions {
  /**
   * false: the scheduled reconcile (leak audit) only runs when a test asks for it, so a
   * test sees what the workflows leave behind by themselves, not what the audit repaired.
   */
  cron?: boolean;
  /** Repositories the simulated Hugging Face gates: pods without an HF_TOKEN fail to download them. */
  gatedModels?: readonly string[];
  /** Inference gateway settings over the defaults (shorter key cache TTLs, keep-alive interval, body limit). */
  gateway?: Partial<GatewayOptions>;
}

export const startTestCloud = async (timeScale = 0.01, options: TestCloudOptions = {}): Promise<TestCloud> => {
  const dataDir = mkdtempSync(join(tmpdir(), 'gpu-cp-test-'));
  let cloud = await launch(dataDir, timeScale, options, false);
  let clients = clientsFor(cloud);
  const key = await loadOrCreateDevKey(dataDir);
  const defaultToken = await signDevToken(key, { org_id: ORG, project_ids: PROJECT });

  const api: TestCloud['api'] = async (method, path, options = {}) => {
    const headers: Record<string, string> = { ...options.headers };
    const token = options.token === undefined ? defaultToken : options.token;
    if (token !== null) headers.authorization = `Bearer ${token}`;
    let body: string | undefined = options.rawBody;
    if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers['content-type'] ??= 'application/json';
    }
    const response = await fetch(`${cloud.apiUrl}${path}`, { method, headers, body });
    const text = await response.text();
    const contentType = response.headers.get('content-type');
    const parsed = text && contentType?.startsWith('application/json') ? JSON.parse(text) : text || undefined;
    // Every answer a test sees must keep the OpenAPI document's promise for its operation and status.
    const violation = contractViolation(method, path, response.status, contentType, parsed);
    if (violation) throw new Error(`OpenAPI contract: ${violation}`);
    return { status: response.status, body: parsed };
  };

  const namesOf = (items: { metadata?: { name?: string } }[]) => items.map((i) => i.metadata?.name ?? '?');

  return {
    get cloud() {
      return cloud;
    },
    defaultToken,
    token: (claims = {}) => signDevToken(key, { org_id: claims.org_id ?? ORG, project_ids: claims.project_ids ?? PROJECT, role: claims.role }),
    api,
    nodeGroupDesiredSize: async (name) =>
      (await clients.eks.send(new DescribeNodegroupCommand({ clusterName: CLUSTER, nodegroupName: name }))).nodegroup?.scalingConfig?.desiredSize ?? -1,
    pods: async (labelSelector) => (await clients.core.listNamespacedPod({ namespace: NAMESPACE, labelSelector })).items.length,
    tenant: async (project) => ({ project, token: await signDevToken(key, { org_id: ORG, project_ids: project }), base: basePath(project) }),
    ledger: async (gpuConfigId) => {
      const { Item } = await clients.dynamo.send(
        new GetCommand({ TableName: TABLE, Key: { pk: `CAPACITY#${gpuConfigId}`, sk: 'LEDGER' }, ConsistentRead: true }),
      );
      return Number(Item?.reserved_gpus ?? 0);
    },
    records: async () => {
      const items: StoredDeployment[] = [];
      let start: Record<string, unknown> | undefined;
      do {
        const page = await clients.dynamo.send(
          new ScanCommand({
            TableName: TABLE,
            ConsistentRead: true,
            FilterExpression: 'begins_with(sk, :dep)',
            ExpressionAttributeValues: { ':dep': 'DEP#' },
            ExclusiveStartKey: start,
          }),
        );
        items.push(...((page.Items ?? []) as StoredDeployment[]));
        start = page.LastEvaluatedKey;
      } while (start);
      return items;
    },
    leftovers: async (id) => {
      const name = `model-${id.replace(/^dep-/, '')}`;
      const [deployments, pods, services, secrets, pvcs, pdbs, networkPolicies] = await Promise.all([
        clients.apps.listNamespacedDeployment({ namespace: NAMESPACE }),
        clients.core.listNamespacedPod({ namespace: NAMESPACE }),
        clients.core.listNamespacedService({ namespace: NAMESPACE }),
        clients.core.listNamespacedSecret({ namespace: NAMESPACE }),
        clients.core.listNamespacedPersistentVolumeClaim({ namespace: NAMESPACE }),
        clients.policy.listNamespacedPodDisruptionBudget({ namespace: NAMESPACE }),
        clients.networking.listNamespacedNetworkPolicy({ namespace: NAMESPACE }),
      ]);
      // By label, and by name for anything rendered without the label.
      const ours = <T extends { metadata?: { name?: string; labels?: Record<string, string> } }>(items: T[]) =>
        items.filter((o) => o.metadata?.labels?.['gpudeploy.io/deployment-id'] === id || (o.metadata?.name ?? '').startsWith(name));
      return {
        deployments: namesOf(ours(deployments.items)),
        pods: namesOf(ours(pods.items)),
        services: namesOf(ours(services.items)),
        secrets: namesOf(ours(secrets.items)),
        pvcs: namesOf(ours(pvcs.items)),
        pdbs: namesOf(ours(pdbs.items)),
        networkPolicies: namesOf(ours(networkPolicies.items)),
      };
    },
    addFault: async (request) => {
      const response = await fetch(`${cloud.simulator.url}/_sim/faults`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(request),
      });
      if (response.status !== 201) throw new Error(`POST /_sim/faults answered ${response.status}: ${await response.text()}`);
      return (await response.json()) as FaultRule;
    },
    removeFault: async (id) => {
      const response = await fetch(`${cloud.simulator.url}/_sim/faults/${encodeURIComponent(id)}`, { method: 'DELETE' });
      if (response.status !== 200) throw new Error(`DELETE /_sim/faults/${id} answered ${response.status}`);
    },
    execution: async (arn) => {
      const out = await clients.sfn.send(new DescribeExecutionCommand({ executionArn: arn }));
      return { status: String(out.status), error: out.error, cause: out.cause };
    },
    executions: async (workflow) => {
      const result: { executionArn: string; name: string; status: string }[] = [];
      let nextToken: string | undefined;
      do {
        const page = await clients.sfn.send(new ListExecutionsCommand({ stateMachineArn: cloud.stateMachineArns[workflow], nextToken }));
        for (const e of page.executions ?? []) result.push({ executionArn: e.executionArn ?? '', name: e.name ?? '', status: String(e.status) });
        nextToken = page.nextToken;
      } while (nextToken);
      return result;
    },
    history: async (arn) => {
      const events: HistoryEvent[] = [];
      let nextToken: string | undefined;
      do {
        const page = await clients.sfn.send(new GetExecutionHistoryCommand({ executionArn: arn, nextToken, includeExecutionData: true }));
        events.push(...(page.events ?? []));
        nextToken = page.nextToken;
      } while (nextToken);
      return events;
    },
    restart: async () => {
      await cloud.close();
      clients.destroy();
      cloud = await launch(dataDir, timeScale, options, true);
      clients = clientsFor(cloud);
    },
    close: async () => {
      await cloud.close();
      clients.destroy();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
};

/** Polls `probe` until `done` holds or the deadline passes (then throws with the last value). */
export const waitFor = async <T>(probe: () => Promise<T>, done: (value: T) => boolean, what: string, timeoutMs = 30_000, intervalMs = 100): Promise<T> => {
  const deadline = Date.now() + timeoutMs;
  let last: T = await probe();
  while (!done(last)) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last value: ${JSON.stringify(last)}`);
    await sleep(intervalMs);
    last = await probe();
  }
  return last;
};
