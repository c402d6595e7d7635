/**
 * Deploys outside the catalog (Jan's custom models, DeepInfra's `hf` weights): the optional
 * NeevCloud extensions `huggingface_id` (instead of `catalog_id`), `revision`, `hf_token`,
 * `image`, `command`/`args`, `storage_size`, `model_size_gib`, `tags`, `display_name`,
 * `description` and the head counts (docs/custom-models.md), and the deploy body the OpenAPI
 * document shows, which accepts either kind. The checks against the inventory are
 * functions/domain/custom-model.ts's.
 */
import * as z from 'zod';
import { createDeploymentSchema, hfTokenSchema } from './deploy';

const HF_REPO = /^[A-Za-z0-9][\w.-]{0,95}\/[A-Za-z0-9][\w.-]{0,95}$/;
const REVISION = /^[\w.\-/]{1,128}$/;
/** registry[:port]/path[:tag][@sha256:digest], lowercase path as the distribution spec says. */
export const IMAGE_REF = /^(?:[a-z0-9.-]+(?::\d{1,5})?\/)?[a-z0-9]+(?:(?:[._]|__|-+|\/)[a-z0-9]+)*(?::\w[\w.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$/;
/** A storage quantity in binary units, or (Jan) a bare number of GiB. */
const STORAGE_QUANTITY = /^([1-9]\d{0,6})(Mi|Gi|Ti)$/;
const MAX_STORAGE_GIB = 16_384;

const argList = (field: string) =>
  z
    .array(z.string({ error: `${field} must be an array of strings` }).min(1, { error: `${field} must not hold empty strings` }).max(4096), {
      error: `${field} must be an array of strings`,
    })
    .min(1, { error: `${field} must not be empty` })
    .max(128, { error: `${field} may hold at most 128 entries` });

const storageSize = z
  .union([z.number({ error: 'storage_size must be a quantity like "50Gi" or a number of GiB' }), z.string({ error: 'storage_size must be a quantity like "50Gi" or a number of GiB' })])
  .transform((value, ctx) => {
    const gib = typeof value === 'number' ? value : quantityGiB(value);
    if (gib === undefined || !Number.isFinite(gib) || gib <= 0 || (typeof value === 'number' && !Number.isInteger(value))) {
      ctx.addIssue({ code: 'custom', message: 'storage_size must be a quantity like "50Gi" (Mi, Gi or Ti) or a whole number of GiB' });
      return z.NEVER;
    }
    if (gib < 1 || gib > MAX_STORAGE_GIB) {
      ctx.addIssue({ code: 'custom', message: `storage_size must be between 1Gi and ${MAX_STORAGE_GIB}Gi` });
      return z.NEVER;
    }
    return typeof value === 'number' ? `${value}Gi` : value;
  });

const quantityGiB = (quantity: string): number | undefined => {
  const match = STORAGE_QUANTITY.exec(quantity);
  if (!match) return undefined;
  const amount = Number(match[1]);
  return match[2] === 'Mi' ? amount / 1024 : match[2] === 'Ti' ? amount * 1024 : amount;
};

/** The fields a custom-model deploy adds to the NeevCloud body (all optional but huggingface_id). */
export const customModelFields = {
  huggingface_id: z
    .string({ error: 'huggingface_id must be a string' })
    .regex(HF_REPO, { error: 'huggingface_id must be a Hugging Face repository id, <owner>/<name>' }),
  revision: z.string({ error: 'revision must be a string' }).regex(REVISION, { error: 'revision must be a branch, tag or commit (letters, digits, "_", "-", ".", "/"; at most 128)' }).optional(),
  hf_token: hfTokenSchema.optional(),
  image: z.string({ error: 'image must be a string' }).max(512, { error: 'image is too long' }).regex(IMAGE_REF, { error: 'image must be a container image reference, e.g. vllm/vllm-openai:v0.11.0' }).optional(),
  command: argList('command').optional(),
  args: argList('args').optional(),
  storage_size: storageSize.optional(),
  model_size_gib: z
    .number({ error: 'model_size_gib must be a number' })
    .positive({ error: 'model_size_gib must be positive' })
    .max(4096, { error: 'model_size_gib must be at most 4096' })
    .optional(),
  tags: z
    .array(z.string({ error: 'tags must be an array of strings' }).min(1, { error: 'tags must not hold empty strings' }).max(64, { error: 'a tag is at most 64 characters' }), {
      error: 'tags must be an array of strings',
    })
    .max(20, { error: 'tags may hold at most 20 entries' })
    .optional(),
  display_name: z.string({ error: 'display_name must be a string' }).min(1, { error: 'display_name must not be empty' }).max(100, { error: 'display_name is at most 100 characters' }).optional(),
  description: z.string({ error: 'description must be a string' }).max(1000, { error: 'description is at most 1000 characters' }).optional(),
  /** The model's config.json head counts: with them, gpu_count may be any size vLLM can shard the model over, not only a power of two. */
  num_attention_heads: z.number({ error: 'num_attention_heads must be an integer' }).int({ error: 'num_attention_heads must be an integer' }).min(1, { error: 'num_attention_heads must be at least 1' }).max(1024, { error: 'num_attention_heads must be at most 1024' }).optional(),
  num_key_value_heads: z.number({ error: 'num_key_value_heads must be an integer' }).int({ error: 'num_key_value_heads must be an integer' }).min(1, { error: 'num_key_value_heads must be at least 1' }).max(1024, { error: 'num_key_value_heads must be at most 1024' }).optional(),
};

/** Fields that only make sense outside the catalog (a catalog model is served as the catalog defines it). */
export const CUSTOM_ONLY = ['revision', 'image', 'command', 'args', 'storage_size', 'model_size_gib', 'tags', 'display_name', 'description', 'num_attention_heads', 'num_key_value_heads'] as const;

export const customModelDeploymentSchema = createDeploymentSchema.omit({ catalog_id: true }).extend(customModelFields);
export type CustomModelDeploymentRequest = z.infer<typeof customModelDeploymentSchema>;

/**
 * What POST …/aimodels accepts, as one schema for the document: the NeevCloud body (catalog_id)
 * or, as an extension, a model outside the catalog (huggingface_id and its fields). The handler
 * checks that exactly one of the two ids is given (functions/domain/custom-model.ts).
 */
export const deployBodySchema = createDeploymentSchema
  .partial({ catalog_id: true })
  .extend(Object.fromEntries(Object.entries(customModelFields).map(([k, v]) => [k, v.optional()])) as { [K in keyof typeof customModelFields]: z.ZodOptional<(typeof customModelFields)[K]> })
  .extend({
    recipe_name: z
      .string()
      .optional()
      .describe('Extension: a recipe of GET /api/v1beta1/recipes; its `deploy_body` fills in every field not given, so `name` alone deploys it.'),
  })
  .describe(
    'A deploy request: `catalog_id` (NeevCloud) or, as an extension, `huggingface_id` with the custom-model fields; exactly one of the two. ' +
      'Extensions: a scale range in one of three spellings (`autoscaling`, DeepInfra `settings`, Jan `autoscaling_config`), and `recipe_name`.',
  );
