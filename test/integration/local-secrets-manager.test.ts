/**
 * The local Secrets Manager through the real @aws-sdk/client-secrets-manager: the four
 * operations, the service's error classes, values encrypted on disk (AES-256-GCM, key file in
 * the data dir), and secrets surviving a restart on the same data dir.
 */
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  InvalidParameterException,
  InvalidRequestException,
  ResourceExistsException,
  ResourceNotFoundException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSecretsManager, type LocalSecretsManager } from '../../local/secrets/index';

const dataDir = mkdtempSync(join(tmpdir(), 'gpu-cp-sm-'));
let server: LocalSecretsManager;
let client: SecretsManagerClient;
const start = async () => {
  server = await startSecretsManager({ host: '127.0.0.1', dataDir, region: 'us-east-1', accountId: '000000000000' });
  client = new SecretsManagerClient({ endpoint: server.url, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' }, maxAttempts: 1 });
};
beforeAll(start);
afterAll(async () => {
  client?.destroy();
  await server?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

const VALUE = 'hf_localSecretsManagerValue123456';

const rejection = async (promise: Promise<unknown>) => promise.then(() => undefined, (error: unknown) => error);

describe('local Secrets Manager', () => {
  it('creates, reads and describes a secret by name and by ARN', async () => {
    const created = await client.send(new CreateSecretCommand({ Name: 'cp/hf-token/dep-1', SecretString: VALUE, KmsKeyId: 'arn:aws:kms:us-east-1:000000000000:key/k' }));
    expect(created.ARN).toMatch(/^arn:aws:secretsmanager:us-east-1:000000000000:secret:cp\/hf-token\/dep-1-[A-Za-z0-9]{6}$/);
    expect((await client.send(new GetSecretValueCommand({ SecretId: created.ARN }))).SecretString).toBe(VALUE);
    expect((await client.send(new GetSecretValueCommand({ SecretId: 'cp/hf-token/dep-1' }))).SecretString).toBe(VALUE);
    const described = await client.send(new DescribeSecretCommand({ SecretId: created.ARN }));
    expect(described).toMatchObject({ ARN: created.ARN, Name: 'cp/hf-token/dep-1', KmsKeyId: 'arn:aws:kms:us-east-1:000000000000:key/k' });
    expect(described.CreatedDate).toBeInstanceOf(Date);
  });

  it('answers with the service error classes', async () => {
    expect(await rejection(client.send(new CreateSecretCommand({ Name: 'cp/hf-token/dep-1', SecretString: 'other' })))).toBeInstanceOf(ResourceExistsException);
    const missing = await rejection(client.send(new GetSecretValueCommand({ SecretId: 'cp/hf-token/nope' })));
    expect(missing).toBeInstanceOf(ResourceNotFoundException);
    expect((missing as Error).message).toBe("Secrets Manager can't find the specified secret.");
    expect(await rejection(client.send(new CreateSecretCommand({ Name: 'bad name with spaces', SecretString: 'x' })))).toBeInstanceOf(InvalidParameterException);
    expect(
      await rejection(client.send(new DeleteSecretCommand({ SecretId: 'cp/hf-token/dep-1', ForceDeleteWithoutRecovery: true, RecoveryWindowInDays: 7 }))),
    ).toBeInstanceOf(InvalidParameterException);
  });

  it('keeps values encrypted on disk, with its key file private to the user', () => {
    const onDisk = readFileSync(server.stateFile, 'utf8');
    expect(onDisk).toContain('cp/hf-token/dep-1');
    expect(onDisk).not.toContain(VALUE);
    expect(onDisk).not.toContain(Buffer.from(VALUE).toString('base64'));
    expect(statSync(join(dataDir, 'key')).mode & 0o777).toBe(0o600);
  });

  it('keeps secrets across a restart on the same data dir', async () => {
    client.destroy();
    await server.close();
    await start();
    expect((await client.send(new GetSecretValueCommand({ SecretId: 'cp/hf-token/dep-1' }))).SecretString).toBe(VALUE);
  });

  it('deletes at once with ForceDeleteWithoutRecovery; a recovery window marks it for deletion', async () => {
    await client.send(new DeleteSecretCommand({ SecretId: 'cp/hf-token/dep-1', ForceDeleteWithoutRecovery: true }));
    expect(await rejection(client.send(new DescribeSecretCommand({ SecretId: 'cp/hf-token/dep-1' })))).toBeInstanceOf(ResourceNotFoundException);
    await client.send(new CreateSecretCommand({ Name: 'cp/hf-token/dep-2', SecretString: VALUE }));
    const scheduled = await client.send(new DeleteSecretCommand({ SecretId: 'cp/hf-token/dep-2', RecoveryWindowInDays: 7 }));
    expect(scheduled.DeletionDate!.getTime()).toBeGreaterThan(Date.now() + 6 * 86_400_000);
    expect(await rejection(client.send(new GetSecretValueCommand({ SecretId: 'cp/hf-token/dep-2' })))).toBeInstanceOf(InvalidRequestException);
    expect((await client.send(new DescribeSecretCommand({ SecretId: 'cp/hf-token/dep-2' }))).DeletedDate).toBeInstanceOf(Date);
    expect(await rejection(client.send(new CreateSecretCommand({ Name: 'cp/hf-token/dep-2', SecretString: 'x' })))).toBeInstanceOf(InvalidRequestException);
  });
});
