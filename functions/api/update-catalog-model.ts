/** PUT /api/v1beta1/aimodels-catalog/{catalog_id} (admin): partial update of a live model. */
import { apiHandler, authorizeAdmin, catalogIdOf, headerOf, json, type ApiEvent, type ApiResult, type RequestScope } from '../commons/http';
import { parseJsonBody } from '../commons/json-body';
import { updateCatalogModelSchema } from '../../contract/requests/catalog';
import { catalogItemView } from '../domain/catalog-admin';
import { parseOrThrow } from '../domain/requests';
import { updateCatalogModel as update } from '../use-cases/catalog';
import { catalogStore } from '../wiring/catalog-store';

const ports = { catalog: catalogStore };

export const updateCatalogModel = async (event: ApiEvent, { now }: RequestScope): Promise<ApiResult> => {
  const caller = authorizeAdmin(event);
  const id = catalogIdOf(event);
  const patch = parseOrThrow(updateCatalogModelSchema, parseJsonBody(event.body, event.isBase64Encoded, headerOf(event, 'content-type')));
  return json(200, catalogItemView(await update(ports, id, patch, caller.sub, now)));
};

export const handler = apiHandler(updateCatalogModel);
