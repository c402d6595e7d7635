/**
 * The vLLM image the model pods run. On AWS the stack sets VLLM_IMAGE to the copy behind its
 * ECR pull-through cache (infra/constructs/image-cache.ts), so GPU nodes pull from ECR in the
 * region instead of anonymously from Docker Hub through the NAT address; without the cache (and
 * on the local cloud) it is the Docker Hub reference. docs/architecture.md ("Serving image").
 */
import * as z from 'zod';
import { readEnv } from '../commons/env';
import { IMAGE_REF } from '../../contract/requests/custom-model';
import { VLLM_IMAGE } from '../domain/manifests';

export const servingImage: string = readEnv({
  VLLM_IMAGE: z
    .string()
    .default(VLLM_IMAGE)
    .refine((value) => value.length <= 512 && IMAGE_REF.test(value), { error: 'VLLM_IMAGE must be a container image reference such as vllm/vllm-openai:v0.11.0' }),
}).VLLM_IMAGE;
