/**
 * Applies the model's Deployment and Service (server-side apply: idempotent), and before them
 * the Secret with its Hugging Face token (read from Secrets Manager by ARN; the token never
 * leaves this task) and the PVC model cache of a custom model with `storage_size`.
 */
import { now } from '../adapters/clock';
import { updateDeployment } from '../adapters/deployment-records';
import { applyObjects, ensureNamespace, namespace } from '../adapters/kubernetes';
import { asSuperseded, ownedDeployment, workflowTask, type TaskInput } from '../commons/workflow';
import { findGpuConfig } from '../../contract/catalog';
import { DeploymentFailedError } from '../domain/errors';
import { enterPhase } from '../domain/lifecycle';
import { renderModelWorkload, renderTokenSecret } from '../domain/manifests';
import { readHfToken } from '../adapters/hf-token-secrets';
import { deploymentModelOf } from '../use-cases/catalog';
import { catalogStore } from '../wiring/catalog-store';
import { modelIngress } from '../adapters/model-network';
import { servingImage } from '../adapters/serving-image';

export interface WorkloadWait {
  started_at: string;
  ready: boolean;
  wait_seconds: number;
  phase?: string;
  /** When the pods entered `phase` (deadlines are per phase). */
  phase_since?: string;
  /** The replica count applied (0: a pause, which the scale workflow settles differently). */
  replicas?: number;
  /** Consecutive polls that met a transient API error (commons/poll.ts). */
  transient_errors?: number;
}

export const applyWorkload = async (input: TaskInput): Promise<WorkloadWait> => {
  const record = await ownedDeployment(input);
  const model = await deploymentModelOf({ catalog: catalogStore }, record); // admin-added and retired models too; none for a custom model
  const config = findGpuConfig(record.gpu_config_id);
  if ((!model && !record.custom) || !config) throw new DeploymentFailedError('UnknownModel', `catalog model ${record.catalog_id} or gpu config ${record.gpu_config_id} is gone`);
  await ensureNamespace();
  const secretArn = record.hf_token_secret_arn;
  const secret = typeof secretArn === 'string' ? renderTokenSecret(record, await readHfToken(secretArn), namespace) : undefined;
  await applyObjects({ ...renderModelWorkload(record, model, config, namespace, modelIngress, servingImage), ...(secret ? { secret } : {}) });
  const scheduling = enterPhase(record, 'scheduling', 'Kubernetes objects applied');
  if (scheduling.event) {
    await updateDeployment(record, record.id, scheduling.changes, { executionArn: input.execution }, {
      now: now(),
      event: scheduling.event,
      milestones: scheduling.milestones,
    }).catch(asSuperseded);
  }
  return { started_at: now().toISOString(), ready: false, wait_seconds: 2, replicas: record.replicas };
};

export const handler = workflowTask('apply-workload', applyWorkload);
