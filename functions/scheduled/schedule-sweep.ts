/**
 * The schedule sweeper, every minute (contract/schedules.ts): EventBridge Scheduler
 * in AWS, the local cron in the local cloud. It works at the event's `time` (EventBridge
 * Scheduler passes its scheduled time; the local cron its firing time, or the time a test asks
 * for: that is how a test runs a day of windows in milliseconds); the work is in
 * use-cases/schedule-sweep.ts. The time budget leaves a margin before the Lambda
 * timeout: whatever is left stays due and the next sweep takes it.
 */
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logger } from '../commons/logger';
import { metrics, metricsEnabled } from '../commons/observability';
import { scheduledTask, scheduledTime } from '../commons/workflow';
import { sweepSchedules as sweep, type SweepOptions, type SweepReport } from '../use-cases/schedule-sweep';
import { capacityLedger } from '../wiring/capacity-ledger';
import { clock } from '../wiring/clock';
import { deploymentStore } from '../wiring/deployment-store';
import { loadSignals } from '../wiring/load-signals';
import { servingMetrics } from '../wiring/serving-metrics';
import { workflowEngine } from '../wiring/workflow-engine';

const MARGIN_MS = 30_000;

const ports = { deployments: deploymentStore, ledger: capacityLedger, workflows: workflowEngine, clock, servingMetrics, loadSignals };

/** One sweep at `now` with the production ports (also what a test drives directly). */
export const sweepSchedules = (now: Date, options: SweepOptions = {}): Promise<SweepReport> => sweep(ports, now, options);

export const handler = scheduledTask('schedule-sweep', async (event, context): Promise<SweepReport> => {
  const now = scheduledTime(event) ?? clock.now();
  const budgetMs = context ? Math.max(5_000, context.getRemainingTimeInMillis() - MARGIN_MS) : undefined;
  const report = await sweepSchedules(now, budgetMs === undefined ? {} : { budgetMs });
  if (metricsEnabled) {
    metrics.addMetric('ScheduleScales', MetricUnit.Count, report.scaled.length);
    metrics.addMetric('ScheduleDeferred', MetricUnit.Count, report.deferred.length);
    metrics.addMetric('ScheduleErrors', MetricUnit.Count, report.errors.length);
  }
  const summary = { ...report, scaled: report.scaled.slice(0, 50), deferred: report.deferred.slice(0, 50), errors: report.errors.slice(0, 50) };
  if (report.errors.length > 0 || report.left_over > 0) logger.warn('schedule sweep', { report: summary });
  else logger.info('schedule sweep', { report: summary });
  return report;
});
