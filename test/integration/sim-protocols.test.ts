/**
 * Protocol details of the simulator that production code will lean on: Auto Scaling query
 * errors, EKS update rules, Kubernetes deletion/rollout semantics, and the remaining faults.
 */
import { readFileSync } from 'node:fs';
import {
  AutoScalingClient,
  DescribeAutoScalingGroupsCommand,
  DescribeScalingActivitiesCommand,
  SetDesiredCapacityCommand,
  TerminateInstanceInAutoScalingGroupCommand,
} from '@aws-sdk/client-auto-scaling';
import { DescribeUpdateCommand, EKSClient, ListNodegroupsCommand, ResourceInUseException, UpdateNodegroupConfigCommand } from '@aws-sdk/client-eks';
import {
  AppsV1Api,
  CoreV1Api,
  KubeConfig,
  KubernetesObjectApi,
  PatchStrategy,
  type KubernetesObject,
  type V1Deployment,
  type V1Pod,
} from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { nodeGroupsFromInventory, type SimNodeGroupConfig, type SimStateView, type SimulatorOptions } from '../../local/sim/index.js';
import { simulatorsClosedAfterEach, waitFor } from '../support/simulator';

const CLUSTER = 'gpu-models';
const NS = 'models';
const GROUP: SimNodeGroupConfig = { name: 'gpu-a10g', configId: 'a10g-24gb', instanceType: 'g5.12xlarge', gpusPerNode: 4, gpuMemoryGiB: 24, minSize: 0, maxSize: 3 };



const failure = (call: Promise<unknown>): Promise<Error & { name: string }> =>
  call.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (error: unknown) => error as Error,
  );

const startSim = simulatorsClosedAfterEach();

const setup = async (desiredSize = 0, delays: SimulatorOptions['delays'] = {}) => {
  const sim = await startSim({ clusterName: CLUSTER, timeScale: 0.005, nodeGroups: [{ ...GROUP, desiredSize }], delays });
  const aws = { region: 'us-east-1', endpoint: sim.url, credentials: { accessKeyId: 'x', secretAccessKey: 'x' }, maxAttempts: 1 };
  const kc = new KubeConfig();
  kc.loadFromOptions(sim.kubeConfig());
  const core = kc.makeApiClient(CoreV1Api);
  await core.createNamespace({ body: { metadata: { name: NS } } });
  return {
    sim,
    eks: new EKSClient(aws),
    asg: new AutoScalingClient(aws),
    core,
    apps: kc.makeApiClient(AppsV1Api),
    objects: KubernetesObjectApi.makeApiClient(kc),
  };
};

const deployment = (name: string, options: { image?: string; replicas?: number; fault?: string } = {}): V1Deployment => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name, namespace: NS },
  spec: {
    replicas: options.replicas ?? 1,
    selector: { matchLabels: { app: name } },
    template: {
      metadata: { labels: { app: name }, ...(options.fault ? { annotations: { 'gpudeploy.io/sim-fault': options.fault } } : {}) },
      spec: {
        nodeSelector: { 'gpudeploy.io/gpu-config': 'a10g-24gb' },
        tolerations: [{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }],
        containers: [
          {
            name: 'vllm',
            image: options.image ?? 'vllm/vllm-openai:v0.8.5',
            args: ['--model', 'meta-llama/Llama-3.1-8B-Instruct'],
            resources: { limits: { 'nvidia.com/gpu': '1' } },
          },
        ],
      },
    },
  },
});

const podsOf = async (core: CoreV1Api, app: string): Promise<V1Pod[]> => (await core.listNamespacedPod({ namespace: NS, labelSelector: `app=${app}` })).items;
const isReady = (pod: V1Pod): boolean => pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;

describe('inventory', () => {
  it('turns every gpu config of the inventory into a node group', () => {
    const text = readFileSync(new URL('../../contract/data/inventory.json', import.meta.url), 'utf8');

    const groups = nodeGroupsFromInventory(text);

    const raw = JSON.parse(text) as { gpu_configs: { config_id: string }[] };
    expect(groups.map((g) => g.configId)).toEqual(raw.gpu_configs.map((g) => g.config_id));
    expect(groups.find((g) => g.configId === 'l4-24gb')).toEqual({
      name: 'gpu-l4-24gb',
      configId: 'l4-24gb',
      instanceType: 'g6.12xlarge',
      gpusPerNode: 4,
      gpuMemoryGiB: 22.4, // what nvidia-smi reports, rounded down (aws-review m3)
      gpuType: 'NVIDIA L4',
      minSize: 0,
      maxSize: 4,
    });
  });
});

describe('Auto Scaling and EKS rules', () => {
  it('SetDesiredCapacity outside the bounds and a termination below minSize fail with ValidationError', async () => {
    const { asg, sim } = await setup(1);
    const asgName = sim.nodeGroup(GROUP.name)?.asgName ?? '';
    const [instance] = sim.instances(GROUP.name);

    const above = await failure(asg.send(new SetDesiredCapacityCommand({ AutoScalingGroupName: asgName, DesiredCapacity: 7 })));
    const unknown = await failure(asg.send(new TerminateInstanceInAutoScalingGroupCommand({ InstanceId: 'i-0000000000000000', ShouldDecrementDesiredCapacity: true })));

    expect(above.name).toBe('ValidationError');
    expect(above.message).toBe('New SetDesiredCapacity value 7 is above max value 3 for the AutoScalingGroup.');
    expect(unknown.name).toBe('ValidationError');
    expect(instance?.lifecycle).toBe('InService');
  });

  it('termination without decrement is replaced by a new instance, visible in scaling activities', async () => {
    const { asg, sim } = await setup(1);
    const asgName = sim.nodeGroup(GROUP.name)?.asgName ?? '';
    const [original] = sim.instances(GROUP.name);

    await asg.send(new TerminateInstanceInAutoScalingGroupCommand({ InstanceId: original?.instanceId, ShouldDecrementDesiredCapacity: false }));

    const { AutoScalingGroups } = await asg.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [asgName] }));
    const states = (AutoScalingGroups?.[0]?.Instances ?? []).map((i) => [i.InstanceId === original?.instanceId ? 'original' : 'replacement', i.LifecycleState]);
    expect(states).toEqual([
      ['original', 'Terminating'],
      ['replacement', 'Pending'],
    ]);
    expect(AutoScalingGroups?.[0]?.DesiredCapacity).toBe(1);
    const { Activities } = await asg.send(new DescribeScalingActivitiesCommand({ AutoScalingGroupName: asgName }));
    expect(Activities?.map((a) => a.Description)).toEqual(expect.arrayContaining([`Terminating EC2 instance: ${original?.instanceId ?? ''}`]));
  });

  it('a second UpdateNodegroupConfig while one is InProgress is ResourceInUseException; the update then succeeds', async () => {
    // The update stays InProgress for 1 s of wall time (200 s scaled), so the second call surely overlaps it on a busy machine.
    const { eks } = await setup(0, { nodegroupUpdate: 200 });
    const { update } = await eks.send(new UpdateNodegroupConfigCommand({ clusterName: CLUSTER, nodegroupName: GROUP.name, scalingConfig: { desiredSize: 1 } }));

    const busy = await failure(eks.send(new UpdateNodegroupConfigCommand({ clusterName: CLUSTER, nodegroupName: GROUP.name, scalingConfig: { desiredSize: 2 } })));
    const done = await waitFor('update Successful', async () => {
      const described = await eks.send(new DescribeUpdateCommand({ name: CLUSTER, nodegroupName: GROUP.name, updateId: update?.id ?? '' }));
      return described.update?.status === 'Successful' ? described.update : undefined;
    });
    const same = await failure(eks.send(new UpdateNodegroupConfigCommand({ clusterName: CLUSTER, nodegroupName: GROUP.name, scalingConfig: { desiredSize: 1 } })));

    expect(busy).toBeInstanceOf(ResourceInUseException);
    expect(done.params).toEqual([{ type: 'DesiredSize', value: '1' }]);
    expect(same.message).toBe('No changes needed');
    expect((await eks.send(new ListNodegroupsCommand({ clusterName: CLUSTER }))).nodegroups).toEqual([GROUP.name]);
  });
});

describe('Kubernetes semantics', () => {
  it('deleting a running pod is graceful: deletionTimestamp first, then gone, and the Deployment replaces it', async () => {
    const { core, apps } = await setup(1);
    await apps.createNamespacedDeployment({ namespace: NS, body: deployment('web') });
    const [pod] = await waitFor('a ready pod', async () => {
      const pods = await podsOf(core, 'web');
      return pods.length === 1 && pods.every(isReady) ? pods : undefined;
    });

    const deleted = await core.deleteNamespacedPod({ name: pod?.metadata?.name ?? '', namespace: NS });

    expect(deleted.metadata?.deletionTimestamp).toBeInstanceOf(Date);
    await waitFor('the replacement ready and the old pod gone', async () => {
      const pods = await podsOf(core, 'web');
      return pods.length === 1 && pods[0]?.metadata?.name !== pod?.metadata?.name && isReady(pods[0] as V1Pod);
    });
  });

  it('changing the template rolls out a new ReplicaSet and replaces the pods', async () => {
    const { core, apps } = await setup(1);
    await apps.createNamespacedDeployment({ namespace: NS, body: deployment('roll', { replicas: 2 }) });
    await waitFor('2 ready pods', async () => (await podsOf(core, 'roll')).filter(isReady).length === 2);
    const current = await apps.readNamespacedDeployment({ name: 'roll', namespace: NS });

    const spec = deployment('roll', { replicas: 2, image: 'vllm/vllm-openai:v0.9.0' });
    await apps.replaceNamespacedDeployment({ name: 'roll', namespace: NS, body: { ...spec, metadata: { ...spec.metadata, resourceVersion: current.metadata?.resourceVersion } } });

    const pods = await waitFor('2 ready pods on the new image', async () => {
      const list = await podsOf(core, 'roll');
      return list.length === 2 && list.every((p) => isReady(p) && p.spec?.containers[0]?.image === 'vllm/vllm-openai:v0.9.0') ? list : undefined;
    });
    const hashes = new Set(pods.map((p) => p.metadata?.labels?.['pod-template-hash']));
    expect(hashes.size).toBe(1);
    const sets = await apps.listNamespacedReplicaSet({ namespace: NS });
    expect(sets.items.map((rs) => rs.metadata?.annotations?.['deployment.kubernetes.io/revision']).sort()).toEqual(['1', '2']);
    const stale = await failure(apps.replaceNamespacedDeployment({ name: 'roll', namespace: NS, body: { ...spec, metadata: { ...spec.metadata, resourceVersion: current.metadata?.resourceVersion } } }));
    expect((stale as Error & { code?: number }).code).toBe(409);
  });

  it('deleting a Deployment cascades to its ReplicaSets and pods; deleting a namespace empties it', async () => {
    const { core, apps } = await setup(1);
    await apps.createNamespacedDeployment({ namespace: NS, body: deployment('gone') });
    await waitFor('a pod', async () => (await podsOf(core, 'gone')).length === 1);

    const status = await apps.deleteNamespacedDeployment({ name: 'gone', namespace: NS });
    await waitFor('no pods', async () => (await podsOf(core, 'gone')).length === 0);
    await core.createNamespacedSecret({ namespace: NS, body: { metadata: { name: 'token' }, stringData: { token: 'hf_abc' } } });
    await core.deleteNamespace({ name: NS });

    expect(status.status).toBe('Success');
    expect((await apps.listNamespacedReplicaSet({ namespace: NS })).items).toEqual([]);
    await waitFor('namespace gone', async () => !(await core.listNamespace()).items.some((n) => n.metadata?.name === NS));
  });

  it('secrets, services, PVCs, pagination and the generic object client behave like the API server', async () => {
    const { core, objects } = await setup();

    const secret = await core.createNamespacedSecret({ namespace: NS, body: { metadata: { name: 'hf' }, stringData: { token: 'hf_abc' } } });
    const pvc = await core.createNamespacedPersistentVolumeClaim({
      namespace: NS,
      body: { metadata: { name: 'weights' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '100Gi' } } } },
    });
    for (const name of ['s1', 's2', 's3']) {
      await core.createNamespacedService({ namespace: NS, body: { metadata: { name }, spec: { ports: [{ port: 8000 }] } } });
    }
    const firstPage = await core.listNamespacedService({ namespace: NS, limit: 2 });
    const secondPage = await core.listNamespacedService({ namespace: NS, limit: 2, _continue: firstPage.metadata?._continue ?? '' });
    const applied = await objects.patch(
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg', namespace: NS }, data: { a: '1' } } as KubernetesObject,
      undefined,
      undefined,
      'gpudeploy',
      true,
      PatchStrategy.ServerSideApply,
    );

    expect(secret.data).toEqual({ token: Buffer.from('hf_abc').toString('base64') });
    expect(secret.type).toBe('Opaque');
    // No class named and no default class (EKS >= 1.30 has none): the claim waits, as on EKS (test/integration/sim-admission.test.ts).
    expect(pvc.status?.phase).toBe('Pending');
    expect(firstPage.items.map((s) => s.metadata?.name)).toEqual(['s1', 's2']);
    expect(secondPage.items.map((s) => s.metadata?.name)).toEqual(['s3']);
    expect(applied.metadata?.uid).toBeTruthy();
  });
});

describe('more faults', () => {
  it('oom_killed, hf_unauthorized and never_ready show up as Kubernetes reports them', async () => {
    const { core, apps, sim } = await setup(1);
    await apps.createNamespacedDeployment({ namespace: NS, body: deployment('oom', { fault: 'oom_killed' }) });
    await apps.createNamespacedDeployment({ namespace: NS, body: deployment('gated', { fault: 'hf_unauthorized' }) });
    await apps.createNamespacedDeployment({ namespace: NS, body: deployment('stuck', { fault: 'never_ready' }) });

    const oom = await waitFor('OOMKilled', async () => {
      const [p] = await podsOf(core, 'oom');
      return p?.status?.containerStatuses?.[0]?.lastState?.terminated?.reason === 'OOMKilled' ? p : undefined;
    });
    const gated = await waitFor('gated crash', async () => {
      const [p] = await podsOf(core, 'gated');
      return (p?.status?.containerStatuses?.[0]?.restartCount ?? 0) >= 1 ? p : undefined;
    });
    const log = await core.readNamespacedPodLog({ name: gated.metadata?.name ?? '', namespace: NS, previous: true, tailLines: 2 });
    const [stuck] = await podsOf(core, 'stuck');

    expect(oom.status?.containerStatuses?.[0]?.lastState?.terminated?.exitCode).toBe(137);
    expect(log).toContain('Access to model meta-llama/Llama-3.1-8B-Instruct is restricted');
    expect(stuck?.status?.phase).toBe('Running');
    expect(isReady(stuck as V1Pod)).toBe(false);
    const state = (await (await fetch(`${sim.url}/_sim/state`)).json()) as SimStateView;
    expect(state.pods.find((p) => p.name === stuck?.metadata?.name)?.stage).toBe('loading');
  });

  it('control faults match by label and are cleared by DELETE /_sim/faults', async () => {
    const { core, apps, sim } = await setup(1);
    sim.addFault({ match: { label: 'app=flaky' }, fault: 'image_pull_backoff' });
    await apps.createNamespacedDeployment({ namespace: NS, body: deployment('flaky') });
    await waitFor('ImagePullBackOff', async () => (await podsOf(core, 'flaky'))[0]?.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'ImagePullBackOff');

    const cleared = await fetch(`${sim.url}/_sim/faults`, { method: 'DELETE' });

    expect(cleared.status).toBe(200);
    await waitFor('the pod ready after the fault is cleared', async () => (await podsOf(core, 'flaky')).some(isReady));
  });
});
