/**
 * What the indexes of the deployment records answer: the GPUs the deployments of one GPU
 * config hold (`by-gpu-config`) and the deployments an execution should be working on
 * (`in-flight`); and the write that takes a deployment out of `by-gpu-config` when its GPUs
 * go back to the ledger. Index reads are eventually consistent.
 */
import { UpdateCommand, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import type { GpuDemand } from '../domain/capacity';
import type { DeploymentPhase, DeploymentStatus, Tenant } from '../domain/deployment';
import { tableName } from './dynamodb';
import { conditional } from './table/conditional';
import { type DeploymentKey, deploymentKey, gpuConfigPartition, gpuIndex, IN_FLIGHT, inFlightIndex } from './table/keys';
import { queryAll } from './table/query';
import type { Reservation } from '../ports';

export type { Reservation };

export type { DeploymentKey } from './table/keys';

/**
 * Takes the deployment's GPU reservation, exactly once: sets `reserved_gpus` to 0 and
 * removes it from the GPU-config index, if `executionArn` owns it and it holds GPUs.
 * Returns how many GPUs the caller must now give back to the ledger (0 if none or not owner).
 */
export const takeReservation = async (tenant: Tenant, id: string, executionArn: string): Promise<{ gpuConfigId: string; gpus: number }> => {
  const taken = await conditional(
    new UpdateCommand({
      TableName: tableName,
      Key: deploymentKey(tenant, id),
      UpdateExpression: 'SET reserved_gpus = :zero, #version = #version + :one REMOVE gsi1pk, gsi1sk',
      ConditionExpression: 'execution_arn = :owner AND reserved_gpus > :zero',
      ExpressionAttributeNames: { '#version': 'version' },
      ExpressionAttributeValues: { ':zero': 0, ':one': 1, ':owner': executionArn },
      ReturnValues: 'ALL_OLD',
    }),
    () => undefined,
  );
  // not the owner, or nothing held: nothing to give back
  if (taken === undefined) return { gpuConfigId: '', gpus: 0 };
  return { gpuConfigId: String(taken.Attributes?.gpu_config_id ?? ''), gpus: Number(taken.Attributes?.reserved_gpus ?? 0) };
};

const onGpuConfig = (gpuConfigId: string, projection: string): QueryCommandInput => ({
  TableName: tableName,
  IndexName: gpuIndex.name,
  KeyConditionExpression: 'gsi1pk = :cfg',
  ExpressionAttributeValues: { ':cfg': gpuConfigPartition(gpuConfigId) },
  ProjectionExpression: projection,
});

/** GPU demand of every deployment that still holds capacity on one GPU config. */
export const gpuDemandOf = async (gpuConfigId: string): Promise<(GpuDemand & { id: string })[]> =>
  (await queryAll(onGpuConfig(gpuConfigId, 'id, gpu_count, replicas'))).map((item) => ({
    id: String(item.id),
    gpuCount: Number(item.gpu_count),
    replicas: Number(item.replicas),
  }));

/**
 * The deployments an execution should be working on (sparse index `in-flight`), oldest first.
 * The index is eventually consistent: read each record before acting on it.
 */
export const inFlightDeployments = async (): Promise<DeploymentKey[]> =>
  (
    await queryAll({
      TableName: tableName,
      IndexName: inFlightIndex.name,
      KeyConditionExpression: 'gsi2pk = :inFlight',
      ExpressionAttributeValues: { ':inFlight': IN_FLIGHT },
      ProjectionExpression: 'org_id, project_id, id',
    })
  ).map((item) => ({ org_id: String(item.org_id), project_id: String(item.project_id), id: String(item.id) }));

/** The GPUs each deployment on one GPU config holds, as the records say (index `by-gpu-config`). */
export const reservationsOn = async (gpuConfigId: string): Promise<Reservation[]> =>
  (
    await queryAll({
      ...onGpuConfig(gpuConfigId, 'org_id, project_id, id, #status, phase, reserved_gpus, execution_arn'),
      ExpressionAttributeNames: { '#status': 'status' },
    })
  ).map((item) => ({
    org_id: String(item.org_id),
    project_id: String(item.project_id),
    id: String(item.id),
    status: item.status as DeploymentStatus,
    phase: item.phase as DeploymentPhase,
    reserved_gpus: Number(item.reserved_gpus ?? 0),
    execution_arn: String(item.execution_arn),
  }));
