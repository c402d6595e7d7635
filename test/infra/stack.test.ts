/**
 * Fine-grained assertions on the synthesized GpuControlPlane template: functions, API, table,
 * cluster access and least-privilege IAM, all derived from the shared definitions in
 * infra/definitions/. The app is synthesized once, with bundling skipped (no esbuild runs and
 * no handler file is needed), and with the context from cdk.json, as `cdk synth` would.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { inventoryNodeGroupNames } from '../../infra/constructs/cluster';
import { ROUTES, type WorkflowName } from '../../infra/definitions/routes';
import { TABLE } from '../../infra/definitions/table';
import { STATE_MACHINES, TASK_FUNCTIONS, stateMachineName } from '../../infra/definitions/workflows';
import { DEFAULT_CONFIG, configFromContext, createControlPlaneApp } from '../../infra/stack';

const cdkJson = JSON.parse(readFileSync(fileURLToPath(new URL('../../cdk.json', import.meta.url)), 'utf8')) as {
  context: Record<string, unknown>;
};
const { prefix, clusterName, modelNamespace, jwtIssuer, jwtAudience } = DEFAULT_CONFIG;

type Json = Record<string, any>;
interface Statement {
  readonly Action: string | string[];
  readonly Resource: unknown;
  readonly Condition?: Json;
}

/** The item-level table actions each access level stands for (the contract, spelled out). */
const TABLE_READ = ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query'];
const TABLE_WRITE = ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem', 'dynamodb:ConditionCheckItem'];
/** Every function writes its own log group and its X-Ray segments. */
const BASELINE = ['logs:CreateLogStream', 'logs:PutLogEvents', 'xray:PutTraceSegments', 'xray:PutTelemetryRecords'];

let template: Template;
let resources: Record<string, Json>;

const ofType = (type: string): [string, Json][] => Object.entries(resources).filter(([, resource]) => resource.Type === type);
const asArray = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);

/** Logical id of the Lambda function named `<prefix>-<name>`. */
const functionId = (name: string): string => {
  const match = ofType('AWS::Lambda::Function').find(([, fn]) => fn.Properties.FunctionName === `${prefix}-${name}`);
  if (!match) throw new Error(`no function ${prefix}-${name} in the template`);
  return match[0];
};
const functionProps = (name: string): Json => resources[functionId(name)]!.Properties;
const roleIdOf = (name: string): string => functionProps(name).Role['Fn::GetAtt'][0];

/** All statements of the policies attached to a role. */
const statementsOfRole = (roleId: string): Statement[] =>
  ofType('AWS::IAM::Policy')
    .filter(([, policy]) => policy.Properties.Roles.some((role: Json) => role.Ref === roleId))
    .flatMap(([, policy]) => policy.Properties.PolicyDocument.Statement as Statement[]);
const actionsOf = (statements: Statement[]): string[] => [...new Set(statements.flatMap((s) => asArray(s.Action)))].sort();
const statementsWith = (statements: Statement[], action: string): Statement[] =>
  statements.filter((s) => asArray(s.Action).includes(action));
/** Every resource `action` is allowed on, whichever statements (merged or not) grant it, in a stable order. */
const resourcesFor = (statements: Statement[], action: string): unknown[] =>
  inStableOrder(statementsWith(statements, action).flatMap((s) => asArray(s.Resource)));
const inStableOrder = (values: readonly unknown[]): unknown[] =>
  [...values].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));

const stateMachineId = (workflow: WorkflowName): string => {
  const match = ofType('AWS::StepFunctions::StateMachine').find(
    ([, machine]) => machine.Properties.StateMachineName === stateMachineName(prefix, workflow),
  );
  if (!match) throw new Error(`no ${workflow} state machine in the template`);
  return match[0];
};

beforeAll(() => {
  const { stack } = createControlPlaneApp({ context: { ...cdkJson.context, 'aws:cdk:bundling-stacks': [] } });
  template = Template.fromStack(stack);
  resources = template.toJSON().Resources;
});

describe('Lambda functions', () => {
  const all = [
    ...ROUTES.map((route) => ({ name: route.name, timeout: 10 })),
    ...TASK_FUNCTIONS.map((task) => ({ name: task.name, timeout: 60 })),
  ];

  it('creates exactly one function per route and per workflow task', () => {
    template.resourceCountIs('AWS::Lambda::Function', ROUTES.length + TASK_FUNCTIONS.length);
    for (const { name } of all) expect(() => functionId(name)).not.toThrow();
  });

  it.each(all)('$name runs on Node.js 22+ and arm64 with tracing, 256 MB, a $timeout s timeout and source maps', ({ name, timeout }) => {
    const props = functionProps(name);
    expect(props.Runtime).toMatch(/^nodejs(2[2-9]|[3-9]\d)\.x$/);
    expect(props.Architectures).toEqual(['arm64']);
    expect(props.TracingConfig).toEqual({ Mode: 'Active' });
    expect(props.MemorySize).toBe(256);
    expect(props.Timeout).toBe(timeout);
    expect(props.Environment.Variables).toMatchObject({
      NODE_OPTIONS: '--enable-source-maps',
      POWERTOOLS_SERVICE_NAME: prefix,
      LOG_LEVEL: 'INFO',
    });
  });

  it.each(all)('$name logs to its own log group kept for one month', ({ name }) => {
    const logGroupId = functionProps(name).LoggingConfig.LogGroup.Ref as string;
    expect(resources[logGroupId]).toMatchObject({
      Type: 'AWS::Logs::LogGroup',
      Properties: { LogGroupName: `/aws/lambda/${prefix}-${name}`, RetentionInDays: 30 },
    });
  });

  it('attaches no managed policy to any function role (logs are granted on the function log group only)', () => {
    for (const { name } of all) {
      expect(resources[roleIdOf(name)]!.Properties.ManagedPolicyArns).toBeUndefined();
    }
  });
});

describe('HTTP API', () => {
  it('has one route per route definition, each behind the JWT authorizer', () => {
    template.resourceCountIs('AWS::ApiGatewayV2::Route', ROUTES.length);
    const [authorizerId] = ofType('AWS::ApiGatewayV2::Authorizer').map(([id]) => id);
    for (const route of ROUTES) {
      template.hasResourceProperties('AWS::ApiGatewayV2::Route', {
        RouteKey: `${route.method} ${route.path}`,
        AuthorizationType: 'JWT',
        AuthorizerId: { Ref: authorizerId },
      });
    }
    for (const [, route] of ofType('AWS::ApiGatewayV2::Route')) {
      expect(route.Properties.AuthorizationType).toBe('JWT');
    }
  });

  it('validates tokens against the configured issuer and audience', () => {
    template.resourceCountIs('AWS::ApiGatewayV2::Authorizer', 1);
    template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'JWT',
      IdentitySource: ['$request.header.Authorization'],
      JwtConfiguration: { Issuer: jwtIssuer, Audience: [jwtAudience] },
    });
  });

  it.each(ROUTES)('integrates $method $path with the $name function (Lambda proxy, payload 2.0)', (route) => {
    const fnId = functionId(route.name);
    const [integrationId] = ofType('AWS::ApiGatewayV2::Integration').find(
      ([, integration]) => integration.Properties.IntegrationUri['Fn::GetAtt']?.[0] === fnId,
    ) ?? [undefined];
    expect(integrationId).toBeDefined();
    expect(resources[integrationId!]!.Properties).toMatchObject({ IntegrationType: 'AWS_PROXY', PayloadFormatVersion: '2.0' });
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', {
      RouteKey: `${route.method} ${route.path}`,
      Target: { 'Fn::Join': ['', ['integrations/', { Ref: integrationId }]] },
    });
  });

  it('serves a throttled $default stage that writes JSON access logs to a log group', () => {
    template.resourceCountIs('AWS::ApiGatewayV2::Stage', 1);
    const [, stage] = ofType('AWS::ApiGatewayV2::Stage')[0]!;
    expect(stage.Properties).toMatchObject({
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingBurstLimit: 100, ThrottlingRateLimit: 50 },
    });
    const destination = stage.Properties.AccessLogSettings.DestinationArn['Fn::GetAtt'][0] as string;
    expect(resources[destination]!.Type).toBe('AWS::Logs::LogGroup');
    expect(JSON.parse(stage.Properties.AccessLogSettings.Format)).toMatchObject({ requestId: '$context.requestId' });
  });

  it.each(ROUTES)('passes $name the table name and only the state machine ARNs it starts', (route) => {
    const variables = functionProps(route.name).Environment.Variables as Json;
    expect(variables.TABLE_NAME).toEqual({ Ref: ofType('AWS::DynamoDB::Table')[0]![0] });
    const expected = Object.fromEntries(
      route.access.startsWorkflows.map((workflow) => [`${workflow.toUpperCase()}_STATE_MACHINE_ARN`, { Ref: stateMachineId(workflow) }]),
    );
    const actual = Object.fromEntries(Object.entries(variables).filter(([key]) => key.endsWith('_STATE_MACHINE_ARN')));
    expect(actual).toEqual(expected);
  });
});

describe('least-privilege IAM', () => {
  it.each(ROUTES)('gives route $name exactly the actions its access declares', (route) => {
    const statements = statementsOfRole(roleIdOf(route.name));
    const expected = [
      ...BASELINE,
      ...TABLE_READ,
      ...(route.access.table === 'RW' ? TABLE_WRITE : []),
      ...(route.access.startsWorkflows.length > 0 ? ['states:StartExecution'] : []),
    ];
    expect(actionsOf(statements)).toEqual([...new Set(expected)].sort());

    expect(resourcesFor(statements, 'states:StartExecution')).toEqual(
      inStableOrder(route.access.startsWorkflows.map((workflow) => ({ Ref: stateMachineId(workflow) }))),
    );
  });

  it('lets create-deployment start only the deploy state machine', () => {
    expect(resourcesFor(statementsOfRole(roleIdOf('create-deployment')), 'states:StartExecution')).toEqual([
      { Ref: stateMachineId('deploy') },
    ]);
  });

  it('gives get-deployment no write action: besides logs and traces it may only read table items', () => {
    const actions = actionsOf(statementsOfRole(roleIdOf('get-deployment')));
    expect(actions.filter((action) => !BASELINE.includes(action))).toEqual([...TABLE_READ].sort());
  });

  it('scopes table access to the table ARN', () => {
    const tableId = ofType('AWS::DynamoDB::Table')[0]![0];
    for (const definition of [...ROUTES, ...TASK_FUNCTIONS]) {
      const statements = statementsOfRole(roleIdOf(definition.name));
      for (const action of actionsOf(statements).filter((candidate) => candidate.startsWith('dynamodb:'))) {
        expect(resourcesFor(statements, action)).toEqual([{ 'Fn::GetAtt': [tableId, 'Arn'] }]);
      }
    }
  });

  it.each(TASK_FUNCTIONS)('gives task $name exactly the actions its access declares', (task) => {
    const expected = [
      ...BASELINE,
      ...TABLE_READ,
      ...(task.access.table === 'RW' ? TABLE_WRITE : []),
      ...task.access.eks,
      ...task.access.autoscaling,
    ];
    expect(actionsOf(statementsOfRole(roleIdOf(task.name)))).toEqual([...new Set(expected)].sort());
  });

  it('allows eks:DescribeCluster on the named cluster only, and node group actions on the inventory node groups only', () => {
    const stackRegion = (arn: string) => ({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':eks:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, arn]] });
    const nodeGroups = inventoryNodeGroupNames().map((nodeGroup) => stackRegion(`:nodegroup/${clusterName}/${nodeGroup}/*`));
    expect(nodeGroups.length).toBeGreaterThan(0);
    for (const task of TASK_FUNCTIONS) {
      const statements = statementsOfRole(roleIdOf(task.name));
      for (const action of task.access.eks) {
        const expected = action === 'eks:DescribeCluster' ? [stackRegion(`:cluster/${clusterName}`)] : nodeGroups;
        expect(resourcesFor(statements, action)).toEqual(inStableOrder(expected));
      }
    }
  });

  it('lets release-idle-nodes terminate instances only in Auto Scaling groups tagged with this cluster', () => {
    const tasks = TASK_FUNCTIONS.filter((task) => task.access.autoscaling.includes('autoscaling:TerminateInstanceInAutoScalingGroup'));
    expect(tasks.map((task) => task.name)).toContain('release-idle-nodes');
    for (const task of tasks) {
      const terminate = statementsWith(statementsOfRole(roleIdOf(task.name)), 'autoscaling:TerminateInstanceInAutoScalingGroup');
      expect(terminate).toHaveLength(1);
      expect(terminate[0]?.Condition).toEqual({
        StringEquals: {
          'aws:ResourceTag/eks:cluster-name': clusterName,
          'aws:ResourceTag/eks:nodegroup-name': inventoryNodeGroupNames(),
        },
      });
    }
  });
});

describe('workflow task functions', () => {
  it.each(TASK_FUNCTIONS)('passes $name the table, cluster and namespace', (task) => {
    expect(functionProps(task.name).Environment.Variables).toMatchObject({
      TABLE_NAME: { Ref: ofType('AWS::DynamoDB::Table')[0]![0] },
      EKS_CLUSTER_NAME: clusterName,
      MODEL_NAMESPACE: modelNamespace,
    });
  });

  it('maps every task role that talks to Kubernetes, and only those, into the gpu-control-plane group', () => {
    const kubernetesTasks = TASK_FUNCTIONS.filter((task) => task.access.kubernetes);
    template.resourceCountIs('AWS::EKS::AccessEntry', kubernetesTasks.length);
    const principals = ofType('AWS::EKS::AccessEntry').map(([, entry]) => {
      expect(entry.Properties).toMatchObject({ ClusterName: clusterName, KubernetesGroups: ['gpu-control-plane'], Type: 'STANDARD' });
      return entry.Properties.PrincipalArn['Fn::GetAtt'][0] as string;
    });
    expect(principals.sort()).toEqual(kubernetesTasks.map((task) => roleIdOf(task.name)).sort());
  });
});

describe('state machines', () => {
  it('creates one STANDARD state machine per workflow, named from the prefix', () => {
    template.resourceCountIs('AWS::StepFunctions::StateMachine', STATE_MACHINES.length);
    for (const definition of STATE_MACHINES) {
      template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
        StateMachineName: `${prefix}-${definition.workflow}`,
        StateMachineType: 'STANDARD',
        TracingConfiguration: { Enabled: true },
      });
    }
  });

  it.each(STATE_MACHINES)('logs every $workflow event to a log group without execution data', (definition) => {
    const logging = resources[stateMachineId(definition.workflow)]!.Properties.LoggingConfiguration as Json;
    expect(logging).toMatchObject({ Level: 'ALL', IncludeExecutionData: false });
    const logGroupId = logging.Destinations[0].CloudWatchLogsLogGroup.LogGroupArn['Fn::GetAtt'][0] as string;
    expect(resources[logGroupId]).toMatchObject({ Type: 'AWS::Logs::LogGroup', Properties: { RetentionInDays: 30 } });
  });

});

describe('table', () => {
  it('is the one table from the shared definition, on demand, with TTL and AWS-managed encryption', () => {
    template.resourceCountIs('AWS::DynamoDB::Table', 1);
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [
        { AttributeName: TABLE.partitionKey, KeyType: 'HASH' },
        { AttributeName: TABLE.sortKey, KeyType: 'RANGE' },
      ],
      BillingMode: 'PAY_PER_REQUEST',
      TimeToLiveSpecification: { AttributeName: TABLE.timeToLiveAttribute, Enabled: true },
      SSESpecification: { SSEEnabled: true },
    });
  });

  it('is protected: point-in-time recovery, deletion protection, retained on stack deletion', () => {
    template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: Match.objectLike({
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        DeletionProtectionEnabled: true,
      }),
    });
  });
});

describe('outputs and configuration', () => {
  it('outputs the API URL, the table name and the state machine ARNs', () => {
    const outputs = template.toJSON().Outputs as Json;
    expect(Object.keys(outputs)).toEqual(
      expect.arrayContaining(['ApiUrl', 'TableName', 'DeployStateMachineArn', 'ScaleStateMachineArn', 'DeleteStateMachineArn']),
    );
    expect(outputs.DeployStateMachineArn.Value).toEqual({ Ref: stateMachineId('deploy') });
  });

  it('reads overrides from context and rejects invalid values with the key in the message', () => {
    const app = new App({ context: { prefix: 'acme-gpu', jwtIssuer: 'https://login.acme.test/' } });
    expect(configFromContext(app.node)).toEqual({ ...DEFAULT_CONFIG, prefix: 'acme-gpu', jwtIssuer: 'https://login.acme.test/' });
    expect(() => configFromContext(new App({ context: { jwtIssuer: 'http://insecure.test/' } }).node)).toThrow(/jwtIssuer/);
    expect(() => configFromContext(new App({ context: { prefix: 'Has Spaces' } }).node)).toThrow(/prefix/);
  });
});
