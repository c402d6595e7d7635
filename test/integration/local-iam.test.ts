/**
 * Local IAM and AWS-side faults, through the real SDK clients: a function may call only what its
 * synthesized role allows and is refused in each service's own AccessDenied shape; an operator
 * (no function header) is the administrator; the token-secret grants of aws-review.md B2 are
 * refused before the fix and allowed after it; throttled DynamoDB calls are retried by the SDK
 * (on the API path too) and a timed-out Lambda task by the state machine's Retry, and the deploy
 * still converges; a create whose calls stay throttled answers 503 and leaves nothing behind.
 */
import { AutoScalingClient, DescribeAutoScalingGroupsCommand, SetDesiredCapacityCommand } from '@aws-sdk/client-auto-scaling';
import { DeleteItemCommand, DynamoDBClient, GetItemCommand, PutItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { DescribeNodegroupCommand, EKSClient, UpdateNodegroupConfigCommand } from '@aws-sdk/client-eks';
import { CreateSecretCommand, GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DescribeExecutionCommand, ListExecutionsCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuthorizer } from '../../local/iam/authorizer';
import { loadLocalPrincipals, type IamPrincipal, type LocalPrincipals, type PolicyStatement } from '../../local/iam/principals';
import { runAsFunction } from '../../local/identity';
import { startSecretsManager } from '../../local/secrets/index';
import { BASE, deployBody, startTestCloud, waitFor, type TestCloud } from '../support/local-cloud';
import { TASK_FUNCTIONS } from '../../contract/workflows';

const PREFIX = 'gpu-control-plane';
const ACCOUNT = '000000000000';
const KEY = `arn:aws:kms:us-east-1:${ACCOUNT}:key/local-hf-token-key`;
const TABLE_ARN = `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/${PREFIX}-deployments`;
const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
const fn = (name: string) => `${PREFIX}-${name}`;

let t: TestCloud;
let iam: LocalPrincipals;
beforeAll(async () => {
  t = await startTestCloud(0.01, { cron: false });
  iam = await loadLocalPrincipals({ prefix: PREFIX, clusterName: 'gpu-models', namespace: 'models', region: 'us-east-1', account: ACCOUNT, kmsKeyArn: KEY });
});
afterAll(async () => {
  await t?.close();
});

const clients = () => ({
  dynamo: new DynamoDBClient({ endpoint: t.cloud.dynamoUrl, region: 'us-east-1', credentials, maxAttempts: 1 }),
  sfn: new SFNClient({ endpoint: t.cloud.sfnUrl, region: 'us-east-1', credentials, maxAttempts: 1 }),
  eks: new EKSClient({ endpoint: t.cloud.simulator.url, region: 'us-east-1', credentials, maxAttempts: 1 }),
  asg: new AutoScalingClient({ endpoint: t.cloud.simulator.url, region: 'us-east-1', credentials, maxAttempts: 1 }),
  secrets: new SecretsManagerClient({ endpoint: t.cloud.secretsManager.url, region: 'us-east-1', credentials, maxAttempts: 1 }),
});

const principal = (name: string): IamPrincipal => iam.principals[fn(name)]!;
const denied = (name: string, action: string, resource: string) =>
  `User: ${principal(name).assumedRoleArn} is not authorized to perform: ${action} on resource: ${resource} because no identity-based policy allows the ${action} action`;

/** Runs `call` as the function and returns what the SDK threw. */
const refusal = async (name: string, call: () => Promise<unknown>) => {
  const error = await runAsFunction(fn(name), call).then(
    () => undefined,
    (e: unknown) => e as Error & { $metadata?: { httpStatusCode?: number } },
  );
  expect(error, `${name} should have been refused`).toBeDefined();
  return { name: error!.name, message: error!.message, status: error!.$metadata?.httpStatusCode };
};

describe('a function is refused what its role does not grant, as AWS words it', () => {
  it('DynamoDB: get-deployment may read but not write the table (400 AccessDeniedException)', async () => {
    const { dynamo } = clients();
    const put = new PutItemCommand({ TableName: `${PREFIX}-deployments`, Item: { pk: { S: 'iam-test' }, sk: { S: 'x' } } });
    expect(await refusal('get-deployment', () => dynamo.send(put))).toEqual({
      name: 'AccessDeniedException',
      message: denied('get-deployment', 'dynamodb:PutItem', TABLE_ARN),
      status: 400,
    });
  });

  it('Step Functions: get-deployment may not start the deploy workflow', async () => {
    const { sfn } = clients();
    const arn = t.cloud.stateMachineArns.deploy;
    expect(await refusal('get-deployment', () => sfn.send(new StartExecutionCommand({ stateMachineArn: arn, input: '{}' })))).toEqual({
      name: 'AccessDeniedException',
      message: denied('get-deployment', 'states:StartExecution', arn),
      status: 400,
    });
  });

  it('EKS: get-deployment may not resize a node group (403 AccessDeniedException)', async () => {
    const { eks } = clients();
    const group = await eks.send(new DescribeNodegroupCommand({ clusterName: 'gpu-models', nodegroupName: 'gpu-l4-24gb' }));
    const update = new UpdateNodegroupConfigCommand({ clusterName: 'gpu-models', nodegroupName: 'gpu-l4-24gb', scalingConfig: { desiredSize: 1 } });
    expect(await refusal('get-deployment', () => eks.send(update))).toEqual({
      name: 'AccessDeniedException',
      message: denied('get-deployment', 'eks:UpdateNodegroupConfig', group.nodegroup!.nodegroupArn!),
      status: 403,
    });
  });

  it('Auto Scaling: release-idle-nodes may describe groups but not set their capacity (403 AccessDenied, XML)', async () => {
    const { asg } = clients();
    const described = await runAsFunction(fn('release-idle-nodes'), () => asg.send(new DescribeAutoScalingGroupsCommand({})));
    const group = described.AutoScalingGroups!.find((g) => g.Tags?.some((tag) => tag.Key === 'eks:nodegroup-name' && tag.Value === 'gpu-l4-24gb'))!;
    const set = new SetDesiredCapacityCommand({ AutoScalingGroupName: group.AutoScalingGroupName!, DesiredCapacity: group.DesiredCapacity! });
    expect(await refusal('release-idle-nodes', () => asg.send(set))).toEqual({
      name: 'AccessDenied',
      message: denied('release-idle-nodes', 'autoscaling:SetDesiredCapacity', group.AutoScalingGroupARN!),
      status: 403,
    });
  });

  it('Secrets Manager: only apply-workload reads a token, and the key is used only through Secrets Manager', async () => {
    const { secrets } = clients();
    const name = `${PREFIX}/hf-token/dep-iam-read`;
    const created = await runAsFunction(fn('create-deployment'), () =>
      secrets.send(new CreateSecretCommand({ Name: name, SecretString: 'hf_x', KmsKeyId: KEY, Tags: [{ Key: 'gpudeploy.io/deployment-id', Value: 'dep-iam-read' }] })),
    );
    expect(await refusal('get-deployment', () => secrets.send(new GetSecretValueCommand({ SecretId: created.ARN })))).toEqual({
      name: 'AccessDeniedException',
      message: denied('get-deployment', 'secretsmanager:GetSecretValue', created.ARN!),
      status: 400,
    });
    const value = await runAsFunction(fn('apply-workload'), () => secrets.send(new GetSecretValueCommand({ SecretId: created.ARN })));
    expect(value.SecretString).toBe('hf_x');
    // A tag other than the deployment id is refused: TagResource is granted for that key only.
    const extraTag = new CreateSecretCommand({
      Name: `${PREFIX}/hf-token/dep-iam-tag`,
      SecretString: 'hf_x',
      KmsKeyId: KEY,
      Tags: [{ Key: 'gpudeploy.io/deployment-id', Value: 'dep-iam-tag' }, { Key: 'owner', Value: 'me' }],
    });
    expect((await refusal('create-deployment', () => secrets.send(extraTag))).message).toMatch(/not authorized to perform: secretsmanager:TagResource on resource: .*:secret:gpu-control-plane\/hf-token\/dep-iam-tag-\w{6} /);
  });

  it('Secrets Manager: only the functions granted gatewaySecret read the gateway\'s master secret, which the cloud created at start', async () => {
    const { secrets } = clients();
    const name = `${PREFIX}/inference-gateway`;
    const value = await runAsFunction(fn('create-inference-key'), () => secrets.send(new GetSecretValueCommand({ SecretId: name })));
    expect(Buffer.from(value.SecretString!, 'base64').length).toBeGreaterThanOrEqual(32);
    for (const other of ['get-deployment', 'list-inference-keys', 'get-inference-key-usage']) {
      expect(await refusal(other, () => secrets.send(new GetSecretValueCommand({ SecretId: name }))), other).toEqual({
        name: 'AccessDeniedException',
        message: denied(other, 'secretsmanager:GetSecretValue', value.ARN!),
        status: 400,
      });
    }
  });
});

describe('an operator (no function header) is the account administrator', () => {
  it('may do what no function may', async () => {
    const { dynamo, sfn, eks, asg } = clients();
    const key = { pk: { S: 'iam-operator' }, sk: { S: 'x' } };
    await dynamo.send(new PutItemCommand({ TableName: `${PREFIX}-deployments`, Item: key }));
    await dynamo.send(new DeleteItemCommand({ TableName: `${PREFIX}-deployments`, Key: key }));
    await sfn.send(new ListExecutionsCommand({ stateMachineArn: t.cloud.stateMachineArns.deploy }));
    const group = await eks.send(new DescribeNodegroupCommand({ clusterName: 'gpu-models', nodegroupName: 'gpu-l4-24gb' }));
    const asgName = group.nodegroup!.resources!.autoScalingGroups![0]!.name!;
    await asg.send(new SetDesiredCapacityCommand({ AutoScalingGroupName: asgName, DesiredCapacity: group.nodegroup!.scalingConfig!.desiredSize! }));
  });
});

/** create-deployment's token-secret statements as synthesized before the B2 fix (intrinsics resolved). */
const SECRET_ARNS = `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:${PREFIX}/hf-token/*`;
const BEFORE_B2: PolicyStatement[] = [
  { Effect: 'Allow', Action: 'secretsmanager:DeleteSecret', Resource: SECRET_ARNS },
  { Effect: 'Allow', Action: 'secretsmanager:CreateSecret', Resource: SECRET_ARNS, Condition: { StringEquals: { 'secretsmanager:KmsKeyId': KEY } } },
  {
    Effect: 'Allow',
    Action: 'kms:GenerateDataKey',
    Resource: KEY,
    Condition: {
      StringEquals: { 'kms:ViaService': 'secretsmanager.us-east-1.amazonaws.com' },
      StringLike: { 'kms:EncryptionContext:SecretARN': SECRET_ARNS },
    },
  },
];

describe('aws-review.md B2: storing a deployment token', () => {
  it('was refused with the grants before the fix, and is allowed with the synthesized ones', async () => {
    const old = principal('create-deployment');
    const notSecrets = (s: PolicyStatement) => ![s.Action].flat().some((a) => String(a).startsWith('secretsmanager:') || String(a).startsWith('kms:'));
    const before = { ...old, statements: [...old.statements.filter(notSecrets), ...BEFORE_B2] };
    const dataDir = mkdtempSync(join(tmpdir(), 'iam-b2-'));
    const endpoint = await startSecretsManager({ host: '127.0.0.1', dataDir, region: 'us-east-1', accountId: ACCOUNT, authorizer: createAuthorizer({ [old.functionName]: before }, ACCOUNT) });
    try {
      const client = new SecretsManagerClient({ endpoint: endpoint.url, region: 'us-east-1', credentials, maxAttempts: 1 });
      // What functions/adapters/hf-token-secrets.ts sends.
      const create = (id: string, tags = true) =>
        new CreateSecretCommand({
          Name: `${PREFIX}/hf-token/${id}`,
          SecretString: 'hf_secret',
          KmsKeyId: KEY,
          ...(tags ? { Tags: [{ Key: 'gpudeploy.io/deployment-id', Value: id }] } : {}),
        });
      const withTags = await refusal('create-deployment', () => client.send(create('dep-b2')));
      expect(withTags.name).toBe('AccessDeniedException');
      expect(withTags.message).toMatch(/is not authorized to perform: secretsmanager:TagResource on resource: arn:aws:secretsmanager:us-east-1:000000000000:secret:gpu-control-plane\/hf-token\/dep-b2-\w{6} because no identity-based policy allows/);
      // Without the tags, the missing kms:Decrypt still refuses it.
      expect(await refusal('create-deployment', () => client.send(create('dep-b2', false)))).toMatchObject({ name: 'AccessDeniedException', message: 'Access to KMS is not allowed' });
      const { secrets } = clients();
      const stored = await runAsFunction(fn('create-deployment'), () => secrets.send(create('dep-b2')));
      expect(stored.ARN).toMatch(/:secret:gpu-control-plane\/hf-token\/dep-b2-\w{6}$/);
    } finally {
      await endpoint.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('AWS-side faults', () => {
  it("answer in each service's throttling shape, only to functions", async () => {
    const { dynamo, sfn, eks, asg } = clients();
    const faults = t.cloud.faults;
    const failure = refusal;
    faults.inject('dynamodb', { count: 1, code: 'ThrottlingException' });
    const get = new GetItemCommand({ TableName: `${PREFIX}-deployments`, Key: { pk: { S: 'none' }, sk: { S: 'none' } } });
    expect(await failure('get-deployment', () => dynamo.send(get))).toMatchObject({
      name: 'ThrottlingException',
      status: 400,
    });
    faults.inject('stepfunctions', { count: 1 });
    await sfn.send(new ListExecutionsCommand({ stateMachineArn: t.cloud.stateMachineArns.deploy })); // an operator: not throttled
    expect(await failure('reconcile', () => sfn.send(new DescribeExecutionCommand({ executionArn: `${t.cloud.stateMachineArns.deploy.replace(':stateMachine:', ':execution:')}:none` })))).toMatchObject({
      name: 'ThrottlingException',
      status: 400,
    });
    faults.inject('eks', { count: 1 });
    expect(await failure('check-nodes', () => eks.send(new DescribeNodegroupCommand({ clusterName: 'gpu-models', nodegroupName: 'gpu-l4-24gb' })))).toMatchObject({
      name: 'ThrottlingException',
      status: 429,
    });
    faults.inject('autoscaling', { count: 1 });
    expect(await failure('release-idle-nodes', () => asg.send(new DescribeAutoScalingGroupsCommand({})))).toMatchObject({ name: 'Throttling', status: 400 });
    expect([faults.firedCount('stepfunctions'), faults.firedCount('eks'), faults.firedCount('autoscaling')]).toEqual([1, 1, 1]);
  });

  it('throttled DynamoDB calls are retried by the SDK, on the API path and in the tasks, and a timed-out Lambda task by the ASL Retry; the deploy converges', async () => {
    // Four in a row for any caller (the API's create, the first to call, takes them on one call)
    // and four more for the workflow's tasks: the adapters' clients make five attempts, with a
    // back-off bounded to fit the API handler's 10 s budget (functions/commons/aws-retry.ts).
    const firedBefore = t.cloud.faults.firedCount('dynamodb');
    t.cloud.faults.inject('dynamodb', { count: 4 });
    t.cloud.faults.inject('dynamodb', { count: 4, callers: TASK_FUNCTIONS.map((task) => fn(task.name)) });
    t.cloud.faults.inject('lambda-timeout', { count: 1, operations: [fn('mark-ready')] });
    const created = await t.api('POST', BASE, {
      body: { name: 'iam-faults', catalog_id: 'Qwen-Qwen2.5-0.5B-Instruct', region: 'us-east-1', gpu_config_id: 'l4-24gb', gpu_count: 1, plan_id: 'plan-l4-24gb-ondemand' },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const ready = await waitFor(() => t.api('GET', `${BASE}/${created.body.id}`), (r) => r.body.status !== 'initializing', 'deployment settled', 60_000);
    expect(ready.body.status, JSON.stringify(ready.body)).toBe('ready');
    expect(t.cloud.faults.firedCount('dynamodb') - firedBefore).toBe(8);
    // mark-ready's write lands before its (lost) result is: the status can read ready a moment before the fault counts.
    await waitFor(async () => t.cloud.faults.firedCount('lambda-timeout'), (n) => n === 1, 'the timed-out mark-ready to be counted', 10_000);
    const history = await t.history(created.body.workflow.execution_arn);
    const failed = history.filter((e) => e.type === 'TaskFailed' || e.type === 'LambdaFunctionFailed');
    const details = failed.map((e) => e.taskFailedEventDetails ?? e.lambdaFunctionFailedEventDetails);
    expect(details).toContainEqual(expect.objectContaining({ error: 'Sandbox.Timedout', cause: expect.stringMatching(/Task timed out after 60\.00 seconds/) }));
  });

  it('a create whose AWS calls stay throttled answers 503 with Retry-After and leaves nothing behind; the same Idempotency-Key then deploys', async () => {
    const { dynamo } = clients();
    const body = deployBody('iam-throttled', { hf_token: 'hf_throttled_token' });
    const post = async () => {
      const response = await fetch(`${t.cloud.apiUrl}${BASE}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${t.defaultToken}`, 'content-type': 'application/json', 'idempotency-key': 'iam-throttled-key' },
        body: JSON.stringify(body),
      });
      return { status: response.status, retryAfter: response.headers.get('retry-after'), body: (await response.json()) as { code: string; message: string; id?: string } };
    };
    const tokenSecrets = () => {
      const state = existsSync(t.cloud.secretsManager.stateFile) ? (JSON.parse(readFileSync(t.cloud.secretsManager.stateFile, 'utf8')) as { secrets: { name: string }[] }) : { secrets: [] };
      return state.secrets.map((secret) => secret.name).filter((name) => name.startsWith(`${PREFIX}/hf-token/`));
    };
    const idempotencyRecords = async () =>
      (await dynamo.send(new QueryCommand({ TableName: `${PREFIX}-deployments`, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': { S: 'IDEMPOTENCY#create-deployment' } } }))).Items ?? [];
    const before = { ledger: await t.ledger('l4-24gb'), records: (await t.records()).length, secrets: tokenSecrets(), keys: (await idempotencyRecords()).length };
    const unchanged = async () => {
      expect({ ledger: await t.ledger('l4-24gb'), records: (await t.records()).length, secrets: tokenSecrets(), keys: (await idempotencyRecords()).length }).toEqual(before);
    };
    const createCaller = [fn('create-deployment')];
    // The ledger's reservation (the create's first UpdateItem) throttled on all five attempts,
    // after the token secret and the idempotency record were written.
    const firedBefore = t.cloud.faults.firedCount('dynamodb');
    t.cloud.faults.inject('dynamodb', { count: 5, operations: ['UpdateItem'], callers: createCaller });
    const throttled = await post();
    expect(throttled.status, JSON.stringify(throttled.body)).toBe(503);
    expect(throttled.retryAfter).toBe('2');
    expect(throttled.body).toEqual({ code: 'service_unavailable', message: 'a backing service is throttling or unavailable; retry shortly' });
    expect(t.cloud.faults.firedCount('dynamodb') - firedBefore).toBe(5);
    await unchanged();
    // Step Functions throttled on all four attempts, after the reservation, the name and the record were written.
    const startsBefore = t.cloud.faults.firedCount('stepfunctions');
    t.cloud.faults.inject('stepfunctions', { count: 4, operations: ['StartExecution'], callers: createCaller });
    const unstarted = await post();
    expect(unstarted.status, JSON.stringify(unstarted.body)).toBe(503);
    expect(unstarted.retryAfter).toBe('2');
    expect(unstarted.body).toEqual({ code: 'service_unavailable', message: 'the deploy workflow could not be started; nothing was changed, retry shortly' });
    expect(t.cloud.faults.firedCount('stepfunctions') - startsBefore).toBe(4);
    await unchanged();
    // The client does what the answer says: the same request, same key.
    const retried = await post();
    expect(retried.status, JSON.stringify(retried.body)).toBe(201);
    const ready = await waitFor(() => t.api('GET', `${BASE}/${retried.body.id}`), (r) => r.body.status !== 'initializing', 'deployment settled', 60_000);
    expect(ready.body.status, JSON.stringify(ready.body)).toBe('ready');
    expect(await t.ledger('l4-24gb')).toBe(before.ledger + 1);
    expect(tokenSecrets()).toHaveLength(before.secrets.length + 1);
  });
});
