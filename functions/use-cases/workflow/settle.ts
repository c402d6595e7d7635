/**
 * Where a deploy or scale settled. Every replica Ready (lifecycle `markReady`): the endpoint,
 * when it became ready if it was not serving before, and a usage segment that follows the
 * replicas now serving; a deploy's cold start also feeds the ETA statistics. No pods after a
 * pause (lifecycle `markPaused`): not serving, its usage segment closed, and how long the
 * workflow keeps the GPUs and nodes before giving them back, so a quick resume finds them.
 */
import { workloadName, type DeploymentRecord } from '../../domain/deployment';
import * as lifecycle from '../../domain/lifecycle';
import type { Ports, ServingEndpoint } from '../../ports';
import { asSuperseded, ownedDeployment } from '../ownership';
import type { Settled, TaskInput } from '../../../contract/execution-state';

/** The template's placeholders: the model's Service and namespace, and the tenant and id the gateway routes by. */
export const endpointUrl = (serving: ServingEndpoint, record: Pick<DeploymentRecord, 'id' | 'org_id' | 'project_id'>): string =>
  serving.endpointUrlTemplate
    .replaceAll('{service}', workloadName(record.id))
    .replaceAll('{namespace}', serving.namespace)
    .replaceAll('{org}', record.org_id)
    .replaceAll('{project}', record.project_id)
    .replaceAll('{id}', record.id);

export const markReady = async (ports: Pick<Ports, 'deployments' | 'coldStarts' | 'clock'> & { serving: ServingEndpoint }, input: TaskInput): Promise<Settled> => {
  const record = await ownedDeployment(ports, input);
  const at = ports.clock.now();
  const settled = lifecycle.markReady(record, at, endpointUrl(ports.serving, record));
  const updated = await ports.deployments
    .update(record, record.id, settled.changes, { executionArn: input.execution }, { now: at, milestones: settled.milestones, event: settled.event })
    .catch(asSuperseded);
  if (record.operation === 'deploy' && updated.timeline.accepted) {
    await ports.coldStarts.record(record.catalog_id, record.gpu_config_id, ports.clock.elapsedSeconds(updated.timeline.accepted, at));
  }
  return { status: updated.status, replicas: updated.replicas, ready_since: updated.ready_since, paused: false };
};

/** `releaseAfterSeconds`: cluster seconds a paused deployment keeps its GPUs and nodes. */
export const markPaused = async (ports: Pick<Ports, 'deployments' | 'clock'>, input: TaskInput, releaseAfterSeconds: number): Promise<Settled> => {
  const record = await ownedDeployment(ports, input);
  const at = ports.clock.now();
  const settled = lifecycle.markPaused(record, at, releaseAfterSeconds);
  const updated = await ports.deployments
    .update(record, record.id, settled.changes, { executionArn: input.execution }, { now: at, event: settled.event })
    .catch(asSuperseded);
  return { status: updated.status, replicas: 0, ready_since: null, paused: true, release_after_seconds: releaseAfterSeconds };
};
