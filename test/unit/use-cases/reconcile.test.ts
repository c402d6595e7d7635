import type { V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { findCatalogModel, findGpuConfig } from '../../../contract/catalog';
import { LABELS, renderModelWorkload } from '../../../functions/domain/manifests';
import { totalsAt } from '../../../functions/domain/usage';
import { reconcile } from '../../../functions/use-cases/reconcile';
import { inMemoryPorts, type InMemoryPorts } from '../../support/in-memory';
import { aDeployment, aPod, TENANT } from '../../support/in-memory/records';

const key = { ...TENANT, id: 'dep-0001' };

const applyWorkloadOf = async (ports: InMemoryPorts, record: ReturnType<typeof aDeployment>) => {
  await ports.cluster.ensureNamespace();
  await ports.cluster.applyObjects(renderModelWorkload(record, findCatalogModel(record.catalog_id), findGpuConfig(record.gpu_config_id)!, 'models', ports.serving.ingress, ports.serving.image));
};

describe('reconcile', () => {
  it('fails a lost scale as the workflow would: its usage segment closes and no instance counts, so it stops billing (issue 14)', async () => {
    const ports = inMemoryPorts({ start: new Date('2026-12-01T10:00:00Z') });
    // a scale 1 -> 2 whose execution ended (a crash) without recording its outcome
    const scaling = ports.deployments.seed(
      aDeployment({ phase: 'scaling', operation: 'scale', replicas: 2, reserved_gpus: 2, instances: { running: 1, pending: 1, observed_at: '2026-12-01T09:30:00.000Z' } }),
    );
    await ports.ledger.reserve('l4-24gb', 2, 16, 'gpu-l4-24gb');
    ports.workflows.seed(scaling.execution_arn, 'scale', { status: 'FAILED', startedAt: '2026-12-01T09:30:00.000Z', stoppedAt: '2026-12-01T09:40:00.000Z' });
    await applyWorkloadOf(ports, scaling);
    ports.cluster.pods = [aPod('model-a', 'dep-0001', 'n1'), aPod('model-b', 'dep-0001', 'n1')];

    const report = await reconcile(ports);
    expect(report.stuck_repaired).toEqual([expect.objectContaining({ id: 'dep-0001', action: 'marked_failed' })]);
    const failed = ports.deployments.peek(key);
    expect(failed).toMatchObject({
      status: 'failed',
      phase: 'failed',
      fail_reason: expect.stringMatching(/^WorkflowLost: the scale execution .* ended FAILED/),
      endpoint_url: null,
      ready_since: null,
      reserved_gpus: 0,
      instances: { running: 0, pending: 0, observed_at: '2026-12-01T10:00:00.000Z' },
    });
    expect(failed?.usage?.open).toBeNull();
    // serving time stops at the failure: an hour later it is what it was at 10:00 (55 minutes since 09:05)
    expect(totalsAt(failed?.usage, new Date('2026-12-01T11:00:00Z')).closed.serving_ms).toBe(55 * 60_000);
    expect(ports.cluster.objects.size).toBe(0);
    expect(ports.cluster.pods).toEqual([]);
    expect(await ports.ledger.reserved('l4-24gb')).toBe(0);
    expect(ports.events.of(TENANT, 'dep-0001').at(-1)).toMatchObject({ type: 'failed', reason: 'WorkflowLost' });
  });

  it('leaves an operation alone while its execution runs or has just ended, and restarts a lost delete', async () => {
    const ports = inMemoryPorts({ start: new Date('2026-12-01T10:00:00Z') });
    const alive = ports.deployments.seed(aDeployment({ id: 'dep-0002', phase: 'scaling', operation: 'scale' }));
    ports.workflows.seed(alive.execution_arn, 'scale', { status: 'RUNNING', startedAt: '2026-12-01T09:58:00.000Z' });
    const justEnded = ports.deployments.seed(aDeployment({ id: 'dep-0003', phase: 'scaling', operation: 'scale' }));
    ports.workflows.seed(justEnded.execution_arn, 'scale', { status: 'SUCCEEDED', startedAt: '2026-12-01T09:50:00.000Z', stoppedAt: '2026-12-01T09:59:30.000Z' });
    const deleting = ports.deployments.seed(aDeployment({ id: 'dep-0004', status: 'terminating', phase: 'deleting', operation: 'delete' }));

    const report = await reconcile(ports);
    expect(report.stuck_repaired).toEqual([expect.objectContaining({ id: 'dep-0004', action: 'delete_restarted' })]);
    expect(report.checked.settling.map((s) => s.id)).toEqual(['dep-0003']);
    expect(ports.deployments.peek({ ...TENANT, id: 'dep-0002' })?.phase).toBe('scaling');
    const restarted = ports.deployments.peek(deleting);
    expect(restarted?.execution_arn).not.toBe(deleting.execution_arn);
    expect(ports.workflows.started('delete').map((e) => e.arn)).toEqual([restarted?.execution_arn]);
  });

  it("deletes a failed deployment's and a recordless deployment's objects, never a live one's", async () => {
    const ports = inMemoryPorts();
    const live = aDeployment();
    ports.deployments.seed(live);
    ports.deployments.seed(aDeployment({ id: 'dep-0002', status: 'failed', phase: 'failed', reserved_gpus: 0 }));
    for (const record of [live, aDeployment({ id: 'dep-0002' }), aDeployment({ id: 'dep-0003' })]) await applyWorkloadOf(ports, record);
    const report = await reconcile(ports);
    expect(new Set(report.orphan_objects_deleted.map((o) => `${o.deployment_id}:${o.why}`))).toEqual(new Set(['dep-0002:deployment_failed', 'dep-0003:no_record']));
    expect(new Set([...ports.cluster.objects.values()].map((o) => o.name))).toEqual(new Set(['model-0001']));
  });

  it('repairs ledger drift only when seen twice, far enough apart, unchanged', async () => {
    const ports = inMemoryPorts({ start: new Date('2026-12-01T10:00:00Z') });
    ports.deployments.seed(aDeployment({ reserved_gpus: 1 }));
    await ports.ledger.reserve('l4-24gb', 3, 16, 'gpu-l4-24gb');
    ports.clock.advance(10);
    const first = await reconcile(ports);
    expect(first.ledger_repaired).toEqual([]);
    expect(first.checked.ledger_drift_pending).toEqual([expect.objectContaining({ gpu_config_id: 'l4-24gb', ledger: 3, records: 1 })]);
    ports.clock.advance(240);
    const second = await reconcile(ports);
    expect(second.ledger_repaired).toEqual([{ gpu_config_id: 'l4-24gb', from: 3, to: 1 }]);
    expect(await ports.ledger.reserved('l4-24gb')).toBe(1);
  });
});

describe('reconcile: a Ready deployment whose PVC model cache is stranded in another AZ', () => {
  const CLAIM = 'model-0001';
  // The reconcile lists the namespace's managed pods.
  const managed = (pod: V1Pod): V1Pod => ({ ...pod, metadata: { ...pod.metadata, labels: { ...pod.metadata?.labels, [LABELS.managedBy]: 'gpu-control-plane' } } });
  const refusedOn = (message: string) => managed({ ...aPod('model-b', 'dep-0001', ''), status: { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', message }] } });
  const CONFLICT = "0/2 nodes are available: 1 node(s) had volume node affinity conflict, 1 node(s) didn't match Pod's node affinity/selector.";
  const custom = { source: 'api' as const, huggingface_id: 'acme/chat-7b', revision: null, image: null, command: null, args: null, env: [], storage_size: '20Gi', model_size_gib: 1, tags: [], display_name: null, description: null };

  it('deletes the Bound claim, waits while it goes, applies it again once the pods wait for it by name, and writes the event once', async () => {
    const ports = inMemoryPorts({ start: new Date('2026-12-01T10:00:00Z') });
    const record = ports.deployments.seed(aDeployment({ custom }));
    await applyWorkloadOf(ports, record);
    const stranded = ports.cluster.objects.get(`PersistentVolumeClaim/${CLAIM}`)?.uid;
    ports.cluster.protectedClaims.add(CLAIM);
    ports.cluster.pods = [refusedOn(CONFLICT)];

    expect((await reconcile(ports)).model_caches_moved).toEqual([{ id: 'dep-0001', claim: CLAIM, deleted: true, done: false }]);
    expect(await ports.cluster.readClaim(CLAIM)).toMatchObject({ uid: stranded, deleting: true });
    // Still going: nothing more is deleted or written.
    expect((await reconcile(ports)).model_caches_moved).toEqual([{ id: 'dep-0001', claim: CLAIM, deleted: false, done: false }]);

    ports.cluster.releaseClaim(CLAIM);
    ports.cluster.pods = [refusedOn(`persistentvolumeclaim "${CLAIM}" not found`)];
    expect((await reconcile(ports)).model_caches_moved).toEqual([{ id: 'dep-0001', claim: CLAIM, deleted: false, done: true }]);
    expect((await ports.cluster.readClaim(CLAIM))?.uid).not.toBe(stranded);
    expect(ports.events.of(TENANT, 'dep-0001').filter((e) => e.type === 'model_cache_reprovisioned')).toHaveLength(1);
  });

  it('leaves the claim of a deployment with a pod on a node, and of one a workflow is working on', async () => {
    const ports = inMemoryPorts({ start: new Date('2026-12-01T10:00:00Z') });
    const record = ports.deployments.seed(aDeployment({ custom, replicas: 2 }));
    await applyWorkloadOf(ports, record);
    const uid = ports.cluster.objects.get(`PersistentVolumeClaim/${CLAIM}`)?.uid;
    ports.cluster.pods = [managed(aPod('model-a', 'dep-0001', 'n1')), refusedOn(CONFLICT)];
    expect((await reconcile(ports)).model_caches_moved).toEqual([]);

    await ports.deployments.update(TENANT, 'dep-0001', { phase: 'scaling' }, {}, { now: ports.clock.now() });
    ports.workflows.seed(record.execution_arn, 'scale', { status: 'RUNNING', startedAt: '2026-12-01T09:59:00.000Z' });
    ports.cluster.pods = [refusedOn(CONFLICT)];
    expect((await reconcile(ports)).model_caches_moved).toEqual([]);
    expect((await ports.cluster.readClaim(CLAIM))?.uid).toBe(uid);
  });
});
