// Over 300 lines: create, replace, patch, delete and scale share one admission path (defaulting, validation, preconditions); split, it would scatter.
/**
 * API-server semantics independent of HTTP: create / replace / patch / delete with defaulting,
 * validation, resourceVersion preconditions, generation, status subresources and graceful
 * pod deletion. The HTTP router and the controllers both go through here.
 */
import { nowIso, randomSuffix, uuid } from '../ids.js';
import type { ApiHost } from './host.js';
import { jsonPatch, mergePatch, PatchError, strategicMergePatch } from './patch.js';
import { DAEMONSET, DEPLOYMENT, NAMESPACE, POD, REPLICASET, type ResourceType } from './resources.js';
import { STORAGE_CLASS } from './rbac-resources.js';
import { admitPodSecurity, isSignificantPodUpdate, namespacePolicy, podSecurityViolations } from './pod-security.js';
import { labelsMatch, parseFieldSelector, parseLabelSelector, SelectorError, selectorToString, type FieldRequirement } from './selectors.js';
import {
  badRequest,
  conflict,
  forbidden,
  invalid,
  KubeError,
  notFound,
  successStatus,
  unsupportedMediaType,
  type FieldError,
  type StatusBody,
} from './status.js';
import { clone, isRecord, type Deployment, type KubeObject, type ObjectMeta, type Pod } from './types.js';
import { validateAnnotations, validateLabels, validateName } from './validation.js';

export interface WriteOptions {
  fieldManager?: string;
  dryRun?: boolean;
  /** Admission warnings are pushed here (the HTTP layer answers them as `Warning` headers). */
  warnings?: string[];
}

/** The workload kinds whose pod template Pod Security Admission warns about. */
const POD_TEMPLATE_OWNERS: readonly ResourceType[] = [DEPLOYMENT, REPLICASET, DAEMONSET];

export interface DeleteOptions {
  gracePeriodSeconds?: number;
  propagationPolicy?: 'Background' | 'Foreground' | 'Orphan';
  preconditions?: { uid?: string; resourceVersion?: string };
  dryRun?: boolean;
}

export interface ListOptions {
  labelSelector?: string;
  fieldSelector?: string;
}

export type PatchType = 'json' | 'merge' | 'strategic' | 'apply';

export const PATCH_CONTENT_TYPES: Record<string, PatchType> = {
  'application/json-patch+json': 'json',
  'application/merge-patch+json': 'merge',
  'application/strategic-merge-patch+json': 'strategic',
  'application/apply-patch+yaml': 'apply',
};

export interface Scale extends KubeObject {
  spec: { replicas?: number };
  status: { replicas: number; selector: string };
}

const FIELD_GETTERS: Record<string, (obj: KubeObject) => string | undefined> = {
  'metadata.name': (o) => o.metadata.name,
  'metadata.namespace': (o) => o.metadata.namespace,
  'spec.nodeName': (o) => (isRecord(o.spec) ? (o.spec.nodeName as string | undefined) ?? '' : undefined),
  'spec.unschedulable': (o) => (isRecord(o.spec) ? String(o.spec.unschedulable === true) : undefined),
  'status.phase': (o) => (isRecord(o.status) ? (o.status.phase as string | undefined) ?? '' : undefined),
  'involvedObject.kind': (o) => (isRecord(o.involvedObject) ? String(o.involvedObject.kind) : undefined),
  'involvedObject.name': (o) => (isRecord(o.involvedObject) ? String(o.involvedObject.name) : undefined),
  'involvedObject.namespace': (o) => (isRecord(o.involvedObject) ? String(o.involvedObject.namespace) : undefined),
  'involvedObject.uid': (o) => (isRecord(o.involvedObject) ? String(o.involvedObject.uid) : undefined),
  'involvedObject.apiVersion': (o) => involved(o, 'apiVersion'),
  'involvedObject.resourceVersion': (o) => involved(o, 'resourceVersion'),
  'involvedObject.fieldPath': (o) => involved(o, 'fieldPath'),
  'spec.restartPolicy': (o) => String(podSpec(o).restartPolicy ?? ''),
  'spec.schedulerName': (o) => String(podSpec(o).schedulerName ?? ''),
  'spec.serviceAccountName': (o) => String(podSpec(o).serviceAccountName ?? ''),
  'spec.hostNetwork': (o) => String(podSpec(o).hostNetwork === true),
  'status.podIP': (o) => String(podStatus(o).podIP ?? ''),
  'status.podIPs': (o) => String(podStatus(o).podIP ?? ''),
  'status.nominatedNodeName': (o) => String(podStatus(o).nominatedNodeName ?? ''),
  'status.replicas': (o) => String(podStatus(o).replicas ?? 0),
  reportingComponent: (o) => String(o.reportingComponent ?? ''),
  // The event's source is its reporting component (source.component for core/v1 events).
  source: (o) => (isRecord(o.source) ? String(o.source.component ?? '') : String(o.reportingComponent ?? '')),
  reason: (o) => (typeof o.reason === 'string' ? o.reason : undefined),
  type: (o) => (typeof o.type === 'string' ? o.type : undefined),
};

/** Per resource, the field labels kube-apiserver registers (GetAttrs / AddFieldLabelConversionFunc). */
const FIELD_LABELS: Record<string, readonly string[]> = {
  pods: ['spec.nodeName', 'spec.restartPolicy', 'spec.schedulerName', 'spec.serviceAccountName', 'spec.hostNetwork', 'status.phase', 'status.podIP', 'status.podIPs', 'status.nominatedNodeName'],
  nodes: ['spec.unschedulable'],
  events: ['involvedObject.kind', 'involvedObject.namespace', 'involvedObject.name', 'involvedObject.uid', 'involvedObject.apiVersion', 'involvedObject.resourceVersion', 'involvedObject.fieldPath', 'reason', 'reportingComponent', 'source', 'type'],
  namespaces: ['status.phase'],
  secrets: ['type'],
  replicasets: ['status.replicas'],
  persistentvolumeclaims: [],
};

const fieldSupported = (type: ResourceType, field: string): boolean =>
  field === 'metadata.name' || (type.namespaced && field === 'metadata.namespace') || (FIELD_LABELS[type.plural] ?? []).includes(field);

const podSpec = (o: KubeObject): Record<string, unknown> => (isRecord(o.spec) ? o.spec : {});
const podStatus = (o: KubeObject): Record<string, unknown> => (isRecord(o.status) ? o.status : {});
const involved = (o: KubeObject, key: string): string => (isRecord(o.involvedObject) ? String(o.involvedObject[key] ?? '') : '');

const fieldMatches = (obj: KubeObject, req: FieldRequirement): boolean => {
  const getter = FIELD_GETTERS[req.field];
  if (!getter) throw badRequest(`field label not supported: ${req.field}`);
  const value = getter(obj) ?? '';
  return req.operator === '=' ? value === req.value : value !== req.value;
};

const DEFAULT_CLASS_ANNOTATION = 'storageclass.kubernetes.io/is-default-class';
const BETA_DEFAULT_CLASS_ANNOTATION = 'storageclass.beta.kubernetes.io/is-default-class';

const LEVEL_RANK = { privileged: 0, baseline: 1, restricted: 2 } as const;

const specOf = (obj: KubeObject): string => JSON.stringify(obj.spec ?? null);

const contentOf = (obj: KubeObject): string =>
  JSON.stringify({ ...obj, metadata: { ...obj.metadata, managedFields: undefined, resourceVersion: undefined } });

export class ApiServer {
  constructor(private readonly world: ApiHost) {}

  get(type: ResourceType, namespace: string | undefined, name: string): KubeObject {
    const found = this.world.store.get(type.plural, type.namespaced ? namespace : undefined, name);
    if (!found) throw notFound(type, name);
    return found;
  }

  list(type: ResourceType, namespace: string | undefined, options: ListOptions = {}): KubeObject[] {
    const matches = this.matcher(type, namespace, options);
    return this.world.store.list(type.plural, type.namespaced ? namespace : undefined).filter(matches);
  }

  /** The predicate of a list or watch request: namespace, label and field selectors (400 when malformed). */
  matcher(type: ResourceType, namespace: string | undefined, options: ListOptions = {}): (obj: KubeObject) => boolean {
    let labels;
    let fields;
    try {
      labels = parseLabelSelector(options.labelSelector);
      fields = parseFieldSelector(options.fieldSelector);
    } catch (error) {
      if (error instanceof SelectorError) throw badRequest(error.message);
      throw error;
    }
    for (const f of fields) {
      if (!fieldSupported(type, f.field)) throw badRequest(`field label not supported: ${f.field}`);
    }
    const ns = type.namespaced ? namespace : undefined;
    return (obj) =>
      (ns === undefined || obj.metadata.namespace === ns) && labelsMatch(labels, obj.metadata.labels) && fields.every((f) => fieldMatches(obj, f));
  }

  create(
    type: ResourceType,
    namespace: string | undefined,
    body: unknown,
    options: WriteOptions = {},
    operation: 'Update' | 'Apply' = 'Update',
  ): KubeObject {
    const obj = this.decode(type, body);
    if (type.namespaced) {
      const target = namespace ?? obj.metadata.namespace ?? 'default';
      if (obj.metadata.namespace && obj.metadata.namespace !== target) {
        throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
      }
      obj.metadata.namespace = target;
      this.requireLiveNamespace(type, target, obj.metadata.name || obj.metadata.generateName || '');
    } else {
      delete obj.metadata.namespace;
    }
    if (obj.metadata.resourceVersion) throw badRequest('resourceVersion should not be set on objects to be created');
    return this.admitAndStore(type, obj, options, operation);
  }

  /** For controllers: creates an object they built themselves (status is kept). */
  createInternal<T extends KubeObject>(type: ResourceType, object: T): T {
    const obj = clone(object);
    obj.metadata.resourceVersion = '';
    return this.admitAndStore(type, obj, {}, undefined, true) as T;
  }

  replace(type: ResourceType, namespace: string | undefined, name: string, body: unknown, options: WriteOptions = {}, subresource?: 'status'): KubeObject {
    const existing = this.get(type, namespace, name);
    const incoming = this.decode(type, body);
    if (incoming.metadata.name && incoming.metadata.name !== name) {
      throw badRequest(`the name of the object (${incoming.metadata.name}) does not match the name on the URL (${name})`);
    }
    if (incoming.metadata.resourceVersion && incoming.metadata.resourceVersion !== existing.metadata.resourceVersion) {
      throw conflict(type, name);
    }
    return this.updateFrom(type, existing, incoming, options, subresource, 'Update');
  }

  patch(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
    contentType: string,
    body: unknown,
    options: WriteOptions = {},
    subresource?: 'status',
  ): KubeObject {
    const patchType = PATCH_CONTENT_TYPES[contentType];
    if (!patchType) throw unsupportedMediaType(contentType);
    const existing = this.world.store.get(type.plural, type.namespaced ? namespace : undefined, name);
    if (patchType === 'apply') {
      if (!options.fieldManager) throw badRequest('PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch');
      if (!isRecord(body)) throw badRequest('error decoding YAML: the simulator accepts apply patches encoded as JSON objects');
      const meta = isRecord(body.metadata) ? body.metadata : {};
      if (meta.name !== undefined && meta.name !== name) {
        throw badRequest(`the name of the object (${String(meta.name)}) does not match the name on the URL (${name})`);
      }
      if (!existing) {
        if (subresource) throw notFound(type, name);
        return this.create(type, namespace, { ...body, metadata: { ...meta, name } }, options, 'Apply');
      }
    }
    if (!existing) throw notFound(type, name);
    const patched = this.applyPatch(patchType, existing, body);
    if (!isRecord(patched) || !isRecord(patched.metadata)) throw badRequest('the patch produced an object without metadata');
    const incoming = patched as KubeObject;
    if (incoming.metadata.name !== name) throw badRequest(`the name of the object (${String(incoming.metadata.name)}) does not match the name on the URL (${name})`);
    if (incoming.metadata.resourceVersion !== existing.metadata.resourceVersion) throw conflict(type, name);
    if (incoming.metadata.uid !== existing.metadata.uid) {
      throw invalid(type, name, [{ field: 'metadata.uid', type: 'Invalid', value: incoming.metadata.uid, detail: 'field is immutable' }]);
    }
    return this.updateFrom(type, existing, incoming, options, subresource, patchType === 'apply' ? 'Apply' : 'Update');
  }

  delete(type: ResourceType, namespace: string | undefined, name: string, options: DeleteOptions = {}): KubeObject | StatusBody {
    const existing = this.get(type, namespace, name);
    const pre = options.preconditions;
    if ((pre?.uid && pre.uid !== existing.metadata.uid) || (pre?.resourceVersion && pre.resourceVersion !== existing.metadata.resourceVersion)) {
      throw conflict(type, name);
    }
    if (options.dryRun) return type.deleteReturnsObject ? existing : successStatus(type, name, existing.metadata.uid);
    if (options.propagationPolicy === 'Orphan') this.orphanDependents(existing);
    if (type === POD) return this.deletePod(existing as Pod, options.gracePeriodSeconds);
    if (type === NAMESPACE) {
      return this.world.store.mutate(NAMESPACE, undefined, name, (ns) => {
        ns.metadata.deletionTimestamp ??= nowIso(this.world.now());
        ns.status = { phase: 'Terminating' };
      }) ?? existing;
    }
    this.world.store.remove(type.plural, existing.metadata.namespace, name);
    return type.deleteReturnsObject ? existing : successStatus(type, name, existing.metadata.uid);
  }

  deleteCollection(type: ResourceType, namespace: string | undefined, list: ListOptions, options: DeleteOptions): KubeObject[] {
    return this.list(type, namespace, list).map((obj) => {
      this.delete(type, obj.metadata.namespace, obj.metadata.name, options);
      return obj;
    });
  }

  getScale(type: ResourceType, namespace: string | undefined, name: string): Scale {
    const d = this.get(type, namespace, name) as Deployment;
    return {
      kind: 'Scale',
      apiVersion: 'autoscaling/v1',
      metadata: {
        name: d.metadata.name,
        namespace: d.metadata.namespace,
        uid: d.metadata.uid,
        resourceVersion: d.metadata.resourceVersion,
        creationTimestamp: d.metadata.creationTimestamp,
      },
      spec: { replicas: d.spec.replicas ?? 1 },
      status: { replicas: d.status?.replicas ?? 0, selector: selectorToString(d.spec.selector) },
    };
  }

  replaceScale(type: ResourceType, namespace: string | undefined, name: string, body: unknown, options: WriteOptions = {}): Scale {
    const current = this.get(type, namespace, name);
    const scaleRef = { plural: 'scale', group: 'autoscaling', kind: 'Scale' };
    const replicas = isRecord(body) && isRecord(body.spec) ? body.spec.replicas : undefined;
    if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0) {
      throw invalid(scaleRef, name, [{ field: 'spec.replicas', type: 'Invalid', value: replicas ?? null, detail: 'must be greater than or equal to 0' }]);
    }
    const meta = isRecord(body) && isRecord(body.metadata) ? body.metadata : {};
    if (typeof meta.resourceVersion === 'string' && meta.resourceVersion && meta.resourceVersion !== current.metadata.resourceVersion) {
      throw conflict(type, name);
    }
    const next = clone(current) as Deployment;
    next.spec.replicas = replicas;
    this.updateFrom(type, current, next, options, undefined, 'Update', 'scale');
    return this.getScale(type, namespace, name);
  }

  patchScale(type: ResourceType, namespace: string | undefined, name: string, contentType: string, body: unknown, options: WriteOptions = {}): Scale {
    const patchType = PATCH_CONTENT_TYPES[contentType];
    if (!patchType) throw unsupportedMediaType(contentType);
    const patched = this.applyPatch(patchType, this.getScale(type, namespace, name), body);
    return this.replaceScale(type, namespace, name, patched, options);
  }

  private applyPatch(patchType: PatchType, existing: KubeObject, body: unknown): unknown {
    try {
      switch (patchType) {
        case 'json':
          return jsonPatch(existing, body);
        case 'merge':
          return mergePatch(existing, body);
        case 'strategic':
        case 'apply':
          return strategicMergePatch(existing, body);
      }
    } catch (error) {
      if (error instanceof PatchError) {
        throw error.code === 400 ? badRequest(error.message) : new KubeError({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: error.message, reason: 'Invalid', code: 422 });
      }
      throw error;
    }
  }

  /** Checks the envelope of a request body and returns a working copy. */
  private decode(type: ResourceType, body: unknown): KubeObject {
    if (!isRecord(body)) throw badRequest(`Object '${type.kind}' is missing in the request body`);
    if (body.kind !== undefined && body.kind !== type.kind) {
      throw badRequest(`the API version in the data (${String(body.apiVersion)}) or kind (${String(body.kind)}) does not match the expected ${type.apiVersion} ${type.kind}`);
    }
    if (body.apiVersion !== undefined && body.apiVersion !== type.apiVersion) {
      throw badRequest(`the API version in the data (${String(body.apiVersion)}) does not match the expected API version (${type.apiVersion})`);
    }
    const obj = clone(body) as Record<string, unknown>;
    obj.kind = type.kind;
    obj.apiVersion = type.apiVersion;
    if (!isRecord(obj.metadata)) obj.metadata = {};
    const meta = obj.metadata as Record<string, unknown>;
    if (meta.name !== undefined && typeof meta.name !== 'string') throw badRequest('metadata.name must be a string');
    return obj as unknown as KubeObject;
  }

  private requireLiveNamespace(type: ResourceType, namespace: string, name: string): void {
    const ns = this.world.store.get(NAMESPACE.plural, undefined, namespace);
    if (!ns) throw notFound(NAMESPACE, namespace);
    if (ns.metadata.deletionTimestamp) {
      throw forbidden(type, name, `unable to create new content in namespace ${namespace} because it is being terminated`);
    }
  }

  private admitAndStore(
    type: ResourceType,
    obj: KubeObject,
    options: WriteOptions,
    operation: 'Update' | 'Apply' | undefined,
    internal = false,
  ): KubeObject {
    const meta = obj.metadata;
    if (!meta.name && meta.generateName) meta.name = `${meta.generateName}${randomSuffix(5)}`;
    const now = nowIso(this.world.now());
    const fresh: ObjectMeta = {
      ...meta,
      name: meta.name ?? '',
      uid: uuid(),
      resourceVersion: '',
      creationTimestamp: now,
    };
    delete fresh.deletionTimestamp;
    delete fresh.deletionGracePeriodSeconds;
    delete fresh.managedFields;
    if (type.tracksGeneration) fresh.generation = 1;
    else delete fresh.generation;
    obj.metadata = fresh;
    if (!internal && type.subresources.includes('status')) delete obj.status;
    type.defaults?.(obj, this.admissionContext(), undefined);
    this.validateOrThrow(type, obj, undefined);
    this.admitPodSecurity(type, obj, undefined, options);
    if (options.fieldManager && operation) this.recordManager(obj, options.fieldManager, operation, type.apiVersion);
    if (options.dryRun) return obj;
    return this.world.store.create(type, obj);
  }

  private updateFrom(
    type: ResourceType,
    existing: KubeObject,
    incoming: KubeObject,
    options: WriteOptions,
    subresource: 'status' | undefined,
    operation: 'Update' | 'Apply',
    managerSubresource?: string,
  ): KubeObject {
    let next: KubeObject;
    if (subresource === 'status') {
      next = { ...clone(existing), status: clone(incoming.status) };
    } else {
      next = clone(incoming);
      next.metadata = {
        ...incoming.metadata,
        name: existing.metadata.name,
        uid: existing.metadata.uid,
        resourceVersion: existing.metadata.resourceVersion,
        creationTimestamp: existing.metadata.creationTimestamp,
      };
      if (existing.metadata.namespace) next.metadata.namespace = existing.metadata.namespace;
      for (const key of ['generation', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'managedFields'] as const) {
        if (existing.metadata[key] === undefined) delete next.metadata[key];
        else (next.metadata as unknown as Record<string, unknown>)[key] = existing.metadata[key];
      }
      if (type.subresources.includes('status')) {
        if (existing.status === undefined) delete next.status;
        else next.status = clone(existing.status);
      }
      type.defaults?.(next, this.admissionContext(), existing);
      if (type.tracksGeneration && specOf(next) !== specOf(existing)) next.metadata.generation = (existing.metadata.generation ?? 1) + 1;
    }
    this.validateOrThrow(type, next, existing);
    if (subresource === undefined && managerSubresource === undefined) this.admitPodSecurity(type, next, existing, options);
    // A no-op write leaves the object (and its managedFields timestamps) untouched.
    if (options.fieldManager && contentOf(next) !== contentOf(existing)) {
      this.recordManager(next, options.fieldManager, operation, type.apiVersion, subresource ?? managerSubresource);
    }
    if (options.dryRun) return next;
    return this.world.store.update(type, next);
  }

  private validateOrThrow(type: ResourceType, obj: KubeObject, old: KubeObject | undefined): void {
    const meta = obj.metadata;
    const errors: FieldError[] = [];
    if (!meta.name) errors.push({ field: 'metadata.name', type: 'Required', detail: 'name or generateName is required' });
    else errors.push(...validateName(meta.name, type.nameRule));
    errors.push(...validateLabels(meta.labels, 'metadata.labels'));
    errors.push(...validateAnnotations(meta.annotations, 'metadata.annotations'));
    errors.push(...(type.validate?.(obj, old) ?? []));
    if (errors.length > 0) throw invalid(type, meta.name, errors);
  }

  /**
   * Pod Security Admission (pod-security.ts), a validating admission plugin: after the object's
   * own validation, before it is stored. Pods failing the namespace's enforce level are refused;
   * pods and workload templates failing its warn level are admitted with a warning; a namespace's
   * labels must parse, and raising its enforce level warns about the pods already there.
   */
  private admitPodSecurity(type: ResourceType, obj: KubeObject, old: KubeObject | undefined, options: WriteOptions): void {
    if (type === NAMESPACE) {
      const { policy, errors } = namespacePolicy(obj.metadata.labels);
      const before = old ? namespacePolicy(old.metadata.labels) : undefined;
      if (errors.length > 0 && (!before || JSON.stringify(before.errors) !== JSON.stringify(errors))) throw invalid(type, obj.metadata.name, errors);
      if (!before || policy.enforce.level === 'privileged') return;
      const was = before.policy.enforce;
      const raised = was.version !== policy.enforce.version || LEVEL_RANK[policy.enforce.level] > LEVEL_RANK[was.level];
      if (raised) options.warnings?.push(...this.existingPodWarnings(obj.metadata.name, policy.enforce));
      return;
    }
    const namespace = obj.metadata.namespace;
    if (!namespace || (type !== POD && !POD_TEMPLATE_OWNERS.includes(type))) return;
    if (type === POD && old && !isSignificantPodUpdate(obj.spec, old.spec)) return;
    const labels = this.world.store.get(NAMESPACE.plural, undefined, namespace)?.metadata.labels;
    const template = type === POD ? obj : isRecord(obj.spec) && isRecord(obj.spec.template) ? obj.spec.template : undefined;
    if (!template) return;
    const decision = admitPodSecurity(labels, template.metadata, template.spec, type === POD);
    if (decision.refusal) throw forbidden(type, obj.metadata.name, decision.refusal);
    options.warnings?.push(...decision.warnings);
  }

  /** EvaluatePodsInNamespace: one warning per distinct set of reasons, naming the first pod by name and how many others share it. */
  private existingPodWarnings(namespace: string, enforce: Parameters<typeof podSecurityViolations>[0]): string[] {
    const byReasons = new Map<string, { first: string; count: number }>();
    for (const pod of this.world.store.list(POD.plural, namespace)) {
      const failed = podSecurityViolations(enforce, pod.metadata, pod.spec);
      if (failed.length === 0) continue;
      const reasons = failed.map((f) => f.reason).join(', ');
      const seen = byReasons.get(reasons);
      if (!seen) byReasons.set(reasons, { first: pod.metadata.name, count: 1 });
      else byReasons.set(reasons, { first: pod.metadata.name < seen.first ? pod.metadata.name : seen.first, count: seen.count + 1 });
    }
    if (byReasons.size === 0) return [];
    const level = `${enforce.level}:${enforce.version === 'latest' ? 'latest' : `v1.${enforce.version}`}`;
    const perPod = [...byReasons].map(([reasons, { first, count }]) => {
      const others = count === 1 ? '' : count === 2 ? ' (and 1 other pod)' : ` (and ${count - 1} other pods)`;
      return `${first}${others}: ${reasons}`;
    });
    return [`existing pods in namespace ${JSON.stringify(namespace)} violate the new PodSecurity enforce level ${JSON.stringify(level)}`, ...perPod.sort()];
  }

  private recordManager(obj: KubeObject, manager: string, operation: 'Update' | 'Apply', apiVersion: string, subresource?: string): void {
    const entries = (obj.metadata.managedFields ?? []).filter((e) => !(e.manager === manager && e.operation === operation && e.subresource === subresource));
    entries.push({
      manager,
      operation,
      apiVersion,
      time: nowIso(this.world.now()),
      fieldsType: 'FieldsV1',
      fieldsV1: {},
      ...(subresource ? { subresource } : {}),
    });
    obj.metadata.managedFields = entries;
  }

  private admissionContext() {
    return { now: nowIso(this.world.now()), allocateServiceIp: () => this.world.allocateIp('service'), defaultStorageClass: () => this.defaultStorageClass() };
  }

  /** Several defaults: the newest wins, then the name (DefaultStorageClass admission since 1.26). */
  private defaultStorageClass(): string | undefined {
    const defaults = this.world.store
      .list(STORAGE_CLASS.plural)
      .filter((c) => c.metadata.annotations?.[DEFAULT_CLASS_ANNOTATION] === 'true' || c.metadata.annotations?.[BETA_DEFAULT_CLASS_ANNOTATION] === 'true')
      .sort((a, b) => b.metadata.creationTimestamp.localeCompare(a.metadata.creationTimestamp) || a.metadata.name.localeCompare(b.metadata.name));
    return defaults[0]?.metadata.name;
  }

  private orphanDependents(owner: KubeObject): void {
    for (const entry of this.world.store.snapshot().objects) {
      const refs = entry.object.metadata.ownerReferences;
      if (!refs?.some((r) => r.uid === owner.metadata.uid)) continue;
      const type = { plural: entry.resource, group: '', kind: entry.object.kind };
      this.world.store.mutate(type, entry.object.metadata.namespace, entry.object.metadata.name, (draft) => {
        draft.metadata.ownerReferences = refs.filter((r) => r.uid !== owner.metadata.uid);
        if (draft.metadata.ownerReferences.length === 0) delete draft.metadata.ownerReferences;
      });
    }
  }

  /**
   * Pods on a node terminate gracefully: deletionTimestamp is set and the pod disappears
   * after the simulated termination delay. Unbound pods and gracePeriodSeconds=0 go at once.
   */
  private deletePod(pod: Pod, gracePeriodSeconds: number | undefined): KubeObject {
    const runtime = this.world.state.pods[pod.metadata.uid];
    const grace = gracePeriodSeconds ?? pod.spec.terminationGracePeriodSeconds ?? 30;
    if (!pod.spec.nodeName || !runtime || grace === 0) {
      this.world.store.remove(POD.plural, pod.metadata.namespace, pod.metadata.name);
      delete this.world.state.pods[pod.metadata.uid];
      this.world.touch();
      return pod;
    }
    const now = this.world.now();
    if (runtime.removeAt === undefined) {
      runtime.removeAt = now + this.world.ms(this.world.delays.podTermination);
      this.world.touch();
      this.world.events.record(pod, 'Normal', 'Killing', `Stopping container ${pod.spec.containers[0]?.name ?? 'main'}`, 'kubelet');
    }
    return (
      this.world.store.mutate<Pod>(POD, pod.metadata.namespace, pod.metadata.name, (draft) => {
        draft.metadata.deletionTimestamp ??= nowIso(now + grace * 1000);
        draft.metadata.deletionGracePeriodSeconds ??= grace;
      }) ?? pod
    );
  }
}
