/**
 * The inference gateway in AWS (issue 15, item 3): its Pod Identity role, allowed exactly what the
 * gateway calls, checked in the template and, for the denied call shapes, with the local IAM
 * evaluator (local/iam/evaluate.ts) that the local cloud runs the gateway under.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { TABLE } from '../../contract/table';
import { GATEWAY_NAMESPACE, GATEWAY_SERVICE_ACCOUNT, GATEWAY_WRITE_PARTITIONS } from '../../infra/constructs/inference-gateway';
import { DEFAULTS, DEFAULT_CONFIG } from '../../infra/stack';
import { evaluate, type AuthorizationRequest } from '../../local/iam/evaluate';
import { intrinsicResolver, type PolicyStatement } from '../../local/iam/principals';
import type { TemplateJson } from '../../local/iam/synth';
import { actionsOf, resourcesFor, synthesize, type Json, type Statement, type Synthesized } from './template';

const { prefix } = DEFAULT_CONFIG;
const REGION = 'us-east-1';
const ACCOUNT = '000000000000';
const TABLE_ARN = `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${prefix}-deployments`;

let s: Synthesized;
let roleId: string;
let statements: Statement[];

beforeAll(() => {
  s = synthesize();
  const roles = s.ofType('AWS::IAM::Role').filter(([id]) => id.startsWith('InferenceGatewayRole'));
  expect(roles).toHaveLength(1);
  roleId = roles[0]![0];
  statements = s.statementsOfRole(roleId);
});

describe('the gateway role', () => {
  it('is assumed only by EKS Pod Identity, for the gateway service account of this cluster', () => {
    const trust = s.resources[roleId]!.Properties.AssumeRolePolicyDocument.Statement as Json[];
    expect(trust).toEqual([
      {
        Effect: 'Allow',
        Principal: { Service: 'pods.eks.amazonaws.com' },
        Action: ['sts:AssumeRole', 'sts:TagSession'],
        Condition: {
          StringEquals: {
            'aws:SourceAccount': { Ref: 'AWS::AccountId' },
            'aws:RequestTag/eks-cluster-name': DEFAULTS.clusterName,
            'aws:RequestTag/kubernetes-namespace': GATEWAY_NAMESPACE,
            'aws:RequestTag/kubernetes-service-account': GATEWAY_SERVICE_ACCOUNT,
          },
        },
      },
    ]);
    expect(s.resources[roleId]!.Properties.ManagedPolicyArns).toBeUndefined();
  });

  it('grants exactly the calls the gateway makes', () => {
    expect(actionsOf(statements)).toEqual([
      'dynamodb:GetItem',
      'dynamodb:Query',
      'dynamodb:UpdateItem',
      'kms:Decrypt',
      'secretsmanager:GetSecretValue',
      'states:StartExecution',
    ]);
    const tableId = s.ofType('AWS::DynamoDB::Table')[0]![0];
    const tableArn = { 'Fn::GetAtt': [tableId, 'Arn'] };
    expect(resourcesFor(statements, 'dynamodb:GetItem')).toEqual([tableArn]);
    expect(resourcesFor(statements, 'dynamodb:UpdateItem')).toEqual([tableArn]);
    const indexes = TABLE.indexes.map((index) => JSON.stringify({ 'Fn::Join': ['', [tableArn, `/index/${index.name}`]] }));
    expect(resourcesFor(statements, 'dynamodb:Query').map((r) => JSON.stringify(r)).sort()).toEqual([JSON.stringify(tableArn), ...indexes].sort());
    expect(resourcesFor(statements, 'states:StartExecution')).toEqual([{ Ref: s.stateMachineId('scale') }]);
    expect(resourcesFor(statements, 'secretsmanager:GetSecretValue')).toEqual([s.stack.resolve(s.stack.gatewaySecret.secretArnPattern)]);
    // The secrets key, only through Secrets Manager and only for this secret.
    const [decrypt] = statements.filter((statement) => actionsOf([statement]).includes('kms:Decrypt'));
    expect(decrypt!.Resource).toEqual(s.stack.resolve(s.stack.secrets.key.keyArn));
    expect(decrypt!.Condition).toEqual({
      StringEquals: { 'kms:ViaService': { 'Fn::Join': ['', ['secretsmanager.', { Ref: 'AWS::Region' }, '.amazonaws.com']] } },
      StringLike: { 'kms:EncryptionContext:SecretARN': s.stack.resolve(s.stack.gatewaySecret.secretArnPattern) },
    });
  });

  it('writes only the usage and load partitions (dynamodb:LeadingKeys)', () => {
    const [update] = statements.filter((statement) => actionsOf([statement]).includes('dynamodb:UpdateItem'));
    expect(update!.Condition).toEqual({ 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [...GATEWAY_WRITE_PARTITIONS] } });
  });
});

describe('the gateway role under the local IAM evaluator', () => {
  let policy: PolicyStatement[];
  const decide = (request: AuthorizationRequest) => evaluate(policy, request);
  const updateOf = (partition: string): AuthorizationRequest => ({
    action: 'dynamodb:UpdateItem',
    resource: TABLE_ARN,
    context: { 'dynamodb:LeadingKeys': [partition] },
  });

  beforeAll(() => {
    const resolve = intrinsicResolver(s.template.toJSON() as TemplateJson, {
      prefix,
      clusterName: DEFAULTS.clusterName,
      namespace: DEFAULTS.modelNamespace,
      region: REGION,
      account: ACCOUNT,
      kmsKeyArn: `arn:aws:kms:${REGION}:${ACCOUNT}:key/local`,
    });
    policy = resolve(statements) as PolicyStatement[];
  });

  it('allows reading keys and deployments and adding to usage counters and load items', () => {
    expect(decide({ action: 'dynamodb:GetItem', resource: TABLE_ARN })).toBe('allow');
    expect(decide({ action: 'dynamodb:Query', resource: `${TABLE_ARN}/index/${TABLE.indexes[0]!.name}` })).toBe('allow');
    for (const partition of ['INFKEY#ikabc', 'TOKENS#dep-1', 'LOAD#dep-1']) expect(decide(updateOf(partition)), partition).toBe('allow');
    expect(decide({ action: 'states:StartExecution', resource: `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:${prefix}-scale` })).toBe('allow');
    expect(decide({ action: 'secretsmanager:GetSecretValue', resource: `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:${prefix}/inference-gateway-AbCdEf` })).toBe('allow');
  });

  it('denies writing any other item, deleting, scanning, other workflows and other secrets', () => {
    expect(decide(updateOf(`TENANT#org#project`))).toBe('implicit-deny');
    expect(decide(updateOf('CATALOG'))).toBe('implicit-deny');
    // A request naming an allowed partition and another one (a batch) is denied as a whole.
    expect(decide({ ...updateOf('LOAD#dep-1'), context: { 'dynamodb:LeadingKeys': ['LOAD#dep-1', 'TENANT#org#project'] } })).toBe('implicit-deny');
    for (const action of ['dynamodb:PutItem', 'dynamodb:DeleteItem', 'dynamodb:Scan', 'dynamodb:BatchWriteItem', 'dynamodb:TransactWriteItems']) {
      expect(decide({ action, resource: TABLE_ARN }), action).toBe('implicit-deny');
    }
    expect(decide({ action: 'dynamodb:GetItem', resource: `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/other` })).toBe('implicit-deny');
    for (const workflow of ['deploy', 'delete']) {
      expect(decide({ action: 'states:StartExecution', resource: `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:${prefix}-${workflow}` })).toBe('implicit-deny');
    }
    expect(decide({ action: 'states:StopExecution', resource: `arn:aws:states:${REGION}:${ACCOUNT}:execution:${prefix}-scale:x` })).toBe('implicit-deny');
    expect(decide({ action: 'secretsmanager:GetSecretValue', resource: `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:${prefix}/hf-token/dep-1-AbCdEf` })).toBe('implicit-deny');
  });
});
