/**
 * Deployment recipes (the SLURM server's `recipe_name`): named templates of a deploy body,
 * with their parameters, defaults, and where each lands in POST …/aimodels. Built from the
 * built-in catalog and inventory at module load, so a default can never name a model, GPU
 * config or plan that does not exist (test/unit/recipes-and-prompt.test.ts deploys each one on paper).
 * Pure.
 */
import type { RecipeView } from '../../contract/api-schemas';
import { findCatalogModel, findGpuConfig, type CatalogModel } from '../../contract/catalog';
import type { AutoscalingRange } from './deployment';
import { ValidationError } from './errors';

export interface RecipeParameter {
  name: string;
  /** Dotted path in the deploy body this parameter sets. */
  deploy_field: string;
  /** The SLURM recipe's environment variable with the same meaning, if any. */
  slurm_env?: string;
  type: 'string' | 'integer';
  default: string | number;
  description: string;
}

export interface Recipe {
  name: string;
  description: string;
  engine: 'vllm';
  parameters: RecipeParameter[];
  /** POST …/aimodels with this body (plus a `name`) deploys the recipe; or send `recipe_name` and only what differs. */
  deploy_body: DeployBody;
}

/** What GET …/recipes lists: the recipe and the image its deployments run. */
export type { RecipeView };

export interface DeployBody {
  catalog_id: string;
  region: string;
  gpu_config_id: string;
  gpu_count: number;
  plan_id: string;
  replicas: number;
  config: { max_model_len: number; max_num_seqs: number };
  autoscaling?: AutoscalingRange;
}

const recipe = (
  name: string,
  description: string,
  catalogId: string,
  options: { autoscaling?: AutoscalingRange } = {},
): Recipe => {
  const model: CatalogModel | undefined = findCatalogModel(catalogId);
  const gpuConfig = model && findGpuConfig(model.recommended_gpu.gpu_config_id);
  const plan = gpuConfig?.plans[0];
  if (!model || !gpuConfig || !plan) throw new Error(`recipe ${name}: catalog model ${catalogId} or its recommended GPU config is missing`);
  const body: DeployBody = {
    catalog_id: model.id,
    region: gpuConfig.region,
    gpu_config_id: gpuConfig.config_id,
    gpu_count: model.recommended_gpu.gpu_count,
    plan_id: plan.plan_id,
    replicas: Math.max(1, options.autoscaling?.min_replicas ?? 1),
    config: { max_model_len: model.configurations.max_model_len.default, max_num_seqs: model.configurations.max_num_seqs.default },
    ...(options.autoscaling ? { autoscaling: options.autoscaling } : {}),
  };
  const parameters: RecipeParameter[] = [
    { name: 'model', deploy_field: 'catalog_id', slurm_env: 'VLLM_MODEL', type: 'string', default: model.id, description: `catalog id of the model (${model.model_id}); see GET /api/v1beta1/aimodels-catalog` },
    { name: 'max_model_len', deploy_field: 'config.max_model_len', slurm_env: 'VLLM_MAX_MODEL_LEN', type: 'integer', default: body.config.max_model_len, description: `context length, ${model.configurations.max_model_len.min}-${model.configurations.max_model_len.max} for this model` },
    { name: 'max_num_seqs', deploy_field: 'config.max_num_seqs', type: 'integer', default: body.config.max_num_seqs, description: 'concurrent sequences per replica' },
    { name: 'tensor_parallel_size', deploy_field: 'gpu_count', slurm_env: 'VLLM_TENSOR_PARALLEL_SIZE', type: 'integer', default: body.gpu_count, description: `GPUs per replica (vLLM --tensor-parallel-size), at most ${gpuConfig.gpus_per_node} on ${gpuConfig.config_id}` },
    { name: 'gpu', deploy_field: 'gpu_config_id', slurm_env: 'CUDA_VISIBLE_DEVICES', type: 'string', default: body.gpu_config_id, description: 'GPU config; see GET /api/v1beta1/inventory' },
    { name: 'plan', deploy_field: 'plan_id', type: 'string', default: body.plan_id, description: 'pricing plan of the GPU config' },
    { name: 'replicas', deploy_field: 'replicas', type: 'integer', default: body.replicas, description: 'replicas to start with' },
  ];
  if (options.autoscaling) {
    parameters.push(
      { name: 'min_replicas', deploy_field: 'autoscaling.min_replicas', type: 'integer', default: options.autoscaling.min_replicas, description: 'lowest replica count PUT …/scale and schedules may set (0 allows pausing)' },
      { name: 'max_replicas', deploy_field: 'autoscaling.max_replicas', type: 'integer', default: options.autoscaling.max_replicas, description: 'highest replica count PUT …/scale may set' },
    );
  }
  return { name, description, engine: 'vllm', parameters, deploy_body: body };
};

export const RECIPES: readonly Recipe[] = [
  recipe('inference/vllm', 'vLLM OpenAI-compatible server with the default model, Qwen/Qwen2.5-0.5B-Instruct, on one L4', 'Qwen-Qwen2.5-0.5B-Instruct'),
  recipe(
    'inference/vllm-elastic',
    'The default model with a scale range of 0-4 replicas: scale anywhere in it, pause (0) and scheduled scale-to-zero allowed',
    'Qwen-Qwen2.5-0.5B-Instruct',
    { autoscaling: { min_replicas: 0, max_replicas: 4 } },
  ),
  recipe('inference/vllm-tensor-parallel', 'A 14B model split across two L40S GPUs (tensor parallelism)', 'Qwen-Qwen2.5-14B-Instruct'),
];

/** A recipe as GET …/recipes shows it: with the image its deployments run (configured per installation). */
export const describeRecipe = (recipe: Recipe, image: string): RecipeView => {
  const { name, description, engine, ...rest } = recipe;
  return { name, description, engine, image, ...rest };
};

export const findRecipe = (name: string): Recipe | undefined => RECIPES.find((r) => r.name === name);

/**
 * A deploy body that names `recipe_name`: the recipe's body under what the client gave
 * (`config` merged key by key), without `recipe_name`. Bodies without it pass unchanged.
 * A body that is not what the schema expects is left for parseOrThrow to reject.
 */
export const applyRecipe = (body: unknown): unknown => {
  if (typeof body !== 'object' || body === null || Array.isArray(body) || !('recipe_name' in body)) return body;
  const { recipe_name: name, ...given } = body as Record<string, unknown>;
  const found = typeof name === 'string' ? findRecipe(name) : undefined;
  if (!found) {
    throw new ValidationError(`recipe_name must be one of ${RECIPES.map((r) => r.name).join(', ')} (see GET /api/v1beta1/recipes)`, 'recipe_name');
  }
  const config = typeof given.config === 'object' && given.config !== null && !Array.isArray(given.config) ? given.config : {};
  // Another model (or one outside the catalog) brings its own defaults; the recipe's are for its own model.
  const custom = given.huggingface_id !== undefined;
  const ownModel = !custom && (given.catalog_id === undefined || given.catalog_id === found.deploy_body.catalog_id);
  const merged: Record<string, unknown> = { ...found.deploy_body, ...given, config: { ...(ownModel ? found.deploy_body.config : {}), ...config } };
  if (custom && given.catalog_id === undefined) delete merged.catalog_id;
  // A range or replica count the client gives replaces the recipe's, in whichever spelling.
  if ('settings' in given || 'autoscaling_config' in given) delete merged.autoscaling;
  if (('settings' in given || 'autoscaling_config' in given || 'autoscaling' in given) && !('replicas' in given)) delete merged.replicas;
  return merged;
};
