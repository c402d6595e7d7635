/**
 * The deployment use cases behind the API: they know nothing of HTTP or Lambda. Each write
 * happens before the workflow starts, and is undone if the start fails, so a failed request
 * leaves nothing half-written.
 */
import * as repository from '../adapters/deployment-repository';
import { releaseGpus, reserveGpus } from '../adapters/capacity-ledger';
import { executionName, plannedExecutionArn, startWorkflow, stopWorkflow } from '../adapters/workflow-starter';
import { checkReplicas } from '../domain/autoscaling';
import { ledgerGpus, nodeGroupGpuLimit } from '../domain/capacity';
import { findGpuConfig, type GpuConfig } from '../../contract/catalog';
import type { WorkflowName } from '../../contract/routes';
import type { DeploymentRecord, Tenant } from '../domain/deployment';
import { ConflictError, NotFoundError, ServiceUnavailableError } from '../domain/errors';
import { newDeploymentId } from '../domain/ids';
import { newDeploymentRecord } from '../domain/new-deployment';
import { startDelete, startScale } from '../domain/lifecycle';
import { checkTenantLabelValues } from '../domain/manifests';
import { checkCacheFitsOneNode, type DeploySpec } from '../domain/custom-model';
import { checkReplicasFitNodeGroup } from '../domain/requests';
import { deleteHfToken, storeHfToken } from '../adapters/hf-token-secrets';
import { logger } from '../commons/logger';

const workflowInput = (record: DeploymentRecord) => ({
  deployment: { org_id: record.org_id, project_id: record.project_id, id: record.id, gpu_config_id: record.gpu_config_id },
});

const unavailable = (error: unknown, what: string): ServiceUnavailableError => {
  logger.error(`could not start the ${what} workflow`, { error: error as Error });
  return new ServiceUnavailableError(`the ${what} workflow could not be started; nothing was changed, retry shortly`);
};

export const createDeployment = async (tenant: Tenant, spec: DeploySpec, now: Date): Promise<DeploymentRecord> => {
  checkTenantLabelValues(tenant);
  const id = newDeploymentId(now);
  const name = executionName(id, 'deploy', now);
  // The token goes to Secrets Manager first; from here on only its ARN travels.
  const hfTokenSecretArn = await storeToken(id, spec.request.hf_token);
  try {
    const record = newDeploymentRecord(tenant, spec, { id, executionArn: plannedExecutionArn('deploy', name), hfTokenSecretArn }, now);
    await startDeploy(record, spec.gpuConfig, name);
    return record;
  } catch (error) {
    if (hfTokenSecretArn !== undefined) {
      await deleteHfToken(hfTokenSecretArn).catch((deleteError: unknown) =>
        logger.error('could not delete the token secret of a deploy that failed; the reconcile cannot see it, delete it by hand', { error: deleteError as Error, deploymentId: id }),
      );
    }
    throw error;
  }
};

const storeToken = async (id: string, token: string | undefined): Promise<string | undefined> => {
  if (token === undefined) return undefined;
  try {
    return await storeHfToken(id, token);
  } catch (error) {
    logger.error('could not store the Hugging Face token', { error: error as Error });
    throw new ServiceUnavailableError('the Hugging Face token could not be stored; nothing was changed, retry shortly');
  }
};

const startDeploy = async (record: DeploymentRecord, group: GpuConfig, name: string): Promise<void> => {
  await reserveGpus(group.config_id, record.reserved_gpus, nodeGroupGpuLimit(group), group.node_group.name);
  try {
    await repository.createDeployment(record);
  } catch (error) {
    await releaseGpus(group.config_id, record.reserved_gpus);
    throw error;
  }
  try {
    await startWorkflow('deploy', name, workflowInput(record));
  } catch (error) {
    await repository.discardDeployment(record);
    await releaseGpus(group.config_id, record.reserved_gpus);
    throw unavailable(error, 'deploy');
  }
};

export const getDeployment = async (tenant: Tenant, id: string): Promise<DeploymentRecord> => {
  const record = await repository.getDeployment(tenant, id);
  if (!record) throw new NotFoundError(`deployment '${id}' was not found in project '${tenant.project_id}'`);
  return record;
};

export const listDeployments = (tenant: Tenant, page: number, limit: number, after?: string) =>
  repository.listDeployments(tenant, page, limit, after);

/**
 * Scaling is allowed from `ready`, and from `paused` (a resume): while another operation
 * runs, the caller gets 409 and can retry once the deployment is ready again. Replicas must
 * lie in the deployment's scale range (domain/autoscaling.ts), else 400: a pause (0) needs
 * min_replicas 0; automatic callers (the schedule sweep) clamp into the range first.
 *
 * Replicas 0 pauses: the GPUs stay reserved until the scale workflow has waited the release
 * delay (a quick resume finds them), then it gives them back exactly once. A resume reserves
 * them again (409 if another deployment took them meanwhile).
 */
export const scaleDeployment = async (
  tenant: Tenant,
  id: string,
  replicas: number,
  now: Date,
  origin = 'requested',
): Promise<DeploymentRecord> => {
  const current = await getDeployment(tenant, id);
  checkReplicas(current, replicas);
  const paused = current.phase === 'paused';
  if (!paused && (current.status !== 'ready' || current.phase !== 'ready')) {
    throw new ConflictError(
      `deployment '${id}' is ${current.status} (${current.phase}); it can be scaled once it is ready`,
    );
  }
  if (current.replicas === replicas) return current;
  const group = findGpuConfig(current.gpu_config_id);
  if (!group) throw new ConflictError(`gpu_config_id '${current.gpu_config_id}' is no longer offered; this deployment cannot be scaled`);
  checkReplicasFitNodeGroup(replicas, current.gpu_count, group);
  checkCacheFitsOneNode(current.custom?.storage_size ?? null, replicas, current.gpu_count, group, 'replicas');
  const reserved = replicas === 0 ? current.reserved_gpus : ledgerGpus(current.gpu_count, replicas, group.gpus_per_node);
  const delta = reserved - current.reserved_gpus;
  if (delta > 0) await reserveGpus(group.config_id, delta, nodeGroupGpuLimit(group), group.node_group.name);
  let updated: DeploymentRecord;
  try {
    const scale = startScale(current, replicas, reserved, origin);
    updated = await handOver(
      current,
      'scale',
      scale.changes,
      now,
      scale.event,
      // Its reservation was given back (pause released): count it toward the group's demand again.
      current.reserved_gpus === 0 && reserved > 0 ? group.config_id : undefined,
    );
  } catch (error) {
    if (delta > 0) await releaseGpus(group.config_id, delta);
    throw error;
  }
  if (delta < 0) await releaseGpus(group.config_id, -delta);
  return updated;
};


type Handover = Pick<DeploymentRecord, 'status' | 'phase' | 'replicas' | 'ready_since' | 'reserved_gpus'>;

/**
 * Gives the deployment to a new workflow: records the changes and the execution that will
 * own it (conditional on the version read), then starts that execution. If the start fails,
 * the record is put back as it was, so the request changes nothing.
 */
const handOver = async (
  current: DeploymentRecord,
  workflow: WorkflowName,
  changes: Partial<Handover>,
  now: Date,
  event: { type: string; message: string },
  holdsCapacityOn?: string,
): Promise<DeploymentRecord> => {
  const name = executionName(current.id, workflow, now);
  const updated = await repository
    .updateDeployment(
      current,
      current.id,
      { ...changes, operation: workflow, execution_arn: plannedExecutionArn(workflow, name) },
      { version: current.version },
      { now, event, ...(holdsCapacityOn ? { holdsCapacityOn } : {}) },
    )
    .catch((error: unknown) => {
      if (error instanceof repository.StaleWriteError) {
        throw new ConflictError(`deployment '${current.id}' changed while the ${workflow} was requested; retry`);
      }
      throw error;
    });
  try {
    await startWorkflow(workflow, name, workflowInput(updated));
  } catch (error) {
    const previous: Partial<DeploymentRecord> = { operation: current.operation, execution_arn: current.execution_arn };
    for (const key of Object.keys(changes) as (keyof Handover)[]) Object.assign(previous, { [key]: current[key] });
    await repository
      .updateDeployment(current, current.id, previous, { version: updated.version }, {
        now,
        event: { type: `${workflow}_not_started`, message: `the ${workflow} workflow could not be started; the request was undone` },
      })
      .catch((revertError: unknown) => logger.error(`could not revert a ${workflow} whose workflow did not start`, { error: revertError as Error }));
    throw unavailable(error, workflow);
  }
  return updated;
};

/**
 * Delete supersedes whatever runs for the deployment: the record now names the delete
 * execution, so the older workflow's next conditional write fails and it stops.
 * Deleting a deployment that is already terminating is accepted again (idempotent).
 */
export const deleteDeployment = async (tenant: Tenant, id: string, now: Date): Promise<void> => {
  // A running workflow may write between our read and our conditional hand-over; delete
  // must win anyway, so it re-reads and tries again instead of answering 409.
  for (let attempt = 1; ; attempt++) {
    const current = await getDeployment(tenant, id);
    if (current.status === 'terminating') return;
    try {
      const deletion = startDelete();
      await handOver(current, 'delete', deletion.changes, now, deletion.event);
    } catch (error) {
      if (error instanceof ConflictError && attempt < DELETE_ATTEMPTS) continue;
      throw error;
    }
    // The superseded execution would stop at its next task anyway; stopping it now saves
    // its remaining polls. Best effort: the delete workflow does not depend on it.
    if (current.operation !== 'delete' && (current.status === 'initializing' || current.phase === 'scaling')) {
      await stopWorkflow(current.execution_arn, 'superseded by a delete').catch((stopError: unknown) =>
        logger.warn('could not stop the superseded execution', { error: stopError as Error }),
      );
    }
    return;
  }
};

const DELETE_ATTEMPTS = 8;

/**
 * Hands a terminating deployment whose delete execution died to a new delete execution (the
 * reconcile's repair), conditional on the version the caller read, like any hand-over.
 */
export const restartDelete = (current: DeploymentRecord, now: Date, why: string): Promise<DeploymentRecord> => {
  const deletion = startDelete(why);
  return handOver(current, 'delete', deletion.changes, now, deletion.event);
};
