/** GET /api/v1beta1/aimodels-catalog: the models that can be deployed by catalog id. */
import { apiHandler, callerOf, json, type ApiEvent, type ApiResult } from '../commons/http';
import { CATALOG, weightsGiB } from '../domain/catalog';

const items = CATALOG.map((model) => ({
  id: model.id,
  model_id: model.model_id,
  name: model.name,
  vendor: model.vendor,
  parameters_billion: model.parameters_billion,
  dtype: model.dtype,
  weights_gib: Number(weightsGiB(model).toFixed(1)),
  gated: model.gated,
  configurations: model.configurations,
  recommended_gpu: model.recommended_gpu,
  tags: model.tags,
}));

export const listCatalog = async (event: ApiEvent): Promise<ApiResult> => {
  callerOf(event);
  return json(200, { items, pagination: { total_items: items.length, total_pages: 1, current_page: 1, items_per_page: items.length } });
};

export const handler = apiHandler(listCatalog);
