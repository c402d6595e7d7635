import { ledgerGpus } from './capacity';
import { customCatalogKey, isCustomSpec, type DeploySpec } from './custom-model';
import type { DeploymentRecord, Tenant } from './deployment';
import { accept } from './lifecycle';

/**
 * The record a validated deploy request starts as (lifecycle `accept`): initializing, its GPUs reserved. Pure.
 * A Hugging Face token is never part of it: only the ARN of the secret that holds it.
 */
export const newDeploymentRecord = (
  tenant: Tenant,
  spec: DeploySpec,
  identity: { id: string; executionArn: string; hfTokenSecretArn?: string },
  now: Date,
): DeploymentRecord => {
  const accepted = accept(isCustomSpec(spec) ? spec.custom.huggingface_id : spec.model.model_id);
  return {
    ...tenant,
    id: identity.id,
    name: spec.request.name,
    ...(isCustomSpec(spec)
      ? {
          catalog_id: customCatalogKey(spec.custom),
          model_id: spec.custom.huggingface_id,
          model_name: spec.custom.display_name ?? spec.custom.huggingface_id,
          custom: spec.custom,
        }
      : { catalog_id: spec.model.id, model_id: spec.model.model_id, model_name: spec.model.name }),
    region: spec.request.region,
    gpu_config_id: spec.gpuConfig.config_id,
    gpu_count: spec.request.gpu_count,
    plan_id: spec.plan.plan_id,
    config: spec.config,
    replicas: spec.replicas,
    ...accepted.changes,
    created_at: now.toISOString(),
    updated_at: now.toISOString(),
    execution_arn: identity.executionArn,
    version: 1,
    reserved_gpus: ledgerGpus(spec.request.gpu_count, spec.replicas, spec.gpuConfig.gpus_per_node),
    initial_delay_seconds: spec.request.initial_delay_seconds ?? null,
    timeline: Object.fromEntries(accepted.milestones.map((milestone) => [milestone, now.toISOString()])),
    autoscaling: spec.autoscaling ?? null,
    ...(spec.load_scaling ? { load_scaling: spec.load_scaling } : {}),
    instances: { running: 0, pending: 0, observed_at: now.toISOString() },
    ...(identity.hfTokenSecretArn === undefined ? {} : { hf_token_secret_arn: identity.hfTokenSecretArn }),
  };
};
