/**
 * The reconcile and leak audit against the local cloud: each kind of damage is done for real
 * (a Step Functions execution stopped, objects created through the Kubernetes API, a node
 * group grown through the EKS API, a ledger item written by hand), then one run of the
 * schedule repairs it, and a healthy deployment is left exactly as it was.
 *
 * The cloud's cron is off: every run is `runSchedule('reconcile')`, so each assertion
 * follows a known run.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DescribeNodegroupCommand, EKSClient, UpdateNodegroupConfigCommand } from '@aws-sdk/client-eks';
import { DescribeExecutionCommand, SFNClient, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ApiException, AppsV1Api, CoreV1Api, KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalCloud, type LocalCloud } from '../../local/cloud';
import { loadOrCreateDevKey, signDevToken } from '../../local/jwt';
import type { ReconcileReport } from '../../functions/use-cases/reconcile';
import { waitFor } from '../support/local-cloud';

const TIME_SCALE = 0.01;
/** Past SETTLE_SECONDS / LEDGER_CONFIRM_SECONDS (cluster seconds) at this time scale, with margin: how much later a run is dated. */
const SETTLE_WALL_MS = 120 * 1000 * TIME_SCALE + 300;
const CONFIRM_WALL_MS = 180 * 1000 * TIME_SCALE + 300;

const ORG = 'org-acme';
const PROJECT = 'prj-reconcile';
const BASE = `/api/v1beta1/orgs/${ORG}/projects/${PROJECT}/aimodels`;
const TABLE = 'gpu-control-plane-deployments';
const NAMESPACE = 'models';
const AWS = { region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } };

let cloud: LocalCloud;
let dataDir: string;
let token: string;
let sfn: SFNClient;
let eks: EKSClient;
let rawDynamo: DynamoDBClient;
let dynamo: DynamoDBDocumentClient;
let core: CoreV1Api;
let apps: AppsV1Api;

const api = async (method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> => {
  const response = await fetch(`${cloud.apiUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
};
const getDeployment = (id: string) => api('GET', `${BASE}/${id}`);
/**
 * One reconcile run; `afterMs` dates it that much later (its event time) instead of sleeping.
 * Event times are whole seconds (EventBridge's), hence the extra second.
 */
const reconcile = async (afterMs?: number) =>
  (await cloud.runSchedule('reconcile', afterMs === undefined ? undefined : { time: new Date(Date.now() + afterMs + 1000) })) as ReconcileReport;

const deploy = async (name: string, gpuConfig: string): Promise<string> => {
  const created = await api('POST', BASE, {
    name,
    catalog_id: 'Qwen-Qwen2.5-0.5B-Instruct',
    region: 'us-east-1',
    gpu_config_id: gpuConfig,
    gpu_count: 1,
    plan_id: `plan-${gpuConfig}-ondemand`,
  });
  expect(created.status).toBe(201);
  return created.body.id as string;
};

const storedRecord = async (id: string) =>
  (await dynamo.send(new GetCommand({ TableName: TABLE, Key: { pk: `TENANT#${ORG}#${PROJECT}`, sk: `DEP#${id}` }, ConsistentRead: true }))).Item;
const ledger = async (gpuConfig: string) =>
  (await dynamo.send(new GetCommand({ TableName: TABLE, Key: { pk: `CAPACITY#${gpuConfig}`, sk: 'LEDGER' }, ConsistentRead: true }))).Item;
const desiredSize = async (nodeGroup: string) =>
  (await eks.send(new DescribeNodegroupCommand({ clusterName: 'gpu-models', nodegroupName: nodeGroup }))).nodegroup?.scalingConfig?.desiredSize;
const executionStatus = async (arn: string) => (await sfn.send(new DescribeExecutionCommand({ executionArn: arn }))).status;
const podsOf = async (id: string): Promise<V1Pod[]> =>
  (await core.listNamespacedPod({ namespace: NAMESPACE, labelSelector: `gpudeploy.io/deployment-id=${id}` })).items;
const readyNodes = (nodeGroup: string) =>
  cloud.simulator
    .nodes()
    .filter((n) => n.metadata.labels?.['eks.amazonaws.com/nodegroup'] === nodeGroup)
    .filter((n) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')).length;
const exists = async (read: () => Promise<unknown>): Promise<boolean> => {
  try {
    await read();
    return true;
  } catch (error) {
    if (error instanceof ApiException && error.code === 404) return false;
    throw error;
  }
};
const workload = (id: string) => `model-${id.replace(/^dep-/, '')}`;

/** A deployment that must come out of every run untouched. */
let healthy: { id: string; version: number; pods: string[] };

beforeAll(async () => {
  // A pause keeps its GPUs for 36 s of wall time here, so the test surely stops it mid-delay.
  process.env.PAUSE_RELEASE_DELAY_SECONDS = '3600';
  dataDir = mkdtempSync(join(tmpdir(), 'gpu-cp-reconcile-'));
  cloud = await startLocalCloud({ dataDir, timeScale: TIME_SCALE, port: 0, cron: false });
  token = await signDevToken(await loadOrCreateDevKey(dataDir), { org_id: ORG, project_ids: PROJECT });
  sfn = new SFNClient({ ...AWS, endpoint: cloud.sfnUrl });
  eks = new EKSClient({ ...AWS, endpoint: cloud.simulator.url });
  rawDynamo = new DynamoDBClient({ ...AWS, endpoint: cloud.dynamoUrl });
  dynamo = DynamoDBDocumentClient.from(rawDynamo);
  const kc = new KubeConfig();
  kc.loadFromOptions(cloud.simulator.kubeConfig({ tls: true }));
  core = kc.makeApiClient(CoreV1Api);
  apps = kc.makeApiClient(AppsV1Api);

  const id = await deploy('healthy', 'l4-24gb');
  await waitFor(() => getDeployment(id), (r) => r.body.status === 'ready', 'the healthy deployment to be ready');
  healthy = { id, version: Number((await storedRecord(id))?.version), pods: (await podsOf(id)).map((p) => p.metadata?.uid ?? '') };
  expect(healthy.pods).toHaveLength(1);
});

afterAll(async () => {
  await cloud?.close();
  sfn?.destroy();
  eks?.destroy();
  rawDynamo?.destroy();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe('the reconcile', () => {
  it('finds nothing to repair in a healthy cloud', async () => {
    const report = await reconcile();
    expect(report).toMatchObject({
      stuck_repaired: [],
      orphan_objects_deleted: [],
      nodes_released: [],
      ledger_repaired: [],
      reservations_returned: [],
      checked: { errors: [], gpu_configs: 6 },
    });
    expect(report.checked.managed_objects).toBe(5); // the healthy deployment's Deployment, Service, PodDisruptionBudget, NetworkPolicy and its model server key's Secret
  });

  it('fails a deploy whose execution was stopped, removes its objects and gives its GPUs back', async () => {
    const id = await deploy('stopped', 'a10g-24gb');
    // Keep it loading, so it is caught mid-deploy with its objects applied.
    cloud.simulator.addFault({ match: { label: `gpudeploy.io/deployment-id=${id}` }, fault: 'never_ready' });
    const loading = await waitFor(() => getDeployment(id), (r) => r.body.phase === 'loading_model', 'the model to be loading');
    const arn: string = loading.body.workflow.execution_arn;
    expect(Number((await ledger('a10g-24gb'))?.reserved_gpus)).toBe(1);

    await sfn.send(new StopExecutionCommand({ executionArn: arn, error: 'Test', cause: 'lost on purpose' }));
    expect(await executionStatus(arn)).toBe('ABORTED');

    // Just stopped: a task could still be finishing a write, so this run only looks.
    const early = await reconcile();
    expect(early.stuck_repaired).toEqual([]);
    expect(early.checked.settling).toEqual([{ id, why: expect.stringContaining('ended ABORTED moments ago') }]);
    expect(early.checked.node_release_deferred).toContain('a10g-24gb');

    const report = await reconcile(SETTLE_WALL_MS);
    expect(report.stuck_repaired).toEqual([
      { id, org_id: ORG, project_id: PROJECT, action: 'marked_failed', reason: expect.stringMatching(/^WorkflowLost: the deploy execution .* ended ABORTED/) },
    ]);
    expect(report.checked.errors).toEqual([]);

    const failed = await getDeployment(id);
    expect(failed.body).toMatchObject({ status: 'failed', phase: 'failed', endpoint_url: null });
    expect(failed.body.fail_reason).toMatch(/^WorkflowLost: /);
    expect(failed.body.workflow.execution_arn).toBe(arn);
    expect((await storedRecord(id))?.reserved_gpus).toBe(0);
    expect(Number((await ledger('a10g-24gb'))?.reserved_gpus)).toBe(0);
    expect(await exists(() => apps.readNamespacedDeployment({ name: workload(id), namespace: NAMESPACE }))).toBe(false);
    expect(await exists(() => core.readNamespacedService({ name: workload(id), namespace: NAMESPACE }))).toBe(false);
    const events = await api('GET', `${BASE}/${id}/events`);
    expect(events.body.items.at(-1)).toMatchObject({ type: 'failed', reason: 'WorkflowLost', status: 'failed' });

    // Its node is released once its pod is gone: in the same run if the pod went quickly
    // enough, otherwise in the next one.
    await waitFor(() => podsOf(id), (pods) => pods.length === 0, 'the pods of the failed deployment to go');
    const later = await reconcile();
    expect([...report.nodes_released, ...later.nodes_released]).toEqual([
      { gpu_config_id: 'a10g-24gb', node_group: 'gpu-a10g-24gb', instance_id: expect.stringMatching(/^i-/) },
    ]);
    expect(await desiredSize('gpu-a10g-24gb')).toBe(0);
    cloud.simulator.clearFaults();
  });

  it('starts a new delete for a terminating deployment whose delete execution died', async () => {
    const id = await deploy('undeletable', 'l40s-48gb');
    await waitFor(() => getDeployment(id), (r) => r.body.status === 'ready', 'ready');
    // A pod of this deployment that no Deployment owns: the delete waits for it to go.
    await core.createNamespacedPod({
      namespace: NAMESPACE,
      body: {
        metadata: { name: `${workload(id)}-straggler`, labels: { 'gpudeploy.io/deployment-id': id } },
        // The model namespace enforces Pod Security `restricted`: a pod must be hardened to be admitted at all.
        spec: {
          securityContext: { runAsNonRoot: true, runAsUser: 10001, seccompProfile: { type: 'RuntimeDefault' } },
          containers: [{ name: 'sleep', image: 'busybox:1.36', command: ['sleep', '3600'], securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } } }],
        },
      },
    });
    expect((await api('DELETE', `${BASE}/${id}`)).status).toBe(204);
    const deleting = await waitFor(() => getDeployment(id), (r) => r.body.status === 'terminating', 'terminating');
    const deleteArn: string = deleting.body.workflow.execution_arn;
    expect(deleteArn).toContain(':execution:gpu-control-plane-delete:');
    await waitFor(() => podsOf(id), (pods) => pods.length === 1, 'only the straggler to remain');
    expect(await executionStatus(deleteArn)).toBe('RUNNING');
    await sfn.send(new StopExecutionCommand({ executionArn: deleteArn, error: 'Test', cause: 'lost on purpose' }));

    const report = await reconcile(SETTLE_WALL_MS);
    expect(report.stuck_repaired).toEqual([
      { id, org_id: ORG, project_id: PROJECT, action: 'delete_restarted', reason: expect.stringMatching(/^WorkflowLost: the delete execution .* ended ABORTED/) },
    ]);
    const restarted = await getDeployment(id);
    expect(restarted.body).toMatchObject({ status: 'terminating', phase: 'deleting' });
    expect(restarted.body.workflow.execution_arn).not.toBe(deleteArn);
    expect(await executionStatus(restarted.body.workflow.execution_arn)).toBe('RUNNING');

    // Once the straggler goes, the new delete finishes the job.
    await core.deleteNamespacedPod({ name: `${workload(id)}-straggler`, namespace: NAMESPACE });
    await waitFor(() => getDeployment(id), (r) => r.status === 404, 'the deployment to be deleted');
    await waitFor(() => desiredSize('gpu-l40s-48gb'), (size) => size === 0, 'the l40s node to be released');
  });

  it('deletes managed Kubernetes objects that no deployment owns, and only those', async () => {
    const ghost = 'dep-0000000000ghost';
    const labels = {
      'app.kubernetes.io/managed-by': 'gpu-control-plane',
      'gpudeploy.io/deployment-id': ghost,
      'gpudeploy.io/org': ORG,
      'gpudeploy.io/project': PROJECT,
    };
    const name = workload(ghost);
    await apps.createNamespacedDeployment({
      namespace: NAMESPACE,
      body: {
        metadata: { name, labels },
        spec: {
          replicas: 1,
          selector: { matchLabels: { 'gpudeploy.io/deployment-id': ghost } },
          template: { metadata: { labels }, spec: { containers: [{ name: 'vllm', image: 'vllm/vllm-openai:v0.11.0' }] } },
        },
      },
    });
    await core.createNamespacedService({
      namespace: NAMESPACE,
      body: { metadata: { name, labels }, spec: { selector: { 'gpudeploy.io/deployment-id': ghost }, ports: [{ port: 8000 }] } },
    });
    await core.createNamespacedSecret({ namespace: NAMESPACE, body: { metadata: { name, labels }, stringData: { token: 'hf_x' } } });
    await core.createNamespacedPersistentVolumeClaim({
      namespace: NAMESPACE,
      body: { metadata: { name, labels }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '10Gi' } } } },
    });
    // Managed, but of the healthy deployment: never touched.
    const keep = `${workload(healthy.id)}-cache`;
    await core.createNamespacedSecret({
      namespace: NAMESPACE,
      body: { metadata: { name: keep, labels: { ...labels, 'gpudeploy.io/deployment-id': healthy.id } }, stringData: { k: 'v' } },
    });
    // Managed, but without the labels that name its owner: left alone, reported.
    await core.createNamespacedSecret({
      namespace: NAMESPACE,
      body: { metadata: { name: 'unlabelled', labels: { 'app.kubernetes.io/managed-by': 'gpu-control-plane' } }, stringData: { k: 'v' } },
    });

    const report = await reconcile();
    expect(new Set(report.orphan_objects_deleted)).toEqual(
      new Set(['Deployment', 'Service', 'Secret', 'PersistentVolumeClaim'].map((kind) => ({ kind, name, deployment_id: ghost, why: 'no_record' }))),
    );
    expect(report.orphan_objects_deleted).toHaveLength(4);
    expect(report.checked.unattributed_objects).toEqual(['Secret/unlabelled']);
    expect(await exists(() => apps.readNamespacedDeployment({ name, namespace: NAMESPACE }))).toBe(false);
    expect(await exists(() => core.readNamespacedService({ name, namespace: NAMESPACE }))).toBe(false);
    expect(await exists(() => core.readNamespacedSecret({ name, namespace: NAMESPACE }))).toBe(false);
    expect(await exists(() => core.readNamespacedPersistentVolumeClaim({ name, namespace: NAMESPACE }))).toBe(false);
    await waitFor(() => podsOf(ghost), (pods) => pods.length === 0, 'the ghost pods to go');
    expect(await exists(() => core.readNamespacedSecret({ name: keep, namespace: NAMESPACE }))).toBe(true);
    expect(await exists(() => core.readNamespacedSecret({ name: 'unlabelled', namespace: NAMESPACE }))).toBe(true);
    expect(await exists(() => apps.readNamespacedDeployment({ name: workload(healthy.id), namespace: NAMESPACE }))).toBe(true);
    await core.deleteNamespacedSecret({ name: keep, namespace: NAMESPACE });
    await core.deleteNamespacedSecret({ name: 'unlabelled', namespace: NAMESPACE });
  });

  it('releases GPU nodes grown by hand that nobody needs, never the node that serves', async () => {
    expect(await desiredSize('gpu-l4-24gb')).toBe(1);
    await eks.send(new UpdateNodegroupConfigCommand({ clusterName: 'gpu-models', nodegroupName: 'gpu-l4-24gb', scalingConfig: { desiredSize: 3 } }));
    await eks.send(new UpdateNodegroupConfigCommand({ clusterName: 'gpu-models', nodegroupName: 'gpu-h100-80gb', scalingConfig: { desiredSize: 1 } }));
    await waitFor(async () => readyNodes('gpu-l4-24gb') + readyNodes('gpu-h100-80gb'), (ready) => ready === 4, 'the hand-grown nodes to join');

    const report = await reconcile();
    expect(report.nodes_released.filter((n) => n.gpu_config_id === 'l4-24gb')).toHaveLength(2);
    expect(report.nodes_released.filter((n) => n.gpu_config_id === 'h100-80gb')).toHaveLength(1);
    expect(await desiredSize('gpu-l4-24gb')).toBe(1);
    expect(await desiredSize('gpu-h100-80gb')).toBe(0);
    await waitFor(async () => readyNodes('gpu-l4-24gb'), (ready) => ready === 1, 'the released l4 nodes to go');
    const pods = await podsOf(healthy.id);
    expect(pods.map((p) => p.metadata?.uid)).toEqual(healthy.pods);
    expect(pods[0]?.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
  });

  it('repairs GPU ledger drift only when it has seen the same drift twice, far enough apart', async () => {
    const setLedger = (gpus: number) =>
      dynamo.send(
        new UpdateCommand({
          TableName: TABLE,
          Key: { pk: 'CAPACITY#a100-80gb', sk: 'LEDGER' },
          UpdateExpression: 'SET reserved_gpus = :gpus, updated_at = :now',
          ExpressionAttributeValues: { ':gpus': gpus, ':now': new Date().toISOString() },
        }),
      );
    await setLedger(8); // 8 GPUs reserved, but no deployment on a100 holds any

    const first = await reconcile();
    expect(first.ledger_repaired).toEqual([]);
    expect(first.checked.ledger_drift_pending).toEqual([{ gpu_config_id: 'a100-80gb', ledger: 8, records: 0, since: expect.any(String) }]);
    const again = await reconcile(); // the same drift, too soon
    expect(again.ledger_repaired).toEqual([]);
    expect(again.checked.ledger_drift_pending[0]?.since).toBe(first.checked.ledger_drift_pending[0]?.since);

    await setLedger(6); // the ledger moved: that sighting no longer counts
    const moved = await reconcile(CONFIRM_WALL_MS);
    expect(moved.ledger_repaired).toEqual([]);
    expect(Number((await ledger('a100-80gb'))?.reserved_gpus)).toBe(6);

    const confirmed = await reconcile(2 * CONFIRM_WALL_MS + 1000); // a confirm period after the moved sighting, even with both times cut to whole seconds
    expect(confirmed.ledger_repaired).toEqual([{ gpu_config_id: 'a100-80gb', from: 6, to: 0 }]);
    expect(confirmed.checked.ledger_drift_pending).toEqual([]);
    const repaired = await ledger('a100-80gb');
    expect(Number(repaired?.reserved_gpus)).toBe(0);
    expect(repaired?.drift_observed).toBeUndefined();
    // the healthy deployment's reservation was right all along
    expect(Number((await ledger('l4-24gb'))?.reserved_gpus)).toBe(1);
  });

  it('gives back the GPUs of a paused deployment whose pause execution died during its release delay', async () => {
    const id = await deploy('paused', 'l40s-48gb');
    await waitFor(() => getDeployment(id), (r) => r.body.status === 'ready', 'the deployment to be ready');
    expect((await api('PUT', `${BASE}/${id}/scale`, { replicas: 0 })).status).toBe(200);
    // Paused: pods gone, the GPUs still reserved while the execution waits out the release delay.
    const paused = await waitFor(() => getDeployment(id), (r) => r.body.phase === 'paused', 'the deployment to be paused');
    const arn: string = paused.body.workflow.execution_arn;
    expect(await executionStatus(arn)).toBe('RUNNING');
    expect(Number((await ledger('l40s-48gb'))?.reserved_gpus)).toBe(1);
    const waiting = await reconcile();
    expect(waiting.reservations_returned).toEqual([]);

    await sfn.send(new StopExecutionCommand({ executionArn: arn, error: 'Test', cause: 'died during the release delay' }));
    const report = await reconcile();

    expect(report.reservations_returned).toEqual([{ id, gpu_config_id: 'l40s-48gb', gpus: 1 }]);
    expect(report.checked.errors).toEqual([]);
    expect((await storedRecord(id))?.reserved_gpus).toBe(0);
    expect(Number((await ledger('l40s-48gb'))?.reserved_gpus)).toBe(0);
    expect((await reconcile()).reservations_returned).toEqual([]);
    expect((await getDeployment(id)).body).toMatchObject({ phase: 'paused', replicas: 0 });
    expect((await api('DELETE', `${BASE}/${id}`)).status).toBe(204);
    await waitFor(() => getDeployment(id), (r) => r.status === 404, 'the paused deployment to be deleted');
  });

  it('leaves the healthy ready deployment exactly as it was', async () => {
    const report = await reconcile();
    expect(report.stuck_repaired).toEqual([]);
    expect(report.orphan_objects_deleted).toEqual([]);
    expect(report.nodes_released).toEqual([]);
    expect(report.checked.errors).toEqual([]);
    const record = await storedRecord(healthy.id);
    expect(record).toMatchObject({ status: 'ready', phase: 'ready', version: healthy.version, reserved_gpus: 1 });
    expect((await podsOf(healthy.id)).map((p) => p.metadata?.uid)).toEqual(healthy.pods);
    expect((await getDeployment(healthy.id)).body.uptime_seconds).toBeGreaterThan(0);
  });

  // Regression (issue 14): the reconcile's own copy of "mark failed" left the usage segment open
  // and the instance counts as they were, so a failed deployment whose pods were gone kept
  // accruing serving time, GPU-seconds and cost.
  it('stops billing a deployment whose lost scale it fails: usage closed, no instance counted', async () => {
    const id = await deploy('lost-scale', 'h200-141gb');
    await waitFor(() => getDeployment(id), (r) => r.body.status === 'ready', 'the deployment to be ready');
    // The second replica never becomes ready, so the scale is caught mid-flight.
    cloud.simulator.addFault({ match: { label: `gpudeploy.io/deployment-id=${id}` }, fault: 'never_ready' });
    const scaled = await api('PUT', `${BASE}/${id}/scale`, { replicas: 2 });
    expect(scaled.status).toBe(200);
    const arn: string = scaled.body.workflow.execution_arn;
    await waitFor(() => podsOf(id), (pods) => pods.length === 2, 'the second replica to start');
    await sfn.send(new StopExecutionCommand({ executionArn: arn, error: 'Test', cause: 'scale lost on purpose' }));
    const report = await reconcile(SETTLE_WALL_MS);
    expect(report.stuck_repaired).toEqual([expect.objectContaining({ id, action: 'marked_failed' })]);
    const failed = await getDeployment(id);
    expect(failed.body).toMatchObject({ status: 'failed', phase: 'failed', instances: { running: 0, pending: 0 } });
    const servedSeconds = failed.body.serving_seconds as number;
    expect(servedSeconds).toBeGreaterThan(0);
    await sleep(2_100);
    const later = await getDeployment(id);
    expect(later.body.serving_seconds).toBe(servedSeconds);
    expect(later.body.gpu_seconds).toBe(failed.body.gpu_seconds);
    expect(later.body.cost_to_date).toBe(failed.body.cost_to_date);
    cloud.simulator.clearFaults();
  });
});
