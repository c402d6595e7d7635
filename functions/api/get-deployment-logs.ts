/**
 * GET …/aimodels/{model_id}/logs?tail_lines=&replica=&previous=: the tail of the model
 * server's log in each of the deployment's pods (oldest pod first), read through the
 * Kubernetes API. One pod's unreadable log (container not started yet) is reported on that pod.
 */
import type { V1Pod } from '@kubernetes/client-node';
import { listPods, MODEL_CONTAINER, readPodLog } from '../adapters/kubernetes';
import { apiHandler, authorizeTenant, deploymentIdOf, json, type ApiEvent, type ApiResult } from '../commons/http';
import { NotFoundError } from '../domain/errors';
import { deploymentSelector } from '../domain/manifests';
import { MAX_REPLICAS } from '../domain/capacity';
import { logsQuerySchema, type ReplicaSelector } from '../../contract/requests/queries';
import { parseOrThrow } from '../domain/requests';
import { getDeployment } from '../use-cases/deployments';

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

export const getDeploymentLogs = async (event: ApiEvent): Promise<ApiResult> => {
  const tenant = authorizeTenant(event, 'read');
  const id = deploymentIdOf(event);
  const query = parseOrThrow(logsQuerySchema, event.queryStringParameters ?? {}, 'query string');
  await getDeployment(tenant, id); // 404 for unknown ids and other tenants' deployments

  const all = (await listPods(deploymentSelector(id))).sort(oldestFirst);
  const pods = (query.replica ? pick(all, query.replica) : all).slice(0, MAX_REPLICAS);
  if (query.replica && pods.length === 0) {
    throw new NotFoundError(`replica '${'index' in query.replica ? query.replica.index : query.replica.name}' is not a pod of deployment '${id}'`);
  }
  const maxBytes = Math.floor(LOG_BYTES_PER_RESPONSE / Math.max(1, pods.length));
  const logs = await Promise.all(
    pods.map((pod) => readPodLog(pod.metadata?.name ?? '', { tailLines: query.tail_lines, previous: query.previous, maxBytes })),
  );
  return json(200, { deployment_id: id, pods: pods.map((pod, i) => ({ ...podSummary(pod), ...logs[i] })) });
};

export const handler = apiHandler(getDeploymentLogs);
