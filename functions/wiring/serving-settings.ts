/** The model namespace, serving image, ingress CIDRs and endpoint form of this installation (from the environment). */
import * as z from 'zod';
import { namespace } from '../adapters/model-namespace';
import { modelIngress } from '../adapters/model-network';
import { servingImage } from '../adapters/serving-image';
import { readEnv } from '../commons/env';
import type { ServingSettings } from '../ports';

const env = readEnv({
  ENDPOINT_URL_TEMPLATE: z.string().includes('{service}').default('http://{service}.{namespace}.svc.cluster.local:8000/v1'),
});

export const servingSettings: ServingSettings = { namespace, image: servingImage, ingress: modelIngress, endpointUrlTemplate: env.ENDPOINT_URL_TEMPLATE };
