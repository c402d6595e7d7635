/** GET …/aimodels?page=&limit= (or &cursor=): one page of the project's deployments, newest first. */
import { apiHandler, authorizeTenant, json, type ApiEvent, type ApiResult, type RequestScope } from '../commons/http';
import { toDeploymentView } from '../domain/deployment';
import { encodeListCursor, listPageOf, listQuerySchema } from '../../contract/requests/queries';
import { parseOrThrow } from '../domain/requests';
import { listDeployments as list } from '../use-cases/deployments';
import { deploymentStore } from '../wiring/deployment-store';

const ports = { deployments: deploymentStore };

export const listDeployments = async (event: ApiEvent, { now }: RequestScope): Promise<ApiResult> => {
  const tenant = authorizeTenant(event, 'read');
  const { page, limit, after } = listPageOf(parseOrThrow(listQuerySchema, event.queryStringParameters ?? {}, 'query string'));
  const { items, total } = await list(ports, tenant, page, limit, after);
  const last = items.at(-1);
  return json(200, {
    items: items.map((record) => toDeploymentView(record, now)),
    pagination: {
      total_items: total,
      total_pages: Math.ceil(total / limit),
      current_page: page,
      items_per_page: limit,
      next_cursor: last && items.length === limit && page * limit < total ? encodeListCursor(page + 1, last.id) : null,
    },
  });
};

export const handler = apiHandler(listDeployments);
