/**
 * The local cloud's simulator, driven only through the real AWS SDK clients and
 * @kubernetes/client-node, as the production code will drive EKS.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AutoScalingClient, DescribeAutoScalingGroupsCommand, TerminateInstanceInAutoScalingGroupCommand } from '@aws-sdk/client-auto-scaling';
import {
  DescribeClusterCommand,
  DescribeNodegroupCommand,
  EKSClient,
  InvalidParameterException,
  ResourceNotFoundException,
  UpdateNodegroupConfigCommand,
} from '@aws-sdk/client-eks';
import { ApiException, AppsV1Api, CoreV1Api, KubeConfig, PatchStrategy, setHeaderOptions, type V1Deployment, type V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { type RunningSimulator, type SimNodeGroupConfig, type SimulatorOptions } from '../../local/sim/index.js';
import { simulatorsClosedAfterEach, waitFor } from '../support/simulator';

const CLUSTER = 'gpu-models';
const NS = 'models';
/** nodeBoot 90 s -> 450 ms, imagePull 40 s -> 200 ms, instanceTermination 20 s -> 100 ms. */
const TIME_SCALE = 0.005;
const GPU_LABEL = 'gpudeploy.io/gpu-config';

const L4: SimNodeGroupConfig = { name: 'gpu-l4', configId: 'l4-24gb', instanceType: 'g6.12xlarge', gpusPerNode: 4, gpuMemoryGiB: 24, gpuType: 'NVIDIA L4', minSize: 0, maxSize: 3 };



const startSim = simulatorsClosedAfterEach();

const start = async (overrides: Partial<SimulatorOptions> = {}): Promise<RunningSimulator> => {
  const sim = await startSim({ clusterName: CLUSTER, timeScale: TIME_SCALE, nodeGroups: [L4], ...overrides });
  return sim;
};

const clients = (sim: RunningSimulator) => {
  const aws = { region: 'us-east-1', endpoint: sim.url, credentials: { accessKeyId: 'x', secretAccessKey: 'x' }, maxAttempts: 1 };
  const kc = new KubeConfig();
  kc.loadFromOptions(sim.kubeConfig({ tls: false }));
  return { eks: new EKSClient(aws), asg: new AutoScalingClient(aws), core: kc.makeApiClient(CoreV1Api), apps: kc.makeApiClient(AppsV1Api) };
};

type Clients = ReturnType<typeof clients>;

const gpuDeployment = (name: string, options: { replicas?: number; gpus?: number; tolerate?: boolean; annotations?: Record<string, string> } = {}): V1Deployment => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name, labels: { 'gpudeploy.io/deployment-id': name } },
  spec: {
    replicas: options.replicas ?? 1,
    selector: { matchLabels: { 'gpudeploy.io/deployment-id': name } },
    template: {
      metadata: { labels: { 'gpudeploy.io/deployment-id': name }, annotations: { 'gpudeploy.io/weights-gib': '20', ...(options.annotations ?? {}) } },
      spec: {
        nodeSelector: { [GPU_LABEL]: 'l4-24gb' },
        tolerations: options.tolerate === false ? [] : [{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }],
        containers: [
          {
            name: 'vllm',
            image: 'vllm/vllm-openai:v0.8.5',
            args: ['--model', 'Qwen/Qwen2.5-0.5B-Instruct', '--served-model-name', name],
            resources: { limits: { 'nvidia.com/gpu': String(options.gpus ?? 1) } },
          },
        ],
      },
    },
  },
});

const podsOf = async (c: Clients, name: string): Promise<V1Pod[]> =>
  (await c.core.listNamespacedPod({ namespace: NS, labelSelector: `gpudeploy.io/deployment-id=${name}` })).items;

const isReady = (pod: V1Pod): boolean => pod.status?.conditions?.some((cond) => cond.type === 'Ready' && cond.status === 'True') ?? false;

const readyNodeCount = async (c: Clients): Promise<number> =>
  (await c.core.listNode({ labelSelector: `eks.amazonaws.com/nodegroup=${L4.name}` })).items.filter((n) =>
    n.status?.conditions?.some((cond) => cond.type === 'Ready' && cond.status === 'True'),
  ).length;

const scaleGroup = (c: Clients, desiredSize: number) =>
  c.eks.send(new UpdateNodegroupConfigCommand({ clusterName: CLUSTER, nodegroupName: L4.name, scalingConfig: { desiredSize } }));

const createNamespace = (c: Clients) => c.core.createNamespace({ body: { metadata: { name: NS } } });

const apiCode = async (call: Promise<unknown>): Promise<number | undefined> => {
  try {
    await call;
    return undefined;
  } catch (error) {
    if (error instanceof ApiException) return error.code;
    throw error;
  }
};

describe('EKS and Auto Scaling', () => {
  it('DescribeCluster returns an HTTPS endpoint whose TLS verifies against the returned CA', async () => {
    const sim = await start();
    const { eks } = clients(sim);

    const { cluster } = await eks.send(new DescribeClusterCommand({ name: CLUSTER }));

    expect(cluster?.status).toBe('ACTIVE');
    expect(cluster?.endpoint).toBe(sim.httpsUrl);
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'eks', server: cluster?.endpoint ?? '', caData: cluster?.certificateAuthority?.data ?? '', skipTLSVerify: false }],
      users: [{ name: 'u', token: 't' }],
      contexts: [{ name: 'c', cluster: 'eks', user: 'u' }],
      currentContext: 'c',
    });
    const namespaces = await kc.makeApiClient(CoreV1Api).listNamespace();
    expect(namespaces.items.map((n) => n.metadata?.name)).toContain('default');
  });

  it('scaling a node group brings Ready GPU nodes with the right labels, taint and capacity', async () => {
    const sim = await start();
    const c = clients(sim);

    const { update } = await scaleGroup(c, 2);
    await waitFor('2 ready nodes', async () => (await readyNodeCount(c)) === 2);

    expect(update?.status).toBe('InProgress');
    // The GPUs appear once the NVIDIA device plugin has registered, after Ready (daemonsets.test.ts times it).
    const nodes = await waitFor('GPUs advertised', async () => {
      const items = (await c.core.listNode({ labelSelector: `${GPU_LABEL}=l4-24gb` })).items;
      return items.every((n) => n.status?.allocatable?.['nvidia.com/gpu'] !== undefined) && items;
    });
    expect(nodes).toHaveLength(2);
    const { nodegroup } = await c.eks.send(new DescribeNodegroupCommand({ clusterName: CLUSTER, nodegroupName: L4.name }));
    expect(nodegroup?.scalingConfig?.desiredSize).toBe(2);
    const asgName = nodegroup?.resources?.autoScalingGroups?.[0]?.name ?? '';
    const { AutoScalingGroups } = await c.asg.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [asgName] }));
    const instanceIds = (AutoScalingGroups?.[0]?.Instances ?? []).map((i) => i.InstanceId);
    expect(AutoScalingGroups?.[0]?.DesiredCapacity).toBe(2);
    for (const node of nodes) {
      expect(node.metadata?.name).toMatch(/^ip-10-0-\d+-\d+\.ec2\.internal$/);
      expect(node.metadata?.labels).toMatchObject({
        'eks.amazonaws.com/nodegroup': L4.name,
        'node.kubernetes.io/instance-type': 'g6.12xlarge',
        [GPU_LABEL]: 'l4-24gb',
        'nvidia.com/gpu.present': 'true',
      });
      expect(node.spec?.taints).toEqual([{ key: 'nvidia.com/gpu', value: 'true', effect: 'NoSchedule' }]);
      expect(node.status?.capacity?.['nvidia.com/gpu']).toBe('4');
      expect(node.status?.allocatable?.['nvidia.com/gpu']).toBe('4');
      expect(instanceIds).toContain(node.spec?.providerID?.split('/').pop());
    }
    await waitFor('node group ACTIVE', async () => {
      const described = await c.eks.send(new DescribeNodegroupCommand({ clusterName: CLUSTER, nodegroupName: L4.name }));
      return described.nodegroup?.status === 'ACTIVE';
    });
  });

  it('UpdateNodegroupConfig validates like EKS and raises the named exceptions', async () => {
    const sim = await start();
    const { eks } = clients(sim);

    const failure = async (call: Promise<unknown>): Promise<unknown> => call.then(() => undefined, (error: unknown) => error);

    const tooMany = await failure(eks.send(new UpdateNodegroupConfigCommand({ clusterName: CLUSTER, nodegroupName: L4.name, scalingConfig: { desiredSize: 9 } })));
    const unknown = await failure(eks.send(new DescribeNodegroupCommand({ clusterName: CLUSTER, nodegroupName: 'nope' })));

    expect(tooMany).toBeInstanceOf(InvalidParameterException);
    expect((tooMany as Error).message).toBe("Desired capacity 9 can't be greater than max size 3");
    expect(unknown).toBeInstanceOf(ResourceNotFoundException);
    expect((unknown as ResourceNotFoundException).$metadata.httpStatusCode).toBe(404);
    expect(sim.nodeGroup(L4.name)?.desiredSize).toBe(0);
  });

  it('targeted TerminateInstanceInAutoScalingGroup removes exactly that node and lowers desiredSize seen through EKS', async () => {
    const sim = await start({ nodeGroups: [{ ...L4, desiredSize: 3 }] });
    const c = clients(sim);
    await waitFor('3 ready nodes', async () => (await readyNodeCount(c)) === 3);
    const [victim, ...survivors] = sim.instances(L4.name);

    await c.asg.send(new TerminateInstanceInAutoScalingGroupCommand({ InstanceId: victim?.instanceId, ShouldDecrementDesiredCapacity: true }));

    const { nodegroup } = await c.eks.send(new DescribeNodegroupCommand({ clusterName: CLUSTER, nodegroupName: L4.name }));
    expect(nodegroup?.scalingConfig?.desiredSize).toBe(2);
    await waitFor('victim node gone', async () => !(await c.core.listNode()).items.some((n) => n.metadata?.name === victim?.nodeName));
    const names = (await c.core.listNode()).items.map((n) => n.metadata?.name).sort();
    expect(names).toEqual(survivors.map((s) => s.nodeName).sort());
    expect(sim.instances(L4.name)).toHaveLength(2);
  });

  it('a blind desired-size decrease terminates the newest instance even though a pod serves there', async () => {
    const sim = await start({ nodeGroups: [{ ...L4, desiredSize: 1 }] });
    const c = clients(sim);
    const [oldest] = sim.instances(L4.name);
    await scaleGroup(c, 2);
    await waitFor('2 ready nodes', async () => (await readyNodeCount(c)) === 2);
    const newest = sim.instances(L4.name).find((i) => i.instanceId !== oldest?.instanceId);
    await createNamespace(c);
    await c.apps.createNamespacedDeployment({ namespace: NS, body: gpuDeployment('big', { replicas: 2, gpus: 4 }) });
    await waitFor('2 ready pods', async () => (await podsOf(c, 'big')).filter(isReady).length === 2);
    await waitFor('config update finished', async () => sim.nodeGroup(L4.name)?.status === 'ACTIVE');

    await scaleGroup(c, 1);

    expect(sim.instances(L4.name).find((i) => i.instanceId === newest?.instanceId)?.lifecycle).toBe('Terminating');
    await waitFor('newest node gone', async () => (await c.core.listNode()).items.every((n) => n.metadata?.name !== newest?.nodeName));
    expect((await c.core.listNode()).items.map((n) => n.metadata?.name)).toEqual([oldest?.nodeName]);
    const replacement = await waitFor('evicted pod recreated as Pending', async () =>
      (await podsOf(c, 'big')).find((p) => p.status?.conditions?.some((cond) => cond.reason === 'Unschedulable')),
    );
    expect(replacement.status?.conditions?.find((cond) => cond.type === 'PodScheduled')?.message).toContain('Insufficient nvidia.com/gpu');
  });

  it('a node-group launch fault shows up as a health issue and launches nothing', async () => {
    const sim = await start();
    const c = clients(sim);
    sim.addFault({ match: { nodeGroup: L4.name }, fault: 'asg_launch_failure' });

    await scaleGroup(c, 1);

    const { nodegroup } = await c.eks.send(new DescribeNodegroupCommand({ clusterName: CLUSTER, nodegroupName: L4.name }));
    expect(nodegroup?.health?.issues?.[0]?.code).toBe('AsgInstanceLaunchFailures');
    expect(nodegroup?.health?.issues?.[0]?.message).toContain('InsufficientInstanceCapacity');
    expect(sim.instances(L4.name)).toHaveLength(0);
    sim.clearFaults();
    await waitFor('a node once the fault is cleared', async () => (await readyNodeCount(c)) === 1);
    expect(sim.nodeGroup(L4.name)?.healthIssues).toEqual([]);
  });

  it('an AZ short of capacity (insufficient_capacity with a zone) turns launches to the other AZs; all of them short fails launches', async () => {
    const sim = await start();
    const c = clients(sim);
    sim.addFault({ match: { nodeGroup: L4.name }, fault: 'insufficient_capacity', zone: 'us-east-1a' });
    await scaleGroup(c, 2);
    await waitFor('two nodes', async () => (await readyNodeCount(c)) === 2);
    expect(sim.instances(L4.name).map((i) => i.availabilityZone).sort()).toEqual(['us-east-1b', 'us-east-1c']);
    expect(sim.nodeGroup(L4.name)?.healthIssues).toEqual([]);

    sim.addFault({ match: { nodeGroup: L4.name }, fault: 'insufficient_capacity', zone: 'us-east-1b' });
    sim.addFault({ match: { nodeGroup: L4.name }, fault: 'insufficient_capacity', zone: 'us-east-1c' });
    await waitFor('the group updated', async () => sim.nodeGroup(L4.name)?.status === 'ACTIVE');
    await scaleGroup(c, 3);
    await waitFor('a launch failure', async () => sim.nodeGroup(L4.name)?.healthIssues.some((i) => i.code === 'AsgInstanceLaunchFailures'));
    expect(sim.instances(L4.name)).toHaveLength(2);
  });
});

describe('Kubernetes workloads', () => {
  it('a GPU deployment goes Pending -> Running -> Ready on a GPU node, with vLLM logs', async () => {
    const sim = await start({ nodeGroups: [{ ...L4, desiredSize: 1 }] });
    const c = clients(sim);
    await createNamespace(c);
    const seen = new Set<string>();

    await c.apps.createNamespacedDeployment({ namespace: NS, body: gpuDeployment('qwen') });

    const pod = await waitFor('a ready pod', async () => {
      const [p] = await podsOf(c, 'qwen');
      const waiting = p?.status?.containerStatuses?.[0]?.state?.waiting?.reason;
      seen.add(`${p?.status?.phase ?? 'none'}/${waiting ?? (p && isReady(p) ? 'ready' : 'not-ready')}`);
      return p && isReady(p) ? p : undefined;
    });
    expect([...seen]).toEqual(expect.arrayContaining(['Pending/ContainerCreating', 'Running/not-ready', 'Running/ready']));
    expect(pod.metadata?.name).toMatch(/^qwen-[a-z0-9]{10}-[a-z0-9]{5}$/);
    expect(pod.metadata?.ownerReferences?.[0]?.kind).toBe('ReplicaSet');
    expect(pod.spec?.nodeName).toBe(sim.instances(L4.name)[0]?.nodeName);
    const deployment = await waitFor('deployment status', async () => {
      const d = await c.apps.readNamespacedDeployment({ name: 'qwen', namespace: NS });
      return d.status?.readyReplicas === 1 ? d : undefined;
    });
    expect(deployment.status).toMatchObject({ replicas: 1, updatedReplicas: 1, availableReplicas: 1 });
    expect(deployment.status?.conditions?.find((cond) => cond.type === 'Available')?.status).toBe('True');
    const log = await c.core.readNamespacedPodLog({ name: pod.metadata?.name ?? '', namespace: NS, container: 'vllm', tailLines: 3 });
    expect(log.trim().split('\n')).toHaveLength(3);
    const full = await c.core.readNamespacedPodLog({ name: pod.metadata?.name ?? '', namespace: NS });
    expect(full).toContain('Application startup complete.');
    expect(full).toContain('Qwen/Qwen2.5-0.5B-Instruct');
  });

  it('keeps pods Pending/Unschedulable without a toleration or without free GPUs', async () => {
    const sim = await start({ nodeGroups: [{ ...L4, desiredSize: 1 }] });
    const c = clients(sim);
    await createNamespace(c);

    await c.apps.createNamespacedDeployment({ namespace: NS, body: gpuDeployment('no-toleration', { tolerate: false }) });
    await c.apps.createNamespacedDeployment({ namespace: NS, body: gpuDeployment('too-big', { gpus: 8 }) });

    const message = async (name: string): Promise<string | undefined> => {
      const [p] = await podsOf(c, name);
      const cond = p?.status?.conditions?.find((x) => x.type === 'PodScheduled' && x.reason === 'Unschedulable');
      return p?.status?.phase === 'Pending' ? cond?.message : undefined;
    };
    expect(await waitFor('untolerated taint', () => message('no-toleration'))).toMatch(
      /^0\/1 nodes are available: 1 node\(s\) had untolerated taint \{nvidia\.com\/gpu: true\}\./,
    );
    expect(await waitFor('insufficient gpu', () => message('too-big'))).toMatch(/^0\/1 nodes are available: 1 Insufficient nvidia\.com\/gpu\./);
  });

  it('scaling a deployment through the scale subresource adds and removes pods', async () => {
    const sim = await start({ nodeGroups: [{ ...L4, desiredSize: 1 }] });
    const c = clients(sim);
    await createNamespace(c);
    await c.apps.createNamespacedDeployment({ namespace: NS, body: gpuDeployment('scaled') });

    await c.apps.replaceNamespacedDeploymentScale({ name: 'scaled', namespace: NS, body: { metadata: { name: 'scaled' }, spec: { replicas: 3 } } });
    await waitFor('3 ready pods', async () => (await podsOf(c, 'scaled')).filter(isReady).length === 3);
    const scale = await c.apps.patchNamespacedDeploymentScale(
      { name: 'scaled', namespace: NS, body: { spec: { replicas: 1 } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );

    expect(scale.spec?.replicas).toBe(1);
    expect(scale.status?.selector).toBe('gpudeploy.io/deployment-id=scaled');
    await waitFor('1 pod left', async () => (await podsOf(c, 'scaled')).length === 1);
  });

  it('a cordoned node (strategic merge patch of spec.unschedulable) gets no new pods', async () => {
    const sim = await start({ nodeGroups: [{ ...L4, desiredSize: 1 }] });
    const c = clients(sim);
    await createNamespace(c);
    const [node] = sim.nodes();

    const patched = await c.core.patchNode(
      { name: node?.metadata.name ?? '', body: { spec: { unschedulable: true } } },
      setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
    );
    await c.apps.createNamespacedDeployment({ namespace: NS, body: gpuDeployment('cordoned') });

    expect(patched.spec?.unschedulable).toBe(true);
    const [pod] = await waitFor('an unschedulable pod', async () => {
      const pods = await podsOf(c, 'cordoned');
      return pods[0]?.status?.conditions?.some((x) => x.reason === 'Unschedulable') ? pods : undefined;
    });
    expect(pod?.status?.conditions?.find((x) => x.type === 'PodScheduled')?.message).toContain('1 node(s) were unschedulable');
  });
});

describe('Kubernetes API semantics', () => {
  it('404, 409 and 422 come back as Status objects and ApiException codes', async () => {
    const sim = await start();
    const c = clients(sim);
    await createNamespace(c);

    const missing = await apiCode(c.apps.readNamespacedDeployment({ name: 'ghost', namespace: NS }));
    const duplicate = await apiCode(createNamespace(c));
    const invalid = await apiCode(c.core.createNamespacedSecret({ namespace: NS, body: { metadata: { name: 'Bad_Name' } } }));
    const response = await fetch(`${sim.url}/apis/apps/v1/namespaces/${NS}/deployments/ghost`);

    expect([missing, duplicate, invalid]).toEqual([404, 409, 422]);
    expect(await response.json()).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'deployments.apps "ghost" not found',
      reason: 'NotFound',
      details: { name: 'ghost', group: 'apps', kind: 'deployments' },
      code: 404,
    });
  });

  it('server-side apply creates, then is idempotent, then updates', async () => {
    const sim = await start();
    const c = clients(sim);
    await createNamespace(c);
    const apply = (replicas: number) =>
      c.apps.patchNamespacedDeployment(
        { name: 'applied', namespace: NS, fieldManager: 'gpudeploy', force: true, body: gpuDeployment('applied', { replicas }) },
        setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply),
      );

    const created = await apply(1);
    const before = await c.apps.readNamespacedDeployment({ name: 'applied', namespace: NS });
    const again = await apply(1);
    const updated = await apply(2);

    expect(again.metadata?.resourceVersion).toBe(before.metadata?.resourceVersion);
    expect(again.metadata?.uid).toBe(created.metadata?.uid);
    expect(again.metadata?.generation).toBe(1);
    expect(updated.metadata?.generation).toBe(2);
    expect(updated.spec?.replicas).toBe(2);
    expect(updated.metadata?.managedFields?.[0]?.manager).toBe('gpudeploy');
  });

  it('JSON patch (the client default) and merge patch round-trip', async () => {
    const sim = await start();
    const c = clients(sim);
    await createNamespace(c);
    await c.core.createNamespacedService({ namespace: NS, body: { metadata: { name: 'svc' }, spec: { selector: { app: 'x' }, ports: [{ port: 80, targetPort: 8000 }] } } });

    const jsonPatched = await c.core.patchNamespacedService({ name: 'svc', namespace: NS, body: [{ op: 'add', path: '/metadata/labels', value: { tier: 'model' } }] });
    const merged = await c.core.patchNamespacedService(
      { name: 'svc', namespace: NS, body: { metadata: { labels: { tier: null, team: 'ml' } } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );

    expect(jsonPatched.spec?.clusterIP).toMatch(/^172\.20\./);
    expect(jsonPatched.metadata?.labels).toEqual({ tier: 'model' });
    expect(merged.metadata?.labels).toEqual({ team: 'ml' });
  });

  it('label selectors support equality, existence and set-based requirements; field selectors spec.nodeName', async () => {
    const sim = await start();
    const c = clients(sim);
    await createNamespace(c);
    for (const [name, labels] of [['a', { app: 'x', tier: 'gpu' }], ['b', { app: 'y' }], ['c', { app: 'z', tier: 'cpu' }]] as const) {
      await c.core.createNamespacedConfigMap({ namespace: NS, body: { metadata: { name, labels } } });
    }
    const names = async (labelSelector: string) => (await c.core.listNamespacedConfigMap({ namespace: NS, labelSelector })).items.map((i) => i.metadata?.name);

    expect(await names('app=x')).toEqual(['a']);
    expect(await names('app!=x')).toEqual(['b', 'c']);
    expect(await names('tier')).toEqual(['a', 'c']);
    expect(await names('!tier')).toEqual(['b']);
    expect(await names('app in (x,y),tier notin (cpu)')).toEqual(['a', 'b']);
    expect(await names('app in (x,z),tier in (gpu,cpu)')).toEqual(['a', 'c']);
    const onNowhere = await c.core.listNamespacedPod({ namespace: NS, fieldSelector: 'spec.nodeName=nowhere' });
    expect(onNowhere.items).toEqual([]);
  });
});

describe('fault injection', () => {
  it('an image-pull fault (pod template annotation) shows ImagePullBackOff, with ErrImagePull events', async () => {
    const sim = await start({ nodeGroups: [{ ...L4, desiredSize: 1 }] });
    const c = clients(sim);
    await createNamespace(c);

    await c.apps.createNamespacedDeployment({ namespace: NS, body: gpuDeployment('bad-image', { annotations: { 'gpudeploy.io/sim-fault': 'image_pull_backoff' } }) });

    // Judge the pod as it was when it showed ImagePullBackOff: a second read may land after the
    // back-off ended, in the next pull attempt (waiting without a message).
    let pod: Awaited<ReturnType<typeof podsOf>>[number] | undefined;
    await waitFor('ImagePullBackOff', async () => {
      [pod] = await podsOf(c, 'bad-image');
      return pod?.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'ImagePullBackOff';
    });
    const events = await c.core.listNamespacedEvent({ namespace: NS, fieldSelector: `involvedObject.name=${pod?.metadata?.name ?? ''}` });
    expect(events.items.map((e) => e.message)).toEqual(expect.arrayContaining(['Error: ErrImagePull', 'Error: ImagePullBackOff']));
    expect(pod?.status?.phase).toBe('Pending');
    expect(pod?.status?.containerStatuses?.[0]?.state?.waiting?.message).toContain('vllm/vllm-openai:v0.8.5');
  });

  it('a crash-loop fault (control endpoint) shows CrashLoopBackOff, a growing restartCount and a traceback', async () => {
    const sim = await start({ nodeGroups: [{ ...L4, desiredSize: 1 }] });
    const c = clients(sim);
    await createNamespace(c);
    const response = await fetch(`${sim.url}/_sim/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ match: { label: 'gpudeploy.io/deployment-id=crashy' }, fault: 'crash_loop' }),
    });
    expect(response.status).toBe(201);

    await c.apps.createNamespacedDeployment({ namespace: NS, body: gpuDeployment('crashy') });

    const pod = await waitFor('restartCount >= 2 in CrashLoopBackOff', async () => {
      const [p] = await podsOf(c, 'crashy');
      const status = p?.status?.containerStatuses?.[0];
      return status?.state?.waiting?.reason === 'CrashLoopBackOff' && status.restartCount >= 2 ? p : undefined;
    });
    const status = pod.status?.containerStatuses?.[0];
    expect(status?.lastState?.terminated).toMatchObject({ exitCode: 1, reason: 'Error' });
    expect(isReady(pod)).toBe(false);
    const log = await c.core.readNamespacedPodLog({ name: pod.metadata?.name ?? '', namespace: NS, container: 'vllm', previous: true });
    expect(log).toContain('Traceback (most recent call last):');
  });
});

describe('persistence', () => {
  it('state survives close() and a restart on the same state file, resuming boots and loads', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sim-state-'));
    const stateFile = join(dir, 'state.json');
    try {
      const first = await start({ stateFile });
      const c1 = clients(first);
      await createNamespace(c1);
      await scaleGroup(c1, 1);
      const created = await c1.apps.createNamespacedDeployment({ namespace: NS, body: gpuDeployment('durable') });
      const caData = first.caData;
      await first.close();

      const second = await start({ stateFile });
      const c2 = clients(second);

      const pod = await waitFor('the pod ready after restart', async () => (await podsOf(c2, 'durable')).find(isReady));
      const again = await c2.apps.readNamespacedDeployment({ name: 'durable', namespace: NS });
      expect(again.metadata?.uid).toBe(created.metadata?.uid);
      expect(pod.spec?.nodeName).toBe(second.instances(L4.name)[0]?.nodeName);
      expect(second.nodeGroup(L4.name)?.desiredSize).toBe(1);
      expect(second.caData).toBe(caData);
      await second.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('service proxy and the simulated vLLM server', () => {
  const service = (name: string) => ({
    metadata: { name },
    spec: { selector: { 'gpudeploy.io/deployment-id': name }, ports: [{ name: 'http', port: 80, targetPort: 8000 }] },
  });

  const servingTwoReplicas = async () => {
    const sim = await start({ nodeGroups: [{ ...L4, desiredSize: 1 }] });
    const c = clients(sim);
    await createNamespace(c);
    await c.apps.createNamespacedDeployment({ namespace: NS, body: gpuDeployment('chat', { replicas: 2 }) });
    await c.core.createNamespacedService({ namespace: NS, body: service('chat') });
    return { sim, c };
  };

  const proxyUrl = (sim: RunningSimulator, kind: 'services' | 'pods', name: string, path: string) =>
    `${sim.url}/api/v1/namespaces/${NS}/${kind}/${name}${kind === 'services' ? ':http' : ''}/proxy/${path}`;

  const chat = (sim: RunningSimulator, body: unknown) =>
    fetch(proxyUrl(sim, 'services', 'chat', 'v1/chat/completions'), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

  // Summed over finished_reason (stop, length, abort), as the control plane reads it.
  const successTotal = (metrics: string): number =>
    [...metrics.matchAll(/^vllm:request_success_total\{[^}]*\} ([\d.]+)$/gm)].reduce((sum, m) => sum + Number(m[1]), 0);

  it('answers 503 with no Ready endpoint, then serves /v1/models and completions from Ready pods in turn', async () => {
    const { sim, c } = await servingTwoReplicas();

    const early = await apiCode(c.core.connectGetNamespacedServiceProxyWithPath({ namespace: NS, name: 'chat:http', path: 'v1/models' }));
    expect(early).toBe(503);
    await waitFor('2 ready pods', async () => (await podsOf(c, 'chat')).filter(isReady).length === 2, 8000);

    // The client returns the body parsed when the server says application/json, as a string otherwise.
    const models: unknown = await c.core.connectGetNamespacedServiceProxyWithPath({ namespace: NS, name: 'chat:http', path: 'v1/models' });
    expect(models).toMatchObject({ object: 'list', data: [{ id: 'chat', object: 'model', owned_by: 'vllm', root: 'Qwen/Qwen2.5-0.5B-Instruct' }] });

    const first = await chat(sim, { model: 'chat', messages: [{ role: 'user', content: 'hello there' }], max_tokens: 64 });
    const answer = (await first.json()) as { object: string; model: string; choices: { message: { role: string; content: string } }[]; usage: { total_tokens: number } };
    expect(first.status).toBe(200);
    expect(answer).toMatchObject({ object: 'chat.completion', model: 'chat', choices: [{ message: { role: 'assistant' } }] });
    expect(answer.choices[0]?.message.content).toContain('hello there');
    expect(answer.usage.total_tokens).toBeGreaterThan(0);
    expect((await chat(sim, { model: 'chat', messages: [{ role: 'user', content: 'again' }] })).status).toBe(200);

    // Round robin: each of the two pods served one request, as its own /metrics says.
    const perPod = await Promise.all(
      (await podsOf(c, 'chat')).map(async (pod) =>
        successTotal(await c.core.connectGetNamespacedPodProxyWithPath({ namespace: NS, name: pod.metadata?.name ?? '', path: 'metrics' })),
      ),
    );
    expect(perPod).toEqual([1, 1]);

    const wrongModel = await chat(sim, { model: 'other', messages: [{ role: 'user', content: 'x' }] });
    expect(wrongModel.status).toBe(404);
    expect(((await wrongModel.json()) as { error: { message: string } }).error.message).toBe('The model `other` does not exist.');
    expect((await chat(sim, { model: 'chat', messages: [] })).status).toBe(400);
  });

  it('/_sim/traffic drives the counters of Ready pods, and a replacement pod starts from zero', async () => {
    const { sim, c } = await servingTwoReplicas();
    await waitFor('2 ready pods', async () => (await podsOf(c, 'chat')).filter(isReady).length === 2, 8000);
    const drive = async (body: unknown) => {
      const response = await fetch(`${sim.url}/_sim/traffic`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      return { status: response.status, body: (await response.json()) as { pods: { name: string; completed: number; running: number }[] } };
    };

    const driven = await drive({ namespace: NS, deployment: 'chat', completed: 5, running: 2 });
    expect(driven.status).toBe(200);
    expect(driven.body.pods.map((p) => p.completed).sort()).toEqual([2, 3]);
    expect(driven.body.pods.every((p) => p.running === 2)).toBe(true);
    const [victim] = driven.body.pods;
    const metrics = await c.core.connectGetNamespacedPodProxyWithPath({ namespace: NS, name: victim?.name ?? '', path: 'metrics' });
    expect(metrics).toMatch(/^vllm:num_requests_running\{model_name="chat",engine="0"\} 2\.0$/m);
    expect(successTotal(metrics)).toBe(victim?.completed);

    await c.core.deleteNamespacedPod({ namespace: NS, name: victim?.name ?? '', gracePeriodSeconds: 0 });
    await waitFor('a replacement pod Ready', async () => {
      const pods = (await podsOf(c, 'chat')).filter((p) => isReady(p) && p.metadata?.deletionTimestamp === undefined);
      return pods.length === 2 && !pods.some((p) => p.metadata?.name === victim?.name);
    }, 8000);
    const after = await fetch(`${sim.url}/_sim/traffic?namespace=${NS}&deployment=chat`).then((r) => r.json() as Promise<{ pods: { name: string; completed: number }[] }>);
    expect(after.pods.map((p) => p.completed).sort()).toEqual([0, driven.body.pods[1]?.completed ?? -1].sort());
    expect((await drive({ deployment: 'nope', completed: 1 })).status).toBe(404);
    expect((await drive({ deployment: 'chat', completed: -1 })).status).toBe(400);
  });
});

describe('scheduler scoring', () => {
  const packing = { podAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, podAffinityTerm: { labelSelector: { matchLabels: { pack: 'yes' } }, topologyKey: 'kubernetes.io/hostname' } }] } };
  const place = async (withAffinity: boolean): Promise<string[]> => {
    const sim = await start({ nodeGroups: [{ ...L4, desiredSize: 2 }] });
    const c = clients(sim);
    await createNamespace(c);
    await waitFor('2 ready nodes', async () => (await readyNodeCount(c)) === 2);
    for (const name of ['a', 'b', 'c']) {
      const body = gpuDeployment(name);
      body.spec!.template.metadata!.labels = { ...body.spec!.template.metadata!.labels, pack: 'yes' };
      // cpu and memory requests, as the control plane's pods have: LeastAllocated scores those.
      body.spec!.template.spec!.containers[0]!.resources = { requests: { cpu: '2', memory: '16Gi', 'nvidia.com/gpu': '1' }, limits: { 'nvidia.com/gpu': '1' } };
      if (withAffinity) body.spec!.template.spec!.affinity = packing;
      await c.apps.createNamespacedDeployment({ namespace: NS, body });
      await waitFor(`${name} scheduled`, async () => (await podsOf(c, name)).some((p) => p.spec?.nodeName));
    }
    return Promise.all(['a', 'b', 'c'].map(async (name) => (await podsOf(c, name))[0]?.spec?.nodeName ?? ''));
  };

  it('spreads GPU pods LeastAllocated by default, and packs them onto busy nodes with a preferred pod affinity', async () => {
    const spread = await place(false);
    const packed = await place(true);

    expect(new Set(spread).size).toBe(2);
    expect(new Set(packed).size).toBe(1);
  });
});
