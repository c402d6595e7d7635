/** GET …/aimodels/{model_id}/events?limit=&cursor=: the deployment's history, oldest first. */
import { listEvents, type DeploymentEvent } from '../adapters/event-log';
import { apiHandler, authorizeTenant, deploymentIdOf, json, type ApiEvent, type ApiResult } from '../commons/http';
import { encodeEventCursor, eventsQuerySchema } from '../../contract/requests/queries';
import { parseOrThrow } from '../domain/requests';
import { getDeployment } from '../use-cases/deployments';

/** Only the documented fields: whatever else an item holds stays in the table. */
const toEventView = ({ at, type, status, phase, message, reason, execution_arn }: DeploymentEvent) => ({
  at,
  type,
  status,
  phase,
  message,
  ...(reason ? { reason } : {}),
  ...(execution_arn ? { execution_arn } : {}),
});

export const listDeploymentEvents = async (event: ApiEvent): Promise<ApiResult> => {
  const tenant = authorizeTenant(event, 'read');
  const id = deploymentIdOf(event);
  const { limit, cursor } = parseOrThrow(eventsQuerySchema, event.queryStringParameters ?? {}, 'query string');
  await getDeployment(tenant, id); // 404 for unknown ids and other tenants' deployments
  const page = await listEvents(tenant, id, { limit, after: cursor });
  return json(200, {
    items: page.items.map(toEventView),
    next_cursor: page.next ? encodeEventCursor(page.next) : null,
  });
};

export const handler = apiHandler(listDeploymentEvents);
