/** Hugging Face tokens in Secrets Manager (adapters/hf-token-secrets.ts). */
import { deleteHfToken, readHfToken, storeHfToken } from '../adapters/hf-token-secrets';
import type { TokenSecrets } from '../ports';

export const tokenSecrets: TokenSecrets = { store: storeHfToken, read: readHfToken, delete: deleteHfToken };
