import { describe, expect, it } from 'vitest';
import { ROUTES } from '../../contract/routes';
import { SCHEDULES } from '../../contract/schedules';
import { TASK_FUNCTIONS } from '../../contract/workflows';
import { dynamoRequests } from '../../local/iam/dynamodb-requests';
import { evaluate } from '../../local/iam/evaluate';
import { loadLocalPrincipals } from '../../local/iam/principals';
import { createSecretRequests } from '../../local/iam/secrets-requests';

const KEY = 'arn:aws:kms:us-east-1:000000000000:key/local-hf-token-key';
const options = { prefix: 'gpu-control-plane', clusterName: 'gpu-models', namespace: 'models', region: 'us-east-1', account: '000000000000', kmsKeyArn: KEY };
const scope = { region: 'us-east-1', account: '000000000000' };

describe('local IAM principals from the synthesized template', () => {
  it('gives every function of the route, task and schedule lists its role and statements, resolved to local names', async () => {
    const { principals } = await loadLocalPrincipals(options);
    for (const { name } of [...ROUTES, ...TASK_FUNCTIONS, ...SCHEDULES]) {
      const principal = principals[`gpu-control-plane-${name}`];
      expect(principal, name).toBeDefined();
      expect(principal!.assumedRoleArn).toBe(`arn:aws:sts::000000000000:assumed-role/${principal!.roleName}/gpu-control-plane-${name}`);
      for (const statement of principal!.statements) {
        const resources = [statement.Resource ?? []].flat().map(String);
        const actions = [statement.Action ?? []].flat().map(String);
        // Every resource a local endpoint checks is a real local ARN, never an unresolved placeholder.
        if (actions.some((a) => /^(dynamodb|states|secretsmanager|kms|eks|autoscaling):/.test(a))) {
          for (const resource of resources) expect(resource, `${name} ${actions.join(',')}`).toMatch(/^(\*|arn:aws:[a-z]+:(us-east-1)?:(000000000000)?:)/);
        }
      }
    }
  });

  it('resolves table, index, state machine and key ARNs to what the local cloud runs', async () => {
    const { principals } = await loadLocalPrincipals(options);
    const reconcile = principals['gpu-control-plane-reconcile']!.statements;
    expect(evaluate(reconcile, { action: 'dynamodb:Query', resource: 'arn:aws:dynamodb:us-east-1:000000000000:table/gpu-control-plane-deployments/index/in-flight' })).toBe('allow');
    expect(evaluate(reconcile, { action: 'states:DescribeExecution', resource: 'arn:aws:states:us-east-1:000000000000:execution:gpu-control-plane-deploy:dep-1-deploy-1' })).toBe('allow');
    const create = principals['gpu-control-plane-create-deployment']!.statements;
    expect(evaluate(create, { action: 'states:StartExecution', resource: 'arn:aws:states:us-east-1:000000000000:stateMachine:gpu-control-plane-deploy' })).toBe('allow');
    expect(evaluate(create, { action: 'states:StartExecution', resource: 'arn:aws:states:us-east-1:000000000000:stateMachine:gpu-control-plane-delete' })).toBe('implicit-deny');
  });

  it('allows create-deployment every request of storing a token (B2) and nothing without the encryption context', async () => {
    const { principals } = await loadLocalPrincipals(options);
    const statements = principals['gpu-control-plane-create-deployment']!.statements;
    const arn = 'arn:aws:secretsmanager:us-east-1:000000000000:secret:gpu-control-plane/hf-token/dep-1-AbCdEf';
    const requests = createSecretRequests(
      { Name: 'gpu-control-plane/hf-token/dep-1', KmsKeyId: KEY },
      { arn, kmsKeyId: KEY, versionId: 'v1', tags: [{ Key: 'gpudeploy.io/deployment-id', Value: 'dep-1' }] },
      scope,
    );
    expect([...requests.secret, ...requests.kms].map((r) => r.action)).toEqual([
      'secretsmanager:CreateSecret',
      'secretsmanager:TagResource',
      'kms:GenerateDataKey',
      'kms:Decrypt',
    ]);
    for (const request of [...requests.secret, ...requests.kms]) expect(evaluate(statements, request), request.action).toBe('allow');
    // The same key used directly (not through Secrets Manager) is refused.
    expect(evaluate(statements, { action: 'kms:Decrypt', resource: KEY, context: {} })).toBe('implicit-deny');
  });

  it('maps the EKS access entries with their policies and scopes', async () => {
    const { principals, accessEntries } = await loadLocalPrincipals(options);
    const checkNodes = accessEntries.find((entry) => entry.principalArn === principals['gpu-control-plane-check-nodes']!.roleArn);
    expect(checkNodes).toEqual({
      principalArn: principals['gpu-control-plane-check-nodes']!.roleArn,
      kubernetesGroups: ['gpu-control-plane'],
      accessPolicies: [{ policyArn: 'arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy', scope: { type: 'namespace', namespaces: ['models'] } }],
    });
  });
});

describe('DynamoDB requests as IAM sees them', () => {
  it('names the index for a Query on it, every table of a batch, and each item of a transaction as its own action', () => {
    const t = (name: string) => `arn:aws:dynamodb:us-east-1:000000000000:table/${name}`;
    expect(dynamoRequests('Query', { TableName: 'a', IndexName: 'i' }, scope)).toEqual([{ action: 'dynamodb:Query', resource: `${t('a')}/index/i` }]);
    expect(dynamoRequests('GetItem', { TableName: 'a', IndexName: 'i' }, scope)).toEqual([{ action: 'dynamodb:GetItem', resource: t('a') }]);
    expect(dynamoRequests('BatchWriteItem', { RequestItems: { a: [], b: [] } }, scope)).toEqual([
      { action: 'dynamodb:BatchWriteItem', resource: t('a') },
      { action: 'dynamodb:BatchWriteItem', resource: t('b') },
    ]);
    expect(
      dynamoRequests('TransactWriteItems', { TransactItems: [{ Put: { TableName: 'a' } }, { ConditionCheck: { TableName: 'a' } }, { Update: { TableName: 'b' } }] }, scope),
    ).toEqual([
      { action: 'dynamodb:PutItem', resource: t('a') },
      { action: 'dynamodb:ConditionCheckItem', resource: t('a') },
      { action: 'dynamodb:UpdateItem', resource: t('b') },
    ]);
  });

  it('carries the partition keys and, for writes, the attribute names of the items (dynamodb:LeadingKeys, dynamodb:Attributes)', () => {
    const t = `arn:aws:dynamodb:us-east-1:000000000000:table/a`;
    const S = (value: string) => ({ S: value });
    expect(dynamoRequests('GetItem', { TableName: 'a', Key: { pk: S('INFKEY#k'), sk: S('INFKEY') } }, scope)).toEqual([
      { action: 'dynamodb:GetItem', resource: t, context: { 'dynamodb:LeadingKeys': ['INFKEY#k'] } },
    ]);
    const update = {
      TableName: 'a',
      Key: { pk: S('TOKENS#d'), sk: S('DAY#1') },
      UpdateExpression: 'SET #day = if_not_exists(#day, :day), plain = :p, nested.member = :m REMOVE old ADD #n :one',
      ExpressionAttributeNames: { '#day': 'day', '#n': 'requests' },
    };
    expect(dynamoRequests('UpdateItem', update, scope)).toEqual([
      { action: 'dynamodb:UpdateItem', resource: t, context: { 'dynamodb:LeadingKeys': ['TOKENS#d'], 'dynamodb:Attributes': ['pk', 'sk', 'day', 'plain', 'nested', 'old', 'requests'] } },
    ]);
    const batch = { RequestItems: { a: [{ PutRequest: { Item: { pk: S('LOAD#1'), sk: S('GW#x'), held: { N: '0' } } } }, { DeleteRequest: { Key: { pk: S('LOAD#2'), sk: S('GW#y') } } }] } };
    expect(dynamoRequests('BatchWriteItem', batch, scope)).toEqual([
      { action: 'dynamodb:BatchWriteItem', resource: t, context: { 'dynamodb:LeadingKeys': ['LOAD#1', 'LOAD#2'], 'dynamodb:Attributes': ['pk', 'sk', 'held'] } },
    ]);
    expect(dynamoRequests('TransactWriteItems', { TransactItems: [{ Put: { TableName: 'a', Item: { pk: S('P#1'), sk: S('x'), v: S('1') } } }] }, scope)).toEqual([
      { action: 'dynamodb:PutItem', resource: t, context: { 'dynamodb:LeadingKeys': ['P#1'], 'dynamodb:Attributes': ['pk', 'sk', 'v'] } },
    ]);
  });
});
