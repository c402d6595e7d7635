import * as z from 'zod';
import { readEnv } from '../commons/env';

/** The Kubernetes namespace the models run in (the EKS access entry is scoped to it). */
export const namespace = readEnv({
  MODEL_NAMESPACE: z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/).default('models'),
}).MODEL_NAMESPACE;
