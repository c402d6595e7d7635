/**
 * The model's workload: apply its objects, then poll its pods until every replica is Ready.
 *
 * Apply: the Deployment and Service (server-side apply: idempotent), and before them the Secret
 * with its Hugging Face token (read by ARN; the token never leaves this task), the Secret with the
 * model server's own key (the inference gateway's upstream credential) and the PVC model cache of
 * a custom model with `storage_size`.
 *
 * Check: stamps the cold-start milestones on the way, and fails fast, with a classified reason,
 * on image pull errors, crash loops (with the last log lines), OOM kills, refused model
 * downloads, and when a phase overruns its deadline: unschedulable, image pull, or the model's
 * load budget, or when the API server keeps refusing the pods for a minute (ReplicaFailure,
 * FailedCreate). A PVC model cache stranded in another AZ than the node is provisioned again.
 */
import { findGpuConfig, weightsGiB, type CatalogModel } from '../../../contract/catalog';
import { pollThroughTransientErrors } from '../../commons/poll';
import { customLoadBudgetSeconds } from '../../domain/custom-model';
import { workloadName, type DeploymentRecord } from '../../domain/deployment';
import { DeploymentFailedError } from '../../domain/errors';
import { median } from '../../domain/eta';
import { enterPhase, milestonesReached } from '../../domain/lifecycle';
import { deploymentSelector, renderApiKeySecret, renderModelCacheClaim, renderModelWorkload, renderTokenSecret } from '../../domain/manifests';
import { cacheReprovisioned, cacheStrandedInAnotherZone } from '../../domain/model-cache';
import { classifyPods, countInstances, mentionsModelAccessDenied, type RolloutProgress } from '../../domain/pod-status';
import { MIN_POLL_SECONDS, planNextPoll, waitOrRetry } from '../../domain/polling';
import { expectedStartSeconds, IMAGE_PULL_DEADLINE_SECONDS, modelLoadBudgetSeconds, POD_CREATE_REFUSED_DEADLINE_SECONDS, UNSCHEDULABLE_DEADLINE_SECONDS } from '../../domain/startup';
import type { Ports, ServingEndpoint } from '../../ports';
import { deploymentModelOf } from '../catalog';
import { moveModelCache } from './model-cache';
import { asSuperseded, ownedDeployment } from '../ownership';
import type { TaskInput, WorkloadWait } from '../../../contract/execution-state';

export const applyWorkload = async (ports: Pick<Ports, 'deployments' | 'catalog' | 'cluster' | 'secrets' | 'clock' | 'serving' | 'gatewaySecrets'>, input: TaskInput): Promise<WorkloadWait> => {
  const { cluster, serving, clock } = ports;
  const record = await ownedDeployment(ports, input);
  const model = await deploymentModelOf(ports, record); // admin-added and retired models too; none for a custom model
  const config = findGpuConfig(record.gpu_config_id);
  if ((!model && !record.custom) || !config) throw new DeploymentFailedError('UnknownModel', `catalog model ${record.catalog_id} or gpu config ${record.gpu_config_id} is gone`);
  await cluster.ensureNamespace();
  const secretArn = record.hf_token_secret_arn;
  const secret = typeof secretArn === 'string' ? renderTokenSecret(record, await ports.secrets.read(secretArn), serving.namespace) : undefined;
  // Rewritten on every apply (same value: derived from the master secret and the deployment id), so a lost Secret comes back.
  const apiKeySecret = renderApiKeySecret(record, await ports.gatewaySecrets.modelServerKey(record.id), serving.namespace);
  await cluster.applyObjects({ ...renderModelWorkload(record, model, config, serving.namespace, serving.ingress, serving.image), apiKeySecret, ...(secret ? { secret } : {}) });
  const scheduling = enterPhase(record, 'scheduling', 'Kubernetes objects applied');
  if (scheduling.event) {
    await ports.deployments
      .update(record, record.id, scheduling.changes, { executionArn: input.execution }, { now: clock.now(), event: scheduling.event, milestones: scheduling.milestones })
      .catch(asSuperseded);
  }
  return { started_at: clock.now().toISOString(), ready: false, wait_seconds: 2, replicas: record.replicas };
};

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

/** `serving.namespace`: where the model cache claim is applied again when it has to move (model-cache.ts). */
type CheckPorts = Pick<Ports, 'deployments' | 'catalog' | 'cluster' | 'coldStarts' | 'clock' | 'transientErrors'> & { serving: Pick<ServingEndpoint, 'namespace'> };

export const checkWorkload = (ports: CheckPorts, input: TaskInput & { workload: WorkloadWait }): Promise<WorkloadWait> =>
  pollThroughTransientErrors(input.workload, () => checkWorkloadOnce(ports, input), ports.transientErrors.isTransient);

const checkWorkloadOnce = async (ports: CheckPorts, input: TaskInput & { workload: WorkloadWait }): Promise<WorkloadWait> => {
  const { cluster, clock, deployments } = ports;
  const record = await ownedDeployment(ports, input);
  const status = await cluster.readWorkloadStatus(workloadName(record.id));
  if (!status.exists) throw new DeploymentFailedError('WorkloadMissing', `the model's Kubernetes Deployment disappeared`);
  const pods = await cluster.listPods(deploymentSelector(record.id));
  const counts = countInstances(pods);
  const countsChanged = counts.running !== record.instances?.running || counts.pending !== record.instances?.pending;
  // After a scale-in, surplus pods must be gone too, or their nodes cannot be released.
  if (status.observedCurrent && status.desired === record.replicas && status.ready >= record.replicas && pods.length <= record.replicas) {
    // A fast phase can start and end between two polls: the pods went through it all the
    // same, so stamp what was not seen (ready itself is stamped by mark-ready, after this).
    const skipped = record.operation === 'deploy' ? milestonesReached(record, 'loading_model') : [];
    // The counts are written at every ready, so observed_at tells when they were last confirmed.
    const at = clock.now();
    await deployments
      .update(record, record.id, { instances: { ...counts, observed_at: at.toISOString() } }, { executionArn: input.execution }, { now: at, milestones: skipped })
      .catch(asSuperseded);
    return { ...input.workload, ready: true, wait_seconds: 0 };
  }
  if (status.replicaFailure) {
    const refusedFor = clock.elapsedSeconds(status.replicaFailure.since, clock.now());
    if (refusedFor >= POD_CREATE_REFUSED_DEADLINE_SECONDS) {
      throw new DeploymentFailedError('FailedCreate', `Kubernetes refuses to create the model's pods (ReplicaFailure for ${Math.round(refusedFor)} s): ${status.replicaFailure.message}`);
    }
  }
  const progress = classifyPods(pods);
  if (progress.kind === 'failed') {
    // The crashed run's log: `previous`, because by the time we read it the kubelet may
    // already have restarted the container, whose fresh log has no traceback yet.
    const log = progress.reason === 'CrashLoopBackOff' ? (await cluster.readPodLog(progress.pod, { tailLines: LOG_LINES, previous: true })).log : '';
    if (log && mentionsModelAccessDenied(log)) {
      throw new DeploymentFailedError('ModelAccessDenied', `Hugging Face refused the download of ${record.model_id} (gated model or missing token). Last log lines:\n${log}`);
    }
    throw new DeploymentFailedError(progress.reason, log ? `${progress.message}. Last log lines:\n${log}` : progress.message);
  }

  const model = await deploymentModelOf(ports, record);
  const at = clock.now();
  const phaseSince = input.workload.phase === progress.phase && input.workload.phase_since ? input.workload.phase_since : at.toISOString();
  const inPhase = clock.elapsedSeconds(phaseSince, at);
  const deadline = phaseDeadline(progress, record, model);
  if (inPhase > deadline.seconds) {
    throw new DeploymentFailedError(deadline.reason, `${deadline.message} after ${Math.round(inPhase)} s (deadline ${deadline.seconds} s)`);
  }

  // A cache volume in another AZ than the node: provision it again (domain/model-cache.ts), the deadline still running.
  const cacheClaim = renderModelCacheClaim(record, ports.serving.namespace);
  const replacing = input.workload.cache_claim_replacing;
  if (cacheClaim && (replacing !== undefined || cacheStrandedInAnotherZone(pods))) {
    const move = await moveModelCache(cluster, cacheClaim, replacing);
    if (move.deleted) {
      await deployments
        .update(record, record.id, {}, { executionArn: input.execution }, { now: at, event: cacheReprovisioned(workloadName(record.id)) })
        .catch(asSuperseded);
    }
    const { cache_claim_replacing: _done, ...workload } = input.workload;
    return { ...workload, ...(move.done ? {} : { cache_claim_replacing: move.replacing }), ready: false, phase: progress.phase, phase_since: phaseSince, wait_seconds: MIN_POLL_SECONDS };
  }

  const entered = enterPhase(record, progress.phase, progress.detail);
  if (entered.event || entered.milestones.length > 0 || countsChanged) {
    const changes = { ...entered.changes, ...(countsChanged ? { instances: { ...counts, observed_at: at.toISOString() } } : {}) };
    await deployments
      .update(record, record.id, changes, { executionArn: input.execution }, { now: at, milestones: entered.milestones, event: entered.event })
      .catch(asSuperseded);
  }
  const expected = await expectedSecondsFromApply(ports, record, model, input.workload.started_at);
  const plan = planNextPoll(clock.elapsedSeconds(input.workload.started_at, at), expected);
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
const expectedSecondsFromApply = async (ports: CheckPorts, record: DeploymentRecord, model: CatalogModel | undefined, appliedAt: string): Promise<number> => {
  const fromSize = expectedStartSeconds(model ? weightsGiB(model) : (record.custom?.model_size_gib ?? 10));
  if (record.operation !== 'deploy' || !record.timeline?.accepted) return fromSize;
  const samples = await ports.coldStarts.samples(record.catalog_id, record.gpu_config_id);
  if (samples.length === 0) return fromSize;
  return Math.max(0, median(samples) - ports.clock.elapsedSeconds(record.timeline.accepted, new Date(appliedAt)));
};
