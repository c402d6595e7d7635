/**
 * Hugging Face tokens (the write-only `hf_token` of a custom-model deploy): one Secrets Manager
 * secret per deployment, named `<prefix>/hf-token/<deployment id>`, encrypted with a customer
 * managed key of this stack, created by the API, read by the workflow that puts it into the
 * cluster as a Kubernetes Secret, deleted with the deployment. Executions carry only the
 * secret's ARN, never the token.
 *
 * This construct owns the key and the naming rule and grants each function only its part of
 * that life cycle: `create`, `read` or `delete`, on secrets under the prefix only.
 */
import { ArnFormat, Aws, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { gatewaySecretName } from '../../contract/access';
import { acknowledgeRule, acknowledgeWildcardResources } from '../nag';
import type { ControlPlaneFunction } from './control-plane-function';

export type SecretAccess = 'create' | 'read' | 'delete';

/** The tag CreateSecret puts on every token secret (functions/adapters/hf-token-secrets.ts). */
export const DEPLOYMENT_ID_TAG = 'gpudeploy.io/deployment-id';

/**
 * Which function takes which part in a token's life cycle (docs/custom-models.md; the code is
 * functions/adapters/hf-token-secrets.ts, called from the use cases and the two tasks below):
 * - create-deployment creates the secret before it starts the deploy workflow, and deletes it
 *   again if the request fails after that (the use cases undo every write of a failed request);
 * - apply-workload reads it to write the Kubernetes Secret the model server mounts;
 * - finish-delete deletes it when the deployment is deleted.
 */
export const HF_TOKEN_SECRET_ACCESS: Readonly<Record<string, readonly SecretAccess[]>> = {
  'create-deployment': ['create', 'delete'],
  'apply-workload': ['read'],
  'finish-delete': ['delete'],
};

/** The IAM actions behind each part. */
export const SECRET_ACTIONS: Readonly<Record<SecretAccess, { readonly secretsmanager: readonly string[]; readonly kms: readonly string[] }>> = {
  // Storing a value under a customer managed key needs both kms:GenerateDataKey and kms:Decrypt
  // (CreateSecret API reference, "Required permissions"); without Decrypt every token deploy fails.
  create: { secretsmanager: ['secretsmanager:CreateSecret'], kms: ['kms:GenerateDataKey', 'kms:Decrypt'] },
  read: { secretsmanager: ['secretsmanager:GetSecretValue'], kms: ['kms:Decrypt'] },
  // ForceDeleteWithoutRecovery: the token must not outlive its deployment by a recovery window.
  delete: { secretsmanager: ['secretsmanager:DeleteSecret'], kms: [] },
};

export interface HfTokenSecretsProps {
  readonly prefix: string;
}

export class HfTokenSecrets extends Construct {
  readonly key: kms.Key;
  /** Name prefix of every token secret, `<prefix>/hf-token/`. */
  readonly namePrefix: string;
  /** ARN pattern of the token secrets (Secrets Manager appends 6 random characters to a name). */
  readonly secretArnPattern: string;

  constructor(scope: Construct, id: string, props: HfTokenSecretsProps) {
    super(scope, id);
    this.namePrefix = `${props.prefix}/hf-token/`;
    this.key = new kms.Key(this, 'Key', {
      description: `Encrypts the Hugging Face token secrets ${this.namePrefix}*`,
      enableKeyRotation: true,
      // Secrets encrypted with it may outlive a stack deletion (they are deleted with their deployments).
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.secretArnPattern = Stack.of(this).formatArn({
      service: 'secretsmanager',
      resource: 'secret',
      resourceName: `${this.namePrefix}*`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
  }

  /**
   * Grants `fn` its parts of the token life cycle, on token secrets only, and passes it the name
   * prefix (HF_TOKEN_SECRET_PREFIX) and, if it creates secrets, the key ARN (HF_TOKEN_KMS_KEY_ARN).
   */
  grant(fn: ControlPlaneFunction, access: readonly SecretAccess[]): void {
    if (access.length === 0) return;
    const role = fn.executionRole;
    const secretActions = [...new Set(access.flatMap((part) => SECRET_ACTIONS[part].secretsmanager))];
    const creates = access.includes('create');
    const unconditional = secretActions.filter((action) => action !== 'secretsmanager:CreateSecret');
    if (unconditional.length > 0) {
      role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: unconditional, resources: [this.secretArnPattern] }));
    }
    if (creates) {
      // A new secret must use this key: no token lands under the account's default key.
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          actions: ['secretsmanager:CreateSecret'],
          resources: [this.secretArnPattern],
          conditions: { StringEquals: { 'secretsmanager:KmsKeyId': this.key.keyArn } },
        }),
      );
      // CreateSecret with Tags also needs secretsmanager:TagResource; allowed only for the one tag the
      // adapter sets (functions/adapters/hf-token-secrets.ts), so no other tag can be written.
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          actions: ['secretsmanager:TagResource'],
          resources: [this.secretArnPattern],
          conditions: {
            Null: { [`aws:RequestTag/${DEPLOYMENT_ID_TAG}`]: 'false' },
            'ForAllValues:StringEquals': { 'aws:TagKeys': [DEPLOYMENT_ID_TAG] },
          },
        }),
      );
      fn.addEnvironment('HF_TOKEN_KMS_KEY_ARN', this.key.keyArn);
    }
    const keyActions = [...new Set(access.flatMap((part) => SECRET_ACTIONS[part].kms))];
    if (keyActions.length > 0) {
      // Only through Secrets Manager, and only for the token secrets (their ARN is the encryption context).
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          actions: keyActions,
          resources: [this.key.keyArn],
          conditions: {
            StringEquals: { 'kms:ViaService': `secretsmanager.${Aws.REGION}.amazonaws.com` },
            StringLike: { 'kms:EncryptionContext:SecretARN': this.secretArnPattern },
          },
        }),
      );
    }
    acknowledgeWildcardResources(
      role,
      [this.secretArnPattern],
      'One secret per deployment, named after a deployment id chosen at run time; the pattern is pinned to the ' +
        'hf-token prefix of this control plane (and Secrets Manager appends a random suffix to every secret ARN).',
    );
    fn.addEnvironment('HF_TOKEN_SECRET_PREFIX', this.namePrefix);
  }
}

export interface GatewaySecretProps {
  readonly prefix: string;
  /** The stack's key for secrets (the Hugging Face tokens' key). */
  readonly key: kms.IKey;
}

/**
 * The inference gateway's master secret, `<prefix>/inference-gateway`: 44 random alphanumerics
 * (read as base64: 33 bytes, ~262 bits), from which the pepper of the inference keys' hashes and
 * each model server's own key are derived (functions/domain/inference-keys.ts). Readers: the
 * functions whose access declares `gatewaySecret` (contract/access.ts) and the gateway itself
 * (its construct calls {@link grantRead} on its pod role). Nobody writes it after creation.
 */
export class GatewaySecret extends Construct {
  readonly secret: secretsmanager.Secret;
  /** ARN pattern of this one secret (Secrets Manager appends 6 random characters to its name). */
  readonly secretArnPattern: string;
  private readonly key: kms.IKey;

  constructor(scope: Construct, id: string, props: GatewaySecretProps) {
    super(scope, id);
    this.key = props.key;
    const name = gatewaySecretName(props.prefix);
    this.secret = new secretsmanager.Secret(this, 'Secret', {
      secretName: name,
      description: 'Master secret of the inference gateway: derives the inference keys\' hash pepper and the model servers\' keys',
      encryptionKey: props.key,
      generateSecretString: { passwordLength: 44, excludePunctuation: true, includeSpace: false },
      // The table keeps the keys' hashes after a stack deletion (RETAIN); they are worthless without this secret.
      removalPolicy: RemovalPolicy.RETAIN,
    });
    acknowledgeRule(
      this.secret,
      'SMG4',
      'Rotating the master secret changes every derived key at once: every inference key stops working and every model server needs a new key. ' +
        'It is rotated by hand, with its consumers (docs/inference.md), not on a schedule.',
    );
    this.secretArnPattern = Stack.of(this).formatArn({
      service: 'secretsmanager',
      resource: 'secret',
      resourceName: `${name}-??????`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
  }

  /**
   * secretsmanager:GetSecretValue on this secret, and kms:Decrypt on the key only through Secrets
   * Manager and only for this secret. Named by an ARN pattern rather than the secret's own ARN,
   * so that the local cloud (which gives the secret its own random suffix) enforces the same policy.
   */
  grantRead(grantee: iam.IGrantable): void {
    grantee.grantPrincipal.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [this.secretArnPattern] }));
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['kms:Decrypt'],
        resources: [this.key.keyArn],
        conditions: {
          StringEquals: { 'kms:ViaService': `secretsmanager.${Aws.REGION}.amazonaws.com` },
          StringLike: { 'kms:EncryptionContext:SecretARN': this.secretArnPattern },
        },
      }),
    );
  }

  /** {@link grantRead} for a control-plane function, which finds the secret by GATEWAY_SECRET_ID. */
  grantFunction(fn: ControlPlaneFunction): void {
    this.grantRead(fn.executionRole);
    fn.addEnvironment('GATEWAY_SECRET_ID', this.secret.secretArn);
  }
}
