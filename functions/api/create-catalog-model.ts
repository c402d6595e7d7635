/** POST /api/v1beta1/aimodels-catalog (admin): offers a new model, or again a retired one. */
import { apiHandler, authorizeAdmin, headerOf, json, type ApiEvent, type ApiResult, type RequestScope } from '../commons/http';
import { parseJsonBody } from '../commons/json-body';
import { addCatalogModelSchema } from '../../contract/requests/catalog';
import { catalogItemView } from '../domain/catalog-admin';
import { parseOrThrow } from '../domain/requests';
import { addCatalogModel } from '../use-cases/catalog';
import { catalogStore } from '../wiring/catalog-store';

const ports = { catalog: catalogStore };

export const createCatalogModel = async (event: ApiEvent, { now }: RequestScope): Promise<ApiResult> => {
  const caller = authorizeAdmin(event);
  const request = parseOrThrow(addCatalogModelSchema, parseJsonBody(event.body, event.isBase64Encoded, headerOf(event, 'content-type')));
  return json(201, catalogItemView(await addCatalogModel(ports, request, caller.sub, now)));
};

export const handler = apiHandler(createCatalogModel);
