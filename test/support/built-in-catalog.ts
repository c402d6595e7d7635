/**
 * The deploy check on paper: a body parsed and resolved by the pure domain functions against the
 * built-in catalog, as the API's use case (functions/use-cases/resolve-deployment.ts) does against
 * the catalog with the admins' changes. No recipe is applied; pass `applyRecipe(body)` for that.
 */
import { findCatalogModel } from '../../contract/catalog';
import { parseDeployRequest, resolveParsedDeployRequest, type DeploySpec } from '../../functions/domain/custom-model';

export const resolveOnBuiltInCatalog = (body: unknown): DeploySpec => {
  const parsed = parseDeployRequest(body);
  return resolveParsedDeployRequest(parsed, parsed.custom ? undefined : findCatalogModel(parsed.request.catalog_id));
};
