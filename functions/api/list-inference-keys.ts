/** GET …/inference-keys?page=&limit=: one page of the project's keys, newest first, never a key itself. */
import { apiHandler, authorizeTenant, json, type ApiEvent, type ApiResult, type RequestScope } from '../commons/http';
import { keyListQuerySchema } from '../../contract/requests/inference-keys';
import { toInferenceKeyView } from '../domain/inference-key-views';
import { parseOrThrow } from '../domain/requests';
import { listInferenceKeys as list } from '../use-cases/inference-keys';
import { inferenceKeyStore } from '../wiring/inference-keys';

const ports = { inferenceKeys: inferenceKeyStore };

export const listInferenceKeys = async (event: ApiEvent, { now }: RequestScope): Promise<ApiResult> => {
  const tenant = authorizeTenant(event, 'read');
  const { page, limit } = parseOrThrow(keyListQuerySchema, event.queryStringParameters ?? {}, 'query string');
  const { items, total } = await list(ports, tenant, page, limit);
  return json(200, {
    items: items.map((record) => toInferenceKeyView(record, now)),
    pagination: { total_items: total, total_pages: Math.ceil(total / limit), current_page: page, items_per_page: limit },
  });
};

export const handler = apiHandler(listInferenceKeys);
