/**
 * The gateway's master secret in Secrets Manager (`${prefix}/inference-gateway`, named by
 * GATEWAY_SECRET_ID, which infra sets only on the functions granted `gatewaySecret`): read once
 * per process, decoded from base64, and only ever used through the keys derived from it
 * (domain/inference-keys.ts). Configuration is read at the first call, not at import.
 */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import * as z from 'zod';
import { optionalUrl, readEnv } from '../commons/env';
import { controlPlaneKey, deriveKey, modelServerKey } from '../domain/inference-keys';
import { awsRetry } from '../commons/aws-retry';

/** The least a master secret must hold: 32 random bytes (CDK generates 44 alphanumerics, ~262 bits). */
const MIN_MASTER_BYTES = 32;

interface DerivedKeys {
  pepper: Buffer;
  modelServer: Buffer;
  controlPlane: Buffer;
}
let derived: Promise<DerivedKeys> | undefined;

const readMaster = async (): Promise<Buffer> => {
  const env = readEnv({ GATEWAY_SECRET_ID: z.string().min(1), SECRETS_MANAGER_ENDPOINT: optionalUrl });
  const client = new SecretsManagerClient({ endpoint: env.SECRETS_MANAGER_ENDPOINT, ...awsRetry(4) });
  try {
    const out = await client.send(new GetSecretValueCommand({ SecretId: env.GATEWAY_SECRET_ID }));
    const master = Buffer.from(out.SecretString ?? '', 'base64');
    // the message names the secret, never its value
    if (master.length < MIN_MASTER_BYTES) throw new Error(`secret ${env.GATEWAY_SECRET_ID} holds fewer than ${MIN_MASTER_BYTES} bytes (base64)`);
    return master;
  } finally {
    client.destroy();
  }
};

/** Reads and derives once; a failed read is forgotten, so the next call tries again. */
const keys = (): Promise<DerivedKeys> => {
  derived ??= readMaster().then(
    (master) => ({ pepper: deriveKey(master, 'inference-key-hash'), modelServer: deriveKey(master, 'model-server-key'), controlPlane: deriveKey(master, 'control-plane-key') }),
    (error: unknown) => {
      derived = undefined;
      throw error;
    },
  );
  return derived;
};

export const keyHashPepper = async (): Promise<Buffer> => (await keys()).pepper;

export const deploymentModelServerKey = async (deploymentId: string): Promise<string> => modelServerKey((await keys()).modelServer, deploymentId);

export const deploymentControlPlaneKey = async (deploymentId: string): Promise<string> => controlPlaneKey((await keys()).controlPlane, deploymentId);
