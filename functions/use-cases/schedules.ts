/**
 * Schedules of deployments: what the schedule routes read and write. The sweeper that carries
 * them out is functions/use-cases/schedule-sweep.ts.
 *
 * A schedule lives on the deployment record; the record is listed in the sparse index
 * `schedule-due` under the time the sweeper should look at it next (the next window fire, or
 * the next idle check). A sweep (every minute, EventBridge Scheduler -> functions/scheduled/
 * schedule-sweep.ts) Queries what is due and, with bounded concurrency:
 *
 *  1. claims it (conditional on the due time it read: two sweeps never handle one entry),
 *  2. decides: the latest window fire not yet handled wins; else, with an idle timeout, reads
 *     the serving metrics and pauses a deployment with no request for that long,
 *  3. scales through the same use case as PUT …/scale (same admission, same workflow); a
 *     conflict (another operation runs, or the GPUs are taken) is retried at the next sweep,
 *  4. writes the new state and next due time, conditional on its claim.
 *
 * Every function takes `now`: a test drives a day of windows in milliseconds.
 */
import { ledgerGpusPerReplica, nodeGroupGpuLimit } from '../domain/capacity';
import { findGpuConfig } from '../../contract/catalog';
import type { DeploymentRecord, Tenant } from '../domain/deployment';
import { ConflictError, NotFoundError } from '../domain/errors';
import { MAX_REPLICAS } from '../domain/capacity';
import { nextDueAt, nextFires, validateSchedule, type Schedule, type ScheduleState, type ScheduleView } from '../domain/schedule';
import type { Ports } from '../ports';
import { findDeployment, onStaleWrite } from './ownership';

type SchedulePorts = Pick<Ports, 'deployments' | 'clock'>;

/**
 * The most replicas of this deployment its node group can hold (and the API allows); a model
 * cache volume (ReadWriteOnce, custom models) keeps every replica on one node.
 */
export const maxReplicasOf = (record: Pick<DeploymentRecord, 'gpu_config_id' | 'gpu_count' | 'custom'>): number => {
  const group = findGpuConfig(record.gpu_config_id);
  if (!group) return 0;
  const limit = record.custom?.storage_size ? group.gpus_per_node : nodeGroupGpuLimit(group);
  return Math.min(MAX_REPLICAS, Math.floor(limit / ledgerGpusPerReplica(record.gpu_count, group.gpus_per_node)));
};

const viewOf = (schedule: Schedule, state: ScheduleState | undefined, dueAt: string | null, now: Date): ScheduleView => ({
  ...schedule,
  next_windows: nextFires(schedule, now, 5).map((f) => ({ at: f.at.toISOString(), replicas: f.replicas })),
  next_check_at: dueAt,
  last_activity_at: state?.idle?.changed_at ?? null,
});

const stale = (id: string) => new ConflictError(`deployment '${id}' is being deleted; its schedule cannot change`);

export const putSchedule = async (ports: SchedulePorts, tenant: Tenant, id: string, schedule: Schedule, now: Date): Promise<ScheduleView> => {
  const record = await findDeployment(ports, tenant, id);
  if (record.status === 'terminating') throw stale(id);
  validateSchedule(schedule, maxReplicasOf(record), now);
  // Windows count from now on: a fire before the schedule existed is not replayed. The load autoscaler keeps its memory.
  const autoscaler = record.load_scaling ? record.schedule_state?.autoscaler : undefined;
  const state: ScheduleState = { windows_checked_at: now.toISOString(), ...(autoscaler ? { autoscaler } : {}) };
  // A load-scaled deployment stays due for every autoscaler check (from now), whatever its windows say.
  const due = (record.load_scaling ? now : nextDueAt(schedule, now, ports.clock.timeScale))?.toISOString() ?? null;
  await ports.deployments.putSchedule(tenant, id, { schedule, state }, due).catch(onStaleWrite(() => stale(id)));
  return viewOf(schedule, state, due, now);
};

export const getSchedule = async (ports: Pick<Ports, 'deployments'>, tenant: Tenant, id: string, now: Date): Promise<ScheduleView> => {
  const record = await findDeployment(ports, tenant, id);
  if (!record.schedule) throw new NotFoundError(`deployment '${id}' has no schedule`);
  return viewOf(record.schedule, record.schedule_state, await ports.deployments.scheduleDueAt(tenant, id), now);
};

export const deleteSchedule = async (ports: Pick<Ports, 'deployments' | 'clock'>, tenant: Tenant, id: string): Promise<void> => {
  const record = await findDeployment(ports, tenant, id);
  if (!record.schedule) return;
  // A load-scaled deployment stays in the sweeper's index (due now); without windows its floor is gone.
  const due = record.load_scaling ? ports.clock.now().toISOString() : null;
  await ports.deployments.putSchedule(tenant, id, null, due).catch(onStaleWrite(() => stale(id)));
};
