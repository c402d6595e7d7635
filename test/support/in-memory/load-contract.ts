/**
 * What the load autoscaler relies on from the LoadSignals port and from the deployment store's
 * due index, as one suite run twice: on the in-memory ports (test/unit/use-cases/load-contract.test.ts)
 * and on the DynamoDB adapters on dynalite (test/integration/load-contract.test.ts).
 */
import { expect, it } from 'vitest';
import { LOAD_SCALING_DEFAULTS } from '../../../contract/requests/scale';
import type { DeploymentStore, LoadSignals, LoadSnapshot } from '../../../functions/ports';
import { aDeployment } from './records';

export interface LoadContractPorts {
  loadSignals: LoadSignals;
  deployments: DeploymentStore;
}

let counter = 0;
const freshId = () => `dep-${Date.now().toString(36)}${(counter += 1).toString().padStart(4, '0')}${Math.random().toString(36).slice(2, 6)}`;

const snapshot = (deploymentId: string, at: Date, inFlight: number, held = 0, completed = 0): LoadSnapshot => ({ deploymentId, inFlight, held, completed, at: at.toISOString() });

export const loadContract = (ports: () => LoadContractPorts): void => {
  it('sums the fresh snapshots of every gateway instance, one per instance, the latest winning', async () => {
    const { loadSignals } = ports();
    const [a, b] = [freshId(), freshId()];
    const now = new Date();
    await loadSignals.publish('gw-1', [snapshot(a, now, 3, 1, 10), snapshot(b, now, 7)]);
    await loadSignals.publish('gw-2', [snapshot(a, now, 4, 0, 2)]);
    expect(await loadSignals.read(a, new Date(now.getTime() - 15_000))).toEqual({ inFlight: 7, held: 1, completed: 12, instances: 2 });
    // gw-1 publishes again: its new snapshot replaces the old one
    await loadSignals.publish('gw-1', [snapshot(a, new Date(now.getTime() + 5000), 1)]);
    expect(await loadSignals.read(a, new Date(now.getTime() - 15_000))).toEqual({ inFlight: 5, held: 0, completed: 2, instances: 2 });
    expect(await loadSignals.read(b, new Date(now.getTime() - 15_000))).toEqual({ inFlight: 7, held: 0, completed: 0, instances: 1 });
  });

  it('leaves out instances whose last snapshot is older than the freshness bound, and knows nothing of an unknown deployment', async () => {
    const { loadSignals } = ports();
    const id = freshId();
    const now = new Date();
    await loadSignals.publish('gw-old', [snapshot(id, new Date(now.getTime() - 60_000), 50)]);
    await loadSignals.publish('gw-new', [snapshot(id, now, 2)]);
    expect(await loadSignals.read(id, new Date(now.getTime() - 15_000))).toEqual({ inFlight: 2, held: 0, completed: 0, instances: 1 });
    expect(await loadSignals.read(freshId(), new Date(now.getTime() - 15_000))).toEqual({ inFlight: 0, held: 0, completed: 0, instances: 0 });
  });

  it('publishes many deployments at once (more than one write batch)', async () => {
    const { loadSignals } = ports();
    const now = new Date();
    const ids = Array.from({ length: 60 }, freshId);
    await loadSignals.publish('gw-many', ids.map((id, i) => snapshot(id, now, i)));
    const reads = await Promise.all(ids.map((id) => loadSignals.read(id, new Date(now.getTime() - 15_000))));
    expect(reads.map((r) => r.inFlight)).toEqual(ids.map((_, i) => i));
  });

  it('lists a deployment with load scaling on as due from its creation, and one without it not at all', async () => {
    const { deployments } = ports();
    const created = new Date().toISOString();
    const scaled = aDeployment({ id: freshId(), created_at: created, autoscaling: { min_replicas: 1, max_replicas: 2 }, load_scaling: LOAD_SCALING_DEFAULTS });
    const plain = aDeployment({ id: freshId(), created_at: created, autoscaling: { min_replicas: 1, max_replicas: 2 } });
    for (const record of [scaled, plain]) await deployments.create({ ...record, name: `load-${record.id}` });
    expect(await deployments.scheduleDueAt(scaled, scaled.id)).toBe(created);
    expect(await deployments.scheduleDueAt(plain, plain.id)).toBeNull();
    const { due } = await deployments.dueDeployments(new Date(Date.parse(created) + 1000), 10_000);
    const ids = due.map((d) => d.record.id);
    expect(ids).toContain(scaled.id);
    expect(ids).not.toContain(plain.id);
    expect(due.find((d) => d.record.id === scaled.id)?.record.load_scaling).toEqual(LOAD_SCALING_DEFAULTS);
  });
};
