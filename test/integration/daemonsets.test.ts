/**
 * What EKS puts on every node, in the simulator, seen through @kubernetes/client-node: the
 * kube-system DaemonSets and their pods, the DaemonSet controller's placement rules, and the
 * NVIDIA device plugin registering some seconds after a GPU node is Ready.
 */
import { ApiException, AppsV1Api, CoreV1Api, KubeConfig, type V1DaemonSet, type V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { type SimNodeGroupConfig, type SimulatorOptions } from '../../local/sim/index.js';
import { simulatorsClosedAfterEach, waitFor } from '../support/simulator';

const TIME_SCALE = 0.005;
const SYSTEM = 'kube-system';
const L4: SimNodeGroupConfig = { name: 'gpu-l4', configId: 'l4-24gb', instanceType: 'g6.12xlarge', gpusPerNode: 4, gpuMemoryGiB: 24, gpuType: 'NVIDIA L4', minSize: 0, maxSize: 3 };
const EKS_DAEMONSETS = ['aws-node', 'ebs-csi-node', 'eks-pod-identity-agent', 'kube-proxy'];


const startSim = simulatorsClosedAfterEach();

const start = async (options: Partial<SimulatorOptions> = {}) => {
  const sim = await startSim({ clusterName: 'gpu-models', timeScale: TIME_SCALE, nodeGroups: [{ ...L4, desiredSize: 2, minSize: 2 }], ...options });
  const kc = new KubeConfig();
  kc.loadFromOptions(sim.kubeConfig({ tls: false }));
  return { sim, core: kc.makeApiClient(CoreV1Api), apps: kc.makeApiClient(AppsV1Api) };
};
type Clients = Awaited<ReturnType<typeof start>>;

const isReady = (pod: V1Pod): boolean => pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
const podsOn = async (c: Clients, node: string): Promise<V1Pod[]> => (await c.core.listPodForAllNamespaces({ fieldSelector: `spec.nodeName=${node}` })).items;
const ownerOf = (pod: V1Pod): string | undefined => pod.metadata?.ownerReferences?.find((r) => r.controller)?.name;
const nodeNames = async (c: Clients): Promise<string[]> => (await c.core.listNode()).items.map((n) => n.metadata?.name ?? '');

/** Every node runs exactly one Ready pod of each of `daemonSets` (and they are all in place). */
const allPlaced = (c: Clients, daemonSets: string[]) => async (): Promise<Map<string, V1Pod[]> | false> => {
  const result = new Map<string, V1Pod[]>();
  for (const node of await nodeNames(c)) {
    const pods = (await podsOn(c, node)).filter((p) => p.metadata?.namespace === SYSTEM && !p.metadata.deletionTimestamp);
    const owners = pods.map(ownerOf).sort();
    if (JSON.stringify(owners) !== JSON.stringify([...daemonSets].sort()) || !pods.every(isReady)) return false;
    result.set(node, pods);
  }
  return result.size > 0 && result;
};

const gpuPod = (name: string): V1Pod => ({
  metadata: { name, labels: { app: name } },
  spec: {
    nodeSelector: { 'gpudeploy.io/gpu-config': 'l4-24gb' },
    tolerations: [{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }],
    containers: [{ name: 'vllm', image: 'vllm/vllm-openai:v0.8.5', args: ['--model', 'Qwen/Qwen2.5-0.5B-Instruct'], resources: { limits: { 'nvidia.com/gpu': '1' } } }],
  },
});

describe('the EKS system DaemonSets', () => {
  it('run one Ready pod of aws-node, kube-proxy, eks-pod-identity-agent and ebs-csi-node on every GPU node, owned and bound as Kubernetes does', async () => {
    const c = await start();
    const listed = (await c.apps.listNamespacedDaemonSet({ namespace: SYSTEM })).items;
    expect(listed.map((d) => d.metadata?.name)).toEqual(EKS_DAEMONSETS);
    const awsNode = listed.find((d) => d.metadata?.name === 'aws-node') as V1DaemonSet;
    expect(awsNode.spec?.template.metadata?.labels?.['k8s-app']).toBe('aws-node');
    expect(awsNode.spec?.template.spec?.tolerations).toEqual([{ operator: 'Exists' }]);
    expect(awsNode.spec?.template.spec?.containers[0]?.image).toMatch(/^602401143452\.dkr\.ecr\.us-east-1\.amazonaws\.com\/amazon-k8s-cni:v1\.\d+/);
    expect(awsNode.spec?.template.spec?.containers[0]?.resources?.requests?.cpu).toBe('25m');

    const placed = await waitFor('daemon pods Ready on both nodes', allPlaced(c, EKS_DAEMONSETS));
    expect([...placed.keys()]).toHaveLength(2);
    for (const [node, pods] of placed) {
      for (const pod of pods) {
        expect(pod.metadata?.ownerReferences).toEqual([expect.objectContaining({ apiVersion: 'apps/v1', kind: 'DaemonSet', controller: true, blockOwnerDeletion: true })]);
        expect(pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms).toEqual([
          { matchFields: [{ key: 'metadata.name', operator: 'In', values: [node] }] },
        ]);
        expect(pod.spec?.tolerations).toEqual(expect.arrayContaining([{ key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' }]));
        expect(pod.metadata?.labels?.['controller-revision-hash']).toMatch(/^\w{10}$/);
      }
    }
    const status = await waitFor('aws-node status', async () => {
      const ds = await c.apps.readNamespacedDaemonSet({ name: 'aws-node', namespace: SYSTEM });
      return ds.status?.numberAvailable === 2 && ds.status;
    });
    expect(status).toMatchObject({ desiredNumberScheduled: 2, currentNumberScheduled: 2, numberReady: 2, updatedNumberScheduled: 2, numberAvailable: 2, numberMisscheduled: 0, observedGeneration: 1 });

    // Node agents are not model servers: their logs are their own.
    const [anyNode] = [...placed.values()];
    const proxyPod = anyNode?.find((p) => ownerOf(p) === 'kube-proxy');
    const log = await c.core.readNamespacedPodLog({ name: proxyPod?.metadata?.name ?? '', namespace: SYSTEM });
    expect(log).toContain('Using iptables Proxier');
    expect(log).not.toContain('vLLM');
    const cniLog = await c.core.readNamespacedPodLog({ name: anyNode?.find((p) => ownerOf(p) === 'aws-node')?.metadata?.name ?? '', namespace: SYSTEM, container: 'aws-node' });
    expect(cniLog).toContain('Starting L-IPAMD');
  });

  it('count against the node: a pod asking for what the daemon pods left unallocated plus 1m does not fit', async () => {
    const c = await start({ nodeGroups: [{ ...L4, desiredSize: 1, minSize: 1, cpu: 4, memoryGiB: 32 }] });
    await waitFor('daemon pods placed', allPlaced(c, EKS_DAEMONSETS));
    await waitFor('GPUs advertised', async () => (await c.core.listNode()).items[0]?.status?.allocatable?.['nvidia.com/gpu'] === '4');
    // 4 vCPU - 190m reserved = 3810m allocatable; the daemon pods request 25+25+100+10+10+10 = 180m.
    const make = (name: string, cpu: string): V1Pod => ({ ...gpuPod(name), spec: { ...gpuPod(name).spec!, containers: [{ ...gpuPod(name).spec!.containers[0]!, resources: { requests: { cpu }, limits: { 'nvidia.com/gpu': '1' } } }] } });
    await c.core.createNamespacedPod({ namespace: 'default', body: make('too-big', '3631m') });
    const message = await waitFor('FailedScheduling', async () => {
      const pod = await c.core.readNamespacedPod({ name: 'too-big', namespace: 'default' });
      return pod.status?.conditions?.find((cond) => cond.type === 'PodScheduled' && cond.status === 'False')?.message;
    });
    expect(message).toBe('0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.');
    await c.core.createNamespacedPod({ namespace: 'default', body: make('fits', '3630m') });
    await waitFor('fits is bound', async () => (await c.core.readNamespacedPod({ name: 'fits', namespace: 'default' })).spec?.nodeName);
  });

  it('replace a deleted pod, leave nodes they do not tolerate alone, roll out a template change, and go with their DaemonSet', async () => {
    const c = await start();
    await waitFor('daemon pods placed', allPlaced(c, EKS_DAEMONSETS));
    const nodes = await nodeNames(c);
    const victim = (await podsOn(c, nodes[0] ?? '')).find((p) => ownerOf(p) === 'kube-proxy');
    await c.core.deleteNamespacedPod({ name: victim?.metadata?.name ?? '', namespace: SYSTEM });
    const replaced = await waitFor('kube-proxy replaced on the same node', async () => {
      const pods = (await podsOn(c, nodes[0] ?? '')).filter((p) => ownerOf(p) === 'kube-proxy' && p.metadata?.name !== victim?.metadata?.name);
      return pods.length === 1 && isReady(pods[0]!) && pods[0];
    });
    expect(replaced.metadata?.name).toMatch(/^kube-proxy-\w{5}$/);

    // A DaemonSet without the GPU toleration places nothing on the tainted GPU nodes.
    const agent = {
      metadata: { name: 'node-exporter' },
      spec: {
        selector: { matchLabels: { app: 'node-exporter' } },
        template: {
          metadata: { labels: { app: 'node-exporter' } },
          spec: { containers: [{ name: 'exporter', image: 'quay.io/prometheus/node-exporter:v1.8.2' }] },
        },
      },
    } satisfies V1DaemonSet;
    await c.apps.createNamespacedDaemonSet({ namespace: 'default', body: agent });
    const untolerated = await waitFor('status observed', async () => {
      const ds = await c.apps.readNamespacedDaemonSet({ name: 'node-exporter', namespace: 'default' });
      return ds.status?.observedGeneration === 1 && ds.status;
    });
    expect(untolerated).toMatchObject({ desiredNumberScheduled: 0, currentNumberScheduled: 0 });
    expect((await c.core.listNamespacedPod({ namespace: 'default' })).items).toEqual([]);

    // Tolerating the taint (a spec change: generation 2) places one pod per node.
    await c.apps.patchNamespacedDaemonSet({
      name: 'node-exporter',
      namespace: 'default',
      body: [{ op: 'add', path: '/spec/template/spec/tolerations', value: [{ key: 'nvidia.com/gpu', operator: 'Exists' }] }],
    });
    await waitFor('one exporter per node', async () => {
      const ds = await c.apps.readNamespacedDaemonSet({ name: 'node-exporter', namespace: 'default' });
      return ds.status?.observedGeneration === 2 && ds.status.desiredNumberScheduled === 2 && ds.status.currentNumberScheduled === 2;
    });
    const before = (await c.core.listNamespacedPod({ namespace: 'default' })).items.map((p) => p.metadata?.name);

    // RollingUpdate replaces every pod with the new template, one node at a time.
    await c.apps.patchNamespacedDaemonSet({
      name: 'node-exporter',
      namespace: 'default',
      body: [{ op: 'replace', path: '/spec/template/spec/containers/0/image', value: 'quay.io/prometheus/node-exporter:v1.9.0' }],
    });
    await waitFor('rolled out', async () => {
      const ds = await c.apps.readNamespacedDaemonSet({ name: 'node-exporter', namespace: 'default' });
      return ds.status?.observedGeneration === 3 && ds.status.updatedNumberScheduled === 2 && ds.status.numberAvailable === 2;
    });
    const after = (await c.core.listNamespacedPod({ namespace: 'default' })).items.filter((p) => !p.metadata?.deletionTimestamp);
    expect(after.map((p) => p.spec?.containers[0]?.image)).toEqual(['quay.io/prometheus/node-exporter:v1.9.0', 'quay.io/prometheus/node-exporter:v1.9.0']);
    expect(after.some((p) => before.includes(p.metadata?.name))).toBe(false);

    // Deleting the DaemonSet takes its pods (garbage collection by ownerReferences).
    await c.apps.deleteNamespacedDaemonSet({ name: 'node-exporter', namespace: 'default' });
    await waitFor('exporter pods gone', async () => (await c.core.listNamespacedPod({ namespace: 'default' })).items.length === 0);
  });

  it('are validated like the API server does', async () => {
    const c = await start({ nodeGroups: [L4] });
    const bad = {
      metadata: { name: 'bad' },
      spec: {
        selector: { matchLabels: { app: 'x' } },
        updateStrategy: { type: 'Sometimes' },
        template: { metadata: { labels: { app: 'y' } }, spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox:1.36' }] } },
      },
    } as unknown as V1DaemonSet;
    const error = await c.apps.createNamespacedDaemonSet({ namespace: 'default', body: bad }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiException);
    const status = JSON.parse((error as ApiException<string>).body) as { code: number; details: { causes: { field: string }[] } };
    expect(status.code).toBe(422);
    expect(status.details.causes.map((cause) => cause.field).sort()).toEqual(['spec.template.metadata.labels', 'spec.template.spec.restartPolicy', 'spec.updateStrategy.type']);
  });

  it('follow the nodes: a new node gets them, a terminated node takes them along', async () => {
    const c = await start({ nodeGroups: [{ ...L4, desiredSize: 1, minSize: 0 }] });
    await waitFor('one node placed', allPlaced(c, EKS_DAEMONSETS));
    c.sim.reset();
    await waitFor('placed again after reset', allPlaced(c, EKS_DAEMONSETS));
    const [node] = await nodeNames(c);
    const instanceId = c.sim.instances(L4.name)[0]?.instanceId;
    expect(instanceId).toBeDefined();
    const { AutoScalingClient, TerminateInstanceInAutoScalingGroupCommand } = await import('@aws-sdk/client-auto-scaling');
    const asg = new AutoScalingClient({ region: 'us-east-1', endpoint: c.sim.url, credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
    await asg.send(new TerminateInstanceInAutoScalingGroupCommand({ InstanceId: instanceId, ShouldDecrementDesiredCapacity: true }));
    await waitFor('node and its daemon pods gone', async () => (await nodeNames(c)).length === 0 && (await podsOn(c, node ?? '')).length === 0);
    const ds = await waitFor('desired 0', async () => {
      const read = await c.apps.readNamespacedDaemonSet({ name: 'aws-node', namespace: SYSTEM });
      return read.status?.desiredNumberScheduled === 0 && read.status;
    });
    expect(ds.currentNumberScheduled).toBe(0);
    expect((await c.core.listNamespacedPod({ namespace: SYSTEM })).items).toEqual([]);
  });
});

describe('the NVIDIA device plugin', () => {
  it('advertises nvidia.com/gpu only after it registers, some seconds after Ready; GPU pods wait Pending with the scheduler message', async () => {
    // 200 base seconds at this scale: a second of wall time after the node is Ready.
    const c = await start({ nodeGroups: [{ ...L4, desiredSize: 1, minSize: 1 }], delays: { devicePluginRegistration: 200 } });
    const [node] = (await c.core.listNode()).items;
    expect(node?.status?.conditions?.find((cond) => cond.type === 'Ready')?.status).toBe('True');
    expect(node?.status?.allocatable?.['nvidia.com/gpu']).toBeUndefined();
    expect(node?.status?.capacity?.['nvidia.com/gpu']).toBeUndefined();

    await c.core.createNamespacedPod({ namespace: 'default', body: gpuPod('early') });
    const message = await waitFor('FailedScheduling', async () => {
      const pod = await c.core.readNamespacedPod({ name: 'early', namespace: 'default' });
      return pod.status?.conditions?.find((cond) => cond.type === 'PodScheduled' && cond.status === 'False')?.message;
    });
    expect(message).toBe('0/1 nodes are available: 1 Insufficient nvidia.com/gpu. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.');
    const events = (await c.core.listNamespacedEvent({ namespace: 'default', fieldSelector: 'involvedObject.name=early' })).items;
    expect(events.map((e) => e.reason)).toContain('FailedScheduling');

    const registered = await waitFor('GPUs advertised', async () => {
      const read = await c.core.readNode({ name: node?.metadata?.name ?? '' });
      return read.status?.allocatable?.['nvidia.com/gpu'] !== undefined && read;
    });
    expect(registered.status?.capacity?.['nvidia.com/gpu']).toBe('4');
    expect(registered.status?.allocatable?.['nvidia.com/gpu']).toBe('4');
    const pod = await waitFor('early runs', async () => {
      const read = await c.core.readNamespacedPod({ name: 'early', namespace: 'default' });
      return read.status?.phase === 'Running' && read;
    });
    expect(pod.spec?.nodeName).toBe(node?.metadata?.name);
  });
});
