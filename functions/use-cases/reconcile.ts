/**
 * The reconcile and leak audit: one pass that finds what the workflows left behind and
 * repairs it. Each repair is a small function that is safe while API calls and workflows run
 * concurrently (docs/reconcile.md says why, one by one):
 *
 *   repairStuckDeployment   an in-flight deployment whose execution died: fail it (deploy,
 *                           scale) or start a new delete (terminating)
 *   deleteOrphanObjects     managed Kubernetes objects of no deployment, or of a failed one
 *   returnFailedReservation a failed deployment that still holds GPUs
 *   returnPausedReservation a paused one that still holds them after its pause execution ended
 *   releaseNodesOf          GPU nodes nobody needs (the workflows' safe release)
 *   repairLedgerDrift       a GPU ledger that disagrees with the records, twice in a row
 *   moveStrandedCaches      a Ready deployment's PVC model cache in another AZ than its new node
 *
 * One failing step never stops the others; its error lands in the report. Over 300 lines: one
 * pass read top to bottom, each repair a small function (split by repair if it grows further).
 */
import { logger } from '../commons/logger';
import { INVENTORY, type GpuConfig } from '../../contract/catalog';
import { workloadName, type DeploymentRecord, type DeploymentStatus } from '../domain/deployment';
import { ConflictError, formatFailure, type Failure } from '../domain/errors';
import { isInFlight, markFailed } from '../domain/lifecycle';
import { LABELS, managedSelector } from '../domain/manifests';
import { countInstances } from '../domain/pod-status';
import { instanceCountsStale, judgeLedger, judgeOperation } from '../domain/reconcile';
import { isStaleWrite, type DeploymentKey, type ManagedObject, type Ports, type Reservation, type ServingEndpoint } from '../ports';
import { deploymentModelOf } from './catalog';
import { restartDelete } from './deployments';
import { releaseIdleNodesOf } from './release-nodes';
import { moveStrandedCaches, podsByDeployment, type CacheMoved, type DeploymentPods } from './stranded-caches';

/** `serving.namespace`: where a stranded model cache claim is applied again. */
export type ReconcilePorts = Pick<Ports, 'deployments' | 'ledger' | 'workflows' | 'cluster' | 'nodeGroups' | 'clock' | 'catalog'> & { serving: Pick<ServingEndpoint, 'namespace'> };

export interface ReconcileReport {
  /** In-flight deployments whose execution died, and what was done. */
  stuck_repaired: { id: string; org_id: string; project_id: string; action: 'marked_failed' | 'delete_restarted'; reason: string }[];
  /** Deploys and scales running past their hard deadline, stopped (repaired once settled). */
  overdue_stopped: { id: string; execution_arn: string; running_seconds: number; deadline_seconds: number }[];
  orphan_objects_deleted: { kind: ManagedObject['kind']; name: string; deployment_id: string; why: 'no_record' | 'deployment_failed' }[];
  /** Failed deployments that still held GPUs in the ledger. */
  reservations_returned: { id: string; gpu_config_id: string; gpus: number }[];
  nodes_released: { gpu_config_id: string; node_group: string; instance_id: string }[];
  /** Desired sizes no instance backed (failed launches), lowered to the instances that exist. */
  desired_lowered: { gpu_config_id: string; node_group: string; from: number; to: number }[];
  ledger_repaired: { gpu_config_id: string; from: number; to: number }[];
  /** Ready deployments whose recorded instance counts no longer matched their pods. */
  instances_refreshed: { id: string; from: { running: number; pending: number }; to: { running: number; pending: number } }[];
  /** Ready deployments whose PVC model cache was stranded in another AZ than their node, moved (stranded-caches.ts). */
  model_caches_moved: CacheMoved[];
  checked: {
    in_flight: number;
    managed_objects: number;
    /** Managed objects without the deployment, org and project labels: left alone. */
    unattributed_objects: string[];
    gpu_configs: number;
    /** Operations to look at again next run (not started yet, just ended). */
    settling: { id: string; why: string }[];
    slow_deletes: { id: string; running_seconds: number }[];
    /** GPU configs whose nodes were left alone because an operation on them is in flight. */
    node_release_deferred: string[];
    /** Drift seen but not yet confirmed by a second sighting. */
    ledger_drift_pending: { gpu_config_id: string; ledger: number; records: number; since: string }[];
    errors: { step: string; target: string; message: string }[];
  };
}

const emptyReport = (): ReconcileReport => ({
  stuck_repaired: [],
  overdue_stopped: [],
  orphan_objects_deleted: [],
  reservations_returned: [],
  nodes_released: [],
  desired_lowered: [],
  ledger_repaired: [],
  instances_refreshed: [],
  model_caches_moved: [],
  checked: {
    in_flight: 0,
    managed_objects: 0,
    unattributed_objects: [],
    gpu_configs: 0,
    settling: [],
    slow_deletes: [],
    node_release_deferred: [],
    ledger_drift_pending: [],
    errors: [],
  },
});

/** Runs one step; a failure is recorded in the report and the pass goes on. */
const attempt = async <T>(report: ReconcileReport, step: string, target: string, fn: () => Promise<T>): Promise<T | undefined> => {
  try {
    return await fn();
  } catch (error) {
    const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    report.checked.errors.push({ step, target, message: message.slice(0, 500) });
    logger.warn('reconcile step failed', { step, target, error: error as Error });
    return undefined;
  }
};

export const reconcile = async (ports: ReconcilePorts, at: Date = ports.clock.now()): Promise<ReconcileReport> => {
  const { deployments } = ports;
  const report = emptyReport();
  const inFlightConfigs = new Set<string>();

  const inFlight = (await attempt(report, 'list_in_flight', 'in-flight index', () => deployments.inFlight())) ?? [];
  report.checked.in_flight = inFlight.length;
  for (const key of inFlight) {
    await attempt(report, 'stuck_deployment', key.id, () => repairStuckDeployment(ports, key, at, report, inFlightConfigs));
  }

  await attempt(report, 'orphan_objects', 'model namespace', () => deleteOrphanObjects(ports, report));
  const pods = await attempt(report, 'list_pods', 'model namespace', async () => podsByDeployment(await ports.cluster.listPods(managedSelector)));
  if (pods) {
    await attempt(report, 'instance_counts', 'model namespace', () => refreshInstanceCounts(ports, pods, report, at));
    await attempt(report, 'model_caches', 'model namespace', async () => report.model_caches_moved.push(...(await moveStrandedCaches(ports, pods, at))));
  }

  for (const config of INVENTORY.gpu_configs) {
    report.checked.gpu_configs += 1;
    const holders = await attempt(report, 'reservations', config.config_id, () => deployments.reservationsOn(config.config_id));
    if (holders === undefined) continue;
    for (const holder of holders.filter((h) => h.status === 'failed' && h.reserved_gpus > 0)) {
      await attempt(report, 'failed_reservation', holder.id, () => returnFailedReservation(ports, holder, config, report));
    }
    for (const holder of holders.filter((h) => h.phase === 'paused' && h.reserved_gpus > 0)) {
      await attempt(report, 'paused_reservation', holder.id, () => returnPausedReservation(ports, holder, config, report));
    }
    if (inFlightConfigs.has(config.config_id)) report.checked.node_release_deferred.push(config.config_id);
    else await attempt(report, 'release_nodes', config.config_id, () => releaseNodesOf(ports, config, report));
    await attempt(report, 'ledger', config.config_id, () => repairLedgerDrift(ports, config, at, report));
  }
  return report;
};

/**
 * An in-flight deployment is judged by its own execution, re-read consistently (the index
 * may lag) and written back conditionally on the version read before DescribeExecution: if
 * anything wrote since, the write fails and this run leaves it alone.
 */
const repairStuckDeployment = async (
  ports: ReconcilePorts,
  key: DeploymentKey,
  at: Date,
  report: ReconcileReport,
  inFlightConfigs: Set<string>,
): Promise<void> => {
  const record = await ports.deployments.get(key, key.id);
  if (!record || !isInFlight(record.phase)) return;
  const [execution, model] = await Promise.all([ports.workflows.describe(record.execution_arn), deploymentModelOf(ports, record)]);
  const verdict = judgeOperation(record, execution, at, ports.clock.timeScale, model);
  // Until repaired, an operation on this GPU config may still want its nodes.
  if (verdict.kind !== 'lost') inFlightConfigs.add(record.gpu_config_id);
  switch (verdict.kind) {
    case 'alive':
      return;
    case 'settling':
      report.checked.settling.push({ id: record.id, why: verdict.why });
      return;
    case 'slow_delete':
      report.checked.slow_deletes.push({ id: record.id, running_seconds: verdict.runningSeconds });
      return;
    case 'overdue':
      await stopOverdueOperation(ports, record, verdict.runningSeconds, verdict.deadlineSeconds);
      report.overdue_stopped.push({
        id: record.id,
        execution_arn: record.execution_arn,
        running_seconds: verdict.runningSeconds,
        deadline_seconds: verdict.deadlineSeconds,
      });
      return;
    case 'lost': {
      const restart = record.status === 'terminating';
      const reason = formatFailure(verdict.failure);
      const repaired = restart ? await restartLostDelete(ports, record, at, reason) : await failLostOperation(ports, record, at, verdict.failure);
      // A record that moved on, or a new delete execution, may still want the nodes.
      if (!repaired || restart) inFlightConfigs.add(record.gpu_config_id);
      if (!repaired) return;
      report.stuck_repaired.push({
        id: record.id,
        org_id: record.org_id,
        project_id: record.project_id,
        action: restart ? 'delete_restarted' : 'marked_failed',
        reason,
      });
      return;
    }
  }
};

/**
 * Its workflow's own deadlines should have failed it long ago. Stopping it is all this run
 * does: once the execution has been over for SETTLE_SECONDS, a later run repairs it as lost.
 */
const stopOverdueOperation = ({ workflows }: ReconcilePorts, record: DeploymentRecord, runningSeconds: number, deadlineSeconds: number) =>
  workflows.stop(
    record.execution_arn,
    `stopped by the reconcile: running ${runningSeconds} s, past the hard deadline of ${deadlineSeconds} s`,
    'DeadlineExceeded',
  );

/**
 * A deploy or scale nobody runs any more: record `failed` (conditional on the version read
 * and on the same execution), remove its workload, and give its GPUs back exactly once.
 * Returns false if the record moved on meanwhile.
 */
const failLostOperation = async (ports: ReconcilePorts, record: DeploymentRecord, at: Date, failure: Failure): Promise<boolean> => {
  const { deployments } = ports;
  try {
    const failed = markFailed(record, at, failure);
    await deployments.update(record, record.id, failed.changes, { version: record.version, executionArn: record.execution_arn }, {
      now: at,
      event: failed.event,
    });
  } catch (error) {
    if (isStaleWrite(error)) return false;
    throw error;
  }
  await ports.cluster.deleteWorkloadObjects(workloadName(record.id));
  const taken = await deployments.takeReservation(record, record.id, record.execution_arn);
  await ports.ledger.release(record.gpu_config_id, taken.gpus);
  return true;
};

/** A delete whose execution died: a new delete execution takes over (conditional hand-over). */
const restartLostDelete = async (ports: ReconcilePorts, record: DeploymentRecord, at: Date, reason: string): Promise<boolean> => {
  try {
    await restartDelete(ports, record, at, reason);
    return true;
  } catch (error) {
    if (error instanceof ConflictError) return false;
    throw error;
  }
};

/**
 * Managed objects whose deployment has no record (deleted, or never written), or whose
 * record is `failed` (a failed deployment holds nothing), are deleted: exactly the object
 * listed, by uid. Objects of any other record are never touched.
 */
const deleteOrphanObjects = async ({ cluster, deployments }: ReconcilePorts, report: ReconcileReport): Promise<void> => {
  const objects = await cluster.listManagedObjects(managedSelector);
  report.checked.managed_objects = objects.length;
  const byDeployment = new Map<string, { tenant: { org_id: string; project_id: string }; objects: ManagedObject[] }>();
  for (const object of objects) {
    const id = object.labels[LABELS.deploymentId];
    const org = object.labels[LABELS.org];
    const project = object.labels[LABELS.project];
    if (!id || !org || !project) {
      report.checked.unattributed_objects.push(`${object.kind}/${object.name}`);
      continue;
    }
    const entry = byDeployment.get(id) ?? { tenant: { org_id: org, project_id: project }, objects: [] };
    entry.objects.push(object);
    byDeployment.set(id, entry);
  }
  for (const [id, { tenant, objects: owned }] of byDeployment) {
    const record = await deployments.get(tenant, id);
    const why = orphanReason(record?.status);
    if (why === undefined) continue;
    for (const object of owned) {
      const outcome = await attempt(report, 'delete_object', `${object.kind}/${object.name}`, () => cluster.deleteManagedObject(object));
      if (outcome === 'deleted') report.orphan_objects_deleted.push({ kind: object.kind, name: object.name, deployment_id: id, why });
    }
  }
};

/**
 * Brings `instances` of resting ready deployments back in line with their pods (one pod list
 * for the namespace), each write conditional on the version read: a workflow that wrote
 * meanwhile wins and this run leaves the record alone. A deployment with no pod at all is not
 * in the list, so its counts stay as last recorded (docs/seed-features.md).
 */
const refreshInstanceCounts = async ({ deployments }: ReconcilePorts, byDeployment: ReadonlyMap<string, DeploymentPods>, report: ReconcileReport, at: Date): Promise<void> => {
  for (const [id, { tenant, pods: owned }] of byDeployment) {
    const record = await deployments.get(tenant, id);
    const counts = countInstances(owned);
    if (!record || !instanceCountsStale(record, counts)) continue;
    try {
      await deployments.update(record, id, { instances: { ...counts, observed_at: at.toISOString() } }, { version: record.version }, { now: at });
    } catch (error) {
      if (isStaleWrite(error)) continue;
      throw error;
    }
    report.instances_refreshed.push({ id, from: { running: record.instances?.running ?? 0, pending: record.instances?.pending ?? 0 }, to: counts });
  }
};

const orphanReason = (status: DeploymentStatus | undefined): 'no_record' | 'deployment_failed' | undefined => {
  if (status === undefined) return 'no_record';
  if (status === 'failed') return 'deployment_failed';
  return undefined;
};

/**
 * A failed deployment that still holds GPUs (a crash between recording the failure and
 * giving the GPUs back): takeReservation is atomic, so whoever takes it first releases them.
 */
const returnFailedReservation = async ({ deployments, ledger }: ReconcilePorts, holder: Reservation, config: GpuConfig, report: ReconcileReport): Promise<void> => {
  const taken = await deployments.takeReservation(holder, holder.id, holder.execution_arn);
  if (taken.gpus <= 0) return;
  await ledger.release(config.config_id, taken.gpus);
  report.reservations_returned.push({ id: holder.id, gpu_config_id: config.config_id, gpus: taken.gpus });
};

/**
 * A paused deployment keeps its GPUs only while its pause execution waits out the release
 * delay; that execution gives them back at its end. Still holding them once the execution is
 * over (stopped, failed, or lost in a crash during the delay) means nobody ever will: give them
 * back as the execution would have. takeReservation is conditional on that execution still
 * owning the record, so a resume that took over meanwhile keeps its reservation.
 */
const returnPausedReservation = async (ports: ReconcilePorts, holder: Reservation, config: GpuConfig, report: ReconcileReport): Promise<void> => {
  const execution = await ports.workflows.describe(holder.execution_arn);
  if (execution.status === 'RUNNING' || execution.status === 'PENDING_REDRIVE') return;
  await returnFailedReservation(ports, holder, config, report);
};

const releaseNodesOf = async (ports: ReconcilePorts, config: GpuConfig, report: ReconcileReport): Promise<void> => {
  const result = await releaseIdleNodesOf(ports, config.config_id, { lowerUnlaunchedDesired: true });
  for (const instanceId of result.released) {
    report.nodes_released.push({ gpu_config_id: config.config_id, node_group: config.node_group.name, instance_id: instanceId });
  }
  if (result.desired_lowered) report.desired_lowered.push({ gpu_config_id: config.config_id, node_group: config.node_group.name, ...result.desired_lowered });
};

/**
 * The ledger should equal the sum of the records' reserved_gpus. Reservations move the ledger
 * before the record and releases move it after, so a single sighting may be a reservation
 * or release in flight: only the same drift seen twice, LEDGER_CONFIRM_SECONDS apart, with
 * the ledger untouched in between, is repaired (and only if it still holds what was judged).
 */
const repairLedgerDrift = async ({ deployments, ledger, clock }: ReconcilePorts, config: GpuConfig, at: Date, report: ReconcileReport): Promise<void> => {
  const state = await ledger.read(config.config_id);
  const holders = await deployments.reservationsOn(config.config_id);
  const records = holders.reduce((sum, h) => sum + h.reserved_gpus, 0);
  const verdict = judgeLedger({ ledger: state.reservedGpus, ledgerUpdatedAt: state.updatedAt, records, previous: state.driftObserved }, at, clock.timeScale);
  switch (verdict.kind) {
    case 'in_sync':
      if (state.driftObserved) await ledger.recordDrift(config.config_id, null);
      return;
    case 'observe':
      await ledger.recordDrift(config.config_id, verdict.observation);
      report.checked.ledger_drift_pending.push({ gpu_config_id: config.config_id, ledger: state.reservedGpus, records, since: verdict.observation.at });
      return;
    case 'wait':
      report.checked.ledger_drift_pending.push({ gpu_config_id: config.config_id, ledger: state.reservedGpus, records, since: verdict.since });
      return;
    case 'repair':
      if (await ledger.repair(config.config_id, verdict.to, state)) {
        report.ledger_repaired.push({ gpu_config_id: config.config_id, from: verdict.from, to: verdict.to });
      }
      return;
  }
};
