/** GET …/aimodels/{model_id}/events?limit=&cursor=: the deployment's history, oldest first. */
import { apiHandler, authorizeTenant, deploymentIdOf, json, type ApiEvent, type ApiResult } from '../commons/http';
import { encodeEventCursor, eventsQuerySchema } from '../../contract/requests/queries';
import { parseOrThrow } from '../domain/requests';
import { deploymentEvents } from '../use-cases/deployment-reads';
import { deploymentStore } from '../wiring/deployment-store';
import { eventLog } from '../wiring/event-log';

const ports = { deployments: deploymentStore, events: eventLog };

export const listDeploymentEvents = async (event: ApiEvent): Promise<ApiResult> => {
  const tenant = authorizeTenant(event, 'read');
  const id = deploymentIdOf(event);
  const { limit, cursor } = parseOrThrow(eventsQuerySchema, event.queryStringParameters ?? {}, 'query string');
  const page = await deploymentEvents(ports, tenant, id, { limit, after: cursor });
  return json(200, { items: page.items, next_cursor: page.next ? encodeEventCursor(page.next) : null });
};

export const handler = apiHandler(listDeploymentEvents);
