/**
 * Hugging Face tokens in Secrets Manager: one secret per deployment, `<prefix>/hf-token/<id>`
 * (infra/constructs/secrets.ts grants each function its part and sets HF_TOKEN_SECRET_PREFIX and,
 * for the creator, HF_TOKEN_KMS_KEY_ARN). Configuration is read at the first call, not at import:
 * functions that import the use cases without touching tokens have none of it.
 */
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  GetSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import * as z from 'zod';
import { optionalUrl, readEnv } from '../commons/env';
import { hfTokenSecretName } from '../domain/hf-token';
import { awsRetry } from '../commons/aws-retry';

interface Config {
  client: SecretsManagerClient;
  prefix: string;
  kmsKeyArn: string | undefined;
}
let config: Config | undefined;

const configured = (): Config => {
  if (config) return config;
  const env = readEnv({
    HF_TOKEN_SECRET_PREFIX: z.string().min(1).endsWith('/'),
    HF_TOKEN_KMS_KEY_ARN: z.string().startsWith('arn:').optional(),
    SECRETS_MANAGER_ENDPOINT: optionalUrl,
  });
  config = {
    client: new SecretsManagerClient({ endpoint: env.SECRETS_MANAGER_ENDPOINT, ...awsRetry(4) }),
    prefix: env.HF_TOKEN_SECRET_PREFIX,
    kmsKeyArn: env.HF_TOKEN_KMS_KEY_ARN,
  };
  return config;
};

/** Stores the token of a new deployment; returns the secret's ARN (all the record keeps). */
export const storeHfToken = async (deploymentId: string, token: string): Promise<string> => {
  const { client, prefix, kmsKeyArn } = configured();
  const out = await client.send(
    new CreateSecretCommand({
      Name: hfTokenSecretName(prefix, deploymentId),
      SecretString: token,
      KmsKeyId: kmsKeyArn,
      Description: `Hugging Face token of deployment ${deploymentId}`,
      Tags: [{ Key: 'gpudeploy.io/deployment-id', Value: deploymentId }],
    }),
  );
  if (!out.ARN) throw new Error('Secrets Manager CreateSecret returned no ARN');
  return out.ARN;
};

export const readHfToken = async (secretArn: string): Promise<string> => {
  const out = await configured().client.send(new GetSecretValueCommand({ SecretId: secretArn }));
  if (out.SecretString === undefined) throw new Error(`secret ${secretArn} has no string value`);
  return out.SecretString;
};

/** Deletes at once (no recovery window: the token must not outlive its deployment); gone is fine. */
export const deleteHfToken = async (secretArn: string): Promise<void> => {
  try {
    await configured().client.send(new DeleteSecretCommand({ SecretId: secretArn, ForceDeleteWithoutRecovery: true }));
  } catch (error) {
    if (!(error instanceof ResourceNotFoundException)) throw error;
  }
};
