/** Inference keys on DynamoDB (adapters/inference-keys.ts). */
import { createInferenceKey, getInferenceKey, listInferenceKeys, revokeInferenceKey } from '../adapters/inference-keys';
import type { InferenceKeyStore } from '../ports';

export const inferenceKeyStore: InferenceKeyStore = { create: createInferenceKey, get: getInferenceKey, list: listInferenceKeys, revoke: revokeInferenceKey };
