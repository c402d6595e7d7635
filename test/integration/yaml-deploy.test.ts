/**
 * POST …/aimodels/yaml on the local cloud: an admitted Deployment manifest reaches ready as a
 * custom model in the control plane's namespace, with its labels and node selector whatever the
 * manifest said; refused manifests (privileged pod, hostPath, wrong kind, two documents, …) are
 * a 400 naming the offending path and create nothing.
 */
import { AppsV1Api, KubeConfig } from '@kubernetes/client-node';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectNothingLeaked } from '../support/leaks';
import { NAMESPACE, startTestCloud, waitFor, type TestCloud, type Tenant } from '../support/local-cloud';

let t: TestCloud;
let apps: AppsV1Api;
let tenant: Tenant;
beforeAll(async () => {
  t = await startTestCloud(0.01, { cron: false });
  const kc = new KubeConfig();
  kc.loadFromOptions(t.cloud.simulator.kubeConfig({ tls: true }));
  apps = kc.makeApiClient(AppsV1Api);
  tenant = await t.tenant('prj-yaml');
});
afterAll(async () => {
  await t?.close();
});

const QUERY = '?gpu_config_id=l4-24gb&plan_id=plan-l4-24gb-ondemand';

const manifest = (name = 'yaml-model') => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name, namespace: 'kube-system', labels: { app: name } },
  spec: {
    replicas: 1,
    selector: { matchLabels: { app: name } },
    template: {
      metadata: { labels: { app: name } },
      spec: {
        containers: [
          {
            name: 'server',
            image: 'vllm/vllm-openai:v0.10.2',
            command: ['vllm', 'serve', 'acme-research/tiny-chat-1b'],
            args: ['--served-model-name', name, '--port', '8000'],
            env: [{ name: 'VLLM_LOGGING_LEVEL', value: 'INFO' }],
            resources: { limits: { 'nvidia.com/gpu': 1 } },
            securityContext: { allowPrivilegeEscalation: false, runAsNonRoot: true },
          },
        ],
      },
    },
  },
});

type Manifest = ReturnType<typeof manifest>;
const post = (yamlText: string, query = QUERY, contentType = 'application/yaml') =>
  t.api('POST', `${tenant.base}/yaml${query}`, { token: tenant.token, rawBody: yamlText, headers: { 'content-type': contentType } });

const withPod = (change: (pod: any, container: any) => void): string => {
  const m: Manifest = manifest('refused-model');
  change(m.spec.template.spec, m.spec.template.spec.containers[0]);
  return stringify(m);
};

describe('YAML deploy', () => {
  it('an admitted manifest reaches ready as a custom model, in our namespace with our labels, and is deleted without leftovers', async () => {
    const created = await post(stringify(manifest()));
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body).toMatchObject({
      name: 'yaml-model',
      model_id: 'acme-research/tiny-chat-1b',
      huggingface_id: 'acme-research/tiny-chat-1b',
      image: 'vllm/vllm-openai:v0.10.2',
      source: 'yaml',
      gpu_count: 1,
      replicas: 1,
      has_hf_token: false,
    });
    const id: string = created.body.id;
    const ready = await waitFor(() => t.api('GET', `${tenant.base}/${id}`, { token: tenant.token }), (r) => r.body.status !== 'initializing', 'ready', 20_000);
    expect(ready.body).toMatchObject({ status: 'ready', phase: 'ready' });

    const rendered = await apps.readNamespacedDeployment({ name: `model-${id.replace(/^dep-/, '')}`, namespace: NAMESPACE });
    expect(rendered.metadata?.labels).toMatchObject({ 'gpudeploy.io/deployment-id': id, 'gpudeploy.io/project': 'prj-yaml', 'app.kubernetes.io/managed-by': 'gpu-control-plane' });
    const pod = rendered.spec?.template.spec;
    expect(pod?.nodeSelector).toEqual({ 'eks.amazonaws.com/nodegroup': 'gpu-l4-24gb' });
    expect(pod?.containers[0]).toMatchObject({
      name: 'vllm',
      image: 'vllm/vllm-openai:v0.10.2',
      command: ['vllm', 'serve', 'acme-research/tiny-chat-1b'],
      args: ['--served-model-name', 'yaml-model', '--port', '8000'],
      resources: { limits: { 'nvidia.com/gpu': '1' } },
    });
    expect(pod?.containers[0]?.env).toContainEqual({ name: 'VLLM_LOGGING_LEVEL', value: 'INFO' });

    expect((await t.api('DELETE', `${tenant.base}/${id}`, { token: tenant.token })).status).toBe(204);
    await waitFor(() => t.api('GET', `${tenant.base}/${id}`, { token: tenant.token }), (r) => r.status === 404, 'deleted', 20_000);
    await expectNothingLeaked(t, id, 'l4-24gb');
  });

  it('?name= overrides metadata.name and dry_run plans without creating anything', async () => {
    const before = (await t.records()).length;
    const m = manifest('yaml-other');
    const plan = await post(stringify(m), `${QUERY}&dry_run=true`, 'text/yaml');
    expect(plan.status, JSON.stringify(plan.body)).toBe(200);
    expect(plan.body.dry_run).toBe(true);
    const renamed = await post(stringify(m), `${QUERY}&name=renamed&dry_run=true`);
    expect(renamed.status).toBe(400);
    expect(renamed.body.message).toBe("spec.template.spec.containers[0].args: --served-model-name 'yaml-other' must match model name 'renamed'");
    expect((await t.records()).length).toBe(before);
  });
});

describe('refused manifests: 400 naming the path, nothing created', () => {
  const refusedWith = async (yamlText: string, path: string, contentType?: string) => {
    const before = (await t.records()).length;
    const response = await post(yamlText, QUERY, contentType);
    expect(response.status, JSON.stringify(response.body)).toBe(400);
    expect(response.body.code).toBe('invalid_request');
    expect(response.body.message.startsWith(path), `${response.body.message} names ${path}`).toBe(true);
    expect((await t.records()).length).toBe(before);
    return response.body.message as string;
  };

  it('a privileged container', async () => {
    await refusedWith(withPod((_pod, c) => (c.securityContext = { privileged: true })), 'spec.template.spec.containers[0].securityContext.privileged');
  });

  it('privilege escalation, added capabilities, root allowed', async () => {
    await refusedWith(withPod((_pod, c) => (c.securityContext = { allowPrivilegeEscalation: true })), 'spec.template.spec.containers[0].securityContext.allowPrivilegeEscalation');
    await refusedWith(withPod((_pod, c) => (c.securityContext = { capabilities: { add: ['SYS_ADMIN'] } })), 'spec.template.spec.containers[0].securityContext.capabilities.add');
    await refusedWith(withPod((pod) => (pod.securityContext = { runAsNonRoot: false })), 'spec.template.spec.securityContext.runAsNonRoot');
  });

  it('a hostPath volume, the host network, PID or IPC namespace', async () => {
    await refusedWith(
      withPod((pod) => (pod.volumes = [{ name: 'cache', emptyDir: {} }, { name: 'host', hostPath: { path: '/var/run' } }])),
      'spec.template.spec.volumes[1].hostPath',
    );
    await refusedWith(withPod((pod) => (pod.hostNetwork = true)), 'spec.template.spec.hostNetwork');
    await refusedWith(withPod((pod) => (pod.hostPID = true)), 'spec.template.spec.hostPID');
    await refusedWith(withPod((pod) => (pod.hostIPC = true)), 'spec.template.spec.hostIPC');
  });

  it('the wrong kind or apiVersion, two documents', async () => {
    await refusedWith(stringify({ ...manifest(), kind: 'DaemonSet' }), 'kind');
    await refusedWith(stringify({ ...manifest(), apiVersion: 'apps/v1beta1' }), 'apiVersion');
    const message = await refusedWith(`${stringify(manifest('a-one'))}---\n${stringify(manifest('a-two'))}`, 'documents[1]: the body holds 2 YAML documents');
    expect(message).toContain('exactly one apps/v1 Deployment');
  });

  it('no GPUs, too many GPUs, too many replicas for the node group', async () => {
    await refusedWith(withPod((_pod, c) => (c.resources = {})), 'spec.template.spec.containers[0].resources.limits["nvidia.com/gpu"]');
    const tooMany = await refusedWith(withPod((_pod, c) => (c.resources = { limits: { 'nvidia.com/gpu': 8 } })), 'spec.template.spec.containers[0].resources.limits["nvidia.com/gpu"]');
    expect(tooMany).toContain('max_gpu_count 4');
    const m = manifest('refused-model');
    m.spec.replicas = 16;
    m.spec.template.spec.containers[0]!.resources.limits['nvidia.com/gpu'] = 4;
    await refusedWith(stringify(m), 'spec.replicas');
  });

  it('served-model-name missing, a token as a plain env value, an alias bomb, not YAML', async () => {
    expect(await refusedWith(withPod((_pod, c) => (c.args = ['--port', '8000'])), 'spec.template.spec.containers[0].')).toContain(
      '--served-model-name parameter is required in command',
    );
    await refusedWith(withPod((_pod, c) => c.env.push({ name: 'HF_TOKEN', value: 'hf_plain' })), 'spec.template.spec.containers[0].env[1]');
    const bomb = ['a: &a [x, x, x, x, x, x, x, x]', ...'bcdefgh'.split('').map((k, i) => `${k}: &${k} [${Array(8).fill(`*${'abcdefgh'[i]}`).join(', ')}]`)].join('\n');
    await refusedWith(bomb, 'request body is not accepted YAML');
    await refusedWith('kind: [unclosed', 'request body is not valid YAML');
    const wrongType = await post(stringify(manifest()), QUERY, 'application/json');
    expect(wrongType.status).toBe(415);
  });
});
