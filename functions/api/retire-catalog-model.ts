/** DELETE /api/v1beta1/aimodels-catalog/{catalog_id} (admin): retire (204); running deployments are untouched. */
import { apiHandler, authorizeAdmin, catalogIdOf, noContent, type ApiEvent, type ApiResult, type RequestScope } from '../commons/http';
import { retireCatalogModel as retire } from '../use-cases/catalog';
import { catalogStore } from '../wiring/catalog-store';

const ports = { catalog: catalogStore };

export const retireCatalogModel = async (event: ApiEvent, { now }: RequestScope): Promise<ApiResult> => {
  const caller = authorizeAdmin(event);
  await retire(ports, catalogIdOf(event), caller.sub, now);
  return noContent();
};

export const handler = apiHandler(retireCatalogModel);
