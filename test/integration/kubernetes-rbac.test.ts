/**
 * Kubernetes RBAC in the simulator, as an EKS cluster of this stack enforces it: the functions'
 * access entries (from the synthesized template), the access policies within their scope, and
 * the bootstrap RBAC the stack applies (contract/cluster-manifests.ts). Driven through
 * @kubernetes/client-node inside `runAsFunction`, as the handlers call it, and through kubectl.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ApiException, CoreV1Api, KubeConfig, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KUBERNETES_GROUP } from '../../infra/constructs/cluster';
import { clusterBootstrapManifests, KUBERNETES_GROUP as BOOTSTRAP_GROUP } from '../../contract/cluster-manifests';
import { applyClusterBootstrap } from '../../local/cluster-bootstrap';
import { installCallerHeader, runAsFunction } from '../../local/identity';
import { loadLocalPrincipals } from '../../local/iam/principals';
import type { AccessEntrySpec, LocalPrincipal } from '../../local/identity';
import { startSimulator, type RunningSimulator } from '../../local/sim/index';
import { findKubectl } from '../../scripts/kubeconfig-lib';

const PREFIX = 'gpu-control-plane';
const NS = 'models';
const ACCOUNT = '000000000000';
const CHECK_NODES = `${PREFIX}-check-nodes`;
const PROMPT = `${PREFIX}-prompt-deployment`;
const SWEEP = `${PREFIX}-schedule-sweep`;
/** The group the prompt routes joined while they called the model servers through services/proxy. */
const FORMER_PROXY_GROUP = 'gpu-control-plane-model-proxy';

const KUBECTL = findKubectl();

let access: { principals: LocalPrincipal[]; accessEntries: AccessEntrySpec[] };
let sim: RunningSimulator;

const core = (): CoreV1Api => {
  const kc = new KubeConfig();
  kc.loadFromOptions(sim.kubeConfig({ tls: false }));
  return kc.makeApiClient(CoreV1Api);
};

/** The ApiException a call fails with, as the handler would see it. */
const failure = async (call: () => Promise<unknown>): Promise<ApiException<string>> => {
  try {
    await call();
  } catch (error) {
    if (error instanceof ApiException) return error as ApiException<string>;
    throw error;
  }
  throw new Error('expected the call to fail');
};

const userOf = (functionName: string): string => {
  const role = access.principals.find((p) => p.functionName === functionName)?.roleArn ?? '';
  return `arn:aws:sts::${ACCOUNT}:assumed-role/${role.split('/').pop() ?? ''}/${functionName}`;
};

beforeAll(async () => {
  installCallerHeader();
  const loaded = await loadLocalPrincipals({
    prefix: PREFIX,
    clusterName: 'gpu-models',
    namespace: NS,
    region: 'us-east-1',
    account: ACCOUNT,
    kmsKeyArn: `arn:aws:kms:us-east-1:${ACCOUNT}:key/local-hf-token-key`,
  });
  access = { principals: Object.values(loaded.principals), accessEntries: loaded.accessEntries };
  sim = await startSimulator({ clusterName: 'gpu-models', timeScale: 0.005, nodeGroups: [], kubernetesAuth: access });
}, 120_000);
afterAll(async () => sim?.close());

describe('Kubernetes RBAC from the access entries', () => {
  it('uses the group names the access entries carry', () => {
    expect(BOOTSTRAP_GROUP).toBe(KUBERNETES_GROUP);
    const checkNodes = access.principals.find((p) => p.functionName === CHECK_NODES);
    expect(access.accessEntries.find((e) => e.principalArn === checkNodes?.roleArn)?.kubernetesGroups).toEqual([KUBERNETES_GROUP]);
  });

  it('answers 403 to a workflow listing nodes before the stack applies its ClusterRole (aws-review M1)', async () => {
    const error = await failure(() => runAsFunction(CHECK_NODES, () => core().listNode({ labelSelector: 'a=b' })));
    expect(error.code).toBe(403);
    expect(JSON.parse(error.body)).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: `nodes is forbidden: User "${userOf(CHECK_NODES)}" cannot list resource "nodes" in API group "" at the cluster scope`,
      reason: 'Forbidden',
      details: { kind: 'nodes' },
      code: 403,
    });
    // The namespace-scoped AmazonEKSEditPolicy does allow its own namespace.
    await runAsFunction(CHECK_NODES, () => core().listNamespacedPod({ namespace: NS }));
  });

  it('answers 401 to a function whose role has no access entry, and lets the operator do anything', async () => {
    const error = await failure(() => runAsFunction(`${PREFIX}-create-deployment`, () => core().listNamespacedPod({ namespace: NS })));
    expect(error.code).toBe(401);
    expect((await core().listNode()).items).toEqual([]);
  });

  it('allows exactly the bootstrap rules once applied', async () => {
    await applyClusterBootstrap(sim.url, NS);
    await applyClusterBootstrap(sim.url, NS); // idempotent, as a restart re-applies it
    const ns = await core().readNamespace({ name: NS });
    expect(ns.metadata?.labels?.['pod-security.kubernetes.io/enforce']).toBe('restricted');
    await runAsFunction(CHECK_NODES, () => core().listNode({ labelSelector: 'a=b' }));
    await runAsFunction(CHECK_NODES, () => core().listPodForAllNamespaces({ fieldSelector: 'spec.nodeName=n1' }));
    await runAsFunction(CHECK_NODES, () => core().readNamespace({ name: NS }));
    // Deleting a node, or another namespace, is not what the code calls, so it stays forbidden.
    const deleteNode = await failure(() => runAsFunction(CHECK_NODES, () => core().deleteNode({ name: 'n1' })));
    expect(JSON.parse(deleteNode.body).message).toBe(`nodes "n1" is forbidden: User "${userOf(CHECK_NODES)}" cannot delete resource "nodes" in API group "" at the cluster scope`);
    // `get` is what a release reads back before lifting a stale cordon of its own: allowed (404 here: no such node).
    expect((await failure(() => runAsFunction(CHECK_NODES, () => core().readNode({ name: 'n1' })))).code).toBe(404);
    const other = await failure(() => runAsFunction(CHECK_NODES, () => core().listNamespacedSecret({ namespace: 'default' })));
    expect(JSON.parse(other.body).message).toContain('cannot list resource "secrets" in API group "" in the namespace "default"');
    const patch = await failure(() =>
      runAsFunction(CHECK_NODES, () => core().patchNode({ name: 'missing', body: { spec: { unschedulable: true } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch))),
    );
    expect(patch.code).toBe(404); // authorized: the node just does not exist
  });

  it('lets the sweeper read vLLM /metrics through pods/proxy in the model namespace only (AmazonEKSEditPolicy, no bootstrap Role)', async () => {
    const metrics = (namespace: string) => runAsFunction(SWEEP, () => core().connectGetNamespacedPodProxyWithPath({ name: 'absent', namespace, path: 'metrics' }));
    expect((await failure(() => metrics(NS))).code).toBe(404); // authorized: the pod just does not exist
    const denied = await failure(() => metrics('default'));
    expect(JSON.parse(denied.body).message).toBe(`pods "absent" is forbidden: User "${userOf(SWEEP)}" cannot get resource "pods/proxy" in API group "" in the namespace "default"`);
  });

  it('gives the prompt route no Kubernetes access: it calls the model servers through the inference gateway', async () => {
    const proxy = await failure(() =>
      runAsFunction(PROMPT, () => core().connectPostNamespacedServiceProxyWithPath({ name: 'absent:http', namespace: NS, path: 'v1/completions' })),
    );
    expect(proxy.code).toBe(401);
  });
});

describe('kubectl against the RBAC', () => {
  const run = promisify(execFile);
  let dir = '';
  // The pinned kubectl 1.35 (the CDK layer's, else PATH): it posts its self reviews as protobuf,
  // which the simulator decodes (local/sim/apiserver/protobuf.ts).
  const kubectl = async (...args: string[]) => {
    if (!KUBECTL) return undefined;
    try {
      return (await run(KUBECTL, ['--kubeconfig', join(dir, 'config'), ...args], { timeout: 30_000, env: { ...process.env, HOME: dir } })).stdout.trim();
    } catch (error) {
      const e = error as { stdout?: string };
      return (e.stdout ?? '').trim();
    }
  };
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'rbac-kubectl-'));
    writeFileSync(
      join(dir, 'config'),
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [{ name: 'sim', cluster: { server: sim.url, 'insecure-skip-tls-verify': true } }],
        users: [{ name: 'operator', user: { token: 'simulator-token' } }],
        contexts: [{ name: 'sim', context: { cluster: 'sim', user: 'operator' } }],
        'current-context': 'sim',
      }),
    );
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('answers auth can-i as the workflow group and as the operator', async (context) => {
    const operator = await kubectl('auth', 'can-i', 'list', 'nodes');
    if (operator === undefined) return context.skip('kubectl is not installed on this machine');
    expect(operator).toBe('yes');
    const as = ['--as', userOf(CHECK_NODES), '--as-group', KUBERNETES_GROUP];
    expect(await kubectl('auth', 'can-i', 'list', 'nodes', ...as)).toBe('yes');
    expect(await kubectl('auth', 'can-i', 'delete', 'nodes', ...as)).toBe('no');
    expect(await kubectl('auth', 'can-i', 'create', 'services', '--subresource=proxy', '-n', NS, '--as', 'someone', '--as-group', FORMER_PROXY_GROUP)).toBe('no');
    expect(await kubectl('auth', 'whoami', '-o', 'jsonpath={.status.userInfo.username}')).toBe('kubernetes-admin');
  });

  it('lists the RBAC rules with auth can-i --list, incomplete as behind the EKS webhook authorizer', async (context) => {
    if (!KUBECTL) return context.skip('kubectl is not installed on this machine');
    // Its warning goes to stderr, which `kubectl()` drops.
    const raw = await run(KUBECTL, ['--kubeconfig', join(dir, 'config'), 'auth', 'can-i', '--list', '-n', NS, '--as', userOf(CHECK_NODES), '--as-group', KUBERNETES_GROUP], { timeout: 30_000, env: { ...process.env, HOME: dir } }).catch(
      (error: { stdout?: string; stderr?: string }) => ({ stdout: error.stdout ?? '', stderr: error.stderr ?? '' }),
    );
    expect(raw.stderr.trim()).toBe('Warning: the list may be incomplete: webhook authorizer does not support user rule resolution');
    const rules = raw.stdout.trim().split('\n').map((line) => line.trim().split(/\s{2,}/));
    expect(rules[0]).toEqual(['Resources', 'Non-Resource URLs', 'Resource Names', 'Verbs']);
    expect(rules).toContainEqual(['nodes', '[]', '[]', '[get list patch]']);
    expect(rules).toContainEqual(['namespaces', '[]', `[${NS}]`, '[get]']);
    expect(rules).toContainEqual(['selfsubjectaccessreviews.authorization.k8s.io', '[]', '[]', '[create]']);
    expect(rules.some((r) => r[0] === '*.*')).toBe(false); // cluster-admin only for system:masters
    const operator = await kubectl('auth', 'can-i', '--list', '-n', NS);
    expect(operator?.split('\n').map((line) => line.trim().split(/\s{2,}/))).toContainEqual(['*.*', '[]', '[]', '[*]']);
  });

  it('applies the bootstrap List that the admin of an imported cluster applies (npm run cluster-manifests)', async (context) => {
    const file = join(dir, 'bootstrap.json');
    writeFileSync(file, JSON.stringify({ apiVersion: 'v1', kind: 'List', items: clusterBootstrapManifests('imported') }));
    const applied = await kubectl('apply', '-f', file);
    if (applied === undefined) return context.skip('kubectl is not installed on this machine');
    expect(applied.split('\n')).toEqual([
      'namespace/imported created',
      'clusterrole.rbac.authorization.k8s.io/gpu-control-plane configured',
      'clusterrolebinding.rbac.authorization.k8s.io/gpu-control-plane configured',
      'storageclass.storage.k8s.io/model-cache-gp3 configured',
      'networkpolicy.networking.k8s.io/default-deny-ingress created',
    ]);
    expect(await kubectl('auth', 'can-i', 'create', 'services', '--subresource=proxy', '-n', 'imported', '--as', 'x', '--as-group', FORMER_PROXY_GROUP)).toBe('no');
  });
});

describe('protobuf request bodies', () => {
  const post = (path: string, body: number[]) =>
    fetch(`${sim.url}${path}`, { method: 'POST', headers: { authorization: 'Bearer simulator-token', 'content-type': 'application/vnd.kubernetes.protobuf', accept: 'application/json' }, body: Buffer.from(body) });
  const MAGIC = [0x6b, 0x38, 0x73, 0x00];

  it('are decoded only for the kinds kubectl sends that way: a protobuf Pod gets the 415, malformed bytes a 400', async () => {
    // k8s\0 + Unknown{typeMeta{apiVersion "v1", kind "Pod"}, raw ""}: valid, but a kind the simulator has no schema for (kubectl run posts JSON).
    const pod = await post(`/api/v1/namespaces/${NS}/pods`, [...MAGIC, 0x0a, 0x09, 0x0a, 0x02, 0x76, 0x31, 0x12, 0x03, 0x50, 0x6f, 0x64, 0x12, 0x00]);
    expect(pod.status).toBe(415);
    expect(await pod.json()).toMatchObject({ kind: 'Status', reason: 'UnsupportedMediaType', code: 415 });
    const truncated = await post('/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', [...MAGIC, 0x0a, 0x80]);
    expect(truncated.status).toBe(400);
    expect(await truncated.json()).toMatchObject({ reason: 'BadRequest', message: expect.stringContaining('unexpected EOF') });
    const notProtobuf = await post('/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', [...Buffer.from('{}')]);
    expect(notProtobuf.status).toBe(400);
  });
});
