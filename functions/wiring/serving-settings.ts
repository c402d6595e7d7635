/** The model namespace, serving image and ingress CIDRs of this installation (from the environment). */
import { namespace } from '../adapters/model-namespace';
import { modelIngress } from '../adapters/model-network';
import { servingImage } from '../adapters/serving-image';
import type { ServingSettings } from '../ports';

export const servingSettings: ServingSettings = { namespace, image: servingImage, ingress: modelIngress };
