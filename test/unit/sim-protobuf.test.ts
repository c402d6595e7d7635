/**
 * The simulator's Kubernetes protobuf decoder (local/sim/apiserver/protobuf.ts), against bytes
 * built here per the protobuf wire format, and against the exact body kubectl 1.35 posts for
 * `kubectl auth can-i list nodes`.
 */
import { describe, expect, it } from 'vitest';
import { openApi } from '../../local/sim/apiserver/openapi';
import { decodeKubernetesProtobuf, ProtobufDecodeError, ProtobufUnsupportedError, readFields } from '../../local/sim/apiserver/protobuf';

// A minimal encoder: a tag is (field << 3 | wire type), varints are 7 bits a byte, low first.
const varint = (n: bigint | number): number[] => {
  let v = BigInt.asUintN(64, BigInt(n));
  const out: number[] = [];
  do {
    const low = Number(v & 0x7fn);
    v >>= 7n;
    out.push(v > 0n ? low | 0x80 : low);
  } while (v > 0n);
  return out;
};
const bytes = (field: number, value: number[] | string): number[] => {
  const data = typeof value === 'string' ? [...Buffer.from(value, 'utf8')] : value;
  return [...varint((field << 3) | 2), ...varint(data.length), ...data];
};
const number = (field: number, value: bigint | number): number[] => [...varint(field << 3), ...varint(value)];
const message = (...fields: number[][]): number[] => fields.flat();
const envelope = (apiVersion: string, kind: string, raw: number[], extra: number[][] = []): Buffer =>
  Buffer.from([0x6b, 0x38, 0x73, 0x00, ...message(bytes(1, message(bytes(1, apiVersion), bytes(2, kind))), bytes(2, raw), ...extra)]);

/** `kubectl auth can-i list nodes` from kubectl v1.35.2, as its -v=9 log prints the request body. */
const KUBECTL_CAN_I = Buffer.from(
  [
    '6b 38 73 00 0a 32 0a 17  61 75 74 68 6f 72 69 7a',
    '61 74 69 6f 6e 2e 6b 38  73 2e 69 6f 2f 76 31 12',
    '17 53 65 6c 66 53 75 62  6a 65 63 74 41 63 63 65',
    '73 73 52 65 76 69 65 77  12 3e 0a 10 0a 00 12 00',
    '1a 00 22 00 2a 00 32 00  38 00 42 00 12 20 0a 1e',
    '0a 07 64 65 66 61 75 6c  74 12 04 6c 69 73 74 1a',
    '00 22 00 2a 05 6e 6f 64  65 73 32 00 3a 00 1a 08',
    '08 00 12 00 1a 00 20 00  1a 00 22 00',
  ]
    .join(' ')
    .split(/\s+/)
    .map((b) => parseInt(b, 16)),
);

/** `kubectl auth can-i --list` (SelfSubjectRulesReview, its status written empty) from kubectl v1.35.2. */
const KUBECTL_CAN_I_LIST = Buffer.from(
  [
    '6b 38 73 00 0a 31 0a 17  61 75 74 68 6f 72 69 7a',
    '61 74 69 6f 6e 2e 6b 38  73 2e 69 6f 2f 76 31 12',
    '16 53 65 6c 66 53 75 62  6a 65 63 74 52 75 6c 65',
    '73 52 65 76 69 65 77 12  23 0a 10 0a 00 12 00 1a',
    '00 22 00 2a 00 32 00 38  00 42 00 12 09 0a 07 64',
    '65 66 61 75 6c 74 1a 04  18 00 22 00 1a 00 22 00',
  ]
    .join(' ')
    .split(/\s+/)
    .map((b) => parseInt(b, 16)),
);

describe('the Kubernetes protobuf decoder', () => {
  it("decodes kubectl 1.35's SelfSubjectAccessReview as the JSON object kube-apiserver would see", () => {
    expect(decodeKubernetesProtobuf(KUBECTL_CAN_I)).toEqual({
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SelfSubjectAccessReview',
      object: {
        apiVersion: 'authorization.k8s.io/v1',
        kind: 'SelfSubjectAccessReview',
        metadata: {},
        spec: { resourceAttributes: { namespace: 'default', verb: 'list', resource: 'nodes' } },
        status: {},
      },
    });
  });

  it("decodes kubectl 1.35's SelfSubjectRulesReview, whose empty status it writes too", () => {
    expect(decodeKubernetesProtobuf(KUBECTL_CAN_I_LIST).object).toEqual({
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SelfSubjectRulesReview',
      metadata: {},
      spec: { namespace: 'default' },
      status: {},
    });
  });

  it('reads every field kind: strings, bools, int64, times, maps, repeated messages, and unknown fields left empty', () => {
    const meta = message(
      bytes(1, 'review'),
      bytes(3, 'models'),
      number(7, 3n),
      bytes(8, message(number(1, 1_700_000_000), number(2, 5))),
      bytes(11, message(bytes(1, 'app'), bytes(2, 'web'))),
      bytes(11, message(bytes(1, 'tier'), bytes(2, 'gpu'))),
      bytes(13, message(bytes(5, 'apps/v1'), bytes(1, 'Deployment'), bytes(3, 'web'), number(6, 1))),
      bytes(14, 'a'),
      bytes(14, 'b'),
      number(99, 0), // gogo-protobuf writes unset scalars too: an unknown field at its zero value carries nothing
      bytes(98, ''),
    );
    const spec = message(bytes(2, message(bytes(1, '/healthz'), bytes(2, 'get'))));
    const status = message(number(1, 1), bytes(2, 'RBAC: allowed'), number(4, 0));
    const decoded = decodeKubernetesProtobuf(envelope('authorization.k8s.io/v1', 'SelfSubjectAccessReview', message(bytes(1, meta), bytes(2, spec), bytes(3, status))));
    expect(decoded.object).toEqual({
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SelfSubjectAccessReview',
      metadata: {
        name: 'review',
        namespace: 'models',
        generation: 3,
        creationTimestamp: '2023-11-14T22:13:20Z',
        labels: { app: 'web', tier: 'gpu' },
        ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', controller: true }],
        finalizers: ['a', 'b'],
      },
      spec: { nonResourceAttributes: { path: '/healthz', verb: 'get' } },
      status: { allowed: true, reason: 'RBAC: allowed' },
    });
  });

  it('decodes SelfSubjectReview with user extra (map of string lists) and SelfSubjectRulesReview', () => {
    const user = message(bytes(1, 'alice'), bytes(3, 'g1'), bytes(3, 'g2'), bytes(4, message(bytes(1, 'scopes'), bytes(2, message(bytes(1, 'x'), bytes(1, 'y'))))));
    expect(decodeKubernetesProtobuf(envelope('authentication.k8s.io/v1', 'SelfSubjectReview', message(bytes(1, []), bytes(2, message(bytes(1, user)))))).object).toEqual({
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'SelfSubjectReview',
      metadata: {},
      status: { userInfo: { username: 'alice', groups: ['g1', 'g2'], extra: { scopes: ['x', 'y'] } } },
    });
    expect(decodeKubernetesProtobuf(envelope('authorization.k8s.io/v1', 'SelfSubjectRulesReview', message(bytes(2, message(bytes(1, 'models')))))).object).toEqual({
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SelfSubjectRulesReview',
      spec: { namespace: 'models' },
    });
  });

  it('reads multi-byte varints and negative int64 as the wire format writes them', () => {
    expect(readFields(Buffer.from([...number(1, 300), ...number(2, -1n), ...number(3, 2n ** 40n)]))).toEqual([
      { field: 1, value: { wireType: 0, value: 300n } },
      { field: 2, value: { wireType: 0, value: 2n ** 64n - 1n } },
      { field: 3, value: { wireType: 0, value: 2n ** 40n } },
    ]);
    expect(varint(300)).toEqual([0xac, 0x02]);
    expect(varint(-1n)).toHaveLength(10);
    const meta = message(number(10, -5n));
    expect(decodeKubernetesProtobuf(envelope('authorization.k8s.io/v1', 'SelfSubjectRulesReview', bytes(1, meta))).object?.metadata).toEqual({ deletionGracePeriodSeconds: -5 });
  });

  it('decodes the objects of kubectl create: ConfigMap bytes as base64, RBAC rules keeping an empty API group', () => {
    const meta = bytes(1, message(bytes(1, 'settings'), bytes(3, 'models')));
    const configMap = decodeKubernetesProtobuf(
      envelope('v1', 'ConfigMap', message(meta, bytes(2, message(bytes(1, 'a'), bytes(2, '1'))), bytes(3, message(bytes(1, 'bin'), bytes(2, [0xff, 0x00, 0x01]))))),
    );
    expect(configMap.object).toEqual({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings', namespace: 'models' }, data: { a: '1' }, binaryData: { bin: '/wAB' } });
    const secret = decodeKubernetesProtobuf(envelope('v1', 'Secret', message(meta, bytes(2, message(bytes(1, 'token'), bytes(2, 'hunter2'))), bytes(3, 'Opaque'))));
    expect(secret.object).toMatchObject({ data: { token: Buffer.from('hunter2').toString('base64') }, type: 'Opaque' });
    const rule = message(bytes(1, 'get'), bytes(1, 'list'), bytes(2, ''), bytes(3, 'pods'));
    expect(decodeKubernetesProtobuf(envelope('rbac.authorization.k8s.io/v1', 'Role', message(meta, bytes(2, rule)))).object).toMatchObject({ rules: [{ verbs: ['get', 'list'], apiGroups: [''], resources: ['pods'] }] });
    const binding = message(meta, bytes(2, message(bytes(1, 'Group'), bytes(2, 'rbac.authorization.k8s.io'), bytes(3, 'devs'))), bytes(3, message(bytes(1, 'rbac.authorization.k8s.io'), bytes(2, 'Role'), bytes(3, 'reader'))));
    expect(decodeKubernetesProtobuf(envelope('rbac.authorization.k8s.io/v1', 'RoleBinding', binding)).object).toMatchObject({
      subjects: [{ kind: 'Group', apiGroup: 'rbac.authorization.k8s.io', name: 'devs' }],
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'reader' },
    });
  });

  it('decodes a Deployment and a Service as kubectl create writes them: explicit zero replicas, int-or-string ports, an all-zero status skipped', () => {
    const container = message(bytes(1, 'c'), bytes(2, 'busybox'), bytes(6, message(bytes(1, ''), number(3, 8000))), bytes(8, message(bytes(2, message(bytes(1, 'cpu'), bytes(2, message(bytes(1, '500m'))))))), bytes(13, ''));
    const template = message(bytes(1, message(bytes(11, message(bytes(1, 'app'), bytes(2, 'web'))))), bytes(2, message(bytes(2, container), bytes(3, ''), number(11, 0))));
    const spec = message(number(1, 0), bytes(2, message(bytes(1, message(bytes(1, 'app'), bytes(2, 'web'))))), bytes(3, template), bytes(4, message(bytes(2, message(bytes(1, message(number(1, 1), bytes(3, '25%'))), bytes(2, message(number(1, 0), number(2, 1))))))));
    const status = message(number(1, 0), number(2, 0), bytes(6, message(bytes(1, ''))));
    expect(decodeKubernetesProtobuf(envelope('apps/v1', 'Deployment', message(bytes(1, message(bytes(1, 'web'))), bytes(2, spec), bytes(3, status)))).object).toEqual({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web' },
      spec: {
        replicas: 0, // a pointer in Go: zero is zero, not unset
        selector: { matchLabels: { app: 'web' } },
        template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'busybox', ports: [{ containerPort: 8000 }], resources: { requests: { cpu: '500m' } } }] } },
        strategy: { rollingUpdate: { maxUnavailable: '25%', maxSurge: 1 } },
      },
    });
    const port = message(bytes(1, '80-http'), bytes(2, 'TCP'), number(3, 80), bytes(4, message(number(1, 1), bytes(3, 'http'))));
    expect(decodeKubernetesProtobuf(envelope('v1', 'Service', message(bytes(2, message(bytes(1, port), bytes(4, 'ClusterIP')))))).object).toEqual({
      apiVersion: 'v1',
      kind: 'Service',
      spec: { ports: [{ name: '80-http', protocol: 'TCP', port: 80, targetPort: 'http' }], type: 'ClusterIP' },
    });
    // A PodSpec field the schema lacks, set (hostNetwork: true), is refused, not dropped.
    const hostNetwork = message(bytes(3, message(bytes(2, message(bytes(2, container), number(11, 1))))));
    expect(() => decodeKubernetesProtobuf(envelope('apps/v1', 'Deployment', message(bytes(2, hostNetwork))))).toThrow(ProtobufUnsupportedError);
  });

  it('refuses a known kind with a field it cannot decode instead of dropping it (the router answers 415)', () => {
    expect(() => decodeKubernetesProtobuf(envelope('v1', 'ConfigMap', message(bytes(1, []), bytes(9, 'new field'))))).toThrow(ProtobufUnsupportedError);
    expect(() => decodeKubernetesProtobuf(envelope('v1', 'Namespace', message(bytes(1, message(number(99, 7))))))).toThrow(/field 99 is not decoded/);
  });

  it('leaves kinds without a schema, and raw in another encoding, undecoded (the router answers 415)', () => {
    const pod = decodeKubernetesProtobuf(envelope('v1', 'Pod', message(bytes(1, message(bytes(1, 'p'))))));
    expect(pod).toEqual({ apiVersion: 'v1', kind: 'Pod', object: undefined });
    const gzipped = decodeKubernetesProtobuf(envelope('authorization.k8s.io/v1', 'SelfSubjectAccessReview', [], [bytes(3, 'gzip')]));
    expect(gzipped.object).toBeUndefined();
    const json = decodeKubernetesProtobuf(envelope('authorization.k8s.io/v1', 'SelfSubjectAccessReview', [], [bytes(4, 'application/json')]));
    expect(json.object).toBeUndefined();
  });

  it('refuses malformed bodies with the decoder error', () => {
    expect(() => decodeKubernetesProtobuf(Buffer.from('{"kind":"SelfSubjectAccessReview"}'))).toThrow(/does not appear to be a protobuf message, expected prefix \[107 56 115 0\]/);
    expect(() => decodeKubernetesProtobuf(KUBECTL_CAN_I.subarray(0, 40))).toThrow(ProtobufDecodeError);
    expect(() => decodeKubernetesProtobuf(Buffer.from([0x6b, 0x38, 0x73, 0x00, 0x0a, 0x80]))).toThrow(/unexpected EOF/);
    expect(() => decodeKubernetesProtobuf(Buffer.from([0x6b, 0x38, 0x73, 0x00, 0x0b]))).toThrow(/illegal wireType 3/);
    expect(() => decodeKubernetesProtobuf(envelope('authorization.k8s.io/v1', '', []))).toThrow(/'Kind' is missing/);
    // A string field sent as a varint is a type error, not a silent empty string.
    expect(() => decodeKubernetesProtobuf(envelope('authorization.k8s.io/v1', 'SelfSubjectRulesReview', message(bytes(2, number(1, 1)))))).toThrow(/wrong wireType = 0 for field namespace/);
  });
});

describe('/openapi/v2 in protobuf', () => {
  const served = (): { doc: Record<string, unknown>; bytes: Buffer } => {
    const json = openApi('/openapi/v2', { accept: 'application/json' });
    const proto = openApi('/openapi/v2', { accept: 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf' });
    expect(proto?.contentType).toBe('application/com.github.proto-openapi.spec.v2.v1.0+protobuf');
    return { doc: JSON.parse(String(json?.body)) as Record<string, unknown>, bytes: proto?.body as Buffer };
  };
  const field = (bytes: Buffer, n: number): Buffer[] => readFields(bytes).filter((f) => f.field === n).map((f) => f.value.value as Buffer);
  const text = (bytes: Buffer, n: number): string | undefined => field(bytes, n)[0]?.toString('utf8');
  /** NamedX { name = 1, value = 2 } entries of a repeated field, by name. */
  const named = (entries: Buffer[]): Map<string, Buffer> => new Map(entries.map((e) => [text(e, 1) ?? '', field(e, 2)[0] ?? Buffer.alloc(0)]));

  it('encodes every definition of the JSON document as openapi.v2.Document, with its GVK extension as YAML', () => {
    const { doc, bytes } = served();
    expect(text(bytes, 1)).toBe('2.0');
    const definitions = named(field(field(bytes, 9)[0] ?? Buffer.alloc(0), 1));
    expect([...definitions.keys()].sort()).toEqual(Object.keys(doc.definitions as object).sort());

    const deployment = definitions.get('V1Deployment') ?? Buffer.alloc(0);
    expect(field(field(deployment, 22)[0] ?? Buffer.alloc(0), 1).map(String)).toEqual(['object']); // TypeItem
    const extensions = named(field(deployment, 31));
    expect(JSON.parse(text(extensions.get('x-kubernetes-group-version-kind') ?? Buffer.alloc(0), 2) ?? '')).toEqual([{ group: 'apps', version: 'v1', kind: 'Deployment' }]);
    const properties = named(field(field(deployment, 25)[0] ?? Buffer.alloc(0), 1));
    expect([...properties.keys()]).toEqual(Object.keys((doc.definitions as Record<string, { properties: object }>).V1Deployment?.properties ?? {}));
    expect(text(properties.get('spec') ?? Buffer.alloc(0), 1)).toBe('#/definitions/V1DeploymentSpec'); // $ref

    const containers = named(field(field(definitions.get('V1PodSpec') ?? Buffer.alloc(0), 25)[0] ?? Buffer.alloc(0), 1)).get('containers') ?? Buffer.alloc(0);
    const item = field(field(containers, 23)[0] ?? Buffer.alloc(0), 1)[0] ?? Buffer.alloc(0); // ItemsItem.schema[0]
    expect(text(item, 1)).toBe('#/definitions/V1Container');
    expect(text(named(field(containers, 31)).get('x-kubernetes-patch-merge-key') ?? Buffer.alloc(0), 2)).toBe('"name"');
    for (const [name, schema] of Object.entries(doc.definitions as Record<string, { required?: string[] }>)) {
      expect(field(definitions.get(name) ?? Buffer.alloc(0), 19).map(String)).toEqual(schema.required ?? []);
    }
    expect(field(definitions.get('V1Container') ?? Buffer.alloc(0), 19).map(String)).toEqual(['name']);
  });

  it('encodes the paths with their operations and parameters', () => {
    const { doc, bytes } = served();
    const paths = named(field(field(bytes, 8)[0] ?? Buffer.alloc(0), 2));
    expect(paths.size).toBe(Object.keys(doc.paths as object).length);
    const item = paths.get('/apis/apps/v1/namespaces/{namespace}/deployments/{name}') ?? Buffer.alloc(0);
    const patch = field(item, 8)[0] ?? Buffer.alloc(0);
    expect(text(patch, 5)).toBe('patchDeploymentNamespaced');
    expect(field(patch, 7).map(String)).toContain('application/strategic-merge-patch+json');
    // ParametersItem.parameter.non_body_parameter.query_parameter_sub_schema.name
    const query = field(patch, 8).flatMap((p) => field(field(field(p, 1)[0] ?? Buffer.alloc(0), 2)[0] ?? Buffer.alloc(0), 3)).map((q) => text(q, 4));
    expect(query).toContain('fieldValidation');
    const body = field(field(field(patch, 8)[0] ?? Buffer.alloc(0), 1)[0] ?? Buffer.alloc(0), 1)[0] ?? Buffer.alloc(0); // body_parameter
    expect([text(body, 2), text(body, 3)]).toEqual(['body', 'body']);
  });

  it('answers 406 to a client that accepts neither JSON nor protobuf', () => {
    expect(openApi('/openapi/v2', { accept: 'application/yaml' })?.status).toBe(406);
    expect(openApi('/openapi/v2', {})?.contentType).toBe('application/json');
  });
});
