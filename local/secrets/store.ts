/**
 * The secrets of the local Secrets Manager, kept under DATA_DIR so they survive restarts.
 * Values are encrypted at rest with AES-256-GCM under a key of its own (DATA_DIR/secretsmanager/key,
 * mode 0600, created on first start), the secret's ARN as additional authenticated data: the
 * state file never holds a plaintext value, and a value cannot be moved to another secret.
 */
import { createCipheriv, createDecipheriv, randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SecretFacts } from '../iam/secrets-requests';

export class SecretsError extends Error {
  constructor(
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

interface Sealed {
  iv: string;
  tag: string;
  data: string;
}

interface StoredSecret {
  name: string;
  arn: string;
  description?: string;
  kmsKeyId?: string;
  tags: { Key: string; Value: string }[];
  createdDate: number;
  lastChangedDate: number;
  /** When a scheduled deletion takes effect; absent while the secret is live. */
  deletionDate?: number;
  versionId: string;
  value: Sealed;
}

const NAME = /^[A-Za-z0-9/_+=.@!-]{1,512}$/;
const MAX_VALUE_BYTES = 65_536;
const SUFFIX_CHARS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

const notFound = () => new SecretsError('ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
const markedForDeletion = () =>
  new SecretsError('InvalidRequestException', "You can't perform this operation on the secret because it was marked for deletion.");

export interface SecretStoreOptions {
  dataDir: string;
  region: string;
  accountId: string;
  now?: () => number;
}

export class SecretStore {
  readonly stateFile: string;
  private readonly key: Buffer;
  private readonly secrets = new Map<string, StoredSecret>();
  private readonly now: () => number;

  constructor(private readonly options: SecretStoreOptions) {
    mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
    this.stateFile = join(options.dataDir, 'secrets.json');
    this.now = options.now ?? Date.now;
    const keyFile = join(options.dataDir, 'key');
    if (!existsSync(keyFile)) writeFileSync(keyFile, randomBytes(32), { mode: 0o600, flag: 'wx' });
    this.key = readFileSync(keyFile);
    if (this.key.length !== 32) throw new Error(`${keyFile} is not a 256-bit key`);
    if (existsSync(this.stateFile)) {
      const saved = JSON.parse(readFileSync(this.stateFile, 'utf8')) as { secrets: StoredSecret[] };
      for (const secret of saved.secrets) this.secrets.set(secret.name, secret);
    }
  }

  /**
   * `authorize` sees the secret as it would be stored (ARN with its random suffix, key, tags,
   * version) before anything is written, and throws to refuse it, as IAM decides on that ARN.
   */
  create(
    input: { Name?: unknown; SecretString?: unknown; KmsKeyId?: unknown; Description?: unknown; Tags?: unknown; ClientRequestToken?: unknown },
    authorize: (facts: SecretFacts) => void = () => undefined,
  ) {
    const name = this.validName(input.Name);
    if (typeof input.SecretString !== 'string') {
      throw new SecretsError('InvalidParameterException', 'You must provide either SecretString or SecretBinary (this local endpoint stores SecretString only).');
    }
    if (Buffer.byteLength(input.SecretString, 'utf8') > MAX_VALUE_BYTES) throw new SecretsError('InvalidParameterException', 'SecretString exceeds 65536 bytes.');
    const versionId = typeof input.ClientRequestToken === 'string' ? input.ClientRequestToken : randomUUID();
    const existing = this.live(name);
    if (existing?.deletionDate !== undefined) {
      throw new SecretsError('InvalidRequestException', "You can't create this secret because a secret with this name is already scheduled for deletion.");
    }
    const tags = Array.isArray(input.Tags) ? (input.Tags as { Key: string; Value: string }[]) : [];
    const kmsKeyId = typeof input.KmsKeyId === 'string' ? input.KmsKeyId : undefined;
    if (existing) {
      authorize({ arn: existing.arn, tags, versionId, ...(kmsKeyId ? { kmsKeyId } : {}) });
      // A retried request (same token, same value) succeeds again, as in AWS.
      if (existing.versionId === versionId && this.open(existing) === input.SecretString) return { ARN: existing.arn, Name: name, VersionId: versionId };
      throw new SecretsError('ResourceExistsException', `The operation failed because the secret ${name} already exists.`);
    }
    const arn = `arn:aws:secretsmanager:${this.options.region}:${this.options.accountId}:secret:${name}-${suffix()}`;
    authorize({ arn, tags, versionId, ...(kmsKeyId ? { kmsKeyId } : {}) });
    const at = this.now() / 1000;
    const secret: StoredSecret = {
      name,
      arn,
      ...(typeof input.Description === 'string' ? { description: input.Description } : {}),
      ...(typeof input.KmsKeyId === 'string' ? { kmsKeyId: input.KmsKeyId } : {}),
      tags,
      createdDate: at,
      lastChangedDate: at,
      versionId,
      value: this.seal(arn, input.SecretString),
    };
    this.secrets.set(name, secret);
    this.save();
    return { ARN: arn, Name: name, VersionId: versionId };
  }

  getValue(input: { SecretId?: unknown; VersionId?: unknown; VersionStage?: unknown }) {
    const secret = this.find(input.SecretId);
    if (secret.deletionDate !== undefined) throw markedForDeletion();
    if ((input.VersionId !== undefined && input.VersionId !== secret.versionId) || (input.VersionStage !== undefined && input.VersionStage !== 'AWSCURRENT')) {
      throw new SecretsError('ResourceNotFoundException', "Secrets Manager can't find the specified secret value for the given version.");
    }
    return {
      ARN: secret.arn,
      Name: secret.name,
      VersionId: secret.versionId,
      SecretString: this.open(secret),
      VersionStages: ['AWSCURRENT'],
      CreatedDate: secret.createdDate,
    };
  }

  describe(input: { SecretId?: unknown }) {
    const secret = this.find(input.SecretId);
    return {
      ARN: secret.arn,
      Name: secret.name,
      ...(secret.description === undefined ? {} : { Description: secret.description }),
      ...(secret.kmsKeyId === undefined ? {} : { KmsKeyId: secret.kmsKeyId }),
      CreatedDate: secret.createdDate,
      LastChangedDate: secret.lastChangedDate,
      ...(secret.deletionDate === undefined ? {} : { DeletedDate: secret.deletionDate }),
      Tags: secret.tags,
      VersionIdsToStages: { [secret.versionId]: ['AWSCURRENT'] },
    };
  }

  delete(input: { SecretId?: unknown; ForceDeleteWithoutRecovery?: unknown; RecoveryWindowInDays?: unknown }) {
    const force = input.ForceDeleteWithoutRecovery === true;
    if (force && input.RecoveryWindowInDays !== undefined) {
      throw new SecretsError('InvalidParameterException', "You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays.");
    }
    const days = input.RecoveryWindowInDays === undefined ? 30 : Number(input.RecoveryWindowInDays);
    if (!force && (!Number.isInteger(days) || days < 7 || days > 30)) {
      throw new SecretsError('InvalidParameterException', 'The RecoveryWindowInDays value must be between 7 and 30 days (inclusive).');
    }
    const secret = this.find(input.SecretId);
    if (secret.deletionDate !== undefined && !force) throw markedForDeletion();
    const deletionDate = force ? this.now() / 1000 : this.now() / 1000 + days * 86_400;
    if (force) this.secrets.delete(secret.name);
    else secret.deletionDate = deletionDate;
    this.save();
    return { ARN: secret.arn, Name: secret.name, DeletionDate: deletionDate };
  }

  /** What IAM needs to know of a live secret, by name or ARN; undefined when there is none. */
  facts(id: unknown): SecretFacts | undefined {
    try {
      const secret = this.find(id);
      return { arn: secret.arn, tags: secret.tags, versionId: secret.versionId, ...(secret.kmsKeyId ? { kmsKeyId: secret.kmsKeyId } : {}) };
    } catch {
      return undefined;
    }
  }

  private validName(value: unknown): string {
    if (typeof value !== 'string' || !NAME.test(value)) {
      throw new SecretsError('InvalidParameterException', 'Invalid name. Must be a valid name containing alphanumeric characters, or any of the following: -/_+=.@!');
    }
    return value;
  }

  /** By name or full ARN; a secret whose scheduled deletion is due is purged first. */
  private find(id: unknown): StoredSecret {
    if (typeof id !== 'string' || id === '') throw new SecretsError('InvalidParameterException', 'You must provide a SecretId.');
    const name = id.startsWith('arn:') ? [...this.secrets.values()].find((secret) => secret.arn === id)?.name : id;
    const secret = name === undefined ? undefined : this.live(name);
    if (!secret) throw notFound();
    return secret;
  }

  private live(name: string): StoredSecret | undefined {
    const secret = this.secrets.get(name);
    if (secret?.deletionDate !== undefined && secret.deletionDate * 1000 <= this.now()) {
      this.secrets.delete(name);
      this.save();
      return undefined;
    }
    return secret;
  }

  private seal(arn: string, plaintext: string): Sealed {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(arn, 'utf8'));
    const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return { iv: iv.toString('base64'), tag: cipher.getAuthTag().toString('base64'), data: data.toString('base64') };
  }

  private open(secret: StoredSecret): string {
    const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(secret.value.iv, 'base64'));
    decipher.setAAD(Buffer.from(secret.arn, 'utf8'));
    decipher.setAuthTag(Buffer.from(secret.value.tag, 'base64'));
    return Buffer.concat([decipher.update(Buffer.from(secret.value.data, 'base64')), decipher.final()]).toString('utf8');
  }

  /** Write-then-rename, so a crash never leaves half a file. */
  private save(): void {
    const tmp = `${this.stateFile}.tmp`;
    writeFileSync(tmp, JSON.stringify({ version: 1, secrets: [...this.secrets.values()] }), { mode: 0o600 });
    renameSync(tmp, this.stateFile);
  }
}

const suffix = (): string => Array.from(randomBytes(6), (b) => SUFFIX_CHARS[b % SUFFIX_CHARS.length]).join('');
