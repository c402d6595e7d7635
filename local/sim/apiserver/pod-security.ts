// Over 300 lines: one check per Pod Security Standards control, each with kube-apiserver's exact wording; split, the ordering rule would be spread too.
/**
 * Pod Security Admission, as kube-apiserver runs it (k8s.io/pod-security-admission): the
 * namespace labels `pod-security.kubernetes.io/{enforce,warn,audit}[-version]` pick a level,
 * pods that fail the enforce level are refused with a 403, and pods or workload templates
 * (Deployment, ReplicaSet, DaemonSet) that fail the warn level get a `Warning` header.
 *
 * The checks are those of policy/check_*.go at the simulated cluster's version (KUBELET_VERSION,
 * 1.31): the same fields, the same forbidden reasons and details, the same order (baseline
 * checks by id, then restricted ones, sorted as Go sorts strings), so a refusal reads exactly
 * as EKS writes it. Pure functions of plain JSON: the unit tests run the rendered manifests
 * through `podSecurityViolations` without a simulator.
 */
import { isRecord } from './types.js';
import { KUBELET_VERSION } from './version.js';
import type { FieldError } from './status.js';

export type PodSecurityLevel = 'privileged' | 'baseline' | 'restricted';

/** A policy version: `latest` or 1.x (only the minor matters here). */
export type PolicyVersion = number | 'latest';

export interface LevelVersion {
  level: PodSecurityLevel;
  version: PolicyVersion;
}

export interface NamespacePolicy {
  enforce: LevelVersion;
  audit: LevelVersion;
  warn: LevelVersion;
}

/** One failed check: kube-apiserver prints `reason (detail)`. */
export interface CheckResult {
  reason: string;
  detail: string;
}

const LABEL_PREFIX = 'pod-security.kubernetes.io/';
const LEVELS: readonly PodSecurityLevel[] = ['privileged', 'baseline', 'restricted'];
/** The minor version `latest` means: the newest policy this (simulated) API server knows. */
const SERVER_MINOR = Number(/^v1\.(\d+)/.exec(KUBELET_VERSION)?.[1] ?? 31);

const levelVersionString = (lv: LevelVersion): string => `${lv.level}:${lv.version === 'latest' ? 'latest' : `v1.${lv.version}`}`;

/* ----------------------------------------------------------------------------------------- */
/* What the checks read, as plain JSON.                                                        */

interface SecurityContext {
  privileged?: boolean;
  allowPrivilegeEscalation?: boolean;
  runAsNonRoot?: boolean;
  runAsUser?: number;
  procMount?: string;
  capabilities?: { add?: string[]; drop?: string[] };
  seccompProfile?: { type?: string };
  appArmorProfile?: { type?: string };
  seLinuxOptions?: { type?: string; user?: string; role?: string };
  windowsOptions?: { hostProcess?: boolean };
  sysctls?: { name: string }[];
}

interface ContainerLike {
  name: string;
  securityContext?: SecurityContext;
  ports?: { hostPort?: number }[];
}

interface PodSpecLike {
  containers?: ContainerLike[];
  initContainers?: ContainerLike[];
  ephemeralContainers?: ContainerLike[];
  hostNetwork?: boolean;
  hostPID?: boolean;
  hostIPC?: boolean;
  securityContext?: SecurityContext;
  volumes?: Record<string, unknown>[];
  os?: { name?: string };
}

interface PodMetaLike {
  annotations?: Record<string, string>;
}

type CheckFn = (meta: PodMetaLike, spec: PodSpecLike) => CheckResult | undefined;

/** Init containers, then containers, then ephemeral containers (policy/visitor.go). */
const containersOf = (spec: PodSpecLike): ContainerLike[] => [...(spec.initContainers ?? []), ...(spec.containers ?? []), ...(spec.ephemeralContainers ?? [])];

const joinQuote = (items: readonly string[]): string => (items.length === 0 ? '' : `"${items.join('", "')}"`);
const pluralize = (singular: string, plural: string, count: number): string => (count === 1 ? singular : plural);
const sorted = (items: Iterable<string>): string[] => [...new Set(items)].sort();
const containerList = (names: string[]): string => `${pluralize('container', 'containers', names.length)} ${joinQuote(names)}`;
const isWindows = (spec: PodSpecLike): boolean => spec.os?.name === 'windows';

/* ----------------------------------------------------------------------------------------- */
/* Baseline checks.                                                                            */

const appArmorProfile: CheckFn = (meta, spec) => {
  const allowedType = (t: string | undefined) => t === 'RuntimeDefault' || t === 'Localhost';
  const setters: string[] = [];
  const values = new Set<string>();
  const podType = spec.securityContext?.appArmorProfile;
  if (podType && !allowedType(podType.type)) {
    setters.push('pod');
    values.add(String(podType.type ?? ''));
  }
  const bad = containersOf(spec).filter((c) => c.securityContext?.appArmorProfile && !allowedType(c.securityContext.appArmorProfile.type));
  bad.forEach((c) => values.add(String(c.securityContext?.appArmorProfile?.type ?? '')));
  if (bad.length > 0) setters.push(containerList(bad.map((c) => c.name)));
  const annotations = Object.entries(meta.annotations ?? {})
    .filter(([k, v]) => k.startsWith('container.apparmor.security.beta.kubernetes.io/') && !(v === '' || v === 'runtime/default' || v.startsWith('localhost/')))
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .sort();
  const valueList = [...sorted(values), ...annotations];
  if (annotations.length > 0) setters.push(pluralize('annotation', 'annotations', annotations.length));
  if (setters.length === 0) return undefined;
  return {
    reason: pluralize('forbidden AppArmor profile', 'forbidden AppArmor profiles', valueList.length),
    detail: `${setters.join(' and ')} must not set AppArmor profile type to ${joinQuote(valueList)}`,
  };
};

const DEFAULT_CAPABILITIES = new Set(['AUDIT_WRITE', 'CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'FSETID', 'KILL', 'MKNOD', 'NET_BIND_SERVICE', 'SETFCAP', 'SETGID', 'SETPCAP', 'SETUID', 'SYS_CHROOT']);

const capabilitiesBaseline: CheckFn = (_meta, spec) => {
  const bad: string[] = [];
  const caps = new Set<string>();
  for (const c of containersOf(spec)) {
    const added = (c.securityContext?.capabilities?.add ?? []).filter((cap) => !DEFAULT_CAPABILITIES.has(cap));
    if (added.length === 0) continue;
    bad.push(c.name);
    added.forEach((cap) => caps.add(cap));
  }
  if (bad.length === 0) return undefined;
  return { reason: 'non-default capabilities', detail: `${containerList(bad)} must not include ${joinQuote(sorted(caps))} in securityContext.capabilities.add` };
};

const hostNamespaces: CheckFn = (_meta, spec) => {
  const used = [spec.hostNetwork && 'hostNetwork=true', spec.hostPID && 'hostPID=true', spec.hostIPC && 'hostIPC=true'].filter((v): v is string => Boolean(v));
  return used.length === 0 ? undefined : { reason: 'host namespaces', detail: used.join(', ') };
};

const hostPathVolumes: CheckFn = (_meta, spec) => {
  const names = (spec.volumes ?? []).filter((v) => v.hostPath != null).map((v) => String(v.name));
  return names.length === 0 ? undefined : { reason: 'hostPath volumes', detail: `${pluralize('volume', 'volumes', names.length)} ${joinQuote(names)}` };
};

const hostPorts: CheckFn = (_meta, spec) => {
  const bad: string[] = [];
  const ports = new Set<string>();
  for (const c of containersOf(spec)) {
    const used = (c.ports ?? []).filter((p) => (p.hostPort ?? 0) !== 0).map((p) => String(p.hostPort));
    if (used.length === 0) continue;
    bad.push(c.name);
    used.forEach((p) => ports.add(p));
  }
  if (bad.length === 0) return undefined;
  const list = sorted(ports);
  return { reason: 'hostPort', detail: `${containerList(bad)} ${pluralize('uses', 'use', bad.length)} ${pluralize('hostPort', 'hostPorts', list.length)} ${list.join(', ')}` };
};

const privileged: CheckFn = (_meta, spec) => {
  const bad = containersOf(spec).filter((c) => c.securityContext?.privileged === true).map((c) => c.name);
  return bad.length === 0 ? undefined : { reason: 'privileged', detail: `${containerList(bad)} must not set securityContext.privileged=true` };
};

const procMount: CheckFn = (_meta, spec) => {
  const bad: string[] = [];
  const types = new Set<string>();
  for (const c of containersOf(spec)) {
    const value = c.securityContext?.procMount;
    if (value === undefined || value === null || value === 'Default') continue;
    bad.push(c.name);
    types.add(value);
  }
  if (bad.length === 0) return undefined;
  return { reason: 'procMount', detail: `${containerList(bad)} must not set securityContext.procMount to ${joinQuote(sorted(types))}` };
};

const seLinuxOptions = (allowedTypes: ReadonlySet<string>): CheckFn => (_meta, spec) => {
  const setters: string[] = [];
  const badTypes = new Set<string>();
  let setUser = false;
  let setRole = false;
  const valid = (opts: NonNullable<SecurityContext['seLinuxOptions']>): boolean => {
    let ok = true;
    if (!allowedTypes.has(opts.type ?? '')) {
      ok = false;
      badTypes.add(opts.type ?? '');
    }
    if (opts.user) {
      ok = false;
      setUser = true;
    }
    if (opts.role) {
      ok = false;
      setRole = true;
    }
    return ok;
  };
  const podOpts = spec.securityContext?.seLinuxOptions;
  if (podOpts && !valid(podOpts)) setters.push('pod');
  const bad = containersOf(spec).filter((c) => c.securityContext?.seLinuxOptions && !valid(c.securityContext.seLinuxOptions)).map((c) => c.name);
  if (bad.length > 0) setters.push(containerList(bad));
  if (setters.length === 0) return undefined;
  const data: string[] = [];
  if (badTypes.size > 0) data.push(`${pluralize('type', 'types', badTypes.size)} ${joinQuote(sorted(badTypes))}`);
  if (setUser) data.push('user may not be set');
  if (setRole) data.push('role may not be set');
  return { reason: 'seLinuxOptions', detail: `${setters.join(' and ')} set forbidden securityContext.seLinuxOptions: ${data.join('; ')}` };
};

const validSeccomp = (type: string | undefined): boolean => type === 'RuntimeDefault' || type === 'Localhost';

/** Before 1.19 seccomp was set with annotations. */
const seccompBaselineAnnotations: CheckFn = (meta, spec) => {
  const validValue = (v: string) => v === 'runtime/default' || v === 'docker/default' || v.startsWith('localhost/');
  const forbidden = new Set<string>();
  const annotations = meta.annotations ?? {};
  const podValue = annotations['seccomp.security.alpha.kubernetes.io/pod'];
  if (podValue !== undefined && !validValue(podValue)) forbidden.add(`seccomp.security.alpha.kubernetes.io/pod=${JSON.stringify(podValue)}`);
  for (const c of containersOf(spec)) {
    const key = `container.seccomp.security.alpha.kubernetes.io/${c.name}`;
    const value = annotations[key];
    if (value !== undefined && !validValue(value)) forbidden.add(`${key}=${JSON.stringify(value)}`);
  }
  if (forbidden.size === 0) return undefined;
  return { reason: 'seccompProfile', detail: `forbidden ${pluralize('annotation', 'annotations', forbidden.size)} ${sorted(forbidden).join(', ')}` };
};

const seccompBaseline: CheckFn = (_meta, spec) => {
  const setters: string[] = [];
  const values = new Set<string>();
  const pod = spec.securityContext?.seccompProfile;
  if (pod && !validSeccomp(pod.type)) {
    setters.push('pod');
    values.add(String(pod.type ?? ''));
  }
  const bad = containersOf(spec).filter((c) => c.securityContext?.seccompProfile && !validSeccomp(c.securityContext.seccompProfile.type));
  bad.forEach((c) => values.add(String(c.securityContext?.seccompProfile?.type ?? '')));
  if (bad.length > 0) setters.push(containerList(bad.map((c) => c.name)));
  if (setters.length === 0) return undefined;
  return { reason: 'seccompProfile', detail: `${setters.join(' and ')} must not set securityContext.seccompProfile.type to ${joinQuote(sorted(values))}` };
};

const SYSCTLS_1_0 = ['kernel.shm_rmid_forced', 'net.ipv4.ip_local_port_range', 'net.ipv4.tcp_syncookies', 'net.ipv4.ping_group_range', 'net.ipv4.ip_unprivileged_port_start'];
const SYSCTLS_1_27 = [...SYSCTLS_1_0, 'net.ipv4.ip_local_reserved_ports'];
const SYSCTLS_1_29 = [...SYSCTLS_1_27, 'net.ipv4.tcp_keepalive_time', 'net.ipv4.tcp_fin_timeout', 'net.ipv4.tcp_keepalive_intvl', 'net.ipv4.tcp_keepalive_probes'];

const sysctls = (allowed: readonly string[]): CheckFn => (_meta, spec) => {
  const forbidden = (spec.securityContext?.sysctls ?? []).map((s) => s.name).filter((name) => !allowed.includes(name));
  return forbidden.length === 0 ? undefined : { reason: 'forbidden sysctls', detail: forbidden.join(', ') };
};

const windowsHostProcess: CheckFn = (_meta, spec) => {
  const setters: string[] = [];
  if (spec.securityContext?.windowsOptions?.hostProcess === true) setters.push('pod');
  const bad = containersOf(spec).filter((c) => c.securityContext?.windowsOptions?.hostProcess === true).map((c) => c.name);
  if (bad.length > 0) setters.push(containerList(bad));
  if (setters.length === 0) return undefined;
  return { reason: 'hostProcess', detail: `${setters.join(' and ')} must not set securityContext.windowsOptions.hostProcess=true` };
};

/* ----------------------------------------------------------------------------------------- */
/* Restricted checks.                                                                          */

/** From 1.25 a pod that declares `spec.os.name: windows` is exempt (API validation forbids the Linux fields there). */
const exceptWindows = (check: CheckFn): CheckFn => (meta, spec) => (isWindows(spec) ? undefined : check(meta, spec));

const allowPrivilegeEscalation: CheckFn = (_meta, spec) => {
  const bad = containersOf(spec).filter((c) => c.securityContext?.allowPrivilegeEscalation !== false).map((c) => c.name);
  return bad.length === 0 ? undefined : { reason: 'allowPrivilegeEscalation != false', detail: `${containerList(bad)} must set securityContext.allowPrivilegeEscalation=false` };
};

const capabilitiesRestricted: CheckFn = (_meta, spec) => {
  const missingDrop: string[] = [];
  const adding: string[] = [];
  const forbidden = new Set<string>();
  for (const c of containersOf(spec)) {
    const caps = c.securityContext?.capabilities;
    if (!caps) {
      missingDrop.push(c.name);
      continue;
    }
    if (!(caps.drop ?? []).includes('ALL')) missingDrop.push(c.name);
    const added = (caps.add ?? []).filter((cap) => cap !== 'NET_BIND_SERVICE');
    if (added.length > 0) {
      adding.push(c.name);
      added.forEach((cap) => forbidden.add(cap));
    }
  }
  const details: string[] = [];
  if (missingDrop.length > 0) details.push(`${containerList(missingDrop)} must set securityContext.capabilities.drop=["ALL"]`);
  if (adding.length > 0) details.push(`${containerList(adding)} must not include ${joinQuote(sorted(forbidden))} in securityContext.capabilities.add`);
  return details.length === 0 ? undefined : { reason: 'unrestricted capabilities', detail: details.join('; ') };
};

const ALLOWED_VOLUME_SOURCES = ['configMap', 'csi', 'downwardAPI', 'emptyDir', 'ephemeral', 'image', 'persistentVolumeClaim', 'projected', 'secret'];
/** The sources policy/check_restrictedVolumes.go names, in its order (the first one set is reported). */
const NAMED_VOLUME_SOURCES = [
  'hostPath', 'gcePersistentDisk', 'awsElasticBlockStore', 'gitRepo', 'nfs', 'iscsi', 'glusterfs', 'rbd', 'flexVolume', 'cinder', 'cephfs', 'flocker', 'fc',
  'azureFile', 'vsphereVolume', 'quobyte', 'azureDisk', 'photonPersistentDisk', 'portworxVolume', 'scaleIO', 'storageos',
];

const restrictedVolumes: CheckFn = (_meta, spec) => {
  const bad: string[] = [];
  const types = new Set<string>();
  for (const volume of spec.volumes ?? []) {
    if (ALLOWED_VOLUME_SOURCES.some((k) => volume[k] != null)) continue;
    bad.push(String(volume.name));
    types.add(NAMED_VOLUME_SOURCES.find((k) => volume[k] != null) ?? 'unknown');
  }
  if (bad.length === 0) return undefined;
  const typeList = sorted(types);
  return {
    reason: 'restricted volume types',
    detail: `${pluralize('volume', 'volumes', bad.length)} ${joinQuote(bad)} ${pluralize('uses', 'use', bad.length)} ${pluralize('restricted volume type', 'restricted volume types', typeList.length)} ${joinQuote(typeList)}`,
  };
};

const runAsNonRoot: CheckFn = (_meta, spec) => {
  const setters: string[] = [];
  let podNonRoot = false;
  const pod = spec.securityContext?.runAsNonRoot;
  if (pod === false) setters.push('pod');
  else if (pod === true) podNonRoot = true;
  const explicit: string[] = [];
  const implicit: string[] = [];
  for (const c of containersOf(spec)) {
    const value = c.securityContext?.runAsNonRoot;
    if (value === false) explicit.push(c.name);
    else if (value === undefined && !podNonRoot) implicit.push(c.name);
  }
  if (explicit.length > 0) setters.push(containerList(explicit));
  if (setters.length > 0) return { reason: 'runAsNonRoot != true', detail: `${setters.join(' and ')} must not set securityContext.runAsNonRoot=false` };
  if (implicit.length > 0) return { reason: 'runAsNonRoot != true', detail: `pod or ${containerList(implicit)} must set securityContext.runAsNonRoot=true` };
  return undefined;
};

const runAsUser: CheckFn = (_meta, spec) => {
  const setters: string[] = [];
  if (spec.securityContext?.runAsUser === 0) setters.push('pod');
  const bad = containersOf(spec).filter((c) => c.securityContext?.runAsUser === 0).map((c) => c.name);
  if (bad.length > 0) setters.push(containerList(bad));
  return setters.length === 0 ? undefined : { reason: 'runAsUser=0', detail: `${setters.join(' and ')} must not set runAsUser=0` };
};

const seccompRestricted: CheckFn = (_meta, spec) => {
  const setters: string[] = [];
  const values = new Set<string>();
  let podSet = false;
  const pod = spec.securityContext?.seccompProfile;
  if (pod) {
    if (!validSeccomp(pod.type)) {
      setters.push('pod');
      values.add(String(pod.type ?? ''));
    } else podSet = true;
  }
  const explicit: string[] = [];
  const implicit: string[] = [];
  for (const c of containersOf(spec)) {
    const profile = c.securityContext?.seccompProfile;
    if (profile) {
      if (!validSeccomp(profile.type)) {
        explicit.push(c.name);
        values.add(String(profile.type ?? ''));
      }
    } else if (!podSet) implicit.push(c.name);
  }
  if (explicit.length > 0) setters.push(containerList(explicit));
  if (setters.length > 0) return { reason: 'seccompProfile', detail: `${setters.join(' and ')} must not set securityContext.seccompProfile.type to ${joinQuote(sorted(values))}` };
  if (implicit.length > 0) return { reason: 'seccompProfile', detail: `pod or ${containerList(implicit)} must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost"` };
  return undefined;
};

/* ----------------------------------------------------------------------------------------- */
/* The registry: versions, overrides and order (policy/registry.go).                           */

interface Check {
  id: string;
  level: 'baseline' | 'restricted';
  /** By minimum minor version, increasing; a version below the first has no such check. */
  versions: { since: number; check: CheckFn; overrides?: string[] }[];
}

const CHECKS: readonly Check[] = [
  { id: 'appArmorProfile', level: 'baseline', versions: [{ since: 0, check: appArmorProfile }] },
  { id: 'capabilities_baseline', level: 'baseline', versions: [{ since: 0, check: capabilitiesBaseline }] },
  { id: 'hostNamespaces', level: 'baseline', versions: [{ since: 0, check: hostNamespaces }] },
  { id: 'hostPathVolumes', level: 'baseline', versions: [{ since: 0, check: hostPathVolumes }] },
  { id: 'hostPorts', level: 'baseline', versions: [{ since: 0, check: hostPorts }] },
  { id: 'privileged', level: 'baseline', versions: [{ since: 0, check: privileged }] },
  { id: 'procMount', level: 'baseline', versions: [{ since: 0, check: procMount }] },
  {
    id: 'seLinuxOptions',
    level: 'baseline',
    versions: [
      { since: 0, check: seLinuxOptions(new Set(['', 'container_t', 'container_init_t', 'container_kvm_t'])) },
      { since: 31, check: seLinuxOptions(new Set(['', 'container_t', 'container_init_t', 'container_kvm_t', 'container_engine_t'])) },
    ],
  },
  { id: 'seccompProfile_baseline', level: 'baseline', versions: [{ since: 0, check: seccompBaselineAnnotations }, { since: 19, check: seccompBaseline }] },
  { id: 'sysctls', level: 'baseline', versions: [{ since: 0, check: sysctls(SYSCTLS_1_0) }, { since: 27, check: sysctls(SYSCTLS_1_27) }, { since: 29, check: sysctls(SYSCTLS_1_29) }] },
  { id: 'windowsHostProcess', level: 'baseline', versions: [{ since: 0, check: windowsHostProcess }] },
  { id: 'allowPrivilegeEscalation', level: 'restricted', versions: [{ since: 8, check: allowPrivilegeEscalation }, { since: 25, check: exceptWindows(allowPrivilegeEscalation) }] },
  {
    id: 'capabilities_restricted',
    level: 'restricted',
    versions: [
      { since: 22, check: capabilitiesRestricted, overrides: ['capabilities_baseline'] },
      { since: 25, check: exceptWindows(capabilitiesRestricted), overrides: ['capabilities_baseline'] },
    ],
  },
  { id: 'restrictedVolumes', level: 'restricted', versions: [{ since: 0, check: restrictedVolumes, overrides: ['hostPathVolumes'] }] },
  { id: 'runAsNonRoot', level: 'restricted', versions: [{ since: 0, check: runAsNonRoot }] },
  { id: 'runAsUser', level: 'restricted', versions: [{ since: 23, check: runAsUser }] },
  {
    id: 'seccompProfile_restricted',
    level: 'restricted',
    versions: [
      { since: 19, check: seccompRestricted, overrides: ['seccompProfile_baseline'] },
      { since: 25, check: exceptWindows(seccompRestricted), overrides: ['seccompProfile_baseline'] },
    ],
  },
];

/** Go's sort.Strings: by UTF-8 bytes (uppercase before lowercase), baseline ids first. */
const byteOrder = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
const ORDERED = [...CHECKS.filter((c) => c.level === 'baseline').sort((a, b) => byteOrder(a.id, b.id)), ...CHECKS.filter((c) => c.level === 'restricted').sort((a, b) => byteOrder(a.id, b.id))];

const checksFor = (lv: LevelVersion): CheckFn[] => {
  if (lv.level === 'privileged') return [];
  const minor = lv.version === 'latest' ? SERVER_MINOR : Math.min(lv.version, SERVER_MINOR);
  const active = ORDERED.flatMap((c) => {
    if (lv.level === 'baseline' && c.level !== 'baseline') return [];
    const version = [...c.versions].reverse().find((v) => v.since <= minor);
    return version ? [{ id: c.id, ...version }] : [];
  });
  const overridden = new Set(active.flatMap((c) => c.overrides ?? []));
  return active.filter((c) => !overridden.has(c.id)).map((c) => c.check);
};

/** The failed checks of a pod (or pod template) at a level and version, in kube-apiserver's order. */
export const podSecurityViolations = (lv: LevelVersion, podMeta: unknown, podSpec: unknown): CheckResult[] => {
  const meta = (isRecord(podMeta) ? podMeta : {}) as PodMetaLike;
  const spec = (isRecord(podSpec) ? podSpec : {}) as PodSpecLike;
  return checksFor(lv).flatMap((check) => check(meta, spec) ?? []);
};

/** `reason (detail), reason (detail)`: AggregateCheckResult.ForbiddenDetail. */
export const forbiddenDetail = (results: readonly CheckResult[]): string => results.map((r) => (r.detail ? `${r.reason} (${r.detail})` : r.reason)).join(', ');

/* ----------------------------------------------------------------------------------------- */
/* Namespace labels (api/helpers.go PolicyToEvaluate; the default policy is privileged:latest). */

const parseVersion = (value: string): PolicyVersion | undefined => {
  if (value === 'latest') return 'latest';
  const match = /^v1\.(0|[1-9][0-9]*)$/.exec(value);
  return match ? Number(match[1]) : undefined;
};

const compareLevels = (a: PodSecurityLevel, b: PodSecurityLevel): number => LEVELS.indexOf(a) - LEVELS.indexOf(b);

/** The namespace's policy and the label errors (a bad enforce level fails closed to restricted, bad warn/audit levels open). */
export const namespacePolicy = (labels: Record<string, string> | undefined): { policy: NamespacePolicy; errors: FieldError[] } => {
  const policy: NamespacePolicy = {
    enforce: { level: 'privileged', version: 'latest' },
    audit: { level: 'privileged', version: 'latest' },
    warn: { level: 'privileged', version: 'latest' },
  };
  const errors: FieldError[] = [];
  const all = labels ?? {};
  const level = (mode: keyof NamespacePolicy, failOpen: boolean): boolean => {
    const value = all[`${LABEL_PREFIX}${mode}`];
    if (value === undefined) return false;
    if ((LEVELS as readonly string[]).includes(value)) {
      policy[mode].level = value as PodSecurityLevel;
      return true;
    }
    policy[mode].level = failOpen ? 'privileged' : 'restricted';
    errors.push({ field: `metadata.labels[${LABEL_PREFIX}${mode}]`, type: 'Invalid', value, detail: `must be one of ${LEVELS.join(', ')}` });
    return false;
  };
  const version = (mode: keyof NamespacePolicy): boolean => {
    const value = all[`${LABEL_PREFIX}${mode}-version`];
    if (value === undefined) return false;
    const parsed = parseVersion(value);
    policy[mode].version = parsed ?? 'latest';
    if (parsed === undefined) errors.push({ field: `metadata.labels[${LABEL_PREFIX}${mode}-version]`, type: 'Invalid', value, detail: 'must be "latest" or "v1.x"' });
    return true;
  };
  const hasEnforceLevel = level('enforce', false);
  version('enforce');
  level('audit', true);
  version('audit');
  const hasWarnLevel = all[`${LABEL_PREFIX}warn`] !== undefined;
  level('warn', true);
  const hasWarnVersion = version('warn');
  // Warn defaults to the enforce level, so a refused template is at least warned about.
  if (!hasWarnLevel && hasEnforceLevel && compareLevels(policy.enforce.level, policy.warn.level) > 0) {
    policy.warn.level = policy.enforce.level;
    if (!hasWarnVersion) policy.warn.version = policy.enforce.version;
  }
  return { policy, errors };
};

/* ----------------------------------------------------------------------------------------- */
/* Admission.                                                                                  */

export interface PodSecurityDecision {
  /** The 403's message after `pods "x" is forbidden: `, when the enforce level refuses the pod. */
  refusal?: string;
  warnings: string[];
}

/**
 * Evaluates a pod (`enforce` true) or a workload's pod template (warn only, as PSA never refuses
 * a Deployment: its ReplicaSet's pods are refused instead). Warnings are not added to a refusal.
 */
export const admitPodSecurity = (labels: Record<string, string> | undefined, podMeta: unknown, podSpec: unknown, enforce: boolean): PodSecurityDecision => {
  const { policy } = namespacePolicy(labels);
  if (policy.enforce.level === 'privileged' && policy.warn.level === 'privileged') return { warnings: [] };
  if (enforce) {
    const failed = podSecurityViolations(policy.enforce, podMeta, podSpec);
    if (failed.length > 0) return { refusal: `violates PodSecurity ${JSON.stringify(levelVersionString(policy.enforce))}: ${forbiddenDetail(failed)}`, warnings: [] };
  }
  const warned = podSecurityViolations(policy.warn, podMeta, podSpec);
  return { warnings: warned.length > 0 ? [`would violate PodSecurity ${JSON.stringify(levelVersionString(policy.warn))}: ${forbiddenDetail(warned)}`] : [] };
};

/** Only an image change (or a container added or removed) makes PSA look at a pod update again (isSignificantPodUpdate). */
export const isSignificantPodUpdate = (spec: unknown, oldSpec: unknown): boolean => {
  const lists = (s: unknown, key: string): ContainerLike[] => (isRecord(s) && Array.isArray(s[key]) ? (s[key] as ContainerLike[]) : []);
  for (const key of ['containers', 'initContainers']) {
    const now = lists(spec, key);
    const before = lists(oldSpec, key);
    if (now.length !== before.length) return true;
    if (now.some((c, i) => (c as { image?: string }).image !== (before[i] as { image?: string } | undefined)?.image)) return true;
  }
  const oldEphemeral = lists(oldSpec, 'ephemeralContainers');
  return lists(spec, 'ephemeralContainers').some((c) => {
    const before = oldEphemeral.find((o) => o.name === c.name) as { image?: string } | undefined;
    return !before || before.image !== (c as { image?: string }).image;
  });
};
