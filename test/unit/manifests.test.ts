/**
 * The rendered model workload against what EKS enforces: Pod Security `restricted`, a
 * disruption budget and a network policy per model, probes fit for a loaded server, and a
 * rollout that never takes every replica down (issue 13: M4, M8, M12, m5, m8).
 */
import { describe, expect, it } from 'vitest';
import type { V1PodTemplateSpec } from '@kubernetes/client-node';
import { findCatalogModel, findGpuConfig } from '../../contract/catalog';
import { resolveOnBuiltInCatalog } from '../support/built-in-catalog';
import { ValidationError } from '../../functions/domain/errors';
import { checkTenantLabelValues, MODEL_UID, renderModelWorkload, VLLM_IMAGE } from '../../functions/domain/manifests';
import { newDeploymentRecord } from '../../functions/domain/new-deployment';
import { podSecurityViolations } from '../../local/sim/apiserver/pod-security';

const tenant = { org_id: 'org-a', project_id: 'prj-a' };
const ingress = { apiServerCidrs: ['10.0.0.0/16'] };
const catalogBody = (extra: Record<string, unknown> = {}) => ({
  name: 'qwen',
  catalog_id: 'Qwen-Qwen2.5-0.5B-Instruct',
  region: 'us-east-1',
  gpu_config_id: 'l4-24gb',
  gpu_count: 1,
  plan_id: 'plan-l4-24gb-ondemand',
  ...extra,
});

const render = (body: Record<string, unknown>, image: string = VLLM_IMAGE) => {
  const spec = resolveOnBuiltInCatalog(body);
  const record = newDeploymentRecord(tenant, spec, { id: 'dep-abc', executionArn: 'arn:x' }, new Date('2026-01-01T00:00:00Z'));
  const model = 'custom' in spec ? undefined : findCatalogModel(String(body.catalog_id));
  return renderModelWorkload(record, model, findGpuConfig(String(body.gpu_config_id))!, 'models', ingress, image);
};

/** What kube-apiserver's Pod Security Admission reports for the pod template at `restricted:latest` (the simulator's checker, local/sim/apiserver/pod-security.ts). */
const restrictedViolations = (template: V1PodTemplateSpec): string[] =>
  podSecurityViolations({ level: 'restricted', version: 'latest' }, template.metadata, template.spec).map((r) => `${r.reason} (${r.detail})`);

describe('model pods satisfy Pod Security restricted (M8)', () => {
  for (const [what, body] of [
    ['catalog model', catalogBody()],
    ['custom model with a PVC cache and its own image', { ...catalogBody({ name: 'own' }), catalog_id: undefined, huggingface_id: 'acme/chat-7b', image: 'ghcr.io/acme/vllm:1', storage_size: '30Gi' }],
  ] as const) {
    it(`${what}: non-root with a fixed uid, no token, all capabilities dropped, RuntimeDefault seccomp`, () => {
      const template = render(body).deployment.spec!.template;
      expect(restrictedViolations(template)).toEqual([]);
      const pod = template.spec!;
      expect(pod.automountServiceAccountToken).toBe(false);
      expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: MODEL_UID, runAsGroup: MODEL_UID, fsGroup: MODEL_UID });
      expect(MODEL_UID).toBeGreaterThan(0);
    });
  }

  it('every path the server writes is on a pod volume, not the root-owned image', () => {
    const pod = render(catalogBody()).deployment.spec!.template.spec!;
    const container = pod.containers[0]!;
    const mounts = (container.volumeMounts ?? []).map((m) => m.mountPath);
    const env = Object.fromEntries((container.env ?? []).map((e) => [e.name, e.value]));
    for (const name of ['HOME', 'HF_HOME', 'XDG_CACHE_HOME', 'VLLM_CACHE_ROOT', 'TRITON_CACHE_DIR', 'TORCHINDUCTOR_CACHE_DIR']) {
      const path = env[name];
      expect(path, name).toBeDefined();
      expect(mounts.some((m) => path === m || path!.startsWith(`${m}/`)), `${name}=${path} is under a mounted volume`).toBe(true);
    }
    expect(mounts).toContain('/tmp');
    expect(env.USER).toBe('vllm'); // getpass.getuser() for a uid with no passwd entry
  });

  it('the PVC cache names the gp3 StorageClass', () => {
    const claim = render({ ...catalogBody({ name: 'own' }), catalog_id: undefined, huggingface_id: 'acme/chat-7b', storage_size: '30Gi' }).persistentVolumeClaim;
    expect(claim?.spec?.storageClassName).toBe('model-cache-gp3');
  });
});

describe('disruption budget and network policy per model (M4, M8)', () => {
  it('a policy/v1 PodDisruptionBudget selecting exactly the model pods, one at a time', () => {
    const { podDisruptionBudget: pdb, deployment } = render(catalogBody({ replicas: 3 }));
    expect(pdb).toMatchObject({ apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'model-abc', namespace: 'models' } });
    expect(pdb.spec?.selector).toEqual(deployment.spec?.selector);
    // maxUnavailable 1: a drain never blocks on a single replica, and never takes two of several at once.
    expect(pdb.spec).toMatchObject({ maxUnavailable: 1, unhealthyPodEvictionPolicy: 'AlwaysAllow' });
    expect(pdb.spec?.minAvailable).toBeUndefined();
    expect(pdb.metadata?.labels).toMatchObject({ 'gpudeploy.io/deployment-id': 'dep-abc', 'app.kubernetes.io/managed-by': 'gpu-control-plane' });
  });

  it('a NetworkPolicy admitting only the API server range and the inference gateway pods, on the server port', () => {
    const { networkPolicy, deployment } = render(catalogBody());
    expect(networkPolicy).toMatchObject({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'model-abc', labels: { 'gpudeploy.io/deployment-id': 'dep-abc' } } });
    expect(networkPolicy.spec.podSelector).toEqual(deployment.spec?.selector);
    expect(networkPolicy.spec.policyTypes).toEqual(['Ingress']);
    const gateway = {
      namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'inference-gateway' } },
      podSelector: { matchLabels: { 'app.kubernetes.io/name': 'inference-gateway' } },
    };
    expect(networkPolicy.spec.ingress).toEqual([{ from: [{ ipBlock: { cidr: '10.0.0.0/16' } }, gateway], ports: [{ protocol: 'TCP', port: 8000 }] }]);
    // No empty selector: other models' pods (and any other namespace's) are not admitted by this policy.
    expect(JSON.stringify(networkPolicy)).not.toMatch(/"(podSelector|namespaceSelector)":\{\}|"matchLabels":\{\}/);
  });

  it('the model server reads its key from the deployment\'s own api-key Secret, after any custom env', () => {
    const container = render(catalogBody()).deployment.spec!.template.spec!.containers[0]!;
    expect(container.env?.at(-1)).toEqual({ name: 'VLLM_API_KEY', valueFrom: { secretKeyRef: { name: 'model-abc-api-key', key: 'VLLM_API_KEY' } } });
  });
});

describe('probes for a loaded LLM server (M12)', () => {
  it('time out after 5-10 s; readiness gives up well before liveness; the startup budget is kept', () => {
    const container = render(catalogBody()).deployment.spec!.template.spec!.containers[0]!;
    const { startupProbe, readinessProbe, livenessProbe } = container;
    for (const probe of [startupProbe, readinessProbe, livenessProbe]) {
      expect(probe?.timeoutSeconds).toBeGreaterThanOrEqual(5);
      expect(probe?.timeoutSeconds).toBeLessThanOrEqual(10);
    }
    const window = (p: typeof readinessProbe) => (p!.periodSeconds ?? 10) * (p!.failureThreshold ?? 3);
    expect(window(readinessProbe)).toBeLessThanOrEqual(60);
    expect(window(livenessProbe)).toBeGreaterThanOrEqual(3 * window(readinessProbe));
    // 0.5B model: 300 s + 25 s/GiB of weights, in 10 s periods.
    expect((startupProbe!.periodSeconds ?? 0) * (startupProbe!.failureThreshold ?? 0)).toBeGreaterThanOrEqual(300);
  });
});

describe('rollout strategy (m5)', () => {
  it('a changed template replaces one replica at a time and never adds a surge pod', () => {
    for (const body of [catalogBody({ replicas: 2 }), { ...catalogBody({ name: 'own', replicas: 2 }), catalog_id: undefined, huggingface_id: 'acme/chat-7b', storage_size: '30Gi' }]) {
      expect(render(body).deployment.spec?.strategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxSurge: 0, maxUnavailable: 1 } });
    }
  });
});

describe('tenant ids as label values (m8)', () => {
  it('accepts the ids the path allows that are label values, refuses the others naming the field', () => {
    expect(() => checkTenantLabelValues({ org_id: 'org_A.1', project_id: 'p'.repeat(63) })).not.toThrow();
    for (const [ids, field] of [
      [{ org_id: 'org-', project_id: 'prj' }, 'org_id'],
      [{ org_id: 'org', project_id: 'prj.' }, 'project_id'],
      [{ org_id: 'org', project_id: 'p'.repeat(64) }, 'project_id'],
      [{ org_id: 'a b', project_id: 'prj' }, 'org_id'],
    ] as const) {
      const error = (() => {
        try {
          checkTenantLabelValues(ids);
        } catch (e) {
          return e as ValidationError;
        }
        return undefined;
      })();
      expect(error, JSON.stringify(ids)).toBeInstanceOf(ValidationError);
      expect(error?.field).toBe(field);
      expect(error?.message.startsWith(field)).toBe(true);
    }
  });
});

describe('serving image (M2: the ECR pull-through cache copy on AWS)', () => {
  const cached = '123456789012.dkr.ecr.us-east-1.amazonaws.com/docker-hub/vllm/vllm-openai:v0.11.0';

  it('runs the configured image, not the Docker Hub default', () => {
    const container = render(catalogBody(), cached).deployment.spec!.template.spec!.containers[0]!;
    expect(container.image).toBe(cached);
    expect(container.args).toContain('--tensor-parallel-size');
    expect(render(catalogBody()).deployment.spec!.template.spec!.containers[0]!.image).toBe('vllm/vllm-openai:v0.11.0');
  });

  it("keeps a custom model's own image", () => {
    const custom = { name: 'mine', huggingface_id: 'acme/chat-7b', region: 'us-east-1', gpu_config_id: 'l4-24gb', gpu_count: 1, plan_id: 'plan-l4-24gb-ondemand', model_size_gib: 14, image: 'vllm/vllm-openai:v0.10.2' };
    expect(render(custom, cached).deployment.spec!.template.spec!.containers[0]!.image).toBe('vllm/vllm-openai:v0.10.2');
    const defaulted = { ...custom, image: undefined };
    expect(render(defaulted, cached).deployment.spec!.template.spec!.containers[0]!.image).toBe(cached);
  });
});
