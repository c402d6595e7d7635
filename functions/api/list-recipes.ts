/** GET /api/v1beta1/recipes: deployment templates, their parameters and the deploy body each becomes. */
import { apiHandler, callerOf, json, type ApiEvent, type ApiResult } from '../commons/http';
import { describeRecipe, RECIPES } from '../domain/recipes';
import { listCatalog } from '../use-cases/catalog';
import { catalogStore } from '../wiring/catalog-store';
import { servingSettings } from '../wiring/serving-settings';

const ports = { catalog: catalogStore, serving: servingSettings };

export const listRecipes = async (event: ApiEvent): Promise<ApiResult> => {
  callerOf(event);
  // A recipe whose model an admin retired cannot be deployed as it stands.
  const offered = new Set((await listCatalog(ports)).map((model) => model.id));
  const items = RECIPES.map((recipe) => ({ ...describeRecipe(recipe, ports.serving.image), available: offered.has(recipe.deploy_body.catalog_id) }));
  return json(200, { items, pagination: { total_items: items.length, total_pages: 1, current_page: 1, items_per_page: items.length } });
};

export const handler = apiHandler(listRecipes);
