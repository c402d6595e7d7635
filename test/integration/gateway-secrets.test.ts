/**
 * The gateway secrets adapter (functions/adapters/gateway-secrets.ts) against the local Secrets
 * Manager through the real SDK: the master secret is read once per process and only its
 * derived keys are handed out; a failed read is retried by the next call; a secret too short to
 * be one is refused with a message that names the secret, not its value.
 */
import { CreateSecretCommand, DeleteSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { deriveKey, modelServerKey } from '../../functions/domain/inference-keys';
import { startSecretsManager, type LocalSecretsManager } from '../../local/secrets/index';

const dataDir = mkdtempSync(join(tmpdir(), 'gpu-cp-gw-secret-'));
const NAME = 'cp/inference-gateway';
const MASTER = Buffer.alloc(32, 9).toString('base64');
let server: LocalSecretsManager;
let client: SecretsManagerClient;

beforeAll(async () => {
  server = await startSecretsManager({ host: '127.0.0.1', dataDir, region: 'us-east-1', accountId: '000000000000' });
  client = new SecretsManagerClient({ endpoint: server.url, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' }, maxAttempts: 1 });
  Object.assign(process.env, { AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'x', AWS_SECRET_ACCESS_KEY: 'x', SECRETS_MANAGER_ENDPOINT: server.url, GATEWAY_SECRET_ID: NAME });
});
afterAll(async () => {
  client?.destroy();
  await server?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

/** A fresh module instance: a new process, as far as the adapter's one read is concerned. */
const freshAdapter = async () => {
  vi.resetModules();
  return import('../../functions/wiring/gateway-secrets');
};

describe('gateway secrets', () => {
  it('retries a failed read, then reads once per process and derives the pepper and model server keys', async () => {
    const { gatewaySecrets } = await freshAdapter();
    await expect(gatewaySecrets.keyHashPepper()).rejects.toThrow(/can't find the specified secret/);
    await client.send(new CreateSecretCommand({ Name: NAME, SecretString: MASTER }));
    const master = Buffer.from(MASTER, 'base64');
    expect(await gatewaySecrets.keyHashPepper()).toEqual(deriveKey(master, 'inference-key-hash'));
    expect(await gatewaySecrets.modelServerKey('dep-1')).toBe(modelServerKey(deriveKey(master, 'model-server-key'), 'dep-1'));
    // read once: gone from Secrets Manager, still known to this process
    await client.send(new DeleteSecretCommand({ SecretId: NAME, ForceDeleteWithoutRecovery: true }));
    expect(await gatewaySecrets.modelServerKey('dep-2')).toBe(modelServerKey(deriveKey(master, 'model-server-key'), 'dep-2'));
  });

  it('refuses a secret shorter than 32 bytes, naming the secret and not its value', async () => {
    await client.send(new CreateSecretCommand({ Name: NAME, SecretString: 'c2hvcnQ=' }));
    const { gatewaySecrets } = await freshAdapter();
    const error = await gatewaySecrets.keyHashPepper().then(() => undefined, (e: unknown) => e as Error);
    expect(error?.message).toBe(`secret ${NAME} holds fewer than 32 bytes (base64)`);
  });
});
