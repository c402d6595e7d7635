/**
 * The reconcile and leak audit, every few minutes (contract/schedules.ts): EventBridge
 * in AWS, the local cron in the local cloud. The work is in use-cases/reconcile.ts; this
 * handler runs it, emits the report as one structured log line (WARN when something was
 * repaired or a step failed, so a leak is visible) and as metrics, and returns it.
 */
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logger } from '../commons/logger';
import { metrics, metricsEnabled } from '../commons/observability';
import { scheduledTask, scheduledTime } from '../commons/workflow';
import { reconcile, type ReconcileReport } from '../use-cases/reconcile';
import { capacityLedger } from '../wiring/capacity-ledger';
import { catalogStore } from '../wiring/catalog-store';
import { clock } from '../wiring/clock';
import { cluster } from '../wiring/cluster';
import { deploymentStore } from '../wiring/deployment-store';
import { modelNamespace } from '../wiring/model-namespace';
import { nodeGroups } from '../wiring/node-groups';
import { workflowEngine } from '../wiring/workflow-engine';

const ports = { deployments: deploymentStore, ledger: capacityLedger, workflows: workflowEngine, cluster, nodeGroups, clock, catalog: catalogStore, serving: modelNamespace };

/** Metric names (dimension `task` = reconcile): what was found and repaired in one run. */
export const RECONCILE_METRIC = {
  repairs: 'ReconcileRepairs',
  errors: 'ReconcileErrors',
} as const;

const repairCount = (report: ReconcileReport): number =>
  report.stuck_repaired.length +
  report.overdue_stopped.length +
  report.orphan_objects_deleted.length +
  report.reservations_returned.length +
  report.nodes_released.length +
  report.desired_lowered.length +
  report.ledger_repaired.length +
  report.model_caches_moved.length;

/**
 * A run is dated by the clock, or by its event's time when that is later: EventBridge's time (the
 * scheduled second, truncated) is never ahead of the clock, so in AWS this is the clock; a test
 * dates a run ahead instead of sleeping past the reconcile's waiting periods.
 */
const runDate = (event: Parameters<typeof scheduledTime>[0]): Date => {
  const now = clock.now();
  const scheduled = scheduledTime(event);
  return scheduled && scheduled > now ? scheduled : now;
};

export const handler = scheduledTask('reconcile', async (event): Promise<ReconcileReport> => {
  const report = await reconcile(ports, runDate(event));
  const repairs = repairCount(report);
  const errors = report.checked.errors.length;
  if (metricsEnabled) {
    metrics.addMetric(RECONCILE_METRIC.repairs, MetricUnit.Count, repairs);
    metrics.addMetric(RECONCILE_METRIC.errors, MetricUnit.Count, errors);
  }
  if (repairs > 0 || errors > 0) logger.warn('reconcile report', { report });
  else logger.info('reconcile report', { report });
  return report;
});
