/**
 * A deploy body to a resolved spec: a recipe's defaults (`recipe_name`) first, then the body is
 * parsed as a catalog deploy or a custom model (`huggingface_id`); a catalog model is read with
 * the admins' changes (built-in or admin-added; a retired one is refused), a custom model is not
 * looked up. Then the pure checks, scale range included (domain/custom-model.ts
 * resolveParsedDeployRequest). Shared by the deploy and its dry run.
 */
import { parseDeployRequest, resolveParsedDeployRequest, type DeploySpec } from '../domain/custom-model';
import { applyRecipe } from '../domain/recipes';
import type { Ports } from '../ports';
import { deployableCatalogModel } from './catalog';

export const resolveDeployRequest = async (ports: Pick<Ports, 'catalog'>, body: unknown): Promise<DeploySpec> => {
  const parsed = parseDeployRequest(applyRecipe(body));
  const model = parsed.custom ? undefined : await deployableCatalogModel(ports, parsed.request.catalog_id);
  return resolveParsedDeployRequest(parsed, model);
};
