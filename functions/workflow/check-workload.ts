/**
 * Polls the model's pods until every replica is Ready, stamping the cold-start milestones
 * on the way. Fails fast, with a classified reason, on image pull errors, crash loops (with
 * the last log lines), OOM kills, refused model downloads, and when a phase overruns its
 * deadline: unschedulable, image pull, or the model's load budget.
 */
import { elapsedSeconds, now } from '../adapters/clock';
import { coldStartSamples } from '../adapters/cold-start-stats';
import { updateDeployment } from '../adapters/deployment-records';
import { listPods, readDeploymentStatus, readPodLog } from '../adapters/kubernetes';
import { pollThroughTransientErrors } from '../commons/poll';
import { asSuperseded, ownedDeployment, workflowTask, type TaskInput } from '../commons/workflow';
import { weightsGiB, type CatalogModel } from '../../contract/catalog';
import { customLoadBudgetSeconds } from '../domain/custom-model';
import { workloadName, type DeploymentRecord } from '../domain/deployment';
import { DeploymentFailedError } from '../domain/errors';
import { enterPhase, milestonesReached } from '../domain/lifecycle';
import { deploymentSelector } from '../domain/manifests';
import { classifyPods, countInstances, mentionsModelAccessDenied, type RolloutProgress } from '../domain/pod-status';
import { MIN_POLL_SECONDS, planNextPoll, waitOrRetry } from '../domain/polling';
import { median } from '../domain/eta';
import { expectedStartSeconds, IMAGE_PULL_DEADLINE_SECONDS, modelLoadBudgetSeconds, UNSCHEDULABLE_DEADLINE_SECONDS } from '../domain/startup';
import { deploymentModelOf } from '../use-cases/catalog';
import { catalogStore } from '../wiring/catalog-store';
import type { WorkloadWait } from './apply-workload';

const LOG_LINES = 8;

type Progress = Extract<RolloutProgress, { kind: 'progress' }>;

const phaseDeadline = (progress: Progress, record: DeploymentRecord, model: CatalogModel | undefined): { seconds: number; reason: string; message: string } => {
  if (progress.phase === 'scheduling') {
    return { seconds: UNSCHEDULABLE_DEADLINE_SECONDS, reason: 'Unschedulable', message: `no node accepts the pod: ${progress.detail}` };
  }
  if (progress.phase === 'pulling_image') {
    return { seconds: IMAGE_PULL_DEADLINE_SECONDS, reason: 'ImagePullTimeout', message: 'the model server image is still not pulled' };
  }
  const budget = model ? modelLoadBudgetSeconds(model, record.initial_delay_seconds) : customLoadBudgetSeconds(record.custom ?? { model_size_gib: null }, record.initial_delay_seconds);
  return { seconds: budget, reason: 'ModelLoadTimeout', message: `the model did not finish loading (raise initial_delay_seconds if it needs longer)` };
};

export const checkWorkload = (input: TaskInput & { workload: WorkloadWait }): Promise<WorkloadWait> =>
  pollThroughTransientErrors(input.workload, () => checkWorkloadOnce(input));

const checkWorkloadOnce = async (input: TaskInput & { workload: WorkloadWait }): Promise<WorkloadWait> => {
  const record = await ownedDeployment(input);
  const status = await readDeploymentStatus(workloadName(record.id));
  if (!status.exists) throw new DeploymentFailedError('WorkloadMissing', `the model's Kubernetes Deployment disappeared`);
  const pods = await listPods(deploymentSelector(record.id));
  const counts = countInstances(pods);
  const countsChanged = counts.running !== record.instances?.running || counts.pending !== record.instances?.pending;
  // After a scale-in, surplus pods must be gone too, or their nodes cannot be released.
  if (status.observedCurrent && status.desired === record.replicas && status.ready >= record.replicas && pods.length <= record.replicas) {
    // A fast phase can start and end between two polls: the pods went through it all the
    // same, so stamp what was not seen (ready itself is stamped by mark-ready, after this).
    const skipped = record.operation === 'deploy' ? milestonesReached(record, 'loading_model') : [];
    // The counts are written at every ready, so observed_at tells when they were last confirmed.
    const at = now();
    await updateDeployment(record, record.id, { instances: { ...counts, observed_at: at.toISOString() } }, { executionArn: input.execution }, {
      now: at,
      milestones: skipped,
    }).catch(asSuperseded);
    return { ...input.workload, ready: true, wait_seconds: 0 };
  }
  const progress = classifyPods(pods);
  if (progress.kind === 'failed') {
    // The crashed run's log: `previous`, because by the time we read it the kubelet may
    // already have restarted the container, whose fresh log has no traceback yet.
    const log = progress.reason === 'CrashLoopBackOff' ? (await readPodLog(progress.pod, { tailLines: LOG_LINES, previous: true })).log : '';
    if (log && mentionsModelAccessDenied(log)) {
      throw new DeploymentFailedError('ModelAccessDenied', `Hugging Face refused the download of ${record.model_id} (gated model or missing token). Last log lines:\n${log}`);
    }
    throw new DeploymentFailedError(progress.reason, log ? `${progress.message}. Last log lines:\n${log}` : progress.message);
  }

  const model = await deploymentModelOf({ catalog: catalogStore }, record);
  const at = now();
  const phaseSince = input.workload.phase === progress.phase && input.workload.phase_since ? input.workload.phase_since : at.toISOString();
  const inPhase = elapsedSeconds(phaseSince, at);
  const deadline = phaseDeadline(progress, record, model);
  if (inPhase > deadline.seconds) {
    throw new DeploymentFailedError(deadline.reason, `${deadline.message} after ${Math.round(inPhase)} s (deadline ${deadline.seconds} s)`);
  }

  const entered = enterPhase(record, progress.phase, progress.detail);
  if (entered.event || entered.milestones.length > 0 || countsChanged) {
    const changes = { ...entered.changes, ...(countsChanged ? { instances: { ...counts, observed_at: at.toISOString() } } : {}) };
    await updateDeployment(record, record.id, changes, { executionArn: input.execution }, {
      now: at,
      milestones: entered.milestones,
      event: entered.event,
    }).catch(asSuperseded);
  }
  const expected = await expectedSecondsFromApply(record, model, input.workload.started_at);
  const plan = planNextPoll(elapsedSeconds(input.workload.started_at, at), expected);
  // A phase change is returned (not retried) so the state keeps when the new phase began.
  if (plan.kind === 'retry' && input.workload.phase === progress.phase) waitOrRetry(plan, 'model');
  return {
    ...input.workload,
    ready: false,
    phase: progress.phase,
    phase_since: phaseSince,
    wait_seconds: plan.kind === 'wait' ? plan.seconds : MIN_POLL_SECONDS,
  };
};

/**
 * Cluster seconds from apply to Ready this deploy should take: from the median of recent
 * cold starts of the same model on the same GPU config when there are some (minus the time
 * this one took to get to apply), else from the model's size.
 */
const expectedSecondsFromApply = async (record: DeploymentRecord, model: CatalogModel | undefined, appliedAt: string): Promise<number> => {
  const fromSize = expectedStartSeconds(model ? weightsGiB(model) : (record.custom?.model_size_gib ?? 10));
  if (record.operation !== 'deploy' || !record.timeline?.accepted) return fromSize;
  const samples = await coldStartSamples(record.catalog_id, record.gpu_config_id);
  if (samples.length === 0) return fromSize;
  return Math.max(0, median(samples) - elapsedSeconds(record.timeline.accepted, new Date(appliedAt)));
};

export const handler = workflowTask('check-workload', checkWorkload);
