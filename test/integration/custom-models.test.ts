/**
 * Custom models end to end on the local cloud: a deploy outside the catalog (huggingface_id,
 * own image and command line, PVC model cache, Hugging Face token) reaches ready with its
 * Kubernetes Secret and PVC in place and the container wired to them; its token lives in the
 * local Secrets Manager (checked through the real SDK) and never in the API's answers; delete
 * and failure paths leave no pod, Service, Secret or PVC, and delete removes the token secret.
 */
import { DescribeSecretCommand, GetSecretValueCommand, ResourceNotFoundException, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { AppsV1Api, CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { executionEnded, expectNothingLeaked } from '../support/leaks';
import { NAMESPACE, startTestCloud, waitFor, type TestCloud } from '../support/local-cloud';

let t: TestCloud;
let secrets: SecretsManagerClient;
let core: CoreV1Api;
let apps: AppsV1Api;

beforeAll(async () => {
  t = await startTestCloud(0.01, { cron: false, gatedModels: ['meta-llama/'] });
  secrets = new SecretsManagerClient({ endpoint: t.cloud.secretsManager.url, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  const kc = new KubeConfig();
  kc.loadFromOptions(t.cloud.simulator.kubeConfig({ tls: true }));
  core = kc.makeApiClient(CoreV1Api);
  apps = kc.makeApiClient(AppsV1Api);
});
afterAll(async () => {
  secrets?.destroy();
  await t?.close();
});

const TOKEN = 'hf_customModelTestToken0123456789abcdef';

const customBody = (name: string, extra: Record<string, unknown> = {}): Record<string, any> => ({
  name,
  huggingface_id: 'acme-research/tiny-chat-1b',
  region: 'us-east-1',
  gpu_config_id: 'l4-24gb',
  gpu_count: 1,
  plan_id: 'plan-l4-24gb-ondemand',
  ...extra,
});

const secretGone = async (arn: string): Promise<boolean> => {
  try {
    await secrets.send(new DescribeSecretCommand({ SecretId: arn }));
    return false;
  } catch (error) {
    if (error instanceof ResourceNotFoundException) return true;
    throw error;
  }
};

const storedArn = async (id: string): Promise<string> => {
  const record = (await t.records()).find((r) => r.id === id) as unknown as { hf_token_secret_arn?: string };
  expect(record.hf_token_secret_arn).toMatch(new RegExp(`^arn:aws:secretsmanager:us-east-1:000000000000:secret:gpu-control-plane/hf-token/${id}-[A-Za-z0-9]{6}$`));
  return record.hf_token_secret_arn!;
};

describe('custom models', () => {
  it('deploys a Hugging Face model outside the catalog with its token, image, command line and PVC cache, then deletes everything', async () => {
    const body = customBody('tiny-chat', {
      revision: 'main',
      hf_token: TOKEN,
      image: 'vllm/vllm-openai:v0.10.2',
      command: ['python', '-m', 'vllm.entrypoints.openai.api_server'],
      args: ['--model', 'acme-research/tiny-chat-1b', '--served-model-name', 'tiny-chat', '--port', '8000'],
      storage_size: '50Gi',
      model_size_gib: 2,
      tags: ['chat', '1b'],
      display_name: 'Tiny Chat 1B',
      description: 'A small chat model',
    });
    const tenant = await t.tenant('prj-custom');
    const created = await t.api('POST', tenant.base, { token: tenant.token, body });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(JSON.stringify(created.body)).not.toContain(TOKEN);
    expect(created.body).toMatchObject({
      name: 'tiny-chat',
      model_id: 'acme-research/tiny-chat-1b',
      model_name: 'Tiny Chat 1B',
      huggingface_id: 'acme-research/tiny-chat-1b',
      revision: 'main',
      image: 'vllm/vllm-openai:v0.10.2',
      storage_size: '50Gi',
      tags: ['chat', '1b'],
      has_hf_token: true,
      source: 'api',
    });
    expect(created.body).not.toHaveProperty('hf_token');
    expect(created.body).not.toHaveProperty('hf_token_secret_arn');
    const id: string = created.body.id;

    // The token is in Secrets Manager (read back through the real SDK), under the naming rule.
    const arn = await storedArn(id);
    expect((await secrets.send(new GetSecretValueCommand({ SecretId: arn }))).SecretString).toBe(TOKEN);

    const ready = await waitFor(() => t.api('GET', `${tenant.base}/${id}`, { token: tenant.token }), (r) => r.body.status !== 'initializing', 'ready', 20_000);
    expect(ready.body, JSON.stringify(ready.body)).toMatchObject({ status: 'ready', phase: 'ready', has_hf_token: true, command: body.command, args: body.args });
    expect(JSON.stringify(ready.body)).not.toContain(TOKEN);

    // The cluster holds the Secret and the PVC, labelled like every managed object, and the pod reads them.
    const name = `model-${id.replace(/^dep-/, '')}`;
    const secret = await core.readNamespacedSecret({ name, namespace: NAMESPACE });
    expect(secret.metadata?.labels).toMatchObject({ 'gpudeploy.io/deployment-id': id, 'app.kubernetes.io/managed-by': 'gpu-control-plane' });
    expect(Buffer.from(secret.data?.HF_TOKEN ?? '', 'base64').toString('utf8')).toBe(TOKEN);
    const claim = await core.readNamespacedPersistentVolumeClaim({ name, namespace: NAMESPACE });
    expect(claim.spec?.resources?.requests?.storage).toBe('50Gi');
    expect(claim.status?.phase).toBe('Bound');
    expect(claim.metadata?.labels?.['gpudeploy.io/deployment-id']).toBe(id);
    const deployment = await apps.readNamespacedDeployment({ name, namespace: NAMESPACE });
    const pod = deployment.spec?.template.spec;
    const container = pod?.containers[0];
    expect(container?.image).toBe('vllm/vllm-openai:v0.10.2');
    expect(container?.command).toEqual(body.command);
    expect(container?.args).toEqual(body.args);
    expect(container?.env).toContainEqual({ name: 'HF_TOKEN', valueFrom: { secretKeyRef: { name, key: 'HF_TOKEN' } } });
    expect(JSON.stringify(deployment)).not.toContain(TOKEN);
    expect(pod?.volumes).toContainEqual({ name: 'model-cache', persistentVolumeClaim: { claimName: name } });
    expect(container?.volumeMounts).toContainEqual({ name: 'model-cache', mountPath: '/models' });
    expect(container?.env).toContainEqual({ name: 'HF_HOME', value: '/models/.cache' });
    expect(await t.pods(`gpudeploy.io/deployment-id=${id}`)).toBe(1);

    // Its cache is mounted by one node: replicas beyond one node's GPUs are refused, nothing changes.
    const scaled = await t.api('PUT', `${tenant.base}/${id}/scale`, { token: tenant.token, body: { replicas: 5 } });
    expect(scaled.status, JSON.stringify(scaled.body)).toBe(400);
    expect(scaled.body.message).toMatch(/^replicas 5: a model cache \(ReadWriteOnce\) is mounted by one node/);
    expect((await t.api('GET', `${tenant.base}/${id}`, { token: tenant.token })).body).toMatchObject({ replicas: 1, phase: 'ready' });

    expect((await t.api('DELETE', `${tenant.base}/${id}`, { token: tenant.token })).status).toBe(204);
    await waitFor(() => t.api('GET', `${tenant.base}/${id}`, { token: tenant.token }), (r) => r.status === 404, 'deleted', 20_000);
    await expectNothingLeaked(t, id, 'l4-24gb');
    expect(await secretGone(arn)).toBe(true);
  });

  it('a failed custom model leaves no Secret or PVC in the cluster; its token secret goes with the delete', async () => {
    const tenant = await t.tenant('prj-custom-fail');
    await t.addFault({ match: { label: `gpudeploy.io/project=${tenant.project}` }, fault: 'crash_loop' });
    try {
      const created = await t.api('POST', tenant.base, {
        token: tenant.token,
        body: customBody('crashy', { hf_token: TOKEN, storage_size: 20, model_size_gib: 1 }),
      });
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      expect(created.body.storage_size).toBe('20Gi'); // Jan's bare number of GiB
      const id: string = created.body.id;
      const arn = await storedArn(id);
      const failed = await waitFor(() => t.api('GET', `${tenant.base}/${id}`, { token: tenant.token }), (r) => r.body.status !== 'initializing', 'failed', 20_000);
      expect(failed.body.status).toBe('failed');
      expect(failed.body.fail_reason).toMatch(/^CrashLoopBackOff/);
      expect(JSON.stringify(failed.body)).not.toContain(TOKEN);
      await executionEnded(t, created.body.workflow.execution_arn);
      await expectNothingLeaked(t, id, 'l4-24gb');
      // The failed deployment still exists (its record, its token secret) until it is deleted.
      expect(await secretGone(arn)).toBe(false);
      expect((await t.api('DELETE', `${tenant.base}/${id}`, { token: tenant.token })).status).toBe(204);
      await waitFor(() => t.api('GET', `${tenant.base}/${id}`, { token: tenant.token }), (r) => r.status === 404, 'deleted', 20_000);
      expect(await secretGone(arn)).toBe(true);
    } finally {
      t.cloud.simulator.clearFaults();
    }
  });

  it('without command or args, renders its own vLLM command line for the repository and revision', async () => {
    const tenant = await t.tenant('prj-custom-plan');
    const plan = await t.api('POST', `${tenant.base}?dry_run=true`, { token: tenant.token, body: customBody('plain-model', { revision: 'v1.2' }) });
    expect(plan.status, JSON.stringify(plan.body)).toBe(200);
    const args: string[] = plan.body.manifests.deployment.spec.template.spec.containers[0].args;
    expect(args.slice(0, 6)).toEqual(['--model', 'acme-research/tiny-chat-1b', '--revision', 'v1.2', '--served-model-name', 'plain-model']);
    expect(plan.body.manifests.deployment.spec.template.spec.containers[0].image).toBe('vllm/vllm-openai:v0.11.0');
    expect(plan.body.memory).toEqual({ checked: false, reason: expect.stringContaining('model_size_gib was not given') });
    expect(plan.body.manifests.persistentVolumeClaim).toBeUndefined();
  });
});

describe('a request that fails after its token was stored', () => {
  const secretNames = (): string[] =>
    (JSON.parse(readFileSync(t.cloud.secretsManager.stateFile, 'utf8')) as { secrets: { name: string }[] }).secrets.map((s) => s.name).sort();

  it('deletes the token secret again when the GPUs are taken (409): nothing is left of it', async () => {
    const tenant = await t.tenant('prj-custom-full');
    const a100 = { gpu_config_id: 'a100-80gb', plan_id: 'plan-a100-80gb-ondemand', gpu_count: 8 };
    const filler = await t.api('POST', tenant.base, { token: tenant.token, body: customBody('a100-filler', { ...a100, replicas: 2 }) });
    expect(filler.status, JSON.stringify(filler.body)).toBe(201);
    const before = secretNames();

    const refused = await t.api('POST', tenant.base, { token: tenant.token, body: customBody('a100-more', { ...a100, hf_token: TOKEN }) });
    expect(refused.status, JSON.stringify(refused.body)).toBe(409);
    expect(JSON.stringify(refused.body)).not.toContain(TOKEN);
    expect(secretNames()).toEqual(before);
    expect((await t.records()).filter((r) => r.project_id === tenant.project).map((r) => r.id)).toEqual([filler.body.id]);

    expect((await t.api('DELETE', `${tenant.base}/${filler.body.id}`, { token: tenant.token })).status).toBe(204);
    await waitFor(() => t.api('GET', `${tenant.base}/${filler.body.id}`, { token: tenant.token }), (r) => r.status === 404, 'deleted', 20_000);
    await expectNothingLeaked(t, filler.body.id, 'a100-80gb');
  });
});

describe('gated catalog models', () => {
  const llama = (name: string, extra: Record<string, unknown> = {}) => ({
    name,
    catalog_id: 'meta-llama-Llama-3.1-8B-Instruct',
    region: 'us-east-1',
    gpu_config_id: 'l4-24gb',
    gpu_count: 1,
    plan_id: 'plan-l4-24gb-ondemand',
    config: { max_model_len: 4096 },
    ...extra,
  });

  it('a gated catalog model without hf_token is refused at admission (400 naming hf_token), before any GPU is reserved', async () => {
    const tenant = await t.tenant('prj-gated-admit');
    const ledger = await t.ledger('l4-24gb');
    const before = (await t.records()).length;
    for (const path of [tenant.base, `${tenant.base}?dry_run=true`]) {
      const refused = await t.api('POST', path, { token: tenant.token, body: llama('llama-no-token') });
      expect(refused.status, JSON.stringify(refused.body)).toBe(400);
      expect(refused.body).toEqual({ code: 'invalid_request', message: expect.stringMatching(/^hf_token is required: meta-llama\/Llama-3.1-8B-Instruct is a gated/) });
    }
    expect(await t.ledger('l4-24gb')).toBe(ledger);
    expect((await t.records()).length).toBe(before);
  });

  it('a gated repository the catalog does not know, without a token: ModelAccessDenied, nothing left; with one the catalog model is served', async () => {
    const tenant = await t.tenant('prj-gated');
    // Only Hugging Face knows a custom repository is gated: this one fails after the nodes boot.
    const denied = await t.api('POST', tenant.base, { token: tenant.token, body: customBody('llama-no-token', { huggingface_id: 'meta-llama/Llama-3.1-8B-Instruct' }) });
    expect(denied.status, JSON.stringify(denied.body)).toBe(201);
    const failed = await waitFor(() => t.api('GET', `${tenant.base}/${denied.body.id}`, { token: tenant.token }), (r) => r.body.status !== 'initializing', 'failed', 20_000);
    expect(failed.body.status).toBe('failed');
    expect(failed.body.fail_reason).toMatch(/^ModelAccessDenied: Hugging Face refused the download of meta-llama\/Llama-3.1-8B-Instruct/);
    await executionEnded(t, denied.body.workflow.execution_arn);
    await expectNothingLeaked(t, denied.body.id, 'l4-24gb');

    const served = await t.api('POST', tenant.base, { token: tenant.token, body: llama('llama-token', { hf_token: TOKEN }) });
    expect(served.status, JSON.stringify(served.body)).toBe(201);
    expect(served.body).toMatchObject({ has_hf_token: true });
    expect(served.body).not.toHaveProperty('huggingface_id');
    const ready = await waitFor(() => t.api('GET', `${tenant.base}/${served.body.id}`, { token: tenant.token }), (r) => r.body.status !== 'initializing', 'ready', 20_000);
    expect(ready.body.status, JSON.stringify(ready.body)).toBe('ready');
    const arn = await storedArn(served.body.id);
    for (const id of [denied.body.id, served.body.id]) expect((await t.api('DELETE', `${tenant.base}/${id}`, { token: tenant.token })).status).toBe(204);
    for (const id of [denied.body.id, served.body.id]) {
      await waitFor(() => t.api('GET', `${tenant.base}/${id}`, { token: tenant.token }), (r) => r.status === 404, 'deleted', 20_000);
    }
    await expectNothingLeaked(t, served.body.id, 'l4-24gb');
    expect(await secretGone(arn)).toBe(true);
  });
});

describe('custom model requests that are refused (400 naming the field, nothing created)', () => {
  const refused = async (body: unknown) => {
    const before = (await t.records()).length;
    const tenant = await t.tenant('prj-custom-bad');
    const response = await t.api('POST', tenant.base, { token: tenant.token, body });
    expect(response.status, JSON.stringify(response.body)).toBe(400);
    expect(response.body.code).toBe('invalid_request');
    expect((await t.records()).length).toBe(before);
    return response.body.message as string;
  };

  it('command without --served-model-name (Jan)', async () => {
    expect(await refused(customBody('my-model', { command: ['python', '-m', 'vllm.entrypoints.openai.api_server'] }))).toBe(
      '--served-model-name parameter is required in command',
    );
  });

  it('--served-model-name that is not the model name (Jan)', async () => {
    expect(
      await refused(customBody('my-model', { command: ['python', '-m', 'vllm.entrypoints.openai.api_server', '--served-model-name', 'different-name'] })),
    ).toBe("--served-model-name 'different-name' must match model name 'my-model'");
  });

  it('both catalog_id and huggingface_id, or a custom-only field on a catalog model', async () => {
    expect(await refused(customBody('both-ids', { catalog_id: 'Qwen-Qwen2.5-0.5B-Instruct' }))).toMatch(/exactly one of catalog_id .* and huggingface_id/);
    const { huggingface_id: _hf, ...catalog } = customBody('catalog-image', { catalog_id: 'Qwen-Qwen2.5-0.5B-Instruct', image: 'my/image:1' });
    expect(await refused(catalog)).toMatch(/^image applies only to a model outside the catalog/);
  });

  it('no gpu_config_id, a malformed repository id, a bad storage size', async () => {
    const { gpu_config_id: _g, ...noGpu } = customBody('no-gpu');
    expect(await refused(noGpu)).toBe('gpu_config_id is required and must be a string');
    expect(await refused(customBody('bad-repo', { huggingface_id: 'not a repo' }))).toMatch(/^huggingface_id must be a Hugging Face repository id/);
    expect(await refused(customBody('bad-size', { storage_size: '50GB' }))).toMatch(/^storage_size: storage_size must be a quantity|^storage_size must be a quantity/);
  });

  it('a declared model size that does not fit the GPUs', async () => {
    expect(await refused(customBody('too-big', { model_size_gib: 40 }))).toMatch(/^gpu_count 1 is too small: .* use gpu_count 4$/);
    expect(await refused(customBody('never-fits', { model_size_gib: 200 }))).toMatch(/^no GPU node of gpu_config_id 'l4-24gb' can hold/);
  });
});
