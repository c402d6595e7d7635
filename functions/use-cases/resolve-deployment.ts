/**
 * A deploy body to a resolved spec: a recipe's defaults (`recipe_name`), the scale range (any of its spellings) and the catalog
 * model (built-in or admin-added; a retired one is refused) come first, then the pure checks
 * of resolveDeploymentSpec. Shared by the deploy and its dry run.
 */
import { checkRangeFits, initialReplicas, resolveAutoscaling } from '../domain/autoscaling';
import { applyRecipe } from '../domain/recipes';
import { createDeploymentSchema, parseOrThrow, resolveDeploymentSpec, type ResolvedDeploymentSpec } from '../domain/requests';
import { deployableCatalogModel } from './catalog';

export const resolveDeployRequest = async (body: unknown): Promise<ResolvedDeploymentSpec> => {
  const parsed = parseOrThrow(createDeploymentSchema, applyRecipe(body));
  const autoscaling = resolveAutoscaling(parsed);
  const request = { ...parsed, replicas: initialReplicas(parsed.replicas, autoscaling) };
  const spec = resolveDeploymentSpec(request, await deployableCatalogModel(request.catalog_id));
  checkRangeFits(autoscaling, spec.request.gpu_count, spec.gpuConfig);
  return { ...spec, autoscaling: autoscaling.range };
};
