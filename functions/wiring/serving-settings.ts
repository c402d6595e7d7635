/** The model namespace, serving image, ingress CIDRs and endpoint form of this installation (from the environment). */
import { modelIngress } from '../adapters/model-network';
import { servingImage } from '../adapters/serving-image';
import type { ServingSettings } from '../ports';
import { servingEndpoint } from './serving-endpoint';

export const servingSettings: ServingSettings = { ...servingEndpoint, image: servingImage, ingress: modelIngress };
