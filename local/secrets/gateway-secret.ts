/**
 * The inference gateway's master secret in the local cloud: created at start if absent, as CDK
 * creates it in AWS (infra/constructs/secrets.ts GatewaySecret), under the same key as the token
 * secrets, so the local IAM checks on reading it are the same. It survives restarts with the
 * rest of the data directory: the stored keys' hashes stay valid.
 */
import { randomBytes } from 'node:crypto';
import { CreateSecretCommand, DescribeSecretCommand, ResourceNotFoundException, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

/** Called by the local cloud itself (no function's identity), so IAM does not apply. */
export const ensureGatewaySecret = async (endpoint: string, options: { name: string; kmsKeyArn: string; region: string }): Promise<void> => {
  const client = new SecretsManagerClient({ endpoint, region: options.region, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  try {
    await client.send(new DescribeSecretCommand({ SecretId: options.name }));
  } catch (error) {
    if (!(error instanceof ResourceNotFoundException)) throw error;
    await client.send(
      new CreateSecretCommand({
        Name: options.name,
        // 32 random bytes, base64: what functions/adapters/gateway-secrets.ts decodes
        SecretString: randomBytes(32).toString('base64'),
        KmsKeyId: options.kmsKeyArn,
        Description: 'Master secret of the inference gateway',
      }),
    );
  } finally {
    client.destroy();
  }
};
