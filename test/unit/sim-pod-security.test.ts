/**
 * The simulator's Pod Security Admission checks (local/sim/apiserver/pod-security.ts) against
 * kube-apiserver's own wording: the expected strings are refusals EKS and other clusters print
 * (kubernetes/pod-security-admission policy/check_*.go), with their order of checks.
 */
import { describe, expect, it } from 'vitest';
import { admitPodSecurity, forbiddenDetail, isSignificantPodUpdate, namespacePolicy, podSecurityViolations } from '../../local/sim/apiserver/pod-security';

const RESTRICTED = { level: 'restricted', version: 'latest' } as const;
const ENFORCED = { 'pod-security.kubernetes.io/enforce': 'restricted', 'pod-security.kubernetes.io/enforce-version': 'latest' };
const detail = (spec: Record<string, unknown>, meta: Record<string, unknown> = {}, lv: Parameters<typeof podSecurityViolations>[0] = RESTRICTED) =>
  forbiddenDetail(podSecurityViolations(lv, meta, spec));

/** What the model manifests set (functions/domain/manifests.ts). */
const hardened = {
  securityContext: { runAsNonRoot: true, runAsUser: 10001, seccompProfile: { type: 'RuntimeDefault' } },
  containers: [{ name: 'vllm', image: 'vllm/vllm-openai:v0.11.0', securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } } }],
  volumes: [{ name: 'cache', emptyDir: {} }, { name: 'weights', persistentVolumeClaim: { claimName: 'c' } }],
};

describe('Pod Security restricted, worded as kube-apiserver words it', () => {
  it('a plain pod: the four restricted reasons, in the order of their check ids', () => {
    expect(detail({ containers: [{ name: 'runtime', image: 'node' }] })).toBe(
      'allowPrivilegeEscalation != false (container "runtime" must set securityContext.allowPrivilegeEscalation=false), ' +
        'unrestricted capabilities (container "runtime" must set securityContext.capabilities.drop=["ALL"]), ' +
        'runAsNonRoot != true (pod or container "runtime" must set securityContext.runAsNonRoot=true), ' +
        'seccompProfile (pod or container "runtime" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")',
    );
  });

  it('baseline checks come first; plural containers; runAsUser=0 between runAsNonRoot and seccomp', () => {
    const spec = {
      containers: [
        { name: 'sec-ctx-demo', image: 'busybox', securityContext: { privileged: true } },
        { name: 'volume-permissions', image: 'busybox', securityContext: { runAsUser: 0, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } } },
      ],
    };
    expect(detail(spec)).toBe(
      'privileged (container "sec-ctx-demo" must not set securityContext.privileged=true), ' +
        'allowPrivilegeEscalation != false (container "sec-ctx-demo" must set securityContext.allowPrivilegeEscalation=false), ' +
        'unrestricted capabilities (container "sec-ctx-demo" must set securityContext.capabilities.drop=["ALL"]), ' +
        'runAsNonRoot != true (pod or containers "sec-ctx-demo", "volume-permissions" must set securityContext.runAsNonRoot=true), ' +
        'runAsUser=0 (container "volume-permissions" must not set runAsUser=0), ' +
        'seccompProfile (pod or containers "sec-ctx-demo", "volume-permissions" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")',
    );
  });

  it('host namespaces, host ports, hostPath and other volume types, sysctls, added capabilities', () => {
    const spec = {
      ...hardened,
      hostNetwork: true,
      hostPID: true,
      securityContext: { ...hardened.securityContext, sysctls: [{ name: 'kernel.msgmax' }, { name: 'net.ipv4.tcp_syncookies' }] },
      containers: [{ ...hardened.containers[0], ports: [{ containerPort: 8443, hostPort: 9090 }, { containerPort: 80, hostPort: 8443 }], securityContext: { ...hardened.containers[0]!.securityContext, capabilities: { drop: ['ALL'], add: ['NET_ADMIN', 'NET_BIND_SERVICE'] } } }],
      volumes: [{ name: 'node', hostPath: { path: '/' } }, { name: 'share', nfs: { server: 'x', path: '/' } }, { name: 'ok', emptyDir: {} }],
    };
    expect(detail(spec)).toBe(
      'host namespaces (hostNetwork=true, hostPID=true), hostPort (container "vllm" uses hostPorts 8443, 9090), forbidden sysctls (kernel.msgmax), ' +
        'unrestricted capabilities (container "vllm" must not include "NET_ADMIN" in securityContext.capabilities.add), ' +
        'restricted volume types (volumes "node", "share" use restricted volume types "hostPath", "nfs")',
    );
  });

  it('an explicit bad seccomp profile and runAsNonRoot=false name their setter', () => {
    const spec = { ...hardened, securityContext: { runAsNonRoot: false, seccompProfile: { type: 'Unconfined' } } };
    expect(detail(spec)).toBe(
      'runAsNonRoot != true (pod must not set securityContext.runAsNonRoot=false), seccompProfile (pod must not set securityContext.seccompProfile.type to "Unconfined")',
    );
  });

  it('the manifests our functions render pass; baseline is looser; privileged checks nothing', () => {
    expect(podSecurityViolations(RESTRICTED, {}, hardened)).toEqual([]);
    const plain = { containers: [{ name: 'c', image: 'x' }] };
    expect(podSecurityViolations({ level: 'baseline', version: 'latest' }, {}, plain)).toEqual([]);
    expect(podSecurityViolations({ level: 'baseline', version: 'latest' }, {}, { ...plain, hostIPC: true }).map((r) => r.reason)).toEqual(['host namespaces']);
    expect(podSecurityViolations({ level: 'privileged', version: 'latest' }, {}, { ...plain, hostIPC: true })).toEqual([]);
  });

  it('an older policy version has fewer checks: no runAsUser before 1.23, no capabilities before 1.22', () => {
    const spec = { ...hardened, containers: [{ name: 'c', image: 'x', securityContext: { allowPrivilegeEscalation: false, runAsUser: 0 } }] };
    expect(podSecurityViolations({ level: 'restricted', version: 21 }, {}, spec)).toEqual([]);
    expect(podSecurityViolations({ level: 'restricted', version: 23 }, {}, spec).map((r) => r.reason)).toEqual(['unrestricted capabilities', 'runAsUser=0']);
  });
});

describe('the namespace labels and the admission decision', () => {
  it('enforce refuses a pod with the 403 message body, and adds no warning to a refusal', () => {
    expect(admitPodSecurity({ ...ENFORCED, 'pod-security.kubernetes.io/warn': 'restricted' }, {}, { containers: [{ name: 'c', image: 'x', securityContext: { ...hardened.containers[0]!.securityContext, runAsUser: 0 } }], securityContext: hardened.securityContext }, true)).toEqual({
      refusal: 'violates PodSecurity "restricted:latest": runAsUser=0 (container "c" must not set runAsUser=0)',
      warnings: [],
    });
  });

  it('a workload template is only warned about: warn defaults to the enforce level', () => {
    expect(admitPodSecurity(ENFORCED, {}, { containers: [{ name: 'c', image: 'x' }] }, false).warnings).toEqual([
      expect.stringMatching(/^would violate PodSecurity "restricted:latest": allowPrivilegeEscalation != false \(container "c" must set/),
    ]);
    expect(admitPodSecurity({ 'pod-security.kubernetes.io/enforce': 'restricted', 'pod-security.kubernetes.io/enforce-version': 'v1.30' }, {}, { containers: [{ name: 'c' }] }, true).refusal).toMatch(/^violates PodSecurity "restricted:v1.30": /);
  });

  it('no labels, or kube-system: privileged, nothing checked', () => {
    expect(admitPodSecurity(undefined, {}, { hostNetwork: true, containers: [{ name: 'c', securityContext: { privileged: true } }] }, true)).toEqual({ warnings: [] });
    expect(admitPodSecurity({ 'kubernetes.io/metadata.name': 'kube-system' }, {}, { hostPID: true, containers: [{ name: 'c' }] }, true)).toEqual({ warnings: [] });
  });

  it('a bad level is a label error and fails closed for enforce, open for warn', () => {
    const { policy, errors } = namespacePolicy({ 'pod-security.kubernetes.io/enforce': 'strict', 'pod-security.kubernetes.io/warn': 'loud', 'pod-security.kubernetes.io/audit-version': '1.30' });
    expect(policy.enforce.level).toBe('restricted');
    expect(policy.warn.level).toBe('privileged');
    expect(errors.map((e) => `${e.field}: ${e.detail}`)).toEqual([
      'metadata.labels[pod-security.kubernetes.io/enforce]: must be one of privileged, baseline, restricted',
      'metadata.labels[pod-security.kubernetes.io/audit-version]: must be "latest" or "v1.x"',
      'metadata.labels[pod-security.kubernetes.io/warn]: must be one of privileged, baseline, restricted',
    ]);
  });

  it('a pod update is looked at again only when an image changes', () => {
    const pod = { containers: [{ name: 'c', image: 'a' }] };
    expect(isSignificantPodUpdate(pod, pod)).toBe(false);
    expect(isSignificantPodUpdate({ containers: [{ name: 'c', image: 'b' }] }, pod)).toBe(true);
  });
});
