/**
 * "Nothing leaked" as the workflow tests mean it: no Kubernetes object of a finished
 * deployment, a node group sized for exactly what the live deployments need, and a capacity
 * ledger equal to what the live deployments hold.
 */
import { expect } from 'vitest';
import { nodesNeeded } from '../../functions/domain/capacity';
import { findGpuConfig } from '../../contract/catalog';
import { waitFor, type Leftovers, type StoredDeployment, type TestCloud } from './local-cloud';

const LIVE = new Set(['initializing', 'ready']);

const isEmpty = (l: Leftovers) => Object.values(l).every((names) => names.length === 0);

/** The node group of a GPU config (inventory). */
export const nodeGroupOf = (gpuConfigId: string): string => {
  const config = findGpuConfig(gpuConfigId);
  if (!config) throw new Error(`unknown gpu config ${gpuConfigId}`);
  return config.node_group.name;
};

/** Instances of the group that are launching or in service (not terminating). */
export const liveInstances = (t: TestCloud, group: string) =>
  t.cloud.simulator.instances(group).filter((i) => i.lifecycle !== 'Terminating');

export const liveDeployments = async (t: TestCloud, gpuConfigId: string): Promise<StoredDeployment[]> =>
  (await t.records()).filter((r) => r.gpu_config_id === gpuConfigId && LIVE.has(r.status));

/** Nodes the live deployments of a GPU config need (the same packing the workflows use). */
export const nodesNeededBy = (deployments: readonly StoredDeployment[], gpuConfigId: string): number => {
  const config = findGpuConfig(gpuConfigId);
  if (!config) throw new Error(`unknown gpu config ${gpuConfigId}`);
  return nodesNeeded(deployments.map((d) => ({ gpuCount: d.gpu_count, replicas: d.replicas })), config.gpus_per_node);
};

/** Waits until a deployment's objects are gone; fails with what is left. */
export const expectNoObjectsOf = async (t: TestCloud, id: string, timeoutMs = 5000): Promise<void> => {
  const left = await waitFor(() => t.leftovers(id), isEmpty, `the Kubernetes objects of ${id} to be gone`, timeoutMs).catch(() => t.leftovers(id));
  expect(left, `objects of ${id} left behind`).toEqual({ deployments: [], pods: [], services: [], secrets: [], pvcs: [], pdbs: [], networkPolicies: [] });
};

/** Ledger = sum of reserved_gpus over live records; records that are not live hold nothing. */
export const expectLedgerMatchesRecords = async (t: TestCloud, gpuConfigId: string): Promise<number> => {
  const records = (await t.records()).filter((r) => r.gpu_config_id === gpuConfigId);
  const held = records.filter((r) => LIVE.has(r.status)).reduce((sum, r) => sum + Number(r.reserved_gpus ?? 0), 0);
  for (const r of records.filter((x) => x.status === 'failed')) {
    expect(Number(r.reserved_gpus), `failed deployment ${r.id} still holds GPUs`).toBe(0);
  }
  expect(await t.ledger(gpuConfigId), `ledger of ${gpuConfigId}`).toBe(held);
  return held;
};

/** The node group converges to what the live deployments need: desired size and instances. */
export const expectNodeGroupSizedForLive = async (t: TestCloud, gpuConfigId: string, timeoutMs = 5000): Promise<number> => {
  const group = nodeGroupOf(gpuConfigId);
  const probe = async () => {
    const needed = nodesNeededBy(await liveDeployments(t, gpuConfigId), gpuConfigId);
    return { needed, desired: await t.nodeGroupDesiredSize(group), instances: liveInstances(t, group).length };
  };
  const last = await waitFor(probe, (s) => s.desired === s.needed && s.instances === s.needed, `node group ${group} to fit the live deployments`, timeoutMs).catch(
    () => probe(),
  );
  expect(last, `node group ${group}`).toEqual({ needed: last.needed, desired: last.needed, instances: last.needed });
  return last.needed;
};

/** Waits for an execution to leave RUNNING. */
export const executionEnded = (t: TestCloud, arn: string, timeoutMs = 15_000) =>
  waitFor(() => t.execution(arn), (e) => e.status !== 'RUNNING', `execution ${arn.split(':').pop()} to end`, timeoutMs);

export const expectNothingLeaked = async (t: TestCloud, id: string, gpuConfigId: string): Promise<void> => {
  await expectNoObjectsOf(t, id);
  await expectNodeGroupSizedForLive(t, gpuConfigId);
  await expectLedgerMatchesRecords(t, gpuConfigId);
};
