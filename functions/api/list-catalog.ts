/**
 * GET /api/v1beta1/aimodels-catalog: the models that can be deployed by catalog id (built-in
 * plus admin changes, retired ones left out). `?include_retired=true` (admins only) lists the
 * retired ones too, with `retired_at`.
 */
import { apiHandler, authorizeAdmin, callerOf, json, type ApiEvent, type ApiResult } from '../commons/http';
import { catalogQuerySchema } from '../../contract/requests/catalog';
import { catalogItemView } from '../domain/catalog-admin';
import { parseOrThrow } from '../domain/requests';
import { listCatalog as list, listCatalogWithRetired } from '../use-cases/catalog';
import { catalogStore } from '../wiring/catalog-store';

const ports = { catalog: catalogStore };

const page = <T>(items: T[]) => ({ items, pagination: { total_items: items.length, total_pages: 1, current_page: 1, items_per_page: items.length } });

export const listCatalog = async (event: ApiEvent): Promise<ApiResult> => {
  callerOf(event);
  const { include_retired } = parseOrThrow(catalogQuerySchema, event.queryStringParameters ?? {}, 'query string');
  if (!include_retired) return json(200, page((await list(ports)).map(catalogItemView)));
  authorizeAdmin(event);
  const items = (await listCatalogWithRetired(ports)).map(({ model, retired_at }) => ({ ...catalogItemView(model), retired_at: retired_at ?? null }));
  return json(200, page(items));
};

export const handler = apiHandler(listCatalog);
