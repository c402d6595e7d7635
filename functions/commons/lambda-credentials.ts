/**
 * Stands in for `@aws-sdk/credential-provider-node` inside the Lambda bundles (the esbuild
 * `alias` in infra/bundling.ts); TypeScript sources, tests and the local cloud use the real one.
 *
 * In Lambda the execution role's credentials are always in the environment
 * (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN), and the default chain would
 * return them from its first link, `fromEnv`, anyway. The chain's other links (SSO, INI files,
 * process, web identity, IMDS) can never answer there, yet they pull the STS and SSO clients
 * into every bundle: about a sixth of an API handler's code. Every SDK client's runtime config
 * imports `defaultProvider` from that package, so replacing the package replaces them all.
 */
import { fromEnv } from '@aws-sdk/credential-provider-env';

type Init = NonNullable<Parameters<typeof fromEnv>[0]>;

export const defaultProvider = (init: Init = {}): ReturnType<typeof fromEnv> => fromEnv(init.logger ? { logger: init.logger } : {});
