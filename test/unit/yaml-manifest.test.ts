import { stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { ApiError, ValidationError } from '../../functions/domain/errors';
import { admitManifest, modelRepositoryOf, parseManifest, resolveYamlDeployment, MAX_MANIFEST_BYTES } from '../../functions/domain/yaml-manifest';

const gpu = { gpus_per_node: 4, config_id: 'l4-24gb', node_group: { name: 'gpu-l4-24gb', min_size: 0, max_size: 4 } };

const manifest = (): any => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'yaml-model' },
  spec: {
    replicas: 1,
    template: {
      spec: {
        containers: [
          {
            name: 'server',
            image: 'vllm/vllm-openai:v0.10.2',
            args: ['--model', 'acme/chat-7b', '--served-model-name', 'yaml-model'],
            resources: { limits: { 'nvidia.com/gpu': '2' } },
          },
        ],
      },
    },
  },
});

const pathOf = (run: () => unknown): string | undefined => {
  try {
    run();
  } catch (error) {
    if (error instanceof ValidationError) {
      expect(error.message.startsWith(error.field ?? "(no field)"), error.message).toBe(true);
      return error.field;
    }
    throw error;
  }
  throw new Error('expected a ValidationError');
};

const edited = (change: (m: any, pod: any, c: any) => void) => {
  const m = manifest();
  change(m, m.spec.template.spec, m.spec.template.spec.containers[0]);
  return m;
};

describe('YAML manifest admission', () => {
  it('admits an unprivileged GPU Deployment and derives the model from it', () => {
    expect(admitManifest(manifest(), gpu)).toMatchObject({ name: 'yaml-model', replicas: 1, gpus: 2, huggingfaceId: 'acme/chat-7b', image: 'vllm/vllm-openai:v0.10.2' });
  });

  it.each([
    ['kind', (m: any) => (m.kind = 'StatefulSet')],
    ['apiVersion', (m: any) => (m.apiVersion = 'extensions/v1beta1')],
    ['spec.replicas', (m: any) => (m.spec.replicas = 0)],
    ['spec.template.spec.hostNetwork', (_m: any, pod: any) => (pod.hostNetwork = true)],
    ['spec.template.spec.hostPID', (_m: any, pod: any) => (pod.hostPID = true)],
    ['spec.template.spec.hostIPC', (_m: any, pod: any) => (pod.hostIPC = true)],
    ['spec.template.spec.volumes[0].hostPath', (_m: any, pod: any) => (pod.volumes = [{ name: 'h', hostPath: { path: '/' } }])],
    ['spec.template.spec.securityContext.runAsNonRoot', (_m: any, pod: any) => (pod.securityContext = { runAsNonRoot: false })],
    ['spec.template.spec.containers[0].securityContext.privileged', (_m: any, _p: any, c: any) => (c.securityContext = { privileged: true })],
    ['spec.template.spec.containers[0].securityContext.allowPrivilegeEscalation', (_m: any, _p: any, c: any) => (c.securityContext = { allowPrivilegeEscalation: true })],
    ['spec.template.spec.containers[0].securityContext.capabilities.add', (_m: any, _p: any, c: any) => (c.securityContext = { capabilities: { add: ['NET_ADMIN'] } })],
    ['spec.template.spec.containers[0].securityContext.runAsNonRoot', (_m: any, _p: any, c: any) => (c.securityContext = { runAsNonRoot: false })],
    ['spec.template.spec.initContainers[0].securityContext.privileged', (_m: any, pod: any) => (pod.initContainers = [{ name: 'i', image: 'busybox', securityContext: { privileged: true } }])],
    ['spec.template.spec.initContainers', (_m: any, pod: any) => (pod.initContainers = [{ name: 'i', image: 'busybox' }])],
    ['spec.template.spec.containers[1]', (_m: any, pod: any, c: any) => pod.containers.push({ ...c, name: 'sidecar' })],
    ['spec.template.spec.containers[0].image', (_m: any, _p: any, c: any) => delete c.image],
    ['spec.template.spec.containers[0].resources.limits["nvidia.com/gpu"]', (_m: any, _p: any, c: any) => (c.resources = { limits: { cpu: '4' } })],
    ['spec.template.spec.containers[0].resources.limits["nvidia.com/gpu"]', (_m: any, _p: any, c: any) => (c.resources = { limits: { 'nvidia.com/gpu': 5 } })],
    ['spec.template.spec.containers[0].resources.limits["nvidia.com/gpu"]', (_m: any, _p: any, c: any) => (c.resources = { limits: { 'nvidia.com/gpu': '1.5' } })],
    ['spec.template.spec.containers[0].resources.requests["nvidia.com/gpu"]', (_m: any, _p: any, c: any) => (c.resources = { limits: { 'nvidia.com/gpu': 2 }, requests: { 'nvidia.com/gpu': 1 } })],
    ['spec.replicas', (m: any) => (m.spec.replicas = 9)],
    ['spec.template.spec.containers[0].env[0].valueFrom', (_m: any, _p: any, c: any) => (c.env = [{ name: 'X', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } }])],
    ['spec.template.spec.containers[0].env[0]', (_m: any, _p: any, c: any) => (c.env = [{ name: 'HF_TOKEN', value: 'hf_x' }])],
    ['spec.template.spec.containers[0].args', (_m: any, _p: any, c: any) => (c.args = ['--served-model-name', 'yaml-model'])],
  ])('refuses at %s', (path, change) => {
    expect(pathOf(() => admitManifest(edited(change as (m: any, pod: any, c: any) => void), gpu))).toBe(path);
  });

  it('finds the model repository in --model, --model= and vllm serve', () => {
    expect(modelRepositoryOf(['--model', 'a/b'])).toBe('a/b');
    expect(modelRepositoryOf(['--model=a/b'])).toBe('a/b');
    expect(modelRepositoryOf(['vllm', 'serve', 'a/b', '--port', '8000'])).toBe('a/b');
    expect(modelRepositoryOf(['sh', '-c', 'vllm serve a/b --port 8000'])).toBe('a/b');
    expect(modelRepositoryOf(['vllm', 'serve', '--port', '8000'])).toBeUndefined();
  });

  it('resolves to a custom-model spec; the rules of POST …/aimodels name manifest paths', () => {
    const query = { gpu_config_id: 'l4-24gb', plan_id: 'plan-l4-24gb-ondemand', dry_run: false };
    const spec = resolveYamlDeployment(manifest(), query);
    expect(spec.custom).toMatchObject({ source: 'yaml', huggingface_id: 'acme/chat-7b', args: manifest().spec.template.spec.containers[0].args });
    expect(spec.request).toMatchObject({ name: 'yaml-model', gpu_count: 2, region: 'us-east-1' });
    expect(pathOf(() => resolveYamlDeployment(edited((m) => (m.metadata.name = 'Bad_Name')), query))).toBe('metadata.name');
    expect(pathOf(() => resolveYamlDeployment(edited((_m, _p, c) => (c.args[3] = 'other')), query))).toBe('spec.template.spec.containers[0].args');
    expect(pathOf(() => resolveYamlDeployment(edited((_m, _p, c) => (c.image = 'UPPER/case')), query))).toBe('spec.template.spec.containers[0].image');
    expect(pathOf(() => resolveYamlDeployment(manifest(), { ...query, plan_id: 'nope' }))).toBe('plan_id');
  });
});

describe('YAML body parsing', () => {
  const yaml = stringify(manifest());
  it('parses one document of application/yaml or text/yaml, plain or base64', () => {
    expect(parseManifest(yaml, false, 'application/yaml')).toEqual(manifest());
    expect(parseManifest(Buffer.from(yaml).toString('base64'), true, 'text/yaml; charset=utf-8')).toEqual(manifest());
  });
  it('refuses other content types (415), two documents, too many aliases, oversized bodies, bad YAML', () => {
    expect(() => parseManifest(yaml, false, 'application/json')).toThrow(ApiError);
    expect(pathOf(() => parseManifest(`${yaml}---\n${yaml}`, false, 'application/yaml'))).toBe('documents[1]');
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x]', 'b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]', 'c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]', 'd: [*c, *c, *c, *c, *c, *c, *c, *c, *c]'].join('\n');
    expect(() => parseManifest(bomb, false, 'application/yaml')).toThrow(/not accepted YAML/);
    expect(() => parseManifest(`a: "${'x'.repeat(MAX_MANIFEST_BYTES)}"`, false, 'application/yaml')).toThrow(/exceeds/);
    expect(() => parseManifest('a: [unclosed', false, 'application/yaml')).toThrow(/not valid YAML/);
    expect(() => parseManifest('a: 1\na: 2', false, 'application/yaml')).toThrow(/not valid YAML/);
  });
});
