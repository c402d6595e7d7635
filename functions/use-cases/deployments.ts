/**
 * The deployment use cases behind the API: they know nothing of HTTP or Lambda. Each write
 * happens before the workflow starts, and is undone if the start fails, so a failed request
 * leaves nothing half-written.
 */
import * as repository from '../adapters/deployment-repository';
import { executionName, plannedExecutionArn, startWorkflow } from '../adapters/workflow-starter';
import type { WorkflowName } from '../../infra/definitions/routes';
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
  return handOver(current, 'scale', { replicas, phase: 'scaling' }, now);
};

type Handover = Pick<DeploymentRecord, 'status' | 'phase' | 'replicas' | 'ready_since'>;

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
): Promise<DeploymentRecord> => {
  const name = executionName(current.id, workflow, now);
  const updated = await repository
    .updateDeployment(
      current,
      current.id,
      { ...changes, operation: workflow, execution_arn: plannedExecutionArn(workflow, name) },
      { version: current.version },
      { now },
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
      .updateDeployment(current, current.id, previous, { version: updated.version }, { now })
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
  const current = await getDeployment(tenant, id);
  if (current.status === 'terminating') return;
  await handOver(current, 'delete', { status: 'terminating', phase: 'deleting', ready_since: null }, now);
};
