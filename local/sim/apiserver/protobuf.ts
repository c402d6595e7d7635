// Over 300 lines: the wire decoder and the schema of each kind kubectl sends as protobuf; the schemas are data, kept beside the decoder that reads them.
/**
 * The Kubernetes protobuf request encoding, for the kinds kubectl sends that way.
 *
 * kubectl 1.35 posts its self reviews (`auth can-i`, `auth can-i --list`, `auth whoami`) and the
 * objects of its `create <kind>` generators as `application/vnd.kubernetes.protobuf`, and does not
 * fall back to JSON. The body is the magic `k8s\0` and a runtime.Unknown { typeMeta = 1
 * {apiVersion = 1, kind = 2}, raw = 2, contentEncoding = 3, contentType = 4 } whose `raw` is the
 * object's own message (apimachinery pkg/runtime/generated.proto). This module decodes the
 * envelope, and the object for the kinds it has a schema for, into the JSON object kube-apiserver
 * would have decoded from the same request. Field numbers come from k8s.io/api authorization/v1,
 * authentication/v1, core/v1, apps/v1 and rbac/v1 and apimachinery meta/v1 generated.proto.
 * Deployment and Service are covered as far as kubectl's generators fill them. Other kinds get a
 * 415 from the router, and so does a known kind that sets a field missing here: the field is not
 * dropped.
 * It also has the two field writers the /openapi/v2 protobuf answer is built with.
 */

/** The protobuf media type and the 4 bytes that open every body in it. */
export const KUBERNETES_PROTOBUF = 'application/vnd.kubernetes.protobuf';
const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

/** Malformed bytes: kube-apiserver answers 400 with the decoder's message. */
export class ProtobufDecodeError extends Error {}

/** Well-formed, but with a field the schema here does not know: the router answers 415. */
export class ProtobufUnsupportedError extends Error {}

// --- wire format -----------------------------------------------------------------------------

const VARINT = 0;
const FIXED64 = 1;
const LENGTH_DELIMITED = 2;
const FIXED32 = 5;

/** One field as it appears on the wire: varints as bigint, length-delimited as bytes. */
export type WireValue = { wireType: typeof VARINT; value: bigint } | { wireType: typeof LENGTH_DELIMITED; value: Buffer } | { wireType: typeof FIXED64 | typeof FIXED32; value: Buffer };
export interface WireField {
  field: number;
  value: WireValue;
}

const readVarint = (bytes: Buffer, start: number): { value: bigint; next: number } => {
  let value = 0n;
  for (let at = start, shift = 0n; at < bytes.length && shift < 70n; at += 1, shift += 7n) {
    const byte = bytes[at] ?? 0;
    value |= BigInt(byte & 0x7f) << shift;
    if ((byte & 0x80) === 0) return { value: BigInt.asUintN(64, value), next: at + 1 };
  }
  throw new ProtobufDecodeError('proto: unexpected EOF in a varint');
};

/** The fields of one message, in wire order (a repeated field appears once per element). */
export const readFields = (bytes: Buffer): WireField[] => {
  const fields: WireField[] = [];
  let at = 0;
  while (at < bytes.length) {
    const key = readVarint(bytes, at);
    at = key.next;
    const field = Number(key.value >> 3n);
    const wireType = Number(key.value & 7n);
    if (field === 0) throw new ProtobufDecodeError('proto: illegal tag 0');
    if (wireType === VARINT) {
      const v = readVarint(bytes, at);
      fields.push({ field, value: { wireType, value: v.value } });
      at = v.next;
    } else if (wireType === LENGTH_DELIMITED) {
      const length = readVarint(bytes, at);
      const end = length.next + Number(length.value);
      if (length.value > BigInt(bytes.length) || end > bytes.length) throw new ProtobufDecodeError('proto: unexpected EOF in a length-delimited field');
      fields.push({ field, value: { wireType, value: bytes.subarray(length.next, end) } });
      at = end;
    } else if (wireType === FIXED64 || wireType === FIXED32) {
      const end = at + (wireType === FIXED64 ? 8 : 4);
      if (end > bytes.length) throw new ProtobufDecodeError('proto: unexpected EOF in a fixed-width field');
      fields.push({ field, value: { wireType, value: bytes.subarray(at, end) } });
      at = end;
    } else {
      throw new ProtobufDecodeError(`proto: illegal wireType ${wireType}`);
    }
  }
  return fields;
};

// --- schemas ---------------------------------------------------------------------------------

/**
 * What a field decodes to in JSON. `time` is meta/v1 Time {seconds = 1, nanos = 2}; `strings`
 * is a message wrapping `repeated string items = 1` (authorization's ExtraValue), a string
 * array in JSON; a map is a repeated {key = 1, value = 2} entry; `bytes` values are base64 in JSON;
 * a `quantity` is resource.Quantity {string = 1}; `int-or-string` is intstr {type = 1, intVal = 2, strVal = 3}.
 */
type MapValue = 'string' | 'strings' | 'bytes' | 'quantity';
type FieldType = 'string' | 'bool' | 'int64' | 'time' | 'strings' | 'int-or-string' | MessageSchema | { map: MapValue };
interface FieldSpec {
  name: string;
  type: FieldType;
  repeated?: true;
  /** A pointer in the Go type (`*int32`): written only when set, so a zero value means zero, not unset. */
  present?: true;
}
type MessageSchema = { [field: number]: FieldSpec };

const OWNER_REFERENCE: MessageSchema = {
  5: { name: 'apiVersion', type: 'string' },
  1: { name: 'kind', type: 'string' },
  3: { name: 'name', type: 'string' },
  4: { name: 'uid', type: 'string' },
  6: { name: 'controller', type: 'bool' },
  7: { name: 'blockOwnerDeletion', type: 'bool' },
};

const OBJECT_META: MessageSchema = {
  1: { name: 'name', type: 'string' },
  2: { name: 'generateName', type: 'string' },
  3: { name: 'namespace', type: 'string' },
  4: { name: 'selfLink', type: 'string' },
  5: { name: 'uid', type: 'string' },
  6: { name: 'resourceVersion', type: 'string' },
  7: { name: 'generation', type: 'int64' },
  8: { name: 'creationTimestamp', type: 'time' },
  9: { name: 'deletionTimestamp', type: 'time' },
  10: { name: 'deletionGracePeriodSeconds', type: 'int64' },
  11: { name: 'labels', type: { map: 'string' } },
  12: { name: 'annotations', type: { map: 'string' } },
  13: { name: 'ownerReferences', type: OWNER_REFERENCE, repeated: true },
  14: { name: 'finalizers', type: 'string', repeated: true },
};

const SELECTOR_REQUIREMENT: MessageSchema = {
  1: { name: 'key', type: 'string' },
  2: { name: 'operator', type: 'string' },
  3: { name: 'values', type: 'string', repeated: true },
};
const SELECTOR_ATTRIBUTES: MessageSchema = {
  1: { name: 'rawSelector', type: 'string' },
  2: { name: 'requirements', type: SELECTOR_REQUIREMENT, repeated: true },
};

const RESOURCE_ATTRIBUTES: MessageSchema = {
  1: { name: 'namespace', type: 'string' },
  2: { name: 'verb', type: 'string' },
  3: { name: 'group', type: 'string' },
  4: { name: 'version', type: 'string' },
  5: { name: 'resource', type: 'string' },
  6: { name: 'subresource', type: 'string' },
  7: { name: 'name', type: 'string' },
  8: { name: 'fieldSelector', type: SELECTOR_ATTRIBUTES },
  9: { name: 'labelSelector', type: SELECTOR_ATTRIBUTES },
};
const NON_RESOURCE_ATTRIBUTES: MessageSchema = {
  1: { name: 'path', type: 'string' },
  2: { name: 'verb', type: 'string' },
};
const ACCESS_REVIEW_STATUS: MessageSchema = {
  1: { name: 'allowed', type: 'bool' },
  4: { name: 'denied', type: 'bool' },
  2: { name: 'reason', type: 'string' },
  3: { name: 'evaluationError', type: 'string' },
};

const RULES_REVIEW_STATUS: MessageSchema = {
  1: { name: 'resourceRules', type: { 1: { name: 'verbs', type: 'string', repeated: true }, 2: { name: 'apiGroups', type: 'string', repeated: true }, 3: { name: 'resources', type: 'string', repeated: true }, 4: { name: 'resourceNames', type: 'string', repeated: true } }, repeated: true },
  2: { name: 'nonResourceRules', type: { 1: { name: 'verbs', type: 'string', repeated: true }, 2: { name: 'nonResourceURLs', type: 'string', repeated: true } }, repeated: true },
  3: { name: 'incomplete', type: 'bool' },
  4: { name: 'evaluationError', type: 'string' },
};

const USER_INFO: MessageSchema = {
  1: { name: 'username', type: 'string' },
  2: { name: 'uid', type: 'string' },
  3: { name: 'groups', type: 'string', repeated: true },
  4: { name: 'extra', type: { map: 'strings' } },
};

const LABEL_SELECTOR: MessageSchema = {
  1: { name: 'matchLabels', type: { map: 'string' } },
  2: { name: 'matchExpressions', type: SELECTOR_REQUIREMENT, repeated: true },
};

/** rbac/v1 */
const POLICY_RULE: MessageSchema = {
  1: { name: 'verbs', type: 'string', repeated: true },
  2: { name: 'apiGroups', type: 'string', repeated: true },
  3: { name: 'resources', type: 'string', repeated: true },
  4: { name: 'resourceNames', type: 'string', repeated: true },
  5: { name: 'nonResourceURLs', type: 'string', repeated: true },
};
const BINDING: MessageSchema = {
  1: { name: 'metadata', type: OBJECT_META },
  2: { name: 'subjects', type: { 1: { name: 'kind', type: 'string' }, 2: { name: 'apiGroup', type: 'string' }, 3: { name: 'name', type: 'string' }, 4: { name: 'namespace', type: 'string' } }, repeated: true },
  3: { name: 'roleRef', type: { 1: { name: 'apiGroup', type: 'string' }, 2: { name: 'kind', type: 'string' }, 3: { name: 'name', type: 'string' } } },
};

/**
 * core/v1 and apps/v1, as far as `kubectl create deployment` and `kubectl create service` fill
 * them; the fields they leave unset arrive empty and are skipped, any other one gets the 415.
 */
const CONTAINER: MessageSchema = {
  1: { name: 'name', type: 'string' },
  2: { name: 'image', type: 'string' },
  3: { name: 'command', type: 'string', repeated: true },
  4: { name: 'args', type: 'string', repeated: true },
  5: { name: 'workingDir', type: 'string' },
  6: { name: 'ports', type: { 1: { name: 'name', type: 'string' }, 2: { name: 'hostPort', type: 'int64' }, 3: { name: 'containerPort', type: 'int64' }, 4: { name: 'protocol', type: 'string' }, 5: { name: 'hostIP', type: 'string' } }, repeated: true },
  7: { name: 'env', type: { 1: { name: 'name', type: 'string' }, 2: { name: 'value', type: 'string' } }, repeated: true },
  8: { name: 'resources', type: { 1: { name: 'limits', type: { map: 'quantity' } }, 2: { name: 'requests', type: { map: 'quantity' } } } },
  14: { name: 'imagePullPolicy', type: 'string' },
};
const POD_TEMPLATE: MessageSchema = {
  1: { name: 'metadata', type: OBJECT_META },
  2: { name: 'spec', type: { 2: { name: 'containers', type: CONTAINER, repeated: true } } },
};
const DEPLOYMENT_SPEC: MessageSchema = {
  1: { name: 'replicas', type: 'int64', present: true },
  2: { name: 'selector', type: LABEL_SELECTOR },
  3: { name: 'template', type: POD_TEMPLATE },
  4: { name: 'strategy', type: { 1: { name: 'type', type: 'string' }, 2: { name: 'rollingUpdate', type: { 1: { name: 'maxUnavailable', type: 'int-or-string' }, 2: { name: 'maxSurge', type: 'int-or-string' } } } } },
  5: { name: 'minReadySeconds', type: 'int64' },
  6: { name: 'revisionHistoryLimit', type: 'int64', present: true },
  7: { name: 'paused', type: 'bool' },
  9: { name: 'progressDeadlineSeconds', type: 'int64', present: true },
};
const SERVICE_SPEC: MessageSchema = {
  1: { name: 'ports', type: { 1: { name: 'name', type: 'string' }, 2: { name: 'protocol', type: 'string' }, 3: { name: 'port', type: 'int64' }, 4: { name: 'targetPort', type: 'int-or-string' }, 5: { name: 'nodePort', type: 'int64' }, 6: { name: 'appProtocol', type: 'string' } }, repeated: true },
  2: { name: 'selector', type: { map: 'string' } },
  3: { name: 'clusterIP', type: 'string' },
  4: { name: 'type', type: 'string' },
  10: { name: 'externalName', type: 'string' },
  18: { name: 'clusterIPs', type: 'string', repeated: true },
};

/** The kinds kubectl sends as protobuf that the simulator decodes, by `apiVersion/kind`: each is {metadata = 1, …}. */
const KINDS: Record<string, MessageSchema> = {
  'authorization.k8s.io/v1/SelfSubjectAccessReview': {
    1: { name: 'metadata', type: OBJECT_META },
    2: { name: 'spec', type: { 1: { name: 'resourceAttributes', type: RESOURCE_ATTRIBUTES }, 2: { name: 'nonResourceAttributes', type: NON_RESOURCE_ATTRIBUTES } } },
    3: { name: 'status', type: ACCESS_REVIEW_STATUS },
  },
  'authorization.k8s.io/v1/SelfSubjectRulesReview': {
    1: { name: 'metadata', type: OBJECT_META },
    2: { name: 'spec', type: { 1: { name: 'namespace', type: 'string' } } },
    3: { name: 'status', type: RULES_REVIEW_STATUS },
  },
  'authentication.k8s.io/v1/SelfSubjectReview': {
    1: { name: 'metadata', type: OBJECT_META },
    2: { name: 'status', type: { 1: { name: 'userInfo', type: USER_INFO } } },
  },
  // kubectl create namespace | configmap | secret | role | clusterrole | rolebinding | clusterrolebinding | deployment | service | pdb
  'apps/v1/Deployment': { 1: { name: 'metadata', type: OBJECT_META }, 2: { name: 'spec', type: DEPLOYMENT_SPEC } },
  'v1/Service': { 1: { name: 'metadata', type: OBJECT_META }, 2: { name: 'spec', type: SERVICE_SPEC } },
  // kubectl create poddisruptionbudget (policy/v1 generated.proto: PodDisruptionBudgetSpec)
  'policy/v1/PodDisruptionBudget': {
    1: { name: 'metadata', type: OBJECT_META },
    2: {
      name: 'spec',
      type: {
        1: { name: 'minAvailable', type: 'int-or-string' },
        2: { name: 'selector', type: LABEL_SELECTOR },
        3: { name: 'maxUnavailable', type: 'int-or-string' },
        4: { name: 'unhealthyPodEvictionPolicy', type: 'string' },
      },
    },
  },
  'v1/Namespace': {
    1: { name: 'metadata', type: OBJECT_META },
    2: { name: 'spec', type: { 1: { name: 'finalizers', type: 'string', repeated: true } } },
    3: { name: 'status', type: { 1: { name: 'phase', type: 'string' } } },
  },
  'v1/ConfigMap': {
    1: { name: 'metadata', type: OBJECT_META },
    2: { name: 'data', type: { map: 'string' } },
    3: { name: 'binaryData', type: { map: 'bytes' } },
    4: { name: 'immutable', type: 'bool' },
  },
  'v1/Secret': {
    1: { name: 'metadata', type: OBJECT_META },
    2: { name: 'data', type: { map: 'bytes' } },
    3: { name: 'type', type: 'string' },
    4: { name: 'stringData', type: { map: 'string' } },
    5: { name: 'immutable', type: 'bool' },
  },
  'rbac.authorization.k8s.io/v1/Role': { 1: { name: 'metadata', type: OBJECT_META }, 2: { name: 'rules', type: POLICY_RULE, repeated: true } },
  'rbac.authorization.k8s.io/v1/ClusterRole': {
    1: { name: 'metadata', type: OBJECT_META },
    2: { name: 'rules', type: POLICY_RULE, repeated: true },
    3: { name: 'aggregationRule', type: { 1: { name: 'clusterRoleSelectors', type: LABEL_SELECTOR, repeated: true } } },
  },
  'rbac.authorization.k8s.io/v1/RoleBinding': BINDING,
  'rbac.authorization.k8s.io/v1/ClusterRoleBinding': BINDING,
};

// --- decoding --------------------------------------------------------------------------------

const bytesOf = (value: WireValue, name: string): Buffer => {
  if (value.wireType !== LENGTH_DELIMITED) throw new ProtobufDecodeError(`proto: wrong wireType = ${value.wireType} for field ${name}`);
  return value.value;
};
const varintOf = (value: WireValue, name: string): bigint => {
  if (value.wireType !== VARINT) throw new ProtobufDecodeError(`proto: wrong wireType = ${value.wireType} for field ${name}`);
  return value.value;
};

/** meta/v1 Time as JSON: RFC 3339 in seconds, or absent for the zero time (Go marshals it as null). */
const decodeTime = (bytes: Buffer): string | undefined => {
  let seconds = 0n;
  for (const { field, value } of readFields(bytes)) if (field === 1) seconds = BigInt.asIntN(64, varintOf(value, 'seconds'));
  if (seconds === 0n) return undefined;
  return new Date(Number(seconds) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
};

const decodeQuantity = (bytes: Buffer): string => readFields(bytes).filter((f) => f.field === 1).map((f) => bytesOf(f.value, 'string').toString('utf8')).join('');

const decodeIntOrString = (bytes: Buffer): number | string => {
  let type = 0n;
  let intVal = 0;
  let strVal = '';
  for (const { field, value } of readFields(bytes)) {
    if (field === 1) type = varintOf(value, 'type');
    if (field === 2) intVal = Number(BigInt.asIntN(32, varintOf(value, 'intVal')));
    if (field === 3) strVal = bytesOf(value, 'strVal').toString('utf8');
  }
  return type === 0n ? intVal : strVal;
};

const decodeStrings = (bytes: Buffer): string[] => readFields(bytes).filter((f) => f.field === 1).map((f) => bytesOf(f.value, 'items').toString('utf8'));

const decodeMapEntry = (bytes: Buffer, valueType: MapValue): [string, string | string[]] => {
  let key = '';
  let entry: string | string[] = valueType === 'strings' ? [] : '';
  for (const { field, value } of readFields(bytes)) {
    if (field === 1) key = bytesOf(value, 'key').toString('utf8');
    if (field === 2) {
      const raw = bytesOf(value, 'value');
      entry = valueType === 'strings' ? decodeStrings(raw) : valueType === 'quantity' ? decodeQuantity(raw) : raw.toString(valueType === 'bytes' ? 'base64' : 'utf8');
    }
  }
  return [key, entry];
};

/**
 * gogo-protobuf writes every scalar of a message, set or not, and every struct-valued field (a
 * status, say) even when all its fields are zero: such an unknown field carries nothing. A
 * length-delimited one counts as empty when it reads as a message of zero fields only.
 */
const isZero = (value: WireValue): boolean => {
  if (value.wireType === VARINT) return value.value === 0n;
  if (value.wireType !== LENGTH_DELIMITED) return value.value.every((b) => b === 0);
  if (value.value.length === 0) return true;
  try {
    return readFields(value.value).every((f) => isZero(f.value));
  } catch {
    return false;
  }
};

const decodeValue = (type: Exclude<FieldType, { map: unknown }>, value: WireValue, name: string): unknown => {
  if (type === 'string') return bytesOf(value, name).toString('utf8');
  if (type === 'bool') return varintOf(value, name) !== 0n;
  if (type === 'int64') return Number(BigInt.asIntN(64, varintOf(value, name)));
  if (type === 'time') return decodeTime(bytesOf(value, name));
  if (type === 'strings') return decodeStrings(bytesOf(value, name));
  if (type === 'int-or-string') return decodeIntOrString(bytesOf(value, name));
  return decodeMessage(bytesOf(value, name), type);
};

/**
 * A message as JSON. Scalars at their zero value are left out (every field here is `omitempty`
 * in its Go type, and gogo-protobuf writes them anyway); a present message stays, even empty,
 * because presence is meaningful (a review names exactly one of its attribute messages).
 * A field the schema does not know is skipped when empty; otherwise the message is refused
 * (ProtobufUnsupportedError) rather than decoded without it.
 */
export const decodeMessage = (bytes: Buffer, schema: MessageSchema): Record<string, unknown> => {
  const out: Record<string, unknown> = {};
  for (const { field, value } of readFields(bytes)) {
    const spec = schema[field];
    if (!spec) {
      if (isZero(value)) continue;
      throw new ProtobufUnsupportedError(`field ${field} is not decoded by the simulator`);
    }
    const { name, type } = spec;
    if (typeof type === 'object' && 'map' in type) {
      const [key, entry] = decodeMapEntry(bytesOf(value, name), type.map);
      out[name] = { ...(out[name] as Record<string, unknown> | undefined), [key]: entry };
      continue;
    }
    const decoded = decodeValue(type as Exclude<FieldType, { map: unknown }>, value, name);
    if (spec.repeated) {
      out[name] = [...((out[name] as unknown[] | undefined) ?? []), decoded];
      continue;
    }
    if (decoded === undefined || (!spec.present && (decoded === '' || decoded === false || decoded === 0))) delete out[name];
    else out[name] = decoded;
  }
  return out;
};

export interface ProtobufEnvelope {
  apiVersion: string;
  kind: string;
  /** The object as kube-apiserver would have decoded it from JSON; undefined for a kind without a schema here. */
  object: Record<string, unknown> | undefined;
}

/** Decodes a `application/vnd.kubernetes.protobuf` body; throws ProtobufDecodeError on malformed bytes. */
export const decodeKubernetesProtobuf = (body: Buffer): ProtobufEnvelope => {
  if (body.length < MAGIC.length || !body.subarray(0, MAGIC.length).equals(MAGIC)) {
    throw new ProtobufDecodeError(`provided data does not appear to be a protobuf message, expected prefix [${[...MAGIC].join(' ')}]`);
  }
  let apiVersion = '';
  let kind = '';
  let raw: Buffer = Buffer.alloc(0);
  let contentEncoding = '';
  let contentType = '';
  for (const { field, value } of readFields(body.subarray(MAGIC.length))) {
    if (field === 1) {
      for (const meta of readFields(bytesOf(value, 'typeMeta'))) {
        if (meta.field === 1) apiVersion = bytesOf(meta.value, 'apiVersion').toString('utf8');
        if (meta.field === 2) kind = bytesOf(meta.value, 'kind').toString('utf8');
      }
    }
    if (field === 2) raw = bytesOf(value, 'raw');
    if (field === 3) contentEncoding = bytesOf(value, 'contentEncoding').toString('utf8');
    if (field === 4) contentType = bytesOf(value, 'contentType').toString('utf8');
  }
  if (kind === '') throw new ProtobufDecodeError("Object 'Kind' is missing in protobuf envelope");
  // Raw in another encoding (or compressed) is valid protobuf, but no client sends it: treat it as unknown.
  const schema = contentEncoding === '' && (contentType === '' || contentType === KUBERNETES_PROTOBUF) ? KINDS[`${apiVersion}/${kind}`] : undefined;
  return { apiVersion, kind, object: schema ? { apiVersion, kind, ...decodeMessage(raw, schema) } : undefined };
};

// --- encoding --------------------------------------------------------------------------------

const encodeVarint = (n: number | bigint): number[] => {
  let v = BigInt.asUintN(64, BigInt(n));
  const out: number[] = [];
  do {
    const low = Number(v & 0x7fn);
    v >>= 7n;
    out.push(v > 0n ? low | 0x80 : low);
  } while (v > 0n);
  return out;
};

/** A length-delimited field: a string (UTF-8), or an encoded message as bytes. */
export const bytesField = (field: number, value: string | Buffer): Buffer => {
  const data = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
  return Buffer.concat([Buffer.from([...encodeVarint((field << 3) | LENGTH_DELIMITED), ...encodeVarint(data.length)]), data]);
};

/** A varint field (bool, int32, int64). */
export const varintField = (field: number, value: number | bigint | boolean): Buffer =>
  Buffer.from([...encodeVarint((field << 3) | VARINT), ...encodeVarint(typeof value === 'boolean' ? (value ? 1 : 0) : value)]);
