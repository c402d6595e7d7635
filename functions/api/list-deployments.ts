/** GET …/aimodels?page=&limit=: one page of the project's deployments, newest first. */
import { apiHandler, authorizeTenant, json, type ApiEvent, type ApiResult, type RequestScope } from '../commons/http';
import { toDeploymentView } from '../domain/deployment';
import { listQuerySchema, parseOrThrow } from '../domain/requests';
import { listDeployments as list } from '../use-cases/deployments';

export const listDeployments = async (event: ApiEvent, { now }: RequestScope): Promise<ApiResult> => {
  const tenant = authorizeTenant(event, 'read');
  const { page, limit } = parseOrThrow(listQuerySchema, event.queryStringParameters ?? {}, 'query string');
  const { items, total } = await list(tenant, page, limit);
  return json(200, {
    items: items.map((record) => toDeploymentView(record, now)),
    pagination: { total_items: total, total_pages: Math.ceil(total / limit), current_page: page, items_per_page: limit },
  });
};

export const handler = apiHandler(listDeployments);
