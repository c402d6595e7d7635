/**
 * The deployment use cases behind the API: they know nothing of HTTP or Lambda. Each write
 * happens before the workflow starts, and is undone if the start fails, so a failed request
 * leaves nothing half-written.
 */
import * as repository from '../adapters/deployment-repository';
import { executionName, plannedExecutionArn, startWorkflow } from '../adapters/workflow-starter';
import type { DeploymentRecord, Tenant } from '../domain/deployment';
import { ConflictError, NotFoundError, ServiceUnavailableError } from '../domain/errors';
import { newDeploymentId } from '../domain/ids';
import type { ResolvedDeploymentSpec } from '../domain/requests';
import { logger } from '../commons/logger';

const workflowInput = (record: DeploymentRecord) => ({
  deployment: { org_id: record.org_id, project_id: record.project_id, id: record.id, gpu_config_id: record.gpu_config_id },
});

const unavailable = (error: unknown, what: string): ServiceUnavailableError => {
  logger.error(`could not start the ${what} workflow`, { error: error as Error });
  return new ServiceUnavailableError(`the ${what} workflow could not be started; nothing was changed, retry shortly`);
};

export const createDeployment = async (tenant: Tenant, spec: ResolvedDeploymentSpec, now: Date): Promise<DeploymentRecord> => {
  const id = newDeploymentId(now);
  const name = executionName(id, 'deploy', now);
  const record: DeploymentRecord = {
    ...tenant,
    id,
    name: spec.request.name,
    catalog_id: spec.model.id,
    model_id: spec.model.model_id,
    model_name: spec.model.name,
    region: spec.request.region,
    gpu_config_id: spec.gpuConfig.config_id,
    gpu_count: spec.request.gpu_count,
    plan_id: spec.plan.plan_id,
    config: spec.config,
    replicas: spec.replicas,
    status: 'initializing',
    phase: 'accepted',
    fail_reason: null,
    endpoint_url: null,
    created_at: now.toISOString(),
    updated_at: now.toISOString(),
    ready_since: null,
    operation: 'deploy',
    execution_arn: plannedExecutionArn('deploy', name),
    version: 1,
  };
  await repository.createDeployment(record);
  try {
    await startWorkflow('deploy', name, workflowInput(record));
  } catch (error) {
    await repository.discardDeployment(record);
    throw unavailable(error, 'deploy');
  }
  return record;
};

export const getDeployment = async (tenant: Tenant, id: string): Promise<DeploymentRecord> => {
  const record = await repository.getDeployment(tenant, id);
  if (!record) throw new NotFoundError(`deployment '${id}' was not found in project '${tenant.project_id}'`);
  return record;
};

export const listDeployments = (tenant: Tenant, page: number, limit: number) =>
  repository.listDeployments(tenant, page, limit);

/**
 * Scaling is allowed from `ready` only: while another operation runs, the caller gets 409
 * and can retry once the deployment is ready again.
 */
export const scaleDeployment = async (tenant: Tenant, id: string, replicas: number, now: Date): Promise<DeploymentRecord> => {
  const current = await getDeployment(tenant, id);
  if (current.status !== 'ready' || current.phase !== 'ready') {
    throw new ConflictError(
      `deployment '${id}' is ${current.status} (${current.phase}); it can be scaled once it is ready`,
    );
  }
  if (current.replicas === replicas) return current;
  const name = executionName(id, 'scale', now);
  const updated = await repository
    .updateDeployment(
      tenant,
      id,
      { replicas, phase: 'scaling', operation: 'scale', execution_arn: plannedExecutionArn('scale', name) },
      { version: current.version },
      { now },
    )
    .catch((error: unknown) => {
      if (error instanceof repository.StaleWriteError) throw new ConflictError(`deployment '${id}' changed while scaling was requested; retry`);
      throw error;
    });
  try {
    await startWorkflow('scale', name, workflowInput(updated));
  } catch (error) {
    await repository
      .updateDeployment(
        tenant,
        id,
        { replicas: current.replicas, phase: current.phase, operation: current.operation, execution_arn: current.execution_arn },
        { version: updated.version },
        { now },
      )
      .catch((revertError: unknown) => logger.error('could not revert a scale whose workflow did not start', { error: revertError as Error }));
    throw unavailable(error, 'scale');
  }
  return updated;
};

/**
 * Delete supersedes whatever runs for the deployment: the record now names the delete
 * execution, so the older workflow's next conditional write fails and it stops.
 * Deleting a deployment that is already terminating is accepted again (idempotent).
 */
export const deleteDeployment = async (tenant: Tenant, id: string, now: Date): Promise<void> => {
  const current = await getDeployment(tenant, id);
  if (current.status === 'terminating') return;
  const name = executionName(id, 'delete', now);
  const updated = await repository
    .updateDeployment(
      tenant,
      id,
      { status: 'terminating', phase: 'deleting', operation: 'delete', ready_since: null, execution_arn: plannedExecutionArn('delete', name) },
      { version: current.version },
      { now },
    )
    .catch((error: unknown) => {
      if (error instanceof repository.StaleWriteError) throw new ConflictError(`deployment '${id}' changed while deletion was requested; retry`);
      throw error;
    });
  try {
    await startWorkflow('delete', name, workflowInput(updated));
  } catch (error) {
    await repository
      .updateDeployment(
        tenant,
        id,
        { status: current.status, phase: current.phase, operation: current.operation, ready_since: current.ready_since, execution_arn: current.execution_arn },
        { version: updated.version },
        { now },
      )
      .catch((revertError: unknown) => logger.error('could not revert a delete whose workflow did not start', { error: revertError as Error }));
    throw unavailable(error, 'delete');
  }
};
