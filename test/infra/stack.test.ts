/**
 * Fine-grained assertions on the GpuControlPlane template in its default mode (a new VPC and EKS
 * cluster, a Cognito user pool): functions, API, least-privilege IAM, cluster and node groups,
 * secrets, table, alarms, dashboard and tags, all derived from the shared definitions in
 * contract/ (routes, table, workflows, inventory). The app is synthesized once, with bundling skipped.
 * The import mode has its own file (import-mode.test.ts).
 */
import { App, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { METRIC } from '../../functions/commons/observability';
import { INVENTORY } from '../../contract/catalog';
import { GPU_AMI_TYPE, inventoryNodeGroupNames } from '../../infra/constructs/cluster';
import { NewGpuCluster } from '../../infra/constructs/new-cluster';
import { CUSTOM_METRIC, ERROR_ALARM_THRESHOLDS } from '../../infra/constructs/monitoring';
import { HF_TOKEN_SECRET_ACCESS } from '../../infra/constructs/secrets';
import { ROUTES, type WorkflowName } from '../../contract/routes';
import { SCHEDULES } from '../../contract/schedules';
import { TABLE } from '../../contract/table';
import { STATE_MACHINES, TASK_FUNCTIONS } from '../../contract/workflows';
import { DEFAULTS, DEFAULT_CONFIG, METRICS_NAMESPACE, configFromContext, createControlPlaneApp } from '../../infra/stack';
import {
  actionsOf,
  asArray,
  inStableOrder,
  resourcesFor,
  statementsWith,
  synthContext,
  FIXTURE_OFFERINGS,
  synthesize,
  type Json,
  type Synthesized,
} from './template';
import { BASELINE, TABLE_READ, routeActions, scheduleActions, sorted, taskActions } from './contract';

const { prefix, modelNamespace } = DEFAULT_CONFIG;
const clusterName = DEFAULTS.clusterName;

let s: Synthesized;
let tableId: string;

beforeAll(() => {
  s = synthesize();
  tableId = s.ofType('AWS::DynamoDB::Table')[0]![0];
});

const stackArn = (suffix: unknown[], service = 'eks') => ({
  'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:${service}:`, { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ...suffix]],
});

describe('Lambda functions', () => {
  const all = [
    ...ROUTES.map((route) => ({ name: route.name, timeout: 10 })),
    ...TASK_FUNCTIONS.map((task) => ({ name: task.name, timeout: 60 })),
    ...SCHEDULES.map((schedule) => ({ name: schedule.name, timeout: 300 })),
  ];

  it('creates exactly one function per route, workflow task and schedule (besides custom resource functions)', () => {
    const ours = s
      .ofType('AWS::Lambda::Function')
      .filter(([, fn]) => String(fn.Properties.FunctionName ?? '').startsWith(`${prefix}-`))
      .filter(([, fn]) => !String(fn.Properties.Description ?? '').startsWith('Custom resource:'));
    expect(ours).toHaveLength(all.length);
    for (const { name } of all) expect(() => s.functionId(name)).not.toThrow();
  });

  it.each(all)('$name runs on Node.js 22+ and arm64 with tracing, 256 MB, a $timeout s timeout, source maps and Powertools settings', ({ name, timeout }) => {
    const props = s.functionProps(name);
    expect(props.Runtime).toMatch(/^nodejs(2[2-9]|[3-9]\d)\.x$/);
    expect(props.Architectures).toEqual(['arm64']);
    expect(props.TracingConfig).toEqual({ Mode: 'Active' });
    expect(props.MemorySize).toBe(256);
    expect(props.Timeout).toBe(timeout);
    expect(props.Environment.Variables).toMatchObject({
      NODE_OPTIONS: '--enable-source-maps',
      POWERTOOLS_SERVICE_NAME: prefix,
      POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
      LOG_LEVEL: 'INFO',
    });
  });

  it.each(all)('$name logs to its own log group kept for one month', ({ name }) => {
    const logGroupId = s.functionProps(name).LoggingConfig.LogGroup.Ref as string;
    expect(s.resources[logGroupId]).toMatchObject({
      Type: 'AWS::Logs::LogGroup',
      Properties: { LogGroupName: `/aws/lambda/${prefix}-${name}`, RetentionInDays: 30 },
    });
  });

  it('attaches no managed policy to any function role (logs are granted on the function log group only)', () => {
    for (const { name } of all) expect(s.resources[s.roleIdOf(name)]!.Properties.ManagedPolicyArns).toBeUndefined();
  });

  it('reserves concurrency for exactly the workflow tasks that call the Kubernetes API, protecting its API server', () => {
    for (const task of TASK_FUNCTIONS) {
      const reserved = s.functionProps(task.name).ReservedConcurrentExecutions as number | undefined;
      expect(reserved, task.name).toBe(task.access.kubernetes ? DEFAULTS.kubernetesTaskConcurrency : undefined);
    }
    for (const route of ROUTES) expect(s.functionProps(route.name).ReservedConcurrentExecutions).toBeUndefined();
  });

  it('runs one pass of each scheduled job at a time (reserved concurrency 1)', () => {
    for (const schedule of SCHEDULES) expect(s.functionProps(schedule.name).ReservedConcurrentExecutions, schedule.name).toBe(1);
  });
});

describe('HTTP API', () => {
  it('has one route per route definition, every one behind the single JWT authorizer but the public ones', () => {
    s.template.resourceCountIs('AWS::ApiGatewayV2::Route', ROUTES.length);
    s.template.resourceCountIs('AWS::ApiGatewayV2::Authorizer', 1);
    const [authorizerId] = s.ofType('AWS::ApiGatewayV2::Authorizer').map(([id]) => id);
    for (const route of ROUTES.filter((r) => !r.public)) {
      s.template.hasResourceProperties('AWS::ApiGatewayV2::Route', {
        RouteKey: `${route.method} ${route.path}`,
        AuthorizationType: 'JWT',
        AuthorizerId: { Ref: authorizerId },
      });
    }
    const publicKeys = new Set(ROUTES.filter((r) => r.public).map((r) => `${r.method} ${r.path}`));
    expect([...publicKeys].sort()).toEqual(['GET /api/v1beta1/docs', 'GET /api/v1beta1/openapi.json']);
    for (const [, route] of s.ofType('AWS::ApiGatewayV2::Route')) {
      if (publicKeys.has(route.Properties.RouteKey)) {
        expect(route.Properties.AuthorizationType).toBe('NONE');
        expect(route.Properties.AuthorizerId).toBeUndefined();
      } else {
        expect(route.Properties).toMatchObject({ AuthorizationType: 'JWT', AuthorizerId: { Ref: authorizerId } });
      }
    }
  });

  it('accepts the ID tokens of the Cognito user pool it creates: its issuer URL and its app client as audience', () => {
    const [poolId] = s.ofType('AWS::Cognito::UserPool').map(([id]) => id);
    const [clientId] = s.ofType('AWS::Cognito::UserPoolClient').map(([id]) => id);
    s.template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'JWT',
      IdentitySource: ['$request.header.Authorization'],
      JwtConfiguration: {
        Issuer: { 'Fn::Join': ['', ['https://cognito-idp.', { Ref: 'AWS::Region' }, '.amazonaws.com/', { Ref: poolId }]] },
        Audience: [{ Ref: clientId }],
      },
    });
  });

  it('creates an admin-only user pool with required TOTP MFA, a strong password policy, threat protection and the tenant attributes', () => {
    s.template.resourceCountIs('AWS::Cognito::UserPool', 1);
    s.template.hasResource('AWS::Cognito::UserPool', {
      DeletionPolicy: 'Retain',
      Properties: Match.objectLike({
        AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
        MfaConfiguration: 'ON',
        EnabledMfas: ['SOFTWARE_TOKEN_MFA'],
        UserPoolTier: 'PLUS',
        DeletionProtection: 'ACTIVE',
        Policies: {
          PasswordPolicy: Match.objectLike({ MinimumLength: 14, RequireLowercase: true, RequireUppercase: true, RequireNumbers: true, RequireSymbols: true }),
        },
        Schema: Match.arrayWith([
          Match.objectLike({ Name: 'org_id', AttributeDataType: 'String', Mutable: true }),
          Match.objectLike({ Name: 'project_ids', AttributeDataType: 'String', Mutable: true }),
          Match.objectLike({ Name: 'role', AttributeDataType: 'String', Mutable: true }),
        ]),
      }),
    });
  });

  it('lets the app client read the tenant attributes into tokens but never write them (only administrators can)', () => {
    const [, client] = s.ofType('AWS::Cognito::UserPoolClient')[0]!;
    const tenant = ['custom:org_id', 'custom:project_ids', 'custom:role'];
    expect(client.Properties.ReadAttributes).toEqual(expect.arrayContaining(tenant));
    for (const attribute of tenant) expect(client.Properties.WriteAttributes).not.toContain(attribute);
    expect(client.Properties).toMatchObject({ GenerateSecret: false, PreventUserExistenceErrors: 'ENABLED', EnableTokenRevocation: true });
  });

  it.each(ROUTES)('integrates $method $path with the $name function (Lambda proxy, payload 2.0)', (route) => {
    const fnId = s.functionId(route.name);
    const [integrationId] = s
      .ofType('AWS::ApiGatewayV2::Integration')
      .find(([, integration]) => integration.Properties.IntegrationUri['Fn::GetAtt']?.[0] === fnId) ?? [undefined];
    expect(integrationId).toBeDefined();
    expect(s.resources[integrationId!]!.Properties).toMatchObject({ IntegrationType: 'AWS_PROXY', PayloadFormatVersion: '2.0' });
    s.template.hasResourceProperties('AWS::ApiGatewayV2::Route', {
      RouteKey: `${route.method} ${route.path}`,
      Target: { 'Fn::Join': ['', ['integrations/', { Ref: integrationId }]] },
    });
  });

  it('serves a throttled $default stage that writes JSON access logs to a log group', () => {
    s.template.resourceCountIs('AWS::ApiGatewayV2::Stage', 1);
    const [, stage] = s.ofType('AWS::ApiGatewayV2::Stage')[0]!;
    expect(stage.Properties).toMatchObject({
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingBurstLimit: 100, ThrottlingRateLimit: 50 },
    });
    const destination = stage.Properties.AccessLogSettings.DestinationArn['Fn::GetAtt'][0] as string;
    expect(s.resources[destination]!.Type).toBe('AWS::Logs::LogGroup');
    expect(JSON.parse(stage.Properties.AccessLogSettings.Format)).toMatchObject({ requestId: '$context.requestId', status: '$context.status' });
  });

  it.each(ROUTES)('passes $name the table name and only the state machine ARNs it starts', (route) => {
    const variables = s.functionProps(route.name).Environment.Variables as Json;
    expect(variables.TABLE_NAME).toEqual({ Ref: tableId });
    const expected = Object.fromEntries(
      (route.access.workflows?.start ?? []).map((workflow) => [`${workflow.toUpperCase()}_STATE_MACHINE_ARN`, { Ref: s.stateMachineId(workflow) }]),
    );
    const actual = Object.fromEntries(Object.entries(variables).filter(([key]) => key.endsWith('_STATE_MACHINE_ARN')));
    expect(actual).toEqual(expected);
  });
});

describe('least-privilege IAM', () => {
  it.each(ROUTES)('gives route $name exactly the actions its definition declares', (route) => {
    expect(actionsOf(s.statementsOfRole(s.roleIdOf(route.name)))).toEqual(sorted(routeActions(route, true)));
  });

  it.each(TASK_FUNCTIONS)('gives task $name exactly the actions its definition declares', (task) => {
    expect(actionsOf(s.statementsOfRole(s.roleIdOf(task.name)))).toEqual(sorted(taskActions(task, true)));
  });

  it.each(SCHEDULES)('gives scheduled job $name exactly the actions its definition declares', (schedule) => {
    expect(actionsOf(s.statementsOfRole(s.roleIdOf(schedule.name)))).toEqual(sorted(scheduleActions(schedule, true)));
  });

  it('lets each function start only the state machines it declares, and stop or describe only their executions', () => {
    const executionsOf = (workflow: WorkflowName) =>
      stackArn([':execution:', { 'Fn::GetAtt': [s.stateMachineId(workflow), 'Name'] }, ':*'], 'states');
    const definitions = [
      ...[...ROUTES, ...SCHEDULES].map(({ name, access: { workflows = {} } }) => ({ name, starts: workflows.start ?? [], stops: workflows.stop ?? [], describes: workflows.describe ?? [] })),
    ];
    for (const { name, starts, stops, describes } of definitions) {
      const statements = s.statementsOfRole(s.roleIdOf(name));
      expect(resourcesFor(statements, 'states:StartExecution'), name).toEqual(inStableOrder(starts.map((workflow) => ({ Ref: s.stateMachineId(workflow) }))));
      expect(resourcesFor(statements, 'states:StopExecution'), name).toEqual(inStableOrder(stops.map(executionsOf)));
      expect(resourcesFor(statements, 'states:DescribeExecution'), name).toEqual(inStableOrder(describes.map(executionsOf)));
    }
    expect(resourcesFor(s.statementsOfRole(s.roleIdOf('create-deployment')), 'states:StartExecution')).toEqual([{ Ref: s.stateMachineId('deploy') }]);
  });

  it('gives get-deployment no write action: besides logs and traces it may only read table items', () => {
    const actions = actionsOf(s.statementsOfRole(s.roleIdOf('get-deployment')));
    expect(actions.filter((action) => !BASELINE.includes(action))).toEqual([...TABLE_READ].sort());
  });

  it('lets check-nodes (nodes_ready milestone) and apply-workload (scheduling phase) update the deployment, which local IAM showed they could not', () => {
    for (const name of ['check-nodes', 'apply-workload']) {
      const statements = s.statementsOfRole(s.roleIdOf(name));
      expect(resourcesFor(statements, 'dynamodb:UpdateItem'), name).toEqual([{ 'Fn::GetAtt': [tableId, 'Arn'] }]);
    }
  });

  it('scopes item actions to the table ARN and queries to its named indexes (no index wildcard)', () => {
    const tableArn = { 'Fn::GetAtt': [tableId, 'Arn'] };
    const indexArns = TABLE.indexes.map((index) => ({ 'Fn::Join': ['', [tableArn, `/index/${index.name}`]] }));
    for (const definition of [...ROUTES, ...TASK_FUNCTIONS, ...SCHEDULES]) {
      const statements = s.statementsOfRole(s.roleIdOf(definition.name));
      for (const action of actionsOf(statements).filter((candidate) => candidate.startsWith('dynamodb:'))) {
        const expected = action === 'dynamodb:Query' ? [tableArn, ...indexArns] : [tableArn];
        expect(resourcesFor(statements, action), `${definition.name} ${action}`).toEqual(inStableOrder(expected));
      }
    }
  });

  it('allows eks:DescribeCluster on the cluster only, and node group actions on the inventory node groups only', () => {
    const nodeGroups = inventoryNodeGroupNames().map((nodeGroup) => stackArn([`:nodegroup/${clusterName}/${nodeGroup}/*`]));
    expect(nodeGroups.length).toBe(new Set(INVENTORY.gpu_configs.map((config) => config.node_group.name)).size);
    for (const definition of [...TASK_FUNCTIONS, ...SCHEDULES]) {
      const statements = s.statementsOfRole(s.roleIdOf(definition.name));
      for (const action of definition.access.eks ?? []) {
        const expected = action === 'eks:DescribeCluster' ? [stackArn([`:cluster/${clusterName}`])] : nodeGroups;
        expect(resourcesFor(statements, action)).toEqual(inStableOrder(expected));
      }
    }
  });

  it('lets a function terminate instances only in Auto Scaling groups EKS tagged with this cluster and an inventory node group', () => {
    const definitions = [...TASK_FUNCTIONS, ...SCHEDULES].filter((d) => d.access.autoscaling?.includes('autoscaling:TerminateInstanceInAutoScalingGroup'));
    expect(definitions.map((d) => d.name)).toContain('release-idle-nodes');
    for (const definition of definitions) {
      const terminate = statementsWith(s.statementsOfRole(s.roleIdOf(definition.name)), 'autoscaling:TerminateInstanceInAutoScalingGroup');
      expect(terminate).toHaveLength(1);
      expect(terminate[0]?.Condition).toEqual({
        StringEquals: { 'aws:ResourceTag/eks:cluster-name': clusterName, 'aws:ResourceTag/eks:nodegroup-name': inventoryNodeGroupNames() },
      });
    }
  });
});

describe('Hugging Face token secrets', () => {
  const secretArns = stackArn([`:secret:${prefix}/hf-token/*`], 'secretsmanager');
  const keyId = () => s.ofType('AWS::KMS::Key').find(([, key]) => String(key.Properties.Description).includes('Hugging Face'))![0];

  it('are encrypted with a customer managed key that rotates and survives the stack', () => {
    s.template.hasResource('AWS::KMS::Key', {
      DeletionPolicy: 'Retain',
      Properties: Match.objectLike({ EnableKeyRotation: true, Description: Match.stringLikeRegexp('Hugging Face token') }),
    });
  });

  it('may be created only under the prefix and only with that key, by create-deployment', () => {
    const statements = s.statementsOfRole(s.roleIdOf('create-deployment'));
    const create = statementsWith(statements, 'secretsmanager:CreateSecret');
    expect(create).toHaveLength(1);
    expect(create[0]).toMatchObject({
      Resource: secretArns,
      Condition: { StringEquals: { 'secretsmanager:KmsKeyId': { 'Fn::GetAtt': [keyId(), 'Arn'] } } },
    });
  });

  it('may be tagged on creation only with the deployment-id tag, and the key both generates and decrypts data keys (B2)', () => {
    const statements = s.statementsOfRole(s.roleIdOf('create-deployment'));
    const tag = statementsWith(statements, 'secretsmanager:TagResource');
    expect(tag).toHaveLength(1);
    expect(tag[0]).toMatchObject({
      Resource: secretArns,
      Condition: {
        Null: { 'aws:RequestTag/gpudeploy.io/deployment-id': 'false' },
        'ForAllValues:StringEquals': { 'aws:TagKeys': ['gpudeploy.io/deployment-id'] },
      },
    });
    expect(actionsOf(statements).filter((a) => a.startsWith('kms:'))).toEqual(['kms:Decrypt', 'kms:GenerateDataKey']);
  });

  it('use the key only through Secrets Manager and only for token secrets', () => {
    // a function may read the gateway's master secret too (its own statements, checked below)
    const gatewaySecretArn = stackArn([`:secret:${prefix}/inference-gateway-??????`], 'secretsmanager');
    const ofGatewaySecret = (st: { Resource?: unknown; Condition?: unknown }) => JSON.stringify([st.Resource, st.Condition]).includes(JSON.stringify(gatewaySecretArn));
    for (const [name, parts] of Object.entries(HF_TOKEN_SECRET_ACCESS)) {
      const statements = s.statementsOfRole(s.roleIdOf(name)).filter((st) => !ofGatewaySecret(st));
      for (const action of actionsOf(statements).filter((a) => a.startsWith('kms:'))) {
        for (const statement of statementsWith(statements, action)) {
          expect(statement.Resource, `${name} ${action}`).toEqual({ 'Fn::GetAtt': [keyId(), 'Arn'] });
          expect(statement.Condition).toEqual({
            StringEquals: { 'kms:ViaService': { 'Fn::Join': ['', ['secretsmanager.', { Ref: 'AWS::Region' }, '.amazonaws.com']] } },
            StringLike: { 'kms:EncryptionContext:SecretARN': secretArns },
          });
        }
      }
      for (const action of actionsOf(statements).filter((a) => a.startsWith('secretsmanager:'))) {
        expect(resourcesFor(statements, action), `${name} ${action}`).toEqual([secretArns]);
      }
      expect(s.functionProps(name).Environment.Variables.HF_TOKEN_SECRET_PREFIX, name).toBe(`${prefix}/hf-token/`);
      expect(parts.length).toBeGreaterThan(0);
    }
  });

  it('are created by the API, read by apply-workload and deleted by finish-delete; no other function touches them', () => {
    expect(HF_TOKEN_SECRET_ACCESS).toEqual({ 'create-deployment': ['create', 'delete'], 'apply-workload': ['read'], 'finish-delete': ['delete'] });
    for (const definition of [...ROUTES, ...TASK_FUNCTIONS, ...SCHEDULES].filter((d) => !(d.name in HF_TOKEN_SECRET_ACCESS) && !d.access.gatewaySecret)) {
      const actions = actionsOf(s.statementsOfRole(s.roleIdOf(definition.name)));
      expect(actions.filter((a) => a.startsWith('secretsmanager:') || a.startsWith('kms:')), definition.name).toEqual([]);
    }
  });
});

describe('the inference gateway\'s master secret', () => {
  const gatewaySecretArn = stackArn([`:secret:${prefix}/inference-gateway-??????`], 'secretsmanager');
  const keyId = () => s.ofType('AWS::KMS::Key').find(([, key]) => String(key.Properties.Description).includes('Hugging Face'))![0];
  const readers = [...ROUTES, ...TASK_FUNCTIONS, ...SCHEDULES].filter((d) => d.access.gatewaySecret);

  it('is generated by CloudFormation under the stack\'s secrets key and kept with the table', () => {
    s.template.hasResource('AWS::SecretsManager::Secret', {
      DeletionPolicy: 'Retain',
      Properties: Match.objectLike({
        Name: `${prefix}/inference-gateway`,
        KmsKeyId: { 'Fn::GetAtt': [keyId(), 'Arn'] },
        GenerateSecretString: Match.objectLike({ PasswordLength: 44, ExcludePunctuation: true, IncludeSpace: false }),
      }),
    });
  });

  it('is read, through Secrets Manager only, by the functions whose access declares it, which find it by GATEWAY_SECRET_ID', () => {
    expect(readers.map((d) => d.name)).toContain('create-inference-key');
    const secretId = s.ofType('AWS::SecretsManager::Secret').find(([, secret]) => secret.Properties.Name === `${prefix}/inference-gateway`)![0];
    for (const { name } of readers) {
      const statements = s.statementsOfRole(s.roleIdOf(name));
      // (beside the token secrets, for a function that reads those too)
      expect(resourcesFor(statements, 'secretsmanager:GetSecretValue'), name).toContainEqual(gatewaySecretArn);
      const decrypt = statementsWith(statements, 'kms:Decrypt').filter((st) => JSON.stringify(st.Condition).includes('inference-gateway'));
      expect(decrypt, name).toEqual([
        expect.objectContaining({
          Resource: { 'Fn::GetAtt': [keyId(), 'Arn'] },
          Condition: {
            StringEquals: { 'kms:ViaService': { 'Fn::Join': ['', ['secretsmanager.', { Ref: 'AWS::Region' }, '.amazonaws.com']] } },
            StringLike: { 'kms:EncryptionContext:SecretARN': gatewaySecretArn },
          },
        }),
      ]);
      expect(s.functionProps(name).Environment.Variables.GATEWAY_SECRET_ID, name).toEqual({ Ref: secretId });
    }
  });
});

describe('new EKS cluster', () => {
  const nodeGroups = () => s.ofType('AWS::EKS::Nodegroup').map(([, group]) => group.Properties as Json);
  const gpuNodeGroups = () => nodeGroups().filter((group) => group.NodegroupName !== 'system');

  it('creates the cluster with access entries only, all control plane logs and encrypted Kubernetes secrets', () => {
    s.template.resourceCountIs('AWS::EKS::Cluster', 1);
    s.template.hasResourceProperties('AWS::EKS::Cluster', {
      Name: clusterName,
      Version: DEFAULTS.kubernetesVersion,
      AccessConfig: { AuthenticationMode: 'API', BootstrapClusterCreatorAdminPermissions: false },
      Logging: { ClusterLogging: { EnabledTypes: ['api', 'audit', 'authenticator', 'controllerManager', 'scheduler'].map((type) => ({ Type: type })) } },
      EncryptionConfig: [Match.objectLike({ Resources: ['secrets'] })],
      ResourcesVpcConfig: Match.objectLike({ EndpointPrivateAccess: true, EndpointPublicAccess: false }),
    });
  });

  it('creates a VPC in three AZs with private node subnets and flow logs', () => {
    s.template.resourceCountIs('AWS::EC2::VPC', 1);
    s.template.resourceCountIs('AWS::EC2::FlowLog', 1);
    expect(s.ofType('AWS::EC2::Subnet').filter(([, subnet]) => subnet.Properties.MapPublicIpOnLaunch === false)).toHaveLength(3);
  });

  it('creates one GPU node group per inventory GPU config, named, typed and sized from it, min 0 and no desired size', () => {
    const groups = gpuNodeGroups();
    expect(groups).toHaveLength(INVENTORY.gpu_configs.length);
    for (const config of INVENTORY.gpu_configs) {
      const group = groups.find((candidate) => candidate.NodegroupName === config.node_group.name);
      expect(group, config.config_id).toBeDefined();
      expect(group).toMatchObject({
        InstanceTypes: [config.instance_type],
        ScalingConfig: { MinSize: 0, MaxSize: config.node_group.max_size },
        AmiType: GPU_AMI_TYPE,
        CapacityType: 'ON_DEMAND',
      });
      expect(group!.ScalingConfig.DesiredSize).toBeUndefined();
      // With a launch template the disk is its block device mapping, never the node group's DiskSize.
      expect(group!.DiskSize).toBeUndefined();
    }
  });

  it('taints every GPU node nvidia.com/gpu=true:NoSchedule and labels it with its GPU config', () => {
    for (const group of gpuNodeGroups()) {
      const config = INVENTORY.gpu_configs.find((candidate) => candidate.node_group.name === group.NodegroupName)!;
      expect(group.Taints).toEqual([{ Key: 'nvidia.com/gpu', Value: 'true', Effect: 'NO_SCHEDULE' }]);
      expect(group.Labels).toMatchObject({ 'gpudeploy.io/gpu-config': config.config_id });
    }
  });

  it('runs the add-ons on a small untainted system node group that never scales to zero', () => {
    const system = nodeGroups().find((group) => group.NodegroupName === 'system');
    expect(system).toMatchObject({ AmiType: 'BOTTLEROCKET_ARM_64', ScalingConfig: { MinSize: 2 } });
    expect(system!.Taints).toBeUndefined();
  });

  it('gives cluster-admin to the principal named by clusterAdminPrincipalArn and the stack\'s kubectl provider only (not the deployer)', () => {
    const stack = new Stack(new App({ context: synthContext() }), 'AdminProbe');
    const adminRole = 'arn:aws:iam::123456789012:role/platform-admins';
    new NewGpuCluster(stack, 'Cluster', {
      clusterName: 'probe',
      kubernetesVersion: DEFAULTS.kubernetesVersion,
      natGateways: 1,
      endpointPublicCidrs: ['203.0.113.0/24'],
      adminPrincipalArn: adminRole,
      modelNamespace,
      prefix: 'probe',
      metricsNamespace: 'Probe',
      instanceTypeOfferings: FIXTURE_OFFERINGS,
      offeringsRegion: 'us-east-1',
    });
    const probe = Template.fromStack(stack);
    // The admin, and the kubectl provider that applies the cluster bootstrap (cluster-bootstrap.ts).
    probe.resourceCountIs('AWS::EKS::AccessEntry', 2);
    probe.hasResourceProperties('AWS::EKS::AccessEntry', {
      PrincipalArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('KubectlProvider.*Role'), 'Arn'] },
      AccessPolicies: [Match.objectLike({ AccessScope: { Type: 'cluster' } })],
    });
    probe.hasResourceProperties('AWS::EKS::AccessEntry', {
      PrincipalArn: adminRole,
      AccessPolicies: [
        {
          PolicyArn: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy']] },
          AccessScope: { Type: 'cluster' },
        },
      ],
    });
    probe.hasResourceProperties('AWS::EKS::Cluster', { ResourcesVpcConfig: Match.objectLike({ PublicAccessCidrs: ['203.0.113.0/24'] }) });
    expect(s.ofType('AWS::EKS::AccessEntry').every(([, entry]) => entry.Properties.PrincipalArn['Fn::GetAtt'] !== undefined)).toBe(true);
  });

  it('puts every node group in the new cluster, after it', () => {
    const [clusterId] = s.ofType('AWS::EKS::Cluster').map(([id]) => id);
    for (const group of nodeGroups()) expect(group.ClusterName).toEqual({ Ref: clusterId });
  });
});

describe('cluster access', () => {
  it('maps every task role that talks to Kubernetes, and only those, to the model namespace (edit) and the gpu-control-plane group', () => {
    const [clusterId] = s.ofType('AWS::EKS::Cluster').map(([id]) => id);
    const kubernetesRoles = [
      ...TASK_FUNCTIONS.filter((task) => task.access.kubernetes).map((task) => task.name),
      ...SCHEDULES.filter((schedule) => schedule.access.kubernetes).map((schedule) => schedule.name),
    ].map((name) => s.roleIdOf(name));
    const entries = s.ofType('AWS::EKS::AccessEntry').filter(([, entry]) => entry.Properties.KubernetesGroups?.includes('gpu-control-plane'));
    expect(entries.map(([, entry]) => entry.Properties.PrincipalArn['Fn::GetAtt'][0]).sort()).toEqual(kubernetesRoles.sort());
    for (const [, entry] of entries) {
      expect(entry.Properties).toMatchObject({
        ClusterName: { Ref: clusterId },
        KubernetesGroups: ['gpu-control-plane'],
        Type: 'STANDARD',
        AccessPolicies: [
          {
            PolicyArn: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':eks::aws:cluster-access-policy/AmazonEKSEditPolicy']] },
            AccessScope: { Type: 'namespace', Namespaces: [modelNamespace] },
          },
        ],
      });
    }
  });

  it('gives the routes that reach model servers no access entry (they call the inference gateway), and no role any group but gpu-control-plane', () => {
    const modelServerRoutes = ROUTES.filter((route) => route.name === 'prompt-deployment' || route.name === 'list-deployment-models');
    expect(modelServerRoutes).toHaveLength(2);
    const principals = s.ofType('AWS::EKS::AccessEntry').map(([, entry]) => entry.Properties.PrincipalArn['Fn::GetAtt'][0]);
    for (const route of modelServerRoutes) {
      expect(route.access.kubernetes).toBeUndefined();
      expect(principals).not.toContain(s.roleIdOf(route.name));
    }
    const groups = s.ofType('AWS::EKS::AccessEntry').flatMap(([, entry]) => entry.Properties.KubernetesGroups ?? []);
    expect(new Set(groups)).toEqual(new Set(['gpu-control-plane']));
  });

  it('lets the routes that read from Kubernetes view the model namespace only, in no group', () => {
    const readers = ROUTES.filter((route) => route.access.kubernetes === 'read').map((route) => s.roleIdOf(route.name));
    const entries = s
      .ofType('AWS::EKS::AccessEntry')
      .filter(([, entry]) => entry.Properties.KubernetesGroups === undefined && !/KubectlProvider/.test(entry.Properties.PrincipalArn['Fn::GetAtt'][0]));
    expect(entries.map(([, entry]) => entry.Properties.PrincipalArn['Fn::GetAtt'][0]).sort()).toEqual(readers.sort());
    for (const [, entry] of entries) {
      expect(entry.Properties.AccessPolicies).toEqual([
        {
          PolicyArn: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':eks::aws:cluster-access-policy/AmazonEKSViewPolicy']] },
          AccessScope: { Type: 'namespace', Namespaces: [modelNamespace] },
        },
      ]);
    }
  });

  it.each(TASK_FUNCTIONS)('passes task $name the table, cluster and namespace', (task) => {
    expect(s.functionProps(task.name).Environment.Variables).toMatchObject({
      TABLE_NAME: { Ref: tableId },
      EKS_CLUSTER_NAME: clusterName,
      MODEL_NAMESPACE: modelNamespace,
    });
  });
});

describe('state machines', () => {
  it('creates one STANDARD state machine per workflow, named from the prefix, with X-Ray tracing', () => {
    s.template.resourceCountIs('AWS::StepFunctions::StateMachine', STATE_MACHINES.length);
    for (const definition of STATE_MACHINES) {
      s.template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
        StateMachineName: `${prefix}-${definition.workflow}`,
        StateMachineType: 'STANDARD',
        TracingConfiguration: { Enabled: true },
      });
    }
  });

  it.each(STATE_MACHINES)('logs every $workflow event to a log group without execution data', (definition) => {
    const logging = s.resources[s.stateMachineId(definition.workflow)]!.Properties.LoggingConfiguration as Json;
    expect(logging).toMatchObject({ Level: 'ALL', IncludeExecutionData: false });
    const logGroupId = logging.Destinations[0].CloudWatchLogsLogGroup.LogGroupArn['Fn::GetAtt'][0] as string;
    expect(s.resources[logGroupId]).toMatchObject({ Type: 'AWS::Logs::LogGroup', Properties: { RetentionInDays: 30 } });
  });
});

describe('schedules', () => {
  it.each(SCHEDULES)('invokes $name on its schedule through a role that may invoke only that function', (schedule) => {
    const fnId = s.functionId(schedule.name);
    const [, resource] = s
      .ofType('AWS::Scheduler::Schedule')
      .find(([, candidate]) => candidate.Properties.Name === `${prefix}-${schedule.name}`)!;
    expect(resource.Properties).toMatchObject({
      ScheduleExpression: schedule.expression,
      State: 'ENABLED',
      Target: { Arn: { 'Fn::GetAtt': [fnId, 'Arn'] }, RetryPolicy: { MaximumRetryAttempts: 2 } },
    });
    const roleId = resource.Properties.Target.RoleArn['Fn::GetAtt'][0] as string;
    const statements = s.statementsOfRole(roleId);
    expect(actionsOf(statements)).toEqual(['lambda:InvokeFunction']);
    for (const statement of statements) {
      for (const arn of asArray(statement.Resource)) expect(JSON.stringify(arn)).toContain(fnId);
    }
  });

  it('creates one schedule per entry of the shared schedule list', () => {
    s.template.resourceCountIs('AWS::Scheduler::Schedule', SCHEDULES.length);
  });

  it('passes the scheduled time to the schedule sweeper, which works at it', () => {
    const [, sweep] = s.ofType('AWS::Scheduler::Schedule').find(([, c]) => c.Properties.Name === `${prefix}-schedule-sweep`)!;
    expect(sweep.Properties).toMatchObject({ ScheduleExpression: 'rate(1 minute)' });
    expect(JSON.parse(sweep.Properties.Target.Input as string)).toEqual({ time: '<aws.scheduler.scheduled-time>' });
    const sweeper = SCHEDULES.find((d) => d.name === 'schedule-sweep')!;
    // it starts scale executions only, and stops or describes none
    expect(actionsOf(s.statementsOfRole(s.roleIdOf('schedule-sweep')))).toEqual(sorted(scheduleActions(sweeper, true)));
    expect(scheduleActions(sweeper)).toContain('states:StartExecution');
    expect(scheduleActions(sweeper)).not.toContain('states:StopExecution');
  });
});

describe('table', () => {
  it('is the one table from the shared definition, on demand, with its indexes, TTL and AWS-managed encryption', () => {
    s.template.resourceCountIs('AWS::DynamoDB::Table', 1);
    s.template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [
        { AttributeName: TABLE.partitionKey, KeyType: 'HASH' },
        { AttributeName: TABLE.sortKey, KeyType: 'RANGE' },
      ],
      BillingMode: 'PAY_PER_REQUEST',
      TimeToLiveSpecification: { AttributeName: TABLE.timeToLiveAttribute, Enabled: true },
      SSESpecification: { SSEEnabled: true },
      GlobalSecondaryIndexes: TABLE.indexes.map((index) => ({
        IndexName: index.name,
        KeySchema: [
          { AttributeName: index.partitionKey, KeyType: 'HASH' },
          { AttributeName: index.sortKey, KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      })),
    });
  });

  it('is protected: point-in-time recovery, deletion protection, retained on stack deletion', () => {
    s.template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: Match.objectLike({
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        DeletionProtectionEnabled: true,
      }),
    });
  });
});

describe('alarms and dashboard', () => {
  const alarmNamed = (name: string): Json => {
    const found = s.ofType('AWS::CloudWatch::Alarm').find(([, alarm]) => alarm.Properties.AlarmName === name);
    if (!found) throw new Error(`no alarm ${name}`);
    return found[1].Properties;
  };
  const topicId = () => s.ofType('AWS::SNS::Topic')[0]![0];

  it.each(STATE_MACHINES)('alarms on a $workflow execution that timed out or failed for a reason of the platform, not the tenant (M11, m10)', (definition) => {
    const alarm = alarmNamed(`${prefix}-${definition.workflow}-executions-failed`);
    expect(alarm).toMatchObject({ Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold', AlarmActions: [{ Ref: topicId() }] });
    const metrics = (alarm.Metrics as Json[]).filter((metric) => metric.MetricStat);
    expect(metrics.map((metric) => metric.MetricStat.Metric.MetricName).sort()).toEqual(['ExecutionsTimedOut', CUSTOM_METRIC.workflowFailed]);
    const timedOut = metrics.find((metric) => metric.MetricStat.Metric.MetricName === 'ExecutionsTimedOut')!;
    expect(timedOut.MetricStat.Metric.Dimensions).toEqual([{ Name: 'StateMachineArn', Value: { Ref: s.stateMachineId(definition.workflow) } }]);
    const failed = metrics.find((metric) => metric.MetricStat.Metric.MetricName === CUSTOM_METRIC.workflowFailed)!;
    expect(failed.MetricStat.Metric.Namespace).toBe(METRICS_NAMESPACE);
    // Only the platform's failures: a crashing tenant model, a bad custom image or a gated model does not page.
    expect(failed.MetricStat.Metric.Dimensions).toEqual(
      expect.arrayContaining([
        { Name: 'class', Value: 'platform' },
        { Name: 'workflow', Value: definition.workflow },
        { Name: 'service', Value: prefix },
      ]),
    );
    expect(JSON.stringify(alarm)).not.toContain('ExecutionsFailed');
  });

  it('alarms on TaskFailed of every workflow task (not-ready polls excluded) and on the Lambda errors of every other function', () => {
    const kinds = [
      ...ROUTES.map((route) => ({ name: route.name, kind: 'api' as const })),
      ...TASK_FUNCTIONS.map((task) => ({ name: task.name, kind: 'workflow' as const })),
      ...SCHEDULES.map((schedule) => ({ name: schedule.name, kind: 'scheduled' as const })),
    ];
    for (const { name, kind } of kinds) {
      const common = { Threshold: ERROR_ALARM_THRESHOLDS[kind].errors, Period: ERROR_ALARM_THRESHOLDS[kind].period.toSeconds(), AlarmActions: [{ Ref: topicId() }] };
      const alarm = alarmNamed(`${prefix}-${name}-errors`);
      if (kind === 'workflow') {
        expect(alarm, name).toMatchObject({ ...common, Namespace: METRICS_NAMESPACE, MetricName: CUSTOM_METRIC.taskFailed });
        expect(alarm.Dimensions).toEqual(expect.arrayContaining([{ Name: 'task', Value: name }, { Name: 'service', Value: prefix }]));
      } else {
        expect(alarm, name).toMatchObject({ ...common, Namespace: 'AWS/Lambda', MetricName: 'Errors', Dimensions: [{ Name: 'FunctionName', Value: { Ref: s.functionId(name) } }] });
      }
    }
  });

  it('alarms on any 5xx answer of the API', () => {
    const [apiId] = s.ofType('AWS::ApiGatewayV2::Api').map(([id]) => id);
    expect(alarmNamed(`${prefix}-api-5xx`)).toMatchObject({
      Namespace: 'AWS/ApiGateway',
      MetricName: '5xx',
      Dimensions: [{ Name: 'ApiId', Value: { Ref: apiId } }],
      Threshold: 1,
    });
  });

  it('notifies an SNS topic encrypted with a rotating key CloudWatch may use, and refuses non-TLS publishers', () => {
    const [, topic] = s.ofType('AWS::SNS::Topic')[0]!;
    const keyId = topic.Properties.KmsMasterKeyId['Fn::GetAtt'][0] as string;
    expect(s.resources[keyId]!.Properties.EnableKeyRotation).toBe(true);
    expect(JSON.stringify(s.resources[keyId]!.Properties.KeyPolicy)).toContain('cloudwatch.amazonaws.com');
    const [, policy] = s.ofType('AWS::SNS::TopicPolicy')[0]!;
    expect(policy.Properties.PolicyDocument.Statement).toEqual(
      expect.arrayContaining([expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]),
    );
  });

  it('draws one dashboard with the API, every workflow, the task metrics the functions emit and the alarms', () => {
    s.template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    const [, dashboard] = s.ofType('AWS::CloudWatch::Dashboard')[0]!;
    expect(dashboard.Properties.DashboardName).toBe(prefix);
    const body = JSON.stringify(dashboard.Properties.DashboardBody);
    for (const definition of STATE_MACHINES) expect(body).toContain(`${definition.workflow} executions`);
    for (const name of [CUSTOM_METRIC.taskFailed, CUSTOM_METRIC.taskDuration, CUSTOM_METRIC.apiServerError]) expect(body).toContain(name);
    expect(body).toContain(METRICS_NAMESPACE);
    expect(body).toContain('alarm');
  });

  it('names the same custom metrics the functions emit', () => {
    expect(CUSTOM_METRIC).toEqual({ apiServerError: METRIC.apiServerError, taskFailed: METRIC.taskFailed, taskDuration: METRIC.taskDuration, workflowFailed: METRIC.workflowFailed });
  });
});

describe('tags', () => {
  /** CloudFormation types without a Tags property (or, for custom resources, without meaning for one). */
  const NOT_TAGGABLE = new Set([
    // CloudFormation has no Tags on layer versions (the kubectl provider's layers).
    'AWS::Lambda::LayerVersion',
    'AWS::EC2::SubnetRouteTableAssociation',
    'AWS::EC2::Route',
    'AWS::EC2::VPCGatewayAttachment',
    'AWS::IAM::Policy',
    'AWS::Cognito::UserPoolClient',
    'AWS::ApiGatewayV2::Integration',
    'AWS::ApiGatewayV2::Route',
    'AWS::ApiGatewayV2::Authorizer',
    'AWS::Lambda::Permission',
    'AWS::Scheduler::Schedule',
    'AWS::SNS::TopicPolicy',
    'AWS::EC2::SecurityGroupIngress',
    // Tags of a launch template go in TagSpecifications; the node groups' instances get EKS's tags.
    'AWS::EC2::LaunchTemplate',
    // The console's hosting (infra/constructs/console.ts): CloudFormation has no Tags on these.
    'AWS::S3::BucketPolicy',
    'AWS::CloudFront::ResponseHeadersPolicy',
    'AWS::CloudFront::OriginAccessControl',
    'AWS::Cognito::UserPoolDomain',
  ]);
  const tagsOf = (resource: Json): Json | undefined => {
    const tags = (resource.Properties?.Tags ?? resource.Properties?.UserPoolTags) as unknown;
    if (tags === undefined) return undefined;
    return Array.isArray(tags) ? Object.fromEntries(tags.map((tag: Json) => [tag.Key, tag.Value])) : (tags as Json);
  };

  it('tags every resource that can carry tags with the application, the prefix and the tool', () => {
    const untagged = Object.entries(s.resources).filter(([, resource]) => {
      if (NOT_TAGGABLE.has(resource.Type) || String(resource.Type).startsWith('Custom::')) return false;
      const tags = tagsOf(resource);
      return tags?.application !== 'gpu-control-plane' || tags['control-plane-prefix'] !== prefix || tags['managed-by'] !== 'aws-cdk';
    });
    expect(untagged.map(([id, resource]) => `${id} (${resource.Type})`)).toEqual([]);
  });
});

describe('outputs and configuration', () => {
  it('outputs the API URL, the issuer and audience, the user pool, the cluster, the table, the state machines and the alarm topic', () => {
    expect(Object.keys(s.outputs)).toEqual(
      expect.arrayContaining([
        'ApiUrl',
        'JwtIssuer',
        'JwtAudience',
        'UserPoolId',
        'UserPoolClientId',
        'ClusterName',
        'TableName',
        'DeployStateMachineArn',
        'ScaleStateMachineArn',
        'DeleteStateMachineArn',
        'AlarmTopicArn',
        'DashboardName',
      ]),
    );
    expect(s.outputs.DeployStateMachineArn!.Value).toEqual({ Ref: s.stateMachineId('deploy') });
  });

  // aws-review.md m10: the region comes from the CLI environment, the API reports the inventory's.
  it('warns at synth when the stack region differs from the inventory cluster_region, and only then', () => {
    const regionWarnings = (region: string | undefined) => {
      const { stack } = createControlPlaneApp({ context: synthContext() }, region ? { account: '123456789012', region } : undefined);
      return Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('inventory.json describes GPU capacity in'));
    };
    expect(INVENTORY.cluster_region).toBe('us-east-1');
    const [warning, ...more] = regionWarnings('eu-west-1');
    expect(more).toEqual([]);
    expect(warning!.entry.data).toContain('The stack deploys to eu-west-1, but inventory.json describes GPU capacity in us-east-1');
    expect(regionWarnings('us-east-1')).toEqual([]);
    // An environment-agnostic synth has no region to compare.
    expect(regionWarnings(undefined)).toEqual([]);
  });

  it('reads overrides from context and rejects invalid values with the key in the message', () => {
    const config = configFromContext(
      new App({ context: { prefix: 'acme-gpu', jwtIssuer: 'https://login.acme.test/', clusterEndpointPublicCidrs: '203.0.113.0/24, 198.51.100.7/32', kubernetesTaskConcurrency: '4' } }).node,
    );
    expect(config).toMatchObject({
      prefix: 'acme-gpu',
      auth: { mode: 'external', issuer: 'https://login.acme.test/', audience: DEFAULTS.jwtAudience },
      cluster: { mode: 'create', name: DEFAULTS.clusterName, endpointPublicCidrs: ['203.0.113.0/24', '198.51.100.7/32'] },
      kubernetesTaskConcurrency: 4,
    });
    expect(configFromContext(new App({ context: { existingClusterName: 'prod-gpu' } }).node).cluster).toEqual({ mode: 'import', name: 'prod-gpu' });
    expect(configFromContext(new App().node)).toEqual(DEFAULT_CONFIG);
    expect(() => configFromContext(new App({ context: { jwtIssuer: 'http://insecure.test/' } }).node)).toThrow(/jwtIssuer/);
    expect(() => configFromContext(new App({ context: { prefix: 'Has Spaces' } }).node)).toThrow(/prefix/);
    expect(() => configFromContext(new App({ context: { kubernetesTaskConcurrency: '-1' } }).node)).toThrow(/kubernetesTaskConcurrency/);
    expect(() => configFromContext(new App({ context: { clusterEndpointPublicCidrs: '10.0.0.0' } }).node)).toThrow(/clusterEndpointPublicCidrs/);
  });
});
