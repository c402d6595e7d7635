/**
 * What the simulated cluster refuses or leaves waiting, as EKS would, seen through
 * @kubernetes/client-node: PersistentVolumeClaims bind only through a StorageClass of the EBS
 * CSI provisioner (WaitForFirstConsumer: once a pod using the claim is scheduled), and the Pod
 * Security labels of a namespace are validated, with a warning for the pods a stricter level
 * would refuse.
 */
import { ApiException, CoreV1Api, KubeConfig, PatchStrategy, setHeaderOptions, StorageV1Api, type CoreV1Event, type V1PersistentVolumeClaim, type V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { type SimNodeGroupConfig } from '../../local/sim/index.js';
import { simulatorsClosedAfterEach, sleep, waitFor } from '../support/simulator';

const NS = 'models';
const L4: SimNodeGroupConfig = { name: 'gpu-l4', configId: 'l4-24gb', instanceType: 'g6.12xlarge', gpusPerNode: 4, gpuMemoryGiB: 24, gpuType: 'NVIDIA L4', minSize: 2, maxSize: 3, desiredSize: 2 };


const startSim = simulatorsClosedAfterEach();

const start = async () => {
  const sim = await startSim({ clusterName: 'gpu-models', timeScale: 0.005, nodeGroups: [L4] });
  const kc = new KubeConfig();
  kc.loadFromOptions(sim.kubeConfig({ tls: false }));
  const core = kc.makeApiClient(CoreV1Api);
  await core.createNamespace({ body: { metadata: { name: NS } } });
  return { sim, core, storage: kc.makeApiClient(StorageV1Api) };
};
type Clients = Awaited<ReturnType<typeof start>>;

/** The model cache class of the stack (contract/cluster-manifests.ts), with a binding mode of choice. */
const ebsClass = (name: string, volumeBindingMode: 'WaitForFirstConsumer' | 'Immediate', annotations: Record<string, string> = {}) => ({
  metadata: { name, annotations },
  provisioner: 'ebs.csi.aws.com',
  parameters: { type: 'gp3', encrypted: 'true' },
  volumeBindingMode,
});
const claim = (name: string, storageClassName?: string): V1PersistentVolumeClaim => ({
  metadata: { name },
  spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '50Gi' } }, ...(storageClassName !== undefined ? { storageClassName } : {}) },
});
/** A GPU pod mounting `claimName`. */
const podWith = (name: string, claimName: string): V1Pod => ({
  metadata: { name },
  spec: {
    nodeSelector: { 'gpudeploy.io/gpu-config': 'l4-24gb' },
    tolerations: [{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }],
    containers: [{ name: 'vllm', image: 'vllm/vllm-openai:v0.11.0', resources: { limits: { 'nvidia.com/gpu': '1' } }, volumeMounts: [{ name: 'cache', mountPath: '/cache' }] }],
    volumes: [{ name: 'cache', persistentVolumeClaim: { claimName } }],
  },
});

const readClaim = (c: Clients, name: string) => c.core.readNamespacedPersistentVolumeClaim({ name, namespace: NS });
const eventsOf = async (c: Clients, kind: string, name: string): Promise<CoreV1Event[]> =>
  (await c.core.listNamespacedEvent({ namespace: NS, fieldSelector: `involvedObject.kind=${kind},involvedObject.name=${name}` })).items;
const reasons = async (c: Clients, kind: string, name: string): Promise<string[]> => (await eventsOf(c, kind, name)).map((e) => `${e.type} ${e.reason}: ${e.message}`);
const nodesReady = (c: Clients) =>
  waitFor('two Ready GPU nodes', async () => (await c.core.listNode()).items.filter((n) => n.status?.conditions?.some((x) => x.type === 'Ready' && x.status === 'True')).length === 2);

describe('PersistentVolumeClaim binding, as the EBS CSI provisioner does it', () => {
  it('WaitForFirstConsumer: Pending until a pod using it is scheduled, then provisioned and Bound where the pod runs', async () => {
    const c = await start();
    await nodesReady(c);
    await c.storage.createStorageClass({ body: ebsClass('model-cache-gp3', 'WaitForFirstConsumer') });
    await c.core.createNamespacedPersistentVolumeClaim({ namespace: NS, body: claim('cache', 'model-cache-gp3') });
    await sleep(100);
    expect((await readClaim(c, 'cache')).status?.phase).toBe('Pending');
    expect(await reasons(c, 'PersistentVolumeClaim', 'cache')).toEqual(['Normal WaitForFirstConsumer: waiting for first consumer to be created before binding']);

    await c.core.createNamespacedPod({ namespace: NS, body: podWith('server', 'cache') });
    const pod = await waitFor('the pod to run', async () => {
      const p = await c.core.readNamespacedPod({ name: 'server', namespace: NS });
      return p.status?.phase === 'Running' && p;
    });
    const bound = await readClaim(c, 'cache');
    expect(bound.status).toMatchObject({ phase: 'Bound', capacity: { storage: '50Gi' } });
    expect(bound.spec?.volumeName).toBe(`pvc-${bound.metadata?.uid}`);
    expect(bound.metadata?.annotations).toMatchObject({ 'volume.kubernetes.io/selected-node': pod.spec?.nodeName, 'pv.kubernetes.io/bind-completed': 'yes', 'volume.kubernetes.io/storage-provisioner': 'ebs.csi.aws.com' });
    expect(await reasons(c, 'PersistentVolumeClaim', 'cache')).toEqual(
      expect.arrayContaining([
        'Normal Provisioning: External provisioner is provisioning volume for claim "models/cache"',
        `Normal ProvisioningSucceeded: Successfully provisioned volume pvc-${bound.metadata?.uid}`,
      ]),
    );

    // The volume stays in the AZ of the node it was provisioned for: a pod held to a node of another zone cannot use it.
    const nodes = (await c.core.listNode()).items;
    const here = nodes.find((n) => n.metadata?.name === pod.spec?.nodeName)!;
    const elsewhere = nodes.find((n) => n.metadata?.labels?.['topology.kubernetes.io/zone'] !== here.metadata?.labels?.['topology.kubernetes.io/zone'])!;
    expect(elsewhere).toBeDefined();
    await c.core.deleteNamespacedPod({ name: 'server', namespace: NS, gracePeriodSeconds: 0 });
    const pinned = podWith('moved', 'cache');
    pinned.spec!.nodeSelector = { ...pinned.spec!.nodeSelector, 'kubernetes.io/hostname': elsewhere.metadata!.name! };
    await c.core.createNamespacedPod({ namespace: NS, body: pinned });
    await waitFor('FailedScheduling', async () => (await eventsOf(c, 'Pod', 'moved')).length > 0);
    expect(await reasons(c, 'Pod', 'moved')).toEqual([
      "Warning FailedScheduling: 0/2 nodes are available: 1 node(s) didn't match Pod's node affinity/selector, 1 node(s) had volume node affinity conflict. preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling.",
    ]);
    await c.core.createNamespacedPod({ namespace: NS, body: podWith('back', 'cache') });
    const back = await waitFor('the unpinned pod to run', async () => {
      const p = await c.core.readNamespacedPod({ name: 'back', namespace: NS });
      return p.status?.phase === 'Running' && p;
    });
    expect(back.spec?.nodeName).toBe(here.metadata?.name);
  });

  it('Immediate: Bound without a pod; ReadWriteOnce: a pod on a second node waits (Multi-Attach) until the first one is gone', async () => {
    const c = await start();
    await c.storage.createStorageClass({ body: ebsClass('fast', 'Immediate') });
    await c.core.createNamespacedPersistentVolumeClaim({ namespace: NS, body: claim('eager', 'fast') });
    await waitFor('Bound', async () => (await readClaim(c, 'eager')).status?.phase === 'Bound');
    const volume = (await readClaim(c, 'eager')).spec?.volumeName;

    await nodesReady(c);
    await c.core.createNamespacedPod({ namespace: NS, body: podWith('holder', 'eager') });
    const holder = await waitFor('the holder to run', async () => {
      const p = await c.core.readNamespacedPod({ name: 'holder', namespace: NS });
      return p.status?.phase === 'Running' && p;
    });
    const other = (await c.core.listNode()).items.find((n) => n.metadata?.name !== holder.spec?.nodeName)!;
    const second = podWith('second', 'eager');
    second.spec!.nodeSelector = { ...second.spec!.nodeSelector, 'kubernetes.io/hostname': other.metadata!.name! };
    await c.core.createNamespacedPod({ namespace: NS, body: second });
    await waitFor('FailedAttachVolume', async () => (await eventsOf(c, 'Pod', 'second')).some((e) => e.reason === 'FailedAttachVolume'));
    expect((await eventsOf(c, 'Pod', 'second')).find((e) => e.reason === 'FailedAttachVolume')).toMatchObject({
      type: 'Warning',
      message: `Multi-Attach error for volume "${volume}" Volume is already used by pod(s) holder`,
      source: { component: 'attachdetach-controller' },
    });
    await sleep(100);
    expect((await c.core.readNamespacedPod({ name: 'second', namespace: NS })).status?.containerStatuses).toBeUndefined();

    await c.core.deleteNamespacedPod({ name: 'holder', namespace: NS, gracePeriodSeconds: 0 });
    await waitFor('the second pod to run once the volume is free', async () => (await c.core.readNamespacedPod({ name: 'second', namespace: NS })).status?.phase === 'Running');
  });

  it('a class that does not exist: Pending with ProvisioningFailed, and its pod is unschedulable', async () => {
    const c = await start();
    await nodesReady(c);
    await c.core.createNamespacedPersistentVolumeClaim({ namespace: NS, body: claim('lost', 'model-cache-gp2') });
    await c.core.createNamespacedPod({ namespace: NS, body: podWith('orphan', 'lost') });
    await waitFor('FailedScheduling', async () => (await eventsOf(c, 'Pod', 'orphan')).length > 0);
    expect((await readClaim(c, 'lost')).status?.phase).toBe('Pending');
    expect(await reasons(c, 'PersistentVolumeClaim', 'lost')).toEqual(['Warning ProvisioningFailed: storageclass.storage.k8s.io "model-cache-gp2" not found']);
    expect(await reasons(c, 'Pod', 'orphan')).toEqual([
      'Warning FailedScheduling: 0/2 nodes are available: pod has unbound immediate PersistentVolumeClaims. preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling.',
    ]);
    expect((await c.core.readNamespacedPod({ name: 'orphan', namespace: NS })).spec?.nodeName).toBeUndefined();
  });

  it('no class and no default class: Pending with FailedBinding; once a default class exists, new claims get it', async () => {
    const c = await start();
    await c.core.createNamespacedPersistentVolumeClaim({ namespace: NS, body: claim('plain') });
    await sleep(100);
    const plain = await readClaim(c, 'plain');
    expect(plain.spec?.storageClassName).toBeUndefined();
    expect(plain.status?.phase).toBe('Pending');
    expect(await reasons(c, 'PersistentVolumeClaim', 'plain')).toEqual(['Normal FailedBinding: no persistent volumes available for this claim and no storage class is set']);

    await c.storage.createStorageClass({ body: ebsClass('gp3-default', 'Immediate', { 'storageclass.kubernetes.io/is-default-class': 'true' }) });
    await c.core.createNamespacedPersistentVolumeClaim({ namespace: NS, body: claim('defaulted') });
    expect((await readClaim(c, 'defaulted')).spec?.storageClassName).toBe('gp3-default');
    await waitFor('Bound', async () => (await readClaim(c, 'defaulted')).status?.phase === 'Bound');
    // An explicit "" asks for no class: not defaulted, never provisioned.
    await c.core.createNamespacedPersistentVolumeClaim({ namespace: NS, body: claim('static', '') });
    await sleep(100);
    expect((await readClaim(c, 'static')).status?.phase).toBe('Pending');
  });

  it('a class of a provisioner that does not run here waits for it; a pod of a missing claim is unschedulable', async () => {
    const c = await start();
    await nodesReady(c);
    await c.storage.createStorageClass({ body: { metadata: { name: 'efs' }, provisioner: 'efs.csi.aws.com', volumeBindingMode: 'Immediate' } });
    await c.core.createNamespacedPersistentVolumeClaim({ namespace: NS, body: claim('shared', 'efs') });
    await c.core.createNamespacedPod({ namespace: NS, body: podWith('ghostly', 'ghost') });
    await waitFor('FailedScheduling', async () => (await eventsOf(c, 'Pod', 'ghostly')).length > 0);
    expect((await readClaim(c, 'shared')).status?.phase).toBe('Pending');
    expect(await reasons(c, 'PersistentVolumeClaim', 'shared')).toEqual([
      "Normal ExternalProvisioning: Waiting for a volume to be created either by the external provisioner 'efs.csi.aws.com' or manually by the system administrator. If volume creation is delayed, please verify that the provisioner is running and correctly registered.",
    ]);
    expect(await reasons(c, 'Pod', 'ghostly')).toEqual([
      'Warning FailedScheduling: 0/2 nodes are available: persistentvolumeclaim "ghost" not found. preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling.',
    ]);
  });
});

describe('required pod affinity (what keeps the replicas of a ReadWriteOnce model cache on one node)', () => {
  const grouped = (name: string, gpus: number): V1Pod => {
    const pod = podWith(name, 'unused');
    pod.metadata!.labels = { group: 'cache' };
    pod.spec!.volumes = [];
    pod.spec!.containers[0]!.volumeMounts = [];
    pod.spec!.containers[0]!.resources = { limits: { 'nvidia.com/gpu': String(gpus) } };
    pod.spec!.affinity = { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { group: 'cache' } }, topologyKey: 'kubernetes.io/hostname' }] } };
    return pod;
  };
  const nodeOf = (c: Clients, name: string) =>
    waitFor(`${name} to be bound`, async () => (await c.core.readNamespacedPod({ name, namespace: NS })).spec?.nodeName ?? false);

  it('the first pod goes anywhere, the next ones only beside it, and none where that node is full', async () => {
    const c = await start();
    await nodesReady(c);
    await c.core.createNamespacedPod({ namespace: NS, body: grouped('first', 2) });
    const node = await nodeOf(c, 'first');
    await c.core.createNamespacedPod({ namespace: NS, body: grouped('second', 2) });
    expect(await nodeOf(c, 'second')).toBe(node);
    await c.core.createNamespacedPod({ namespace: NS, body: grouped('third', 1) });
    await waitFor('FailedScheduling', async () => (await eventsOf(c, 'Pod', 'third')).length > 0);
    expect(await reasons(c, 'Pod', 'third')).toEqual([
      "Warning FailedScheduling: 0/2 nodes are available: 1 Insufficient nvidia.com/gpu, 1 node(s) didn't match pod affinity rules. preemption: 0/2 nodes are available: 1 No preemption victims found for incoming pod, 1 Preemption is not helpful for scheduling.",
    ]);
  });
});

describe('Pod Security labels of a namespace', () => {
  const failure = async (call: () => Promise<unknown>): Promise<{ code: number; message: string }> => {
    try {
      await call();
    } catch (error) {
      if (error instanceof ApiException) return JSON.parse((error as ApiException<string>).body);
      throw error;
    }
    throw new Error('expected the call to fail');
  };

  it('a level that does not exist is refused (422), on create and on update', async () => {
    const c = await start();
    const created = await failure(() => c.core.createNamespace({ body: { metadata: { name: 'typo', labels: { 'pod-security.kubernetes.io/enforce': 'restrict' } } } }));
    expect(created).toMatchObject({
      code: 422,
      message: 'Namespace "typo" is invalid: metadata.labels[pod-security.kubernetes.io/enforce]: Invalid value: "restrict": must be one of privileged, baseline, restricted',
    });
    const updated = await failure(() =>
      c.core.patchNamespace({ name: NS, body: { metadata: { labels: { 'pod-security.kubernetes.io/enforce-version': '1.31' } } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch)),
    );
    expect(updated.code).toBe(422);
    expect(updated.message).toContain('must be "latest" or "v1.x"');
  });

  it('raising the enforce level admits the change and warns about the pods already there', async () => {
    const c = await start();
    await c.core.createNamespacedPod({ namespace: NS, body: { metadata: { name: 'root-1' }, spec: { containers: [{ name: 'c', image: 'busybox:1.36' }] } } });
    await c.core.createNamespacedPod({ namespace: NS, body: { metadata: { name: 'root-2' }, spec: { containers: [{ name: 'c', image: 'busybox:1.36' }] } } });
    const response = await fetch(`${c.sim.url}/api/v1/namespaces/${NS}`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/merge-patch+json' },
      body: JSON.stringify({ metadata: { labels: { 'pod-security.kubernetes.io/enforce': 'baseline' } } }),
    });
    expect(response.status).toBe(200);
    // baseline does not mind these pods; restricted does.
    expect(response.headers.get('warning')).toBeNull();
    const stricter = await fetch(`${c.sim.url}/api/v1/namespaces/${NS}`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/merge-patch+json' },
      body: JSON.stringify({ metadata: { labels: { 'pod-security.kubernetes.io/enforce': 'restricted' } } }),
    });
    expect(stricter.status).toBe(200);
    expect(stricter.headers.get('warning')).toBe(
      [
        '299 - "existing pods in namespace \\"models\\" violate the new PodSecurity enforce level \\"restricted:latest\\""',
        '299 - "root-1 (and 1 other pod): allowPrivilegeEscalation != false, unrestricted capabilities, runAsNonRoot != true, seccompProfile"',
      ].join(', '),
    );
    // They keep running; a new one like them is refused.
    expect((await c.core.listNamespacedPod({ namespace: NS })).items).toHaveLength(2);
    const refused = await failure(() => c.core.createNamespacedPod({ namespace: NS, body: { metadata: { name: 'root-3' }, spec: { containers: [{ name: 'c', image: 'busybox:1.36' }] } } }));
    expect(refused.code).toBe(403);
  });
});
