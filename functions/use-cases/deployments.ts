/**
 * The deployment use cases behind the API: they know nothing of HTTP or Lambda. Each write
 * happens before the workflow starts, and is undone if the start fails, so a failed request
 * leaves nothing half-written.
 */
import { checkReplicas } from '../domain/autoscaling';
import { ledgerGpus, nodeGroupGpuLimit } from '../domain/capacity';
import { findGpuConfig, type GpuConfig } from '../../contract/catalog';
import type { WorkflowName } from '../../contract/routes';
import type { DeploymentRecord, Tenant } from '../domain/deployment';
import { ConflictError, ServiceUnavailableError } from '../domain/errors';
import { newDeploymentId } from '../domain/ids';
import { newDeploymentRecord } from '../domain/new-deployment';
import { startDelete, startScale } from '../domain/lifecycle';
import { checkTenantLabelValues } from '../domain/manifests';
import { checkCacheFitsOneNode, type DeploySpec } from '../domain/custom-model';
import { checkReplicasFitNodeGroup } from '../domain/requests';
import { logger } from '../commons/logger';
import type { Ports } from '../ports';
import { asConflict, findDeployment } from './ownership';

/** What handing a deployment to a workflow needs. */
type HandOverPorts = Pick<Ports, 'deployments' | 'workflows'>;

const workflowInput = (record: DeploymentRecord) => ({
  deployment: { org_id: record.org_id, project_id: record.project_id, id: record.id, gpu_config_id: record.gpu_config_id },
});

const unavailable = (error: unknown, what: string): ServiceUnavailableError => {
  logger.error(`could not start the ${what} workflow`, { error: error as Error });
  return new ServiceUnavailableError(`the ${what} workflow could not be started; nothing was changed, retry shortly`);
};

export const createDeployment = async (
  ports: Pick<Ports, 'deployments' | 'ledger' | 'workflows' | 'secrets'>,
  tenant: Tenant,
  spec: DeploySpec,
  now: Date,
): Promise<DeploymentRecord> => {
  checkTenantLabelValues(tenant);
  const id = newDeploymentId(now);
  const name = ports.workflows.executionName(id, 'deploy', now);
  // The token goes to Secrets Manager first; from here on only its ARN travels.
  const hfTokenSecretArn = await storeToken(ports, id, spec.request.hf_token);
  try {
    const record = newDeploymentRecord(tenant, spec, { id, executionArn: ports.workflows.plannedExecutionArn('deploy', name), hfTokenSecretArn }, now);
    await startDeploy(ports, record, spec.gpuConfig, name);
    return record;
  } catch (error) {
    if (hfTokenSecretArn !== undefined) {
      await ports.secrets.delete(hfTokenSecretArn).catch((deleteError: unknown) =>
        logger.error('could not delete the token secret of a deploy that failed; the reconcile cannot see it, delete it by hand', { error: deleteError as Error, deploymentId: id }),
      );
    }
    throw error;
  }
};

const storeToken = async ({ secrets }: Pick<Ports, 'secrets'>, id: string, token: string | undefined): Promise<string | undefined> => {
  if (token === undefined) return undefined;
  try {
    return await secrets.store(id, token);
  } catch (error) {
    logger.error('could not store the Hugging Face token', { error: error as Error });
    throw new ServiceUnavailableError('the Hugging Face token could not be stored; nothing was changed, retry shortly');
  }
};

const startDeploy = async ({ deployments, ledger, workflows }: Pick<Ports, 'deployments' | 'ledger' | 'workflows'>, record: DeploymentRecord, group: GpuConfig, name: string): Promise<void> => {
  await ledger.reserve(group.config_id, record.reserved_gpus, nodeGroupGpuLimit(group), group.node_group.name);
  try {
    await deployments.create(record);
  } catch (error) {
    await ledger.release(group.config_id, record.reserved_gpus);
    throw error;
  }
  try {
    await workflows.start('deploy', name, workflowInput(record));
  } catch (error) {
    await deployments.discard(record);
    await ledger.release(group.config_id, record.reserved_gpus);
    throw unavailable(error, 'deploy');
  }
};

/** The record, or 404 (also for another tenant's id). */
export const getDeployment = findDeployment;

export const listDeployments = ({ deployments }: Pick<Ports, 'deployments'>, tenant: Tenant, page: number, limit: number, after?: string) =>
  deployments.list(tenant, page, limit, after);

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
  ports: Pick<Ports, 'deployments' | 'ledger' | 'workflows'>,
  tenant: Tenant,
  id: string,
  replicas: number,
  now: Date,
  origin = 'requested',
): Promise<DeploymentRecord> => {
  const { ledger } = ports;
  const current = await findDeployment(ports, tenant, id);
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
  if (delta > 0) await ledger.reserve(group.config_id, delta, nodeGroupGpuLimit(group), group.node_group.name);
  let updated: DeploymentRecord;
  try {
    const scale = startScale(current, replicas, reserved, origin);
    updated = await handOver(
      ports,
      current,
      'scale',
      scale.changes,
      now,
      scale.event,
      // Its reservation was given back (pause released): count it toward the group's demand again.
      current.reserved_gpus === 0 && reserved > 0 ? group.config_id : undefined,
    );
  } catch (error) {
    if (delta > 0) await ledger.release(group.config_id, delta);
    throw error;
  }
  if (delta < 0) await ledger.release(group.config_id, -delta);
  return updated;
};


type Handover = Pick<DeploymentRecord, 'status' | 'phase' | 'replicas' | 'ready_since' | 'reserved_gpus'>;

/**
 * Gives the deployment to a new workflow: records the changes and the execution that will
 * own it (conditional on the version read), then starts that execution. If the start fails,
 * the record is put back as it was, so the request changes nothing.
 */
const handOver = async (
  { deployments, workflows }: HandOverPorts,
  current: DeploymentRecord,
  workflow: WorkflowName,
  changes: Partial<Handover>,
  now: Date,
  event: { type: string; message: string },
  holdsCapacityOn?: string,
): Promise<DeploymentRecord> => {
  const name = workflows.executionName(current.id, workflow, now);
  const updated = await deployments
    .update(
      current,
      current.id,
      { ...changes, operation: workflow, execution_arn: workflows.plannedExecutionArn(workflow, name) },
      { version: current.version },
      { now, event, ...(holdsCapacityOn ? { holdsCapacityOn } : {}) },
    )
    .catch(asConflict(`deployment '${current.id}' changed while the ${workflow} was requested; retry`));
  try {
    await workflows.start(workflow, name, workflowInput(updated));
  } catch (error) {
    const previous: Partial<DeploymentRecord> = { operation: current.operation, execution_arn: current.execution_arn };
    for (const key of Object.keys(changes) as (keyof Handover)[]) Object.assign(previous, { [key]: current[key] });
    await deployments
      .update(current, current.id, previous, { version: updated.version }, {
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
export const deleteDeployment = async (ports: HandOverPorts, tenant: Tenant, id: string, now: Date): Promise<void> => {
  // A running workflow may write between our read and our conditional hand-over; delete
  // must win anyway, so it re-reads and tries again instead of answering 409.
  for (let attempt = 1; ; attempt++) {
    const current = await findDeployment(ports, tenant, id);
    if (current.status === 'terminating') return;
    try {
      const deletion = startDelete();
      await handOver(ports, current, 'delete', deletion.changes, now, deletion.event);
    } catch (error) {
      if (error instanceof ConflictError && attempt < DELETE_ATTEMPTS) continue;
      throw error;
    }
    // The superseded execution would stop at its next task anyway; stopping it now saves
    // its remaining polls. Best effort: the delete workflow does not depend on it.
    if (current.operation !== 'delete' && (current.status === 'initializing' || current.phase === 'scaling')) {
      await ports.workflows.stop(current.execution_arn, 'superseded by a delete').catch((stopError: unknown) =>
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
export const restartDelete = (ports: HandOverPorts, current: DeploymentRecord, now: Date, why: string): Promise<DeploymentRecord> => {
  const deletion = startDelete(why);
  return handOver(ports, current, 'delete', deletion.changes, now, deletion.event);
};
