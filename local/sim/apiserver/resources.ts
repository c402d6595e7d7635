// Over 300 lines: one table of every served kind with its defaulting and validation, so a new kind is one entry.
/** The resource types the simulated API server serves, with their defaulting and validation. */
import { BOOTSTRAP_RESOURCES } from './rbac-resources.js';
import { requirementsFromSelector, labelsMatch } from './selectors.js';
import type { ResourceType } from './resource-type.js';
import type { FieldError } from './status.js';
import { clone, isRecord, type Container, type DaemonSet, type Deployment, type Pod, type PodSpec } from './types.js';
import { defaultContainerApiFields, normalizeTemplateMeta } from './defaulting.js';
import { networkpolicies, poddisruptionbudgets } from './policy-resources.js';
import { validateAnnotations, validateLabels, validatePodSpec } from './validation.js';

export type { AdmissionContext, ResourceType } from './resource-type.js';

const isLatestTag = (image: string): boolean => {
  const lastSegment = image.split('/').pop() ?? image;
  if (lastSegment.includes('@')) return false;
  return !lastSegment.includes(':') || lastSegment.endsWith(':latest');
};

const defaultContainer = (container: Container): void => {
  container.terminationMessagePath ??= '/dev/termination-log';
  container.terminationMessagePolicy ??= 'File';
  container.imagePullPolicy ??= isLatestTag(container.image ?? '') ? 'Always' : 'IfNotPresent';
  container.resources ??= {};
  defaultContainerApiFields(container as unknown as Record<string, unknown>);
  const resources = container.resources;
  // Extended resources and limits-only requests default requests to limits, as the API server does.
  if (resources.limits) {
    resources.requests = { ...resources.limits, ...(resources.requests ?? {}) };
  }
};

const defaultPodSpec = (spec: PodSpec): void => {
  spec.restartPolicy ??= 'Always';
  spec.terminationGracePeriodSeconds ??= 30;
  spec.dnsPolicy ??= 'ClusterFirst';
  spec.schedulerName ??= 'default-scheduler';
  spec.securityContext ??= {};
  spec.enableServiceLinks ??= true;
  // SetDefaults_Volume: a volume that names no source is an emptyDir (so admission sees one).
  if (Array.isArray(spec.volumes)) {
    for (const volume of spec.volumes.filter(isRecord)) if (Object.keys(volume).every((k) => k === 'name')) volume.emptyDir = {};
  }
  if (Array.isArray(spec.containers)) spec.containers.filter(isRecord).forEach((c) => defaultContainer(c));
  if (Array.isArray(spec.initContainers)) spec.initContainers.filter(isRecord).forEach((c) => defaultContainer(c));
};

/** DefaultTolerationSeconds admission: pods tolerate not-ready/unreachable nodes for 300 s. */
const admitTolerations = (spec: PodSpec): void => {
  const tolerations = (spec.tolerations ??= []);
  for (const key of ['node.kubernetes.io/not-ready', 'node.kubernetes.io/unreachable']) {
    if (!tolerations.some((t) => t.key === key && (t.effect === 'NoExecute' || !t.effect))) {
      tolerations.push({ key, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 });
    }
  }
};

const qosClass = (spec: PodSpec): string => {
  const containers = Array.isArray(spec.containers) ? spec.containers : [];
  const all = containers.map((c) => c.resources ?? {});
  const anySet = all.some((r) => Object.keys(r.requests ?? {}).length > 0 || Object.keys(r.limits ?? {}).length > 0);
  if (!anySet) return 'BestEffort';
  const guaranteed = all.every(
    (r) =>
      r.limits?.cpu !== undefined &&
      r.limits.memory !== undefined &&
      String(r.requests?.cpu ?? r.limits.cpu) === String(r.limits.cpu) &&
      String(r.requests?.memory ?? r.limits.memory) === String(r.limits.memory),
  );
  return guaranteed ? 'Guaranteed' : 'Burstable';
};

const podSpecWithoutMutableFields = (spec: PodSpec): string => {
  const copy = clone(spec);
  delete copy.tolerations;
  delete copy.activeDeadlineSeconds;
  delete copy.terminationGracePeriodSeconds;
  delete copy.nodeName;
  for (const c of [...(copy.containers ?? []), ...(copy.initContainers ?? [])]) delete c.image;
  return JSON.stringify(copy);
};

const pods: ResourceType = {
  plural: 'pods',
  categories: ['all'],
  singular: 'pod',
  kind: 'Pod',
  group: '',
  version: 'v1',
  apiVersion: 'v1',
  namespaced: true,
  shortNames: ['po'],
  subresources: ['status', 'log', 'eviction'],
  tracksGeneration: false,
  nameRule: 'subdomain',
  deleteReturnsObject: true,
  defaults(obj, _ctx, old) {
    const pod = obj as Pod;
    if (!isRecord(pod.spec)) return;
    defaultPodSpec(pod.spec);
    if (!old) {
      admitTolerations(pod.spec);
      pod.spec.serviceAccountName ??= 'default';
      pod.spec.serviceAccount ??= 'default';
      pod.spec.priority ??= 0;
      pod.spec.preemptionPolicy ??= 'PreemptLowerPriority';
      pod.status = { phase: 'Pending', qosClass: qosClass(pod.spec) };
    }
  },
  validate(obj, old) {
    const pod = obj as Pod;
    const errors = validatePodSpec(pod.spec, 'spec');
    if (old && errors.length === 0 && podSpecWithoutMutableFields(pod.spec) !== podSpecWithoutMutableFields((old as Pod).spec)) {
      errors.push({
        field: 'spec',
        type: 'Forbidden',
        detail:
          'pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)',
      });
    }
    return errors;
  },
};

const parseIntOrPercent = (value: unknown): boolean =>
  value === undefined || (typeof value === 'number' && value >= 0) || (typeof value === 'string' && /^\d+%$/.test(value));

const deployments: ResourceType = {
  plural: 'deployments',
  categories: ['all'],
  singular: 'deployment',
  kind: 'Deployment',
  group: 'apps',
  version: 'v1',
  apiVersion: 'apps/v1',
  namespaced: true,
  shortNames: ['deploy'],
  subresources: ['status', 'scale'],
  tracksGeneration: true,
  nameRule: 'subdomain',
  deleteReturnsObject: false,
  defaults(obj) {
    const d = obj as Deployment;
    if (!isRecord(d.spec)) return;
    d.spec.replicas ??= 1;
    d.spec.revisionHistoryLimit ??= 10;
    d.spec.progressDeadlineSeconds ??= 600;
    d.spec.strategy ??= {};
    d.spec.strategy.type ??= 'RollingUpdate';
    if (d.spec.strategy.type === 'RollingUpdate') {
      d.spec.strategy.rollingUpdate ??= {};
      d.spec.strategy.rollingUpdate.maxSurge ??= '25%';
      d.spec.strategy.rollingUpdate.maxUnavailable ??= '25%';
    }
    normalizeTemplateMeta(d.spec.template);
    if (isRecord(d.spec.template) && isRecord(d.spec.template.spec)) defaultPodSpec(d.spec.template.spec);
    d.status ??= {};
  },
  validate(obj, old) {
    const d = obj as Deployment;
    const errors: FieldError[] = [];
    if (!isRecord(d.spec)) return [{ field: 'spec', type: 'Required' }];
    const replicas = d.spec.replicas;
    if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0) {
      errors.push({ field: 'spec.replicas', type: 'Invalid', value: replicas, detail: 'must be greater than or equal to 0' });
    }
    const selector = requirementsFromSelector(d.spec.selector);
    if (!isRecord(d.spec.selector) || selector.length === 0) {
      errors.push({ field: 'spec.selector', type: 'Required' });
    }
    if (!isRecord(d.spec.template)) {
      errors.push({ field: 'spec.template', type: 'Required' });
      return errors;
    }
    const templateLabels = d.spec.template.metadata?.labels;
    errors.push(...validateLabels(templateLabels, 'spec.template.metadata.labels'));
    errors.push(...validateAnnotations(d.spec.template.metadata?.annotations, 'spec.template.metadata.annotations'));
    if (selector.length > 0 && !labelsMatch(selector, templateLabels)) {
      errors.push({
        field: 'spec.template.metadata.labels',
        type: 'Invalid',
        value: templateLabels ?? {},
        detail: '`selector` does not match template `labels`',
      });
    }
    errors.push(...validatePodSpec(d.spec.template.spec, 'spec.template.spec'));
    const restartPolicy = d.spec.template.spec?.restartPolicy;
    if (restartPolicy !== undefined && restartPolicy !== 'Always') {
      errors.push({ field: 'spec.template.spec.restartPolicy', type: 'NotSupported', value: restartPolicy, detail: '"Always"' });
    }
    const strategyType = d.spec.strategy?.type;
    if (strategyType !== undefined && strategyType !== 'RollingUpdate' && strategyType !== 'Recreate') {
      errors.push({ field: 'spec.strategy.type', type: 'NotSupported', value: strategyType, detail: '"Recreate", "RollingUpdate"' });
    }
    const rolling = d.spec.strategy?.rollingUpdate;
    if (strategyType === 'Recreate' && rolling) {
      errors.push({ field: 'spec.strategy.rollingUpdate', type: 'Forbidden', detail: 'may not be specified when strategy `type` is \'Recreate\'' });
    }
    if (rolling && (!parseIntOrPercent(rolling.maxSurge) || !parseIntOrPercent(rolling.maxUnavailable))) {
      errors.push({ field: 'spec.strategy.rollingUpdate', type: 'Invalid', value: rolling, detail: 'must be an integer or percentage (e.g \'5%\')' });
    } else if (rolling && (rolling.maxSurge === 0 || rolling.maxSurge === '0%') && (rolling.maxUnavailable === 0 || rolling.maxUnavailable === '0%')) {
      errors.push({ field: 'spec.strategy.rollingUpdate.maxUnavailable', type: 'Invalid', value: rolling.maxUnavailable, detail: 'may not be 0 when `maxSurge` is 0' });
    }
    if (old && JSON.stringify((old as Deployment).spec.selector) !== JSON.stringify(d.spec.selector)) {
      errors.push({ field: 'spec.selector', type: 'Invalid', value: d.spec.selector, detail: 'field is immutable' });
    }
    return errors;
  },
};

const replicasets: ResourceType = {
  plural: 'replicasets',
  categories: ['all'],
  singular: 'replicaset',
  kind: 'ReplicaSet',
  group: 'apps',
  version: 'v1',
  apiVersion: 'apps/v1',
  namespaced: true,
  shortNames: ['rs'],
  subresources: ['status', 'scale'],
  tracksGeneration: true,
  nameRule: 'subdomain',
  deleteReturnsObject: false,
};

/** Selector present, matching the template's labels, and the pod template valid for a controller (restartPolicy Always). */
const validatePodTemplateOwner = (spec: { selector?: unknown; template?: unknown }): FieldError[] => {
  const errors: FieldError[] = [];
  const selector = requirementsFromSelector(spec.selector as Deployment['spec']['selector']);
  if (!isRecord(spec.selector) || selector.length === 0) errors.push({ field: 'spec.selector', type: 'Required' });
  if (!isRecord(spec.template)) {
    errors.push({ field: 'spec.template', type: 'Required' });
    return errors;
  }
  const template = spec.template as unknown as Deployment['spec']['template'];
  const templateLabels = template.metadata?.labels;
  errors.push(...validateLabels(templateLabels, 'spec.template.metadata.labels'));
  errors.push(...validateAnnotations(template.metadata?.annotations, 'spec.template.metadata.annotations'));
  if (selector.length > 0 && !labelsMatch(selector, templateLabels)) {
    errors.push({ field: 'spec.template.metadata.labels', type: 'Invalid', value: templateLabels ?? {}, detail: '`selector` does not match template `labels`' });
  }
  errors.push(...validatePodSpec(template.spec, 'spec.template.spec'));
  const restartPolicy = template.spec?.restartPolicy;
  if (restartPolicy !== undefined && restartPolicy !== 'Always') {
    errors.push({ field: 'spec.template.spec.restartPolicy', type: 'NotSupported', value: restartPolicy, detail: '"Always"' });
  }
  return errors;
};

const daemonsets: ResourceType = {
  plural: 'daemonsets',
  singular: 'daemonset',
  kind: 'DaemonSet',
  group: 'apps',
  version: 'v1',
  apiVersion: 'apps/v1',
  namespaced: true,
  shortNames: ['ds'],
  subresources: ['status'],
  tracksGeneration: true,
  nameRule: 'subdomain',
  deleteReturnsObject: false,
  // apps/v1 SetDefaults_DaemonSet: RollingUpdate, one node at a time, no surge.
  defaults(obj, _ctx, old) {
    const ds = obj as DaemonSet;
    if (!isRecord(ds.spec)) return;
    ds.spec.revisionHistoryLimit ??= 10;
    ds.spec.updateStrategy ??= {};
    ds.spec.updateStrategy.type ??= 'RollingUpdate';
    if (ds.spec.updateStrategy.type === 'RollingUpdate') {
      ds.spec.updateStrategy.rollingUpdate ??= {};
      ds.spec.updateStrategy.rollingUpdate.maxUnavailable ??= 1;
      ds.spec.updateStrategy.rollingUpdate.maxSurge ??= 0;
    }
    if (isRecord(ds.spec.template) && isRecord(ds.spec.template.spec)) defaultPodSpec(ds.spec.template.spec);
    if (!old) ds.status = { currentNumberScheduled: 0, numberMisscheduled: 0, desiredNumberScheduled: 0, numberReady: 0 };
  },
  validate(obj, old) {
    const ds = obj as DaemonSet;
    if (!isRecord(ds.spec)) return [{ field: 'spec', type: 'Required' }];
    const errors = validatePodTemplateOwner(ds.spec);
    const strategy = ds.spec.updateStrategy;
    if (strategy?.type !== undefined && strategy.type !== 'RollingUpdate' && strategy.type !== 'OnDelete') {
      errors.push({ field: 'spec.updateStrategy.type', type: 'NotSupported', value: strategy.type, detail: '"OnDelete", "RollingUpdate"' });
    }
    const rolling = strategy?.rollingUpdate;
    if (rolling && (!parseIntOrPercent(rolling.maxSurge) || !parseIntOrPercent(rolling.maxUnavailable))) {
      errors.push({ field: 'spec.updateStrategy.rollingUpdate', type: 'Invalid', value: rolling, detail: "must be an integer or percentage (e.g '5%')" });
    } else if (strategy?.type === 'RollingUpdate' && rolling && [0, '0%'].includes(rolling.maxSurge ?? 0) && [0, '0%'].includes(rolling.maxUnavailable ?? 0)) {
      errors.push({ field: 'spec.updateStrategy.rollingUpdate.maxUnavailable', type: 'Invalid', value: rolling.maxUnavailable ?? 0, detail: 'cannot be 0 when maxSurge is 0' });
    }
    if (ds.spec.template?.spec?.activeDeadlineSeconds !== undefined) {
      errors.push({ field: 'spec.template.spec.activeDeadlineSeconds', type: 'Forbidden', detail: 'activeDeadlineSeconds in DaemonSet is not Supported' });
    }
    if (old && JSON.stringify((old as DaemonSet).spec.selector) !== JSON.stringify(ds.spec.selector)) {
      errors.push({ field: 'spec.selector', type: 'Invalid', value: ds.spec.selector, detail: 'field is immutable' });
    }
    return errors;
  },
};

interface ServicePort {
  name?: string;
  port?: number;
  targetPort?: number | string;
  protocol?: string;
}

const services: ResourceType = {
  plural: 'services',
  categories: ['all'],
  singular: 'service',
  kind: 'Service',
  group: '',
  version: 'v1',
  apiVersion: 'v1',
  namespaced: true,
  shortNames: ['svc'],
  subresources: ['status'],
  tracksGeneration: false,
  nameRule: 'dns1035',
  deleteReturnsObject: true,
  defaults(obj, ctx, old) {
    if (!isRecord(obj.spec)) return;
    const spec = obj.spec;
    spec.type ??= 'ClusterIP';
    spec.sessionAffinity ??= 'None';
    spec.internalTrafficPolicy ??= 'Cluster';
    if (Array.isArray(spec.ports)) {
      for (const port of spec.ports.filter(isRecord) as ServicePort[]) {
        port.protocol ??= 'TCP';
        port.targetPort ??= port.port;
      }
    }
    const previous = old && isRecord(old.spec) ? old.spec : undefined;
    if (spec.type !== 'ExternalName') {
      const ip = typeof spec.clusterIP === 'string' && spec.clusterIP !== '' ? spec.clusterIP : (previous?.clusterIP ?? ctx.allocateServiceIp());
      spec.clusterIP = ip;
      spec.clusterIPs = ip === 'None' ? ['None'] : [ip];
      spec.ipFamilies ??= ['IPv4'];
      spec.ipFamilyPolicy ??= 'SingleStack';
    }
    obj.status ??= { loadBalancer: {} };
  },
  validate(obj) {
    if (!isRecord(obj.spec)) return [{ field: 'spec', type: 'Required' }];
    const spec = obj.spec;
    const errors: FieldError[] = [];
    const ports = Array.isArray(spec.ports) ? (spec.ports.filter(isRecord) as ServicePort[]) : [];
    if (ports.length === 0 && spec.clusterIP !== 'None' && spec.type !== 'ExternalName') {
      errors.push({ field: 'spec.ports', type: 'Required' });
    }
    ports.forEach((port, i) => {
      if (typeof port.port !== 'number' || port.port < 1 || port.port > 65535) {
        errors.push({ field: `spec.ports[${i}].port`, type: 'Invalid', value: port.port ?? 0, detail: 'must be between 1 and 65535, inclusive' });
      }
      if (ports.length > 1 && !port.name) errors.push({ field: `spec.ports[${i}].name`, type: 'Required' });
      if (port.protocol && !['TCP', 'UDP', 'SCTP'].includes(port.protocol)) {
        errors.push({ field: `spec.ports[${i}].protocol`, type: 'NotSupported', value: port.protocol, detail: '"SCTP", "TCP", "UDP"' });
      }
    });
    const type = spec.type;
    if (type !== undefined && !['ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName'].includes(String(type))) {
      errors.push({ field: 'spec.type', type: 'NotSupported', value: type, detail: '"ClusterIP", "ExternalName", "LoadBalancer", "NodePort"' });
    }
    errors.push(...validateLabels(spec.selector, 'spec.selector'));
    return errors;
  },
};

const SECRET_KEY = /^[-._a-zA-Z0-9]+$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

const secrets: ResourceType = {
  plural: 'secrets',
  singular: 'secret',
  kind: 'Secret',
  group: '',
  version: 'v1',
  apiVersion: 'v1',
  namespaced: true,
  shortNames: [],
  subresources: [],
  tracksGeneration: false,
  nameRule: 'subdomain',
  deleteReturnsObject: false,
  defaults(obj) {
    obj.type ??= 'Opaque';
    if (isRecord(obj.stringData)) {
      const data: Record<string, unknown> = isRecord(obj.data) ? { ...obj.data } : {};
      for (const [key, value] of Object.entries(obj.stringData)) data[key] = Buffer.from(String(value)).toString('base64');
      obj.data = data;
      delete obj.stringData;
    }
  },
  validate(obj) {
    const errors: FieldError[] = [];
    for (const [key, value] of Object.entries(isRecord(obj.data) ? obj.data : {})) {
      if (!SECRET_KEY.test(key)) {
        errors.push({ field: 'data', type: 'Invalid', value: key, detail: "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')" });
      }
      if (typeof value !== 'string' || !BASE64.test(value)) {
        errors.push({ field: `data[${key}]`, type: 'Invalid', value: '<secret>', detail: 'illegal base64 data' });
      }
    }
    return errors;
  },
};

const configmaps: ResourceType = {
  plural: 'configmaps',
  singular: 'configmap',
  kind: 'ConfigMap',
  group: '',
  version: 'v1',
  apiVersion: 'v1',
  namespaced: true,
  shortNames: ['cm'],
  subresources: [],
  tracksGeneration: false,
  nameRule: 'subdomain',
  deleteReturnsObject: false,
};

const persistentvolumeclaims: ResourceType = {
  plural: 'persistentvolumeclaims',
  singular: 'persistentvolumeclaim',
  kind: 'PersistentVolumeClaim',
  group: '',
  version: 'v1',
  apiVersion: 'v1',
  namespaced: true,
  shortNames: ['pvc'],
  subresources: ['status'],
  tracksGeneration: false,
  nameRule: 'subdomain',
  deleteReturnsObject: true,
  // A claim starts Pending: the PV controller and the CSI provisioner bind it (controllers/volume-binding.ts).
  defaults(obj, ctx, old) {
    if (!isRecord(obj.spec)) return;
    const spec = obj.spec;
    spec.volumeMode ??= 'Filesystem';
    if (!old) {
      // DefaultStorageClass admission: only a claim that names no class at all (null or absent, not "") gets the default.
      if (spec.storageClassName === undefined || spec.storageClassName === null) {
        const chosen = ctx.defaultStorageClass?.();
        if (chosen) spec.storageClassName = chosen;
        else delete spec.storageClassName;
      }
      obj.status = { phase: 'Pending' };
      obj.metadata.finalizers ??= ['kubernetes.io/pvc-protection'];
    }
  },
  validate(obj) {
    if (!isRecord(obj.spec)) return [{ field: 'spec', type: 'Required' }];
    const errors: FieldError[] = [];
    if (!Array.isArray(obj.spec.accessModes) || obj.spec.accessModes.length === 0) {
      errors.push({ field: 'spec.accessModes', type: 'Required', detail: 'at least 1 access mode is required' });
    }
    const resources = obj.spec.resources;
    if (!isRecord(resources) || !isRecord(resources.requests) || resources.requests.storage === undefined) {
      errors.push({ field: 'spec.resources[storage]', type: 'Required' });
    }
    return errors;
  },
};

const namespaces: ResourceType = {
  plural: 'namespaces',
  singular: 'namespace',
  kind: 'Namespace',
  group: '',
  version: 'v1',
  apiVersion: 'v1',
  namespaced: false,
  shortNames: ['ns'],
  subresources: ['status'],
  tracksGeneration: false,
  nameRule: 'label',
  deleteReturnsObject: true,
  defaults(obj, _ctx, old) {
    obj.spec = { finalizers: ['kubernetes'], ...(isRecord(obj.spec) ? obj.spec : {}) };
    obj.metadata.labels = { ...(obj.metadata.labels ?? {}), 'kubernetes.io/metadata.name': obj.metadata.name };
    if (!old) obj.status = { phase: 'Active' };
  },
};

const nodes: ResourceType = {
  plural: 'nodes',
  singular: 'node',
  kind: 'Node',
  group: '',
  version: 'v1',
  apiVersion: 'v1',
  namespaced: false,
  shortNames: ['no'],
  subresources: ['status'],
  tracksGeneration: false,
  nameRule: 'subdomain',
  deleteReturnsObject: false,
};

const events: ResourceType = {
  plural: 'events',
  singular: 'event',
  kind: 'Event',
  group: '',
  version: 'v1',
  apiVersion: 'v1',
  namespaced: true,
  shortNames: ['ev'],
  subresources: [],
  tracksGeneration: false,
  nameRule: 'subdomain',
  deleteReturnsObject: false,
};

/** Maintained by the endpoints controller for every Service with a selector. */
const endpoints: ResourceType = {
  plural: 'endpoints',
  singular: 'endpoints',
  kind: 'Endpoints',
  group: '',
  version: 'v1',
  apiVersion: 'v1',
  namespaced: true,
  shortNames: ['ep'],
  subresources: [],
  tracksGeneration: false,
  nameRule: 'subdomain',
  deleteReturnsObject: false,
};

/** Maintained by the EndpointSlice controller, owned by their Service. */
const endpointslices: ResourceType = {
  plural: 'endpointslices',
  singular: 'endpointslice',
  kind: 'EndpointSlice',
  group: 'discovery.k8s.io',
  version: 'v1',
  apiVersion: 'discovery.k8s.io/v1',
  namespaced: true,
  shortNames: [],
  subresources: [],
  tracksGeneration: true,
  nameRule: 'subdomain',
  deleteReturnsObject: false,
};

export const RESOURCES: readonly ResourceType[] = [
  poddisruptionbudgets,
  networkpolicies,
  namespaces,
  nodes,
  pods,
  services,
  secrets,
  configmaps,
  persistentvolumeclaims,
  events,
  deployments,
  replicasets,
  daemonsets,
  endpoints,
  endpointslices,
  ...BOOTSTRAP_RESOURCES,
];

export const findResource = (apiVersion: string, plural: string): ResourceType | undefined =>
  RESOURCES.find((r) => r.apiVersion === apiVersion && r.plural === plural);

export const resource = (plural: string): ResourceType => {
  const found = RESOURCES.find((r) => r.plural === plural);
  if (!found) throw new Error(`unknown resource ${plural}`);
  return found;
};

export const POD = pods;
export const DEPLOYMENT = deployments;
export const REPLICASET = replicasets;
export const DAEMONSET = daemonsets;
export const NODE = nodes;
export const NAMESPACE = namespaces;
export const EVENT = events;
export const SERVICE = services;
export const ENDPOINTS = endpoints;
export const ENDPOINTSLICE = endpointslices;
