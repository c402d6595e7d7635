/**
 * Polls the model's pods until every replica is Ready. Fails fast, with a classified
 * reason, on image pull errors, crash loops (with the last log lines), OOM kills, refused
 * model downloads, and when the model's startup budget has passed.
 */
import { elapsedSeconds, now } from '../adapters/clock';
import { updateDeployment } from '../adapters/deployment-repository';
import { listPods, podLogTail, readDeploymentStatus } from '../adapters/kubernetes';
import { asSuperseded, ownedDeployment, workflowTask, type TaskInput } from '../commons/workflow';
import { findCatalogModel, weightsGiB } from '../domain/catalog';
import { workloadName, type DeploymentPhase } from '../domain/deployment';
import { DeploymentFailedError } from '../domain/errors';
import { deploymentSelector, startupBudgetSeconds } from '../domain/manifests';
import { classifyPods, mentionsModelAccessDenied } from '../domain/pod-status';
import { nextPollSeconds } from '../domain/polling';
import type { WorkloadWait } from './apply-workload';

/** Scheduling and image pull get this long before the model's own startup budget starts. */
export const SCHEDULING_BUDGET_SECONDS = 1200;
const LOG_LINES = 8;

/** Typical seconds from apply to Ready: image pull, engine start, weights at ~0.25 s/GiB. */
export const expectedStartSeconds = (weightsGib: number): number => Math.round(60 + 10 + 4 * weightsGib);

export const checkWorkload = async (input: TaskInput & { workload: WorkloadWait }): Promise<WorkloadWait> => {
  const record = await ownedDeployment(input);
  const model = findCatalogModel(record.catalog_id);
  const weights = model ? weightsGiB(model) : 10;
  const status = await readDeploymentStatus(workloadName(record.id));
  if (!status.exists) throw new DeploymentFailedError('WorkloadMissing', `the model's Kubernetes Deployment disappeared`);
  const pods = await listPods(deploymentSelector(record.id));
  // After a scale-in, surplus pods must be gone too, or their nodes cannot be released.
  if (status.observedCurrent && status.desired === record.replicas && status.ready >= record.replicas && pods.length <= record.replicas) {
    return { ...input.workload, ready: true, wait_seconds: 0 };
  }
  const progress = classifyPods(pods);
  if (progress.kind === 'failed') {
    const log = progress.reason === 'CrashLoopBackOff' ? await podLogTail(progress.pod, LOG_LINES) : '';
    if (log && mentionsModelAccessDenied(log)) {
      throw new DeploymentFailedError('ModelAccessDenied', `Hugging Face refused the download of ${record.model_id} (gated model or missing token). Last log lines:\n${log}`);
    }
    throw new DeploymentFailedError(progress.reason, log ? `${progress.message}. Last log lines:\n${log}` : progress.message);
  }
  const elapsed = elapsedSeconds(input.workload.started_at);
  const budget = SCHEDULING_BUDGET_SECONDS + (model ? startupBudgetSeconds(model) : 3600);
  if (elapsed > budget) {
    throw new DeploymentFailedError('StartupTimeout', `replicas not ready after ${Math.round(elapsed)} s (budget ${budget} s); last state: ${progress.detail}`);
  }
  const phase: DeploymentPhase = progress.phase === 'loading_model' ? 'loading_model' : 'scheduling';
  if (record.operation === 'deploy' && record.phase !== phase) {
    await updateDeployment(record, record.id, { phase }, { executionArn: input.execution }, { now: now() }).catch(asSuperseded);
  }
  return { ...input.workload, ready: false, phase: progress.phase, wait_seconds: nextPollSeconds(elapsed, expectedStartSeconds(weights)) };
};

export const handler = workflowTask('check-workload', checkWorkload);
