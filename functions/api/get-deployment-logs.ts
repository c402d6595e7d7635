/**
 * GET …/aimodels/{model_id}/logs?tail_lines=&replica=&previous=: the tail of the model
 * server's log in each of the deployment's pods (oldest pod first), read through the
 * Kubernetes API. One pod's unreadable log (container not started yet) is reported on that pod.
 */
import { apiHandler, authorizeTenant, deploymentIdOf, json, type ApiEvent, type ApiResult } from '../commons/http';
import { logsQuerySchema } from '../../contract/requests/queries';
import { parseOrThrow } from '../domain/requests';
import { deploymentLogs } from '../use-cases/deployment-reads';
import { cluster } from '../wiring/cluster';
import { deploymentStore } from '../wiring/deployment-store';

const ports = { deployments: deploymentStore, cluster };

export const getDeploymentLogs = async (event: ApiEvent): Promise<ApiResult> => {
  const tenant = authorizeTenant(event, 'read');
  const id = deploymentIdOf(event);
  const query = parseOrThrow(logsQuerySchema, event.queryStringParameters ?? {}, 'query string');
  return json(200, await deploymentLogs(ports, tenant, id, query));
};

export const handler = apiHandler(getDeploymentLogs);
