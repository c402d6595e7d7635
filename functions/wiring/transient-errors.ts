/** The Kubernetes and AWS client errors worth another try (adapters/transient-errors.ts). */
import { isTransientApiError } from '../adapters/transient-errors';
import type { TransientErrors } from '../ports';

export const transientErrors: TransientErrors = { isTransient: isTransientApiError };
