/**
 * Who may read and write a deployment: an API caller of its tenant (else 404), a workflow task
 * while its execution owns it (else Superseded). And the one place a lost conditional write
 * (the store's StaleWriteError) becomes the caller's error: 409 for an API request, Superseded
 * for a task.
 */
import type { TaskInput } from '../commons/workflow';
import type { DeploymentRecord, Tenant } from '../domain/deployment';
import { ConflictError, NotFoundError, SupersededError } from '../domain/errors';
import { isStaleWrite, type Ports } from '../ports';

/** The record, or 404 (also for another tenant's id: the key includes the tenant). */
export const findDeployment = async ({ deployments }: Pick<Ports, 'deployments'>, tenant: Tenant, id: string): Promise<DeploymentRecord> => {
  const record = await deployments.get(tenant, id);
  if (!record) throw new NotFoundError(`deployment '${id}' was not found in project '${tenant.project_id}'`);
  return record;
};

/** The record, if this execution still owns it; otherwise the workflow was superseded. */
export const ownedDeployment = async ({ deployments }: Pick<Ports, 'deployments'>, input: TaskInput): Promise<DeploymentRecord> => {
  const record = await deployments.get(input.deployment, input.deployment.id);
  if (!record || record.execution_arn !== input.execution) {
    throw new SupersededError(`deployment ${input.deployment.id} is now owned by another operation`);
  }
  return record;
};

/** A `.catch` that turns a lost conditional write into `translate`'s error and rethrows anything else. */
export const onStaleWrite =
  (translate: (error: Error) => Error) =>
  (error: unknown): never => {
    if (isStaleWrite(error)) throw translate(error);
    throw error;
  };

/** A task's write that lost to a newer operation: the workflow is superseded. */
export const asSuperseded = onStaleWrite((error) => new SupersededError(error.message));

/** An API request's write that lost to a concurrent change: 409, retry. */
export const asConflict = (message: string) => onStaleWrite(() => new ConflictError(message));
