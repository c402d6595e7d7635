/**
 * What a tenant reads about one deployment besides its record: the record with an ETA while
 * it starts, its history, and its pods' logs. Each answers 404 for an unknown id or another
 * tenant's deployment before reading anything else.
 */
import type { V1Pod } from '@kubernetes/client-node';
import { weightsGiB } from '../../contract/catalog';
import type { DeploymentRecord, Tenant } from '../domain/deployment';
import { NotFoundError } from '../domain/errors';
import { estimateReadyAt, type Eta } from '../domain/eta';
import { deploymentSelector, MODEL_CONTAINER } from '../domain/manifests';
import { MAX_REPLICAS } from '../domain/capacity';
import type { ReplicaSelector } from '../../contract/requests/queries';
import { EXPECTED_NODE_SECONDS } from '../domain/startup';
import type { DeploymentEvent, Ports } from '../ports';
import { deploymentModelOf } from './catalog';
import { findDeployment } from './ownership';

/** The record and, while it starts (not paused), when it should be ready: from recent cold starts of the same model and GPU config, else from the model's size. */
export const deploymentWithEta = async (
  ports: Pick<Ports, 'deployments' | 'catalog' | 'coldStarts' | 'clock'>,
  tenant: Tenant,
  id: string,
): Promise<{ record: DeploymentRecord; eta: Eta | null }> => {
  const record = await findDeployment(ports, tenant, id);
  if (record.status !== 'initializing' || record.phase === 'paused' || !record.timeline?.accepted) return { record, eta: null };
  const [model, samples] = await Promise.all([deploymentModelOf(ports, record), ports.coldStarts.samples(record.catalog_id, record.gpu_config_id)]);
  const weights = model ? weightsGiB(model) : (record.custom?.model_size_gib ?? 10);
  return { record, eta: estimateReadyAt(record.timeline.accepted, samples, weights, EXPECTED_NODE_SECONDS, ports.clock.timeScale) };
};

/** Only the documented fields: whatever else an item holds stays in the table. */
const toEventView = ({ at, type, status, phase, message, reason, execution_arn }: DeploymentEvent): DeploymentEvent => ({
  at,
  type,
  status,
  phase,
  message,
  ...(reason ? { reason } : {}),
  ...(execution_arn ? { execution_arn } : {}),
});

/** One page of the history, oldest first; `next` continues after its last event. */
export const deploymentEvents = async (
  ports: Pick<Ports, 'deployments' | 'events'>,
  tenant: Tenant,
  id: string,
  page: { limit: number; after?: string },
): Promise<{ items: DeploymentEvent[]; next?: string }> => {
  await findDeployment(ports, tenant, id);
  const found = await ports.events.list(tenant, id, page);
  return { items: found.items.map(toEventView), ...(found.next ? { next: found.next } : {}) };
};

/** Logs of all pods together stay well under Lambda's 6 MB response limit. */
const LOG_BYTES_PER_RESPONSE = 4 * 1024 * 1024;

const oldestFirst = (a: V1Pod, b: V1Pod): number =>
  (a.metadata?.creationTimestamp?.getTime() ?? 0) - (b.metadata?.creationTimestamp?.getTime() ?? 0) ||
  (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? '');

const pick = (pods: V1Pod[], replica: ReplicaSelector): V1Pod[] =>
  pods.filter((pod, index) => ('index' in replica ? index === replica.index : pod.metadata?.name === replica.name));

const podSummary = (pod: V1Pod) => {
  const container = pod.status?.containerStatuses?.find((c) => c.name === MODEL_CONTAINER);
  return {
    name: pod.metadata?.name ?? '',
    phase: pod.status?.phase ?? 'Unknown',
    ready: container?.ready ?? false,
    restarts: container?.restartCount ?? 0,
  };
};

/** The tail of the model server's log in each pod (oldest pod first), or in the one replica asked for (404 if it is not one). */
export const deploymentLogs = async (
  ports: Pick<Ports, 'deployments' | 'cluster'>,
  tenant: Tenant,
  id: string,
  query: { tail_lines: number; previous: boolean; replica?: ReplicaSelector },
) => {
  await findDeployment(ports, tenant, id);
  const all = (await ports.cluster.listPods(deploymentSelector(id))).sort(oldestFirst);
  const pods = (query.replica ? pick(all, query.replica) : all).slice(0, MAX_REPLICAS);
  if (query.replica && pods.length === 0) {
    throw new NotFoundError(`replica '${'index' in query.replica ? query.replica.index : query.replica.name}' is not a pod of deployment '${id}'`);
  }
  const maxBytes = Math.floor(LOG_BYTES_PER_RESPONSE / Math.max(1, pods.length));
  const logs = await Promise.all(
    pods.map((pod) => ports.cluster.readPodLog(pod.metadata?.name ?? '', { tailLines: query.tail_lines, previous: query.previous, maxBytes })),
  );
  return { deployment_id: id, pods: pods.map((pod, i) => ({ ...podSummary(pod), ...logs[i] })) };
};
