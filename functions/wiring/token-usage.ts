/** Token counters on DynamoDB (adapters/token-usage.ts). */
import { addTokenUsage, tokenUsageOfDeployment, tokenUsageOfKey } from '../adapters/token-usage';
import type { TokenUsageStore } from '../ports';

export const tokenUsageStore: TokenUsageStore = { add: addTokenUsage, ofKey: tokenUsageOfKey, ofDeployment: tokenUsageOfDeployment };
