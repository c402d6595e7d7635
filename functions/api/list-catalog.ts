/** GET /api/v1beta1/aimodels-catalog: the models that can be deployed by catalog id (built-in plus admin changes, retired ones left out). */
import { apiHandler, callerOf, json, type ApiEvent, type ApiResult } from '../commons/http';
import { catalogItemView } from '../domain/catalog-admin';
import { listCatalog as list } from '../use-cases/catalog';

export const listCatalog = async (event: ApiEvent): Promise<ApiResult> => {
  callerOf(event);
  const items = (await list()).map(catalogItemView);
  return json(200, { items, pagination: { total_items: items.length, total_pages: 1, current_page: 1, items_per_page: items.length } });
};

export const handler = apiHandler(listCatalog);
