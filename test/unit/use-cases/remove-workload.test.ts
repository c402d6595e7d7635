import { describe, expect, it } from 'vitest';
import { MAX_REMOVAL_POLLS } from '../../../functions/domain/pod-removal';
import { removeWorkload } from '../../../functions/use-cases/workflow/remove-workload';
import { inMemoryPorts } from '../../support/in-memory';
import { aDeployment, aNode, aPod, TENANT } from '../../support/in-memory/records';
import { renderModelWorkload } from '../../../functions/domain/manifests';
import { findCatalogModel, findGpuConfig } from '../../../contract/catalog';

const record = aDeployment();
const input = { deployment: { ...TENANT, id: record.id, gpu_config_id: record.gpu_config_id }, execution: record.execution_arn };

const withWorkload = async () => {
  const ports = inMemoryPorts();
  await ports.cluster.ensureNamespace();
  await ports.cluster.applyObjects(renderModelWorkload(record, findCatalogModel(record.catalog_id), findGpuConfig(record.gpu_config_id)!, 'models', ports.serving.ingress, ports.serving.image));
  ports.cluster.nodes = [aNode('n1', 'i-1'), aNode('lost', 'i-2', { ready: false })];
  ports.cluster.pods = [aPod('model-a', record.id, 'n1'), aPod('model-b', record.id, 'lost')];
  return ports;
};

describe('removeWorkload', () => {
  it("deletes the model's objects and reports gone once its pods are", async () => {
    const ports = await withWorkload();
    const removal = await removeWorkload(ports, input);
    expect(removal).toEqual({ pods_remaining: 0, gone: true, wait_seconds: 2, attempts: 1 });
    expect(await ports.cluster.listManagedObjects('app.kubernetes.io/managed-by')).toEqual([]);
  });

  it('force-deletes a pod stuck on a lost node once its grace period is over, never one on a Ready node', async () => {
    const ports = await withWorkload();
    ports.cluster.lingeringPods.add('model-a');
    ports.cluster.lingeringPods.add('model-b');
    const first = await removeWorkload(ports, input);
    expect(first).toMatchObject({ pods_remaining: 2, gone: false, attempts: 1 });
    // the pods were asked to stop at deletion; 31 s later the one on the lost node is forced
    ports.cluster.pods = ports.cluster.pods.map((p) => ({ ...p, metadata: { ...p.metadata, deletionTimestamp: new Date(ports.clock.now().getTime() - 31_000) } }));
    const second = await removeWorkload(ports, { ...input, removal: first });
    expect(second).toEqual({ pods_remaining: 1, gone: false, attempts: 2, wait_seconds: 3, force_deleted: 1 });
    expect(ports.cluster.pods.map((p) => p.metadata?.name)).toEqual(['model-a']);
  });

  it('stops waiting after the last poll and leaves the rest to the leak audit', async () => {
    const ports = await withWorkload();
    ports.cluster.lingeringPods.add('model-a');
    const last = await removeWorkload(ports, { ...input, removal: { attempts: MAX_REMOVAL_POLLS - 1 } });
    expect(last).toMatchObject({ pods_remaining: 1, gone: true, gave_up: true, attempts: MAX_REMOVAL_POLLS });
  });
});
