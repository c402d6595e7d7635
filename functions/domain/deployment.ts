// Type-only: a Lambda that reads records does not build the API's schemas at cold start.
import type { DEPLOYMENT_PHASES, DEPLOYMENT_STATUSES, DeploymentView, Eta } from '../../contract/api-schemas';
import { MILESTONES } from '../../contract/milestones';
import { findGpuConfig } from '../../contract/catalog';
import type { Schedule, ScheduleState } from './schedule';
import type { LoadScaling } from '../../contract/requests/scale';
import { figures, totalsAt, type Usage } from './usage';

/**
 * The deployment record as stored, its lifecycle vocabulary, and its API view.
 * Pure: no I/O, time comes in as an argument.
 */
export type DeploymentStatus = (typeof DEPLOYMENT_STATUSES)[number];

/** Fine-grained progress beside the contract's coarse status; `paused`: scaled to 0, GPUs and nodes given back after the release delay. */
export type DeploymentPhase = (typeof DEPLOYMENT_PHASES)[number];

export type Operation = 'deploy' | 'scale' | 'delete';

// The milestones and the view are the API's (contract/); named here too, beside the record.
export { MILESTONES };
export type { DeploymentView };
export type Milestone = (typeof MILESTONES)[number];
export type Timeline = Partial<Record<Milestone, string>>;

export interface ServingConfig {
  max_model_len: number;
  max_num_seqs: number;
  extra_args: string[];
  /** Keys the contract says are stored but have no effect. */
  [other: string]: unknown;
}

/** The range PUT …/scale (and scheduled scale-downs) must keep replicas in (domain/autoscaling.ts). */
export interface AutoscalingRange {
  min_replicas: number;
  max_replicas: number;
}

/**
 * Pods of the deployment as the workflow last saw them (check-workload, while polling and at
 * ready; record-failure zeroes them): `running` = Ready, `pending` = not Ready yet and not
 * terminating. Between operations the API does not re-read the cluster, so `observed_at` says how old
 * the counts are.
 */
export interface InstanceCounts {
  running: number;
  pending: number;
  observed_at: string | null;
}

export interface Tenant {
  org_id: string;
  project_id: string;
}

export interface DeploymentRecord extends Tenant {
  id: string;
  name: string;
  catalog_id: string;
  model_id: string;
  model_name: string;
  region: string;
  gpu_config_id: string;
  gpu_count: number;
  plan_id: string;
  config: ServingConfig;
  /** Desired replicas. */
  replicas: number;
  status: DeploymentStatus;
  phase: DeploymentPhase;
  fail_reason: string | null;
  endpoint_url: string | null;
  created_at: string;
  updated_at: string;
  /** When it most recently became ready; null while not ready. */
  ready_since: string | null;
  operation: Operation;
  /** The execution that currently owns the deployment; older executions are superseded. */
  execution_arn: string;
  /** Optimistic-lock counter, bumped by every write. */
  version: number;
  /** GPUs this deployment holds in its node group's capacity ledger (see capacity-ledger.ts). */
  reserved_gpus: number;
  /** Raises the model's startup budget (seconds), e.g. for a slow custom model. */
  initial_delay_seconds: number | null;
  timeline: Timeline;
  /** null: no range was set; replicas may be anything from 0 to MAX_REPLICAS. */
  autoscaling?: AutoscalingRange | null;
  /** The load autoscaler's settings (domain/autoscaling-policy.ts); absent or null: off, the range only bounds manual and scheduled scaling. */
  load_scaling?: LoadScaling | null;
  instances?: InstanceCounts;
  /** Serving time and GPU time so far (functions/domain/usage.ts); absent on older records. */
  usage?: Usage;
  /** Scaling windows and idle timeout (PUT …/schedule); absent when none. */
  schedule?: Schedule;
  /** What the schedule sweeper has handled (windows, idle counter). */
  schedule_state?: ScheduleState;
  // --- custom models and Hugging Face tokens (docs/custom-models.md) ---
  /** A model outside the catalog; absent for a catalog model. */
  custom?: CustomModel;
  /** ARN of the Secrets Manager secret that holds the deploy's `hf_token`; never the token itself. */
  hf_token_secret_arn?: string | null;
}

/** What a deploy outside the catalog asked for (POST with huggingface_id, or a YAML manifest). */
export interface CustomModel {
  source: 'api' | 'yaml';
  huggingface_id: string;
  revision: string | null;
  /** null: the control plane's vLLM image. */
  image: string | null;
  /** null: the image's entrypoint / the control plane's vLLM arguments. */
  command: string[] | null;
  args: string[] | null;
  /** Plain environment variables of a YAML manifest's container (no valueFrom). */
  env: { name: string; value: string }[];
  /** Size of the PVC model cache, a Kubernetes quantity ("50Gi"); null: an emptyDir cache. */
  storage_size: string | null;
  /** Declared size of the weights in GiB: the memory-fit check and the startup budget use it. */
  model_size_gib: number | null;
  tags: string[];
  display_name: string | null;
  description: string | null;
}

/** The custom-model fields of the API view: only present when they apply. */
export type CustomModelView = Partial<Omit<CustomModel, 'env'>> & { has_hf_token?: boolean };

export const customModelView = (record: Pick<DeploymentRecord, 'custom' | 'hf_token_secret_arn'>): CustomModelView => {
  const hasToken = typeof record.hf_token_secret_arn === 'string';
  if (!record.custom) return hasToken ? { has_hf_token: true } : {};
  const { env: _env, ...fields } = record.custom;
  return { ...fields, has_hf_token: hasToken };
};

export const NO_INSTANCES: InstanceCounts = { running: 0, pending: 0, observed_at: null };

/** Seconds since the deployment most recently became ready; 0 when it is not ready. */
export const uptimeSeconds = (record: Pick<DeploymentRecord, 'status' | 'ready_since'>, now: Date): number => {
  if (record.status !== 'ready' || record.ready_since === null) return 0;
  return Math.max(0, Math.floor((now.getTime() - Date.parse(record.ready_since)) / 1000));
};

/** The plan's price per GPU-hour (0 if the plan is no longer offered). */
export const unitPriceOf = (record: Pick<DeploymentRecord, 'gpu_config_id' | 'plan_id'>): number =>
  findGpuConfig(record.gpu_config_id)?.plans.find((p) => p.plan_id === record.plan_id)?.unit_price ?? 0;

/** The Step Functions console page of an execution. */
export const executionConsoleUrl = (executionArn: string): string => {
  const region = executionArn.split(':')[3] ?? 'us-east-1';
  return `https://${region}.console.aws.amazon.com/states/home?region=${region}#/v2/executions/details/${executionArn}`;
};

/** The range, plus the load autoscaler's settings and last decision when it is on (range-only views are as before). */
export const autoscalingView = (record: Pick<DeploymentRecord, 'autoscaling' | 'load_scaling' | 'schedule_state'>): DeploymentView['autoscaling'] => {
  if (!record.autoscaling) return null;
  if (!record.load_scaling) return record.autoscaling;
  const state = record.schedule_state?.autoscaler;
  return { ...record.autoscaling, enabled: true, ...record.load_scaling, desired_replicas: state?.desired ?? null, last_decision: state?.last_decision ?? null };
};

export const toDeploymentView = (record: DeploymentRecord, now: Date, eta: Eta | null = null): DeploymentView => ({
  id: record.id,
  name: record.name,
  project_id: record.project_id,
  model_id: record.model_id,
  model_name: record.model_name,
  region: record.region,
  status: record.status,
  endpoint_url: record.status === 'ready' ? record.endpoint_url : null,
  gpu_config_id: record.gpu_config_id,
  gpu_count: record.gpu_count,
  replicas: record.replicas,
  created_at: record.created_at,
  updated_at: record.updated_at,
  uptime_seconds: uptimeSeconds(record, now),
  ...figures(totalsAt(record.usage, now).closed, unitPriceOf(record)),
  phase: record.phase,
  fail_reason: record.fail_reason,
  config: record.config,
  plan_id: record.plan_id,
  initial_delay_seconds: record.initial_delay_seconds ?? null,
  timeline: record.timeline ?? {},
  eta: record.status === 'initializing' && record.phase !== 'paused' ? eta : null,
  autoscaling: autoscalingView(record),
  instances: record.instances ?? NO_INSTANCES,
  workflow: { execution_arn: record.execution_arn, console_url: executionConsoleUrl(record.execution_arn) },
  ...customModelView(record),
});

/** Kubernetes object name for a deployment: DNS-1123, unique per deployment id. */
export const workloadName = (deploymentId: string): string => `model-${deploymentId.replace(/^dep-/, '')}`;
