/** The model namespace alone (MODEL_NAMESPACE), for a task that renders an object but serves no endpoint. */
import { namespace } from '../adapters/model-namespace';
import type { ServingEndpoint } from '../ports';

export const modelNamespace: Pick<ServingEndpoint, 'namespace'> = { namespace };
