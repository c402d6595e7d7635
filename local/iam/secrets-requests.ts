/**
 * The IAM requests behind one Secrets Manager call, per the API reference's "Required
 * permissions": CreateSecret needs secretsmanager:CreateSecret, plus secretsmanager:TagResource
 * when it carries Tags, plus kms:GenerateDataKey and kms:Decrypt on the key when KmsKeyId names a
 * key other than aws/secretsmanager; GetSecretValue needs kms:Decrypt on such a key too. Secrets
 * Manager calls KMS on the caller's behalf, so the KMS requests carry kms:ViaService and the
 * encryption context Secrets Manager uses (SecretARN, SecretVersionId).
 */
import type { AuthorizationRequest, ConditionContext } from './evaluate';

export interface SecretFacts {
  readonly arn: string;
  readonly kmsKeyId?: string;
  readonly tags: readonly { Key: string; Value: string }[];
  readonly versionId?: string;
}

export interface Scope {
  readonly region: string;
  readonly account: string;
}

/** The key ARN a KmsKeyId names, or undefined for the AWS managed key of Secrets Manager. */
export const customerKeyArn = (kmsKeyId: string | undefined, scope: Scope): string | undefined => {
  if (kmsKeyId === undefined || kmsKeyId === '' || /(^|:)alias\/aws\/secretsmanager$/.test(kmsKeyId)) return undefined;
  if (kmsKeyId.startsWith('arn:')) return kmsKeyId;
  return `arn:aws:kms:${scope.region}:${scope.account}:${kmsKeyId.startsWith('alias/') ? kmsKeyId : `key/${kmsKeyId}`}`;
};

const tagContext = (prefix: string, tags: readonly { Key: string; Value: string }[]): Record<string, string> =>
  Object.fromEntries(tags.map((tag) => [`${prefix}${tag.Key}`, tag.Value]));

const kmsRequests = (actions: readonly string[], secret: SecretFacts, scope: Scope): AuthorizationRequest[] => {
  const key = customerKeyArn(secret.kmsKeyId, scope);
  if (!key) return [];
  const context: ConditionContext = {
    'kms:ViaService': `secretsmanager.${scope.region}.amazonaws.com`,
    'kms:CallerAccount': scope.account,
    'kms:EncryptionContext:SecretARN': secret.arn,
    ...(secret.versionId ? { 'kms:EncryptionContext:SecretVersionId': secret.versionId } : {}),
    'kms:EncryptionContextKeys': ['SecretARN', ...(secret.versionId ? ['SecretVersionId'] : [])],
  };
  return actions.map((action) => ({ action, resource: key, context }));
};

/** CreateSecret: the secret's own requests, then the KMS requests Secrets Manager makes for it. */
export const createSecretRequests = (
  input: { Name?: unknown; Description?: unknown; KmsKeyId?: unknown },
  secret: SecretFacts,
  scope: Scope,
): { secret: AuthorizationRequest[]; kms: AuthorizationRequest[] } => {
  const context: ConditionContext = {
    'secretsmanager:Name': typeof input.Name === 'string' ? input.Name : undefined,
    'secretsmanager:Description': typeof input.Description === 'string' ? input.Description : undefined,
    'secretsmanager:KmsKeyId': typeof input.KmsKeyId === 'string' ? input.KmsKeyId : undefined,
    ...tagContext('aws:RequestTag/', secret.tags),
    ...(secret.tags.length > 0 ? { 'aws:TagKeys': secret.tags.map((tag) => tag.Key) } : {}),
  };
  return {
    secret: [
      { action: 'secretsmanager:CreateSecret', resource: secret.arn, context },
      ...(secret.tags.length > 0 ? [{ action: 'secretsmanager:TagResource', resource: secret.arn, context }] : []),
    ],
    kms: kmsRequests(['kms:GenerateDataKey', 'kms:Decrypt'], secret, scope),
  };
};

/** An operation on an existing secret (or, when it does not exist, on the ARN its name implies). */
export const existingSecretRequests = (
  operation: string,
  secretId: string,
  secret: SecretFacts | undefined,
  scope: Scope,
): { secret: AuthorizationRequest[]; kms: AuthorizationRequest[] } => {
  const resource = secret?.arn ?? (secretId.startsWith('arn:') ? secretId : `arn:aws:secretsmanager:${scope.region}:${scope.account}:secret:${secretId}`);
  const tags = secret?.tags ?? [];
  const context: ConditionContext = {
    'secretsmanager:SecretId': secretId,
    ...tagContext('aws:ResourceTag/', tags),
    ...tagContext('secretsmanager:ResourceTag/', tags),
  };
  return {
    secret: [{ action: `secretsmanager:${operation}`, resource, context }],
    kms: operation === 'GetSecretValue' && secret ? kmsRequests(['kms:Decrypt'], secret, scope) : [],
  };
};
