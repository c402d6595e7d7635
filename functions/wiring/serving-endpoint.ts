/**
 * Where a ready model answers: the model namespace and the endpoint form. Its own module so that
 * a function that only names the endpoint (mark-ready) reads neither the serving image nor the
 * ingress ranges: infra gives VLLM_IMAGE and MODEL_INGRESS_CIDRS only to the functions whose code
 * reads them (test/infra/image-cache.test.ts follows the imports).
 */
import * as z from 'zod';
import { namespace } from '../adapters/model-namespace';
import { readEnv } from '../commons/env';
import type { ServingEndpoint } from '../ports';

const env = readEnv({
  // `{service}` and `{namespace}` (the model's Service), or `{org}`, `{project}` and `{id}` (the inference gateway's route).
  ENDPOINT_URL_TEMPLATE: z
    .string()
    .refine((t) => t.includes('{service}') || t.includes('{id}'), { error: 'ENDPOINT_URL_TEMPLATE must name the deployment: {service} or {id}' })
    .default('http://{service}.{namespace}.svc.cluster.local:8000/v1'),
});

export const servingEndpoint: ServingEndpoint = { namespace, endpointUrlTemplate: env.ENDPOINT_URL_TEMPLATE };
