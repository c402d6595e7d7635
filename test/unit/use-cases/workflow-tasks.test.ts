/** The workflow tasks' use cases over the in-memory ports: what each writes, and that a superseded execution writes nothing. */
import type { V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { DeploymentFailedError, SupersededError } from '../../../functions/domain/errors';
import { finishDelete } from '../../../functions/use-cases/workflow/finish-delete';
import { recordFailure } from '../../../functions/use-cases/workflow/record-failure';
import { recordPhase } from '../../../functions/use-cases/workflow/record-phase';
import { releaseReservation } from '../../../functions/use-cases/workflow/release-reservation';
import { markPaused, markReady } from '../../../functions/use-cases/workflow/settle';
import { applyWorkload, checkWorkload } from '../../../functions/use-cases/workflow/workload';
import { inMemoryPorts } from '../../support/in-memory';
import { aDeployment, aPod, TENANT } from '../../support/in-memory/records';
import { TransientTestError } from '../../support/in-memory/small-stores';

const inputOf = (record: ReturnType<typeof aDeployment>) => ({ deployment: { ...TENANT, id: record.id, gpu_config_id: record.gpu_config_id }, execution: record.execution_arn });
const key = { ...TENANT, id: 'dep-0001' };

const deploying = (phase: 'accepted' | 'provisioning_nodes' | 'scheduling' = 'provisioning_nodes') => {
  const ports = inMemoryPorts({ start: new Date('2026-12-01T09:02:00Z') });
  const record = ports.deployments.seed(aDeployment({ status: 'initializing', phase, ready_since: null, endpoint_url: null, usage: undefined, instances: { running: 0, pending: 0, observed_at: null } }));
  return { ports, record, input: inputOf(record) };
};

const readyPod = (name: string): V1Pod => ({ ...aPod(name, 'dep-0001', 'n1'), status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] } });

describe('record-phase and release-reservation', () => {
  it('enters the phase the ASL event means, once', async () => {
    const { ports, input } = deploying('accepted');
    expect(await recordPhase(ports, { ...input, event: 'provisioning_started' })).toEqual({ phase: 'provisioning_nodes' });
    expect(await recordPhase(ports, { ...input, event: 'provisioning_started' })).toEqual({ phase: 'provisioning_nodes' });
    expect(ports.events.of(TENANT, 'dep-0001').map((e) => e.type)).toEqual(['phase_changed']);
    await expect(recordPhase(ports, { ...input, execution: 'arn:older', event: 'provisioning_started' })).rejects.toBeInstanceOf(SupersededError);
  });

  it('gives the reservation back exactly once', async () => {
    const { ports, input } = deploying();
    await ports.ledger.reserve('l4-24gb', 1, 16, 'gpu-l4-24gb');
    expect(await releaseReservation(ports, input)).toEqual({ released_gpus: 1 });
    expect(await releaseReservation(ports, input)).toEqual({ released_gpus: 0 });
    expect(await ports.ledger.reserved('l4-24gb')).toBe(0);
  });
});

describe('apply-workload and check-workload', () => {
  it('applies the objects with the token secret, then records the scheduling phase', async () => {
    const { ports, input } = deploying();
    const arn = await ports.secrets.store('dep-0001', 'hf_secret');
    await ports.deployments.update(TENANT, 'dep-0001', { hf_token_secret_arn: arn }, {}, { now: ports.clock.now() });
    const wait = await applyWorkload(ports, input);
    expect(wait).toEqual({ started_at: ports.clock.now().toISOString(), ready: false, wait_seconds: 2, replicas: 1 });
    expect([...ports.cluster.objects.keys()].sort()).toEqual(
      [...['Deployment', 'NetworkPolicy', 'PodDisruptionBudget', 'Secret'].map((kind) => `${kind}/model-0001`), 'Secret/model-0001-api-key', 'Service/model-0001'],
    );
    expect(JSON.stringify(ports.cluster.objects.get('Secret/model-0001'))).toContain(Buffer.from('hf_secret').toString('base64'));
    // The model server's key: the one the gateway derives for this deployment.
    const serverKey = await ports.gatewaySecrets.modelServerKey('dep-0001');
    expect(JSON.stringify(ports.cluster.objects.get('Secret/model-0001-api-key'))).toContain(Buffer.from(serverKey).toString('base64'));
    expect(ports.deployments.peek(key)?.phase).toBe('scheduling');
  });

  it('reports ready with the pod counts once every replica is Ready, stamping milestones a fast rollout skipped', async () => {
    const { ports, input } = deploying('scheduling');
    const wait = await applyWorkload(ports, input);
    ports.cluster.workloadStatus.set('model-0001', { exists: true, desired: 1, ready: 1, observedCurrent: true });
    ports.cluster.pods = [readyPod('model-a')];
    expect(await checkWorkload(ports, { ...input, workload: wait })).toMatchObject({ ready: true, wait_seconds: 0 });
    expect(ports.deployments.peek(key)).toMatchObject({
      instances: { running: 1, pending: 0 },
      timeline: { scheduled: expect.any(String), image_pulled: expect.any(String), model_loading: expect.any(String) },
    });
  });

  it('fails a crash loop with the last log lines, and a refused download as ModelAccessDenied', async () => {
    const { ports, input } = deploying('scheduling');
    const wait = await applyWorkload(ports, input);
    ports.cluster.pods = [{ ...aPod('model-a', 'dep-0001', 'n1'), status: { phase: 'Running', containerStatuses: [{ name: 'vllm', ready: false, restartCount: 3, image: '', imageID: '', state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: { terminated: { exitCode: 1 } } }] } } as V1Pod];
    ports.cluster.logs.set('model-a', { log: 'loading\nValueError: bad config' });
    await expect(checkWorkload(ports, { ...input, workload: wait })).rejects.toMatchObject({ reason: 'CrashLoopBackOff', message: expect.stringContaining('ValueError: bad config') });
    ports.cluster.logs.set('model-a', { log: 'huggingface_hub.errors.GatedRepoError: 401 Client Error' });
    const refused = await checkWorkload(ports, { ...input, workload: wait }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(DeploymentFailedError);
    expect(refused).toMatchObject({ reason: 'ModelAccessDenied' });
  });

  it('fails a pod unschedulable past its deadline, and polls again through a transient API error', async () => {
    const { ports, input } = deploying('scheduling');
    const wait = await applyWorkload(ports, input);
    ports.cluster.pods = [{ ...aPod('model-a', 'dep-0001', ''), status: { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', message: '0/3 nodes are available' }] } }];
    const first = await checkWorkload(ports, { ...input, workload: wait });
    expect(first).toMatchObject({ ready: false, phase: 'scheduling', phase_since: ports.clock.now().toISOString() });
    ports.clock.advance(3600);
    await expect(checkWorkload(ports, { ...input, workload: first })).rejects.toMatchObject({ reason: 'Unschedulable' });

    const flaky = Object.assign(Object.create(ports.cluster) as typeof ports.cluster, {
      readWorkloadStatus: () => Promise.reject(new TransientTestError('429 Too Many Requests')),
    });
    expect(await checkWorkload({ ...ports, cluster: flaky }, { ...input, workload: first })).toMatchObject({ ready: false, transient_errors: 1, wait_seconds: 5 });
  });
});

describe('mark-ready and mark-paused', () => {
  it('marks ready with the endpoint, opens the usage segment and records the cold start', async () => {
    const { ports, input } = deploying('scheduling');
    const result = await markReady(ports, input);
    expect(result).toEqual({ status: 'ready', replicas: 1, ready_since: '2026-12-01T09:02:00.000Z', paused: false });
    expect(ports.deployments.peek(key)).toMatchObject({
      endpoint_url: 'http://model-0001.models.svc.cluster.local:8000/v1',
      usage: { open: { since: '2026-12-01T09:02:00.000Z', gpus: 1 } },
      timeline: { ready: '2026-12-01T09:02:00.000Z' },
    });
    expect(await ports.coldStarts.samples('Qwen-Qwen2.5-0.5B-Instruct', 'l4-24gb')).toEqual([120]);
  });

  it('marks paused, closing the usage segment, and says when the GPUs go', async () => {
    const ports = inMemoryPorts({ start: new Date('2026-12-01T10:00:00Z') });
    const record = ports.deployments.seed(aDeployment({ replicas: 0, phase: 'scaling', operation: 'scale' }));
    expect(await markPaused(ports, inputOf(record), 600)).toEqual({ status: 'initializing', replicas: 0, ready_since: null, paused: true, release_after_seconds: 600 });
    expect(ports.deployments.peek(key)).toMatchObject({ phase: 'paused', endpoint_url: null, usage: { open: null, closed: { serving_ms: 55 * 60_000 } } });
  });
});

describe('record-failure and finish-delete', () => {
  it('marks a deploy failed with its typed reason and gives the GPUs back once; a newer operation keeps them', async () => {
    const { ports, input } = deploying('scheduling');
    await ports.ledger.reserve('l4-24gb', 1, 16, 'gpu-l4-24gb');
    const caught = { Error: 'DeploymentFailed', Cause: JSON.stringify({ errorType: 'DeploymentFailed', errorMessage: 'OOMKilled: out of memory' }) };
    const superseded = await recordFailure(ports, { ...input, execution: 'arn:older', operation: 'deploy', error: caught });
    expect(superseded).toEqual({ fail_reason: 'OOMKilled: out of memory', released_gpus: 0 });
    expect(ports.deployments.peek(key)?.status).toBe('initializing');
    expect(await recordFailure(ports, { ...input, operation: 'deploy', error: caught })).toEqual({ fail_reason: 'OOMKilled: out of memory', released_gpus: 1 });
    expect(ports.deployments.peek(key)).toMatchObject({ status: 'failed', phase: 'failed', fail_reason: 'OOMKilled: out of memory', reserved_gpus: 0 });
    expect(ports.events.of(TENANT, 'dep-0001').at(-1)).toMatchObject({ type: 'failed', reason: 'OOMKilled' });
    expect(await ports.ledger.reserved('l4-24gb')).toBe(0);
  });

  it('keeps a failed delete terminating, and finishes a delete by removing the secret and the record', async () => {
    const ports = inMemoryPorts();
    const arn = await ports.secrets.store('dep-0001', 'hf_secret');
    const record = ports.deployments.seed(aDeployment({ status: 'terminating', phase: 'deleting', operation: 'delete', hf_token_secret_arn: arn }));
    const failed = await recordFailure(ports, { ...inputOf(record), operation: 'delete', error: { Error: 'States.Timeout', Cause: 'took too long' } });
    expect(failed).toEqual({ fail_reason: 'States.Timeout: took too long', released_gpus: 0 });
    expect(ports.deployments.peek(key)).toMatchObject({ status: 'terminating', phase: 'deleting' });
    await expect(finishDelete(ports, { ...inputOf(record), execution: 'arn:older' })).rejects.toBeInstanceOf(SupersededError);
    expect(await finishDelete(ports, inputOf(record))).toEqual({ deleted: 'dep-0001' });
    expect(ports.deployments.peek(key)).toBeUndefined();
    expect(ports.secrets.secrets.size).toBe(0);
  });
});

describe('check-workload: a PVC model cache stranded in another Availability Zone', () => {
  const CLAIM = 'model-0001';
  const CONFLICT = "0/2 nodes are available: 1 node(s) had volume node affinity conflict, 1 node(s) didn't match Pod's node affinity/selector. preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling.";
  const refused = (name: string): V1Pod => ({ ...aPod(name, 'dep-0001', ''), status: { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: CONFLICT }] } });

  const cached = async () => {
    const ports = inMemoryPorts({ start: new Date('2026-12-01T09:02:00Z') });
    const record = ports.deployments.seed(
      aDeployment({
        status: 'initializing',
        phase: 'scheduling',
        ready_since: null,
        endpoint_url: null,
        usage: undefined,
        instances: { running: 0, pending: 0, observed_at: null },
        custom: { source: 'api', huggingface_id: 'acme/chat-7b', revision: null, image: null, command: null, args: null, env: [], storage_size: '20Gi', model_size_gib: 1, tags: [], display_name: null, description: null },
      }),
    );
    const input = inputOf(record);
    const wait = await applyWorkload(ports, input);
    const moved = () => ports.events.of(TENANT, 'dep-0001').filter((e) => e.type === 'model_cache_reprovisioned');
    return { ports, input, wait, moved };
  };

  it('deletes the Bound claim, applies it again once the finalizer lets it go, and says so once', async () => {
    const { ports, input, wait, moved } = await cached();
    const stranded = ports.cluster.objects.get(`PersistentVolumeClaim/${CLAIM}`)?.uid ?? '';
    ports.cluster.protectedClaims.add(CLAIM);
    ports.cluster.pods = [refused('model-a')];

    const first = await checkWorkload(ports, { ...input, workload: wait });
    expect(first).toMatchObject({ ready: false, phase: 'scheduling', cache_claim_replacing: stranded });
    expect(await ports.cluster.readClaim(CLAIM)).toEqual({ uid: stranded, bound: true, deleting: true });
    expect(moved()).toHaveLength(1);
    expect(moved()[0]?.message).toMatch(/volume node affinity conflict/);

    // Still held: wait, delete nothing else.
    const second = await checkWorkload(ports, { ...input, workload: first });
    expect(second.cache_claim_replacing).toBe(stranded);

    ports.cluster.releaseClaim(CLAIM);
    ports.cluster.pods = [{ ...refused('model-a'), status: { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', message: `persistentvolumeclaim "${CLAIM}" not found` }] } }];
    const third = await checkWorkload(ports, { ...input, workload: second });
    expect(third).not.toHaveProperty('cache_claim_replacing');
    const fresh = await ports.cluster.readClaim(CLAIM);
    expect(fresh?.uid).not.toBe(stranded);
    expect(ports.cluster.objects.get(`PersistentVolumeClaim/${CLAIM}`)?.labels).toMatchObject({ 'gpudeploy.io/deployment-id': 'dep-0001' });

    // A scheduler message that has not caught up yet does not delete the fresh, still unbound claim.
    ports.cluster.unboundClaims.add(CLAIM);
    ports.cluster.pods = [refused('model-a')];
    const fourth = await checkWorkload(ports, { ...input, workload: third });
    expect(fourth).toMatchObject({ ready: false, phase: 'scheduling' });
    expect(fourth).not.toHaveProperty('cache_claim_replacing');
    expect((await ports.cluster.readClaim(CLAIM))?.uid).toBe(fresh?.uid);
    expect(moved()).toHaveLength(1);
  });

  it('leaves the claim alone while a pod of the deployment is on a node (it holds the volume in its own zone)', async () => {
    const { ports, input, wait, moved } = await cached();
    const uid = ports.cluster.objects.get(`PersistentVolumeClaim/${CLAIM}`)?.uid;
    ports.cluster.pods = [readyPod('model-a'), refused('model-b')];
    ports.cluster.workloadStatus.set(CLAIM, { exists: true, desired: 2, ready: 1, observedCurrent: true });
    await ports.deployments.update(TENANT, 'dep-0001', { replicas: 2 }, {}, { now: ports.clock.now() });
    expect(await checkWorkload(ports, { ...input, workload: wait })).toMatchObject({ ready: false, phase: 'scheduling' });
    expect((await ports.cluster.readClaim(CLAIM))?.uid).toBe(uid);
    expect(moved()).toHaveLength(0);
  });

  it('still fails Unschedulable at the deadline when the old claim never goes', async () => {
    const { ports, input, wait } = await cached();
    ports.cluster.protectedClaims.add(CLAIM);
    ports.cluster.pods = [refused('model-a')];
    const first = await checkWorkload(ports, { ...input, workload: wait });
    ports.clock.advance(3600);
    await expect(checkWorkload(ports, { ...input, workload: first })).rejects.toMatchObject({ reason: 'Unschedulable', message: expect.stringContaining('volume node affinity conflict') });
  });
});

describe('check-workload: pods the API server refuses to create', () => {
  const REFUSAL = 'pods "model-0001-7d9f8-abcde" is forbidden: violates PodSecurity "restricted:latest": runAsNonRoot != true (pod or container "vllm" must set securityContext.runAsNonRoot=true)';

  it('waits while the refusal is fresh, then fails FailedCreate naming it', async () => {
    const { ports, input } = deploying('scheduling');
    const wait = await applyWorkload(ports, input);
    ports.cluster.workloadStatus.set('model-0001', { exists: true, desired: 1, ready: 0, observedCurrent: true, replicaFailure: { message: REFUSAL, since: ports.clock.now().toISOString() } });
    const first = await checkWorkload(ports, { ...input, workload: wait });
    expect(first).toMatchObject({ ready: false });
    ports.clock.advance(61);
    await expect(checkWorkload(ports, { ...input, workload: first })).rejects.toMatchObject({
      reason: 'FailedCreate',
      message: expect.stringContaining('violates PodSecurity "restricted:latest"'),
    });
  });
});
