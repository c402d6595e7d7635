/**
 * The import mode (`-c existingClusterName=<name>`), here together with an external OIDC issuer
 * (`-c jwtIssuer=… -c jwtAudience=…`): the stack leaves the cluster and its node groups alone,
 * grants on them by name, maps the function roles into the model namespace with access entries,
 * and trusts the given issuer instead of creating a user pool. Everything else is the same stack
 * as in the default mode (stack.test.ts); this file checks what differs, plus the contract that
 * must hold in every mode. One synth.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../infra/bundling';
import { inventoryNodeGroupNames } from '../../infra/constructs/cluster';
import { placeholdersIn } from '../../infra/constructs/workflows';
import { ROUTES } from '../../contract/routes';
import { SCHEDULES } from '../../contract/schedules';
import { STATE_MACHINES, TASK_FUNCTIONS } from '../../contract/workflows';
import { DEFAULT_CONFIG } from '../../infra/stack';
import { routeActions, scheduleActions, sorted, taskActions } from './contract';
import { actionsOf, inStableOrder, resourcesFor, statementsWith, synthesize, type Synthesized } from './template';

const CLUSTER = 'demo';
const ISSUER = 'https://login.example.org/realms/gpu';
const AUDIENCE = 'gpu-api';
const { prefix, modelNamespace } = DEFAULT_CONFIG;

let s: Synthesized;

beforeAll(() => {
  s = synthesize({ existingClusterName: CLUSTER, jwtIssuer: ISSUER, jwtAudience: AUDIENCE });
});

const eksArn = (suffix: string) => ({
  'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':eks:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, suffix]],
});

describe('existing cluster', () => {
  it('creates no VPC, cluster or node group', () => {
    for (const type of ['AWS::EC2::VPC', 'AWS::EKS::Cluster', 'AWS::EKS::Nodegroup', 'Custom::VpcRestrictDefaultSG', 'Custom::SuspendAzRebalance']) {
      s.template.resourceCountIs(type, 0);
    }
  });

  it('maps the Kubernetes task roles and the log reader into the model namespace of the named cluster', () => {
    const entries = s.ofType('AWS::EKS::AccessEntry');
    const expected = [
      ...TASK_FUNCTIONS.filter((task) => task.access.kubernetes).map((task) => task.name),
      ...SCHEDULES.filter((schedule) => schedule.access.kubernetes).map((schedule) => schedule.name),
      ...ROUTES.filter((route) => route.access.kubernetes).map((route) => route.name),
    ].map((name) => s.roleIdOf(name));
    expect(entries.map(([, entry]) => entry.Properties.PrincipalArn['Fn::GetAtt'][0]).sort()).toEqual(expected.sort());
    for (const [, entry] of entries) {
      expect(entry.Properties.ClusterName).toBe(CLUSTER);
      expect(entry.Properties.AccessPolicies).toEqual([
        expect.objectContaining({ AccessScope: { Type: 'namespace', Namespaces: [modelNamespace] } }),
      ]);
    }
  });

  it('grants EKS actions on the named cluster and the inventory node groups of it, by name', () => {
    const nodeGroups = inventoryNodeGroupNames().map((nodeGroup) => eksArn(`:nodegroup/${CLUSTER}/${nodeGroup}/*`));
    for (const definition of [...TASK_FUNCTIONS, ...SCHEDULES]) {
      const statements = s.statementsOfRole(s.roleIdOf(definition.name));
      for (const action of definition.access.eks ?? []) {
        const expected = action === 'eks:DescribeCluster' ? [eksArn(`:cluster/${CLUSTER}`)] : nodeGroups;
        expect(resourcesFor(statements, action), `${definition.name} ${action}`).toEqual(inStableOrder(expected));
      }
      if (definition.access.autoscaling?.includes('autoscaling:TerminateInstanceInAutoScalingGroup')) {
        const [terminate] = statementsWith(statements, 'autoscaling:TerminateInstanceInAutoScalingGroup');
        expect(terminate?.Condition?.StringEquals['aws:ResourceTag/eks:cluster-name']).toBe(CLUSTER);
      }
      expect(s.functionProps(definition.name).Environment.Variables.EKS_CLUSTER_NAME).toBe(CLUSTER);
    }
  });
});

describe('import preflight (m11)', () => {
  it('checks the existing cluster before any access entry is created on it', () => {
    const [preflightId, preflight] = s.ofType('Custom::EksImportPreflight')[0]!;
    expect(preflight.Properties).toMatchObject({ ClusterName: CLUSTER, FunctionVpcId: '' });
    for (const [id, entry] of s.ofType('AWS::EKS::AccessEntry')) expect(entry.DependsOn, id).toContain(preflightId);
    expect(actionsOf(s.statementsOfRole(s.roleIdOf('import-preflight')))).toEqual(
      sorted(['eks:DescribeCluster', 'logs:CreateLogStream', 'logs:PutLogEvents', 'xray:PutTraceSegments', 'xray:PutTelemetryRecords']),
    );
  });

  it('runs the functions outside any VPC unless a function network is given', () => {
    for (const fn of s.ofType('AWS::Lambda::Function')) expect(fn[1].Properties.VpcConfig, fn[0]).toBeUndefined();
  });

  it('puts the Kubernetes-calling functions in the VPC, subnets and security groups given in context', () => {
    const network = {
      functionVpcId: 'vpc-0123456789abcdef0',
      functionSubnetIds: 'subnet-0123456789abcdef0,subnet-0123456789abcdef1',
      functionSecurityGroupIds: 'sg-0123456789abcdef0',
    };
    const inVpc = synthesize({ existingClusterName: CLUSTER, ...network });
    const caller = TASK_FUNCTIONS.find((task) => task.access.kubernetes)!.name;
    expect(inVpc.functionProps(caller).VpcConfig).toEqual({
      SubnetIds: ['subnet-0123456789abcdef0', 'subnet-0123456789abcdef1'],
      SecurityGroupIds: ['sg-0123456789abcdef0'],
    });
    const notCaller = TASK_FUNCTIONS.find((task) => !task.access.kubernetes)!.name;
    expect(inVpc.functionProps(notCaller).VpcConfig).toBeUndefined();
    expect(inVpc.ofType('Custom::EksImportPreflight')[0]![1].Properties.FunctionVpcId).toBe(network.functionVpcId);
    expect(() => synthesize({ existingClusterName: CLUSTER, functionVpcId: network.functionVpcId })).toThrow(/go together/);
  });
});

describe('external OIDC issuer', () => {
  it('puts every route but the public ones behind a JWT authorizer for the given issuer and audience, and creates no user pool', () => {
    s.template.resourceCountIs('AWS::Cognito::UserPool', 0);
    s.template.resourceCountIs('AWS::ApiGatewayV2::Authorizer', 1);
    s.template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'JWT',
      JwtConfiguration: { Issuer: ISSUER, Audience: [AUDIENCE] },
    });
    const [authorizerId] = s.ofType('AWS::ApiGatewayV2::Authorizer').map(([id]) => id);
    const routes = s.ofType('AWS::ApiGatewayV2::Route');
    expect(routes).toHaveLength(ROUTES.length);
    const publicKeys = new Set(ROUTES.filter((r) => r.public).map((r) => `${r.method} ${r.path}`));
    for (const [, route] of routes) {
      if (publicKeys.has(route.Properties.RouteKey)) expect(route.Properties.AuthorizationType).toBe('NONE');
      else expect(route.Properties).toMatchObject({ AuthorizationType: 'JWT', AuthorizerId: { Ref: authorizerId } });
    }
  });
});

describe('the same contract as in the default mode', () => {
  it('gives every function exactly the actions its definition declares', () => {
    for (const route of ROUTES) expect(actionsOf(s.statementsOfRole(s.roleIdOf(route.name))), route.name).toEqual(sorted(routeActions(route)));
    for (const task of TASK_FUNCTIONS) expect(actionsOf(s.statementsOfRole(s.roleIdOf(task.name))), task.name).toEqual(sorted(taskActions(task)));
    for (const schedule of SCHEDULES) {
      expect(actionsOf(s.statementsOfRole(s.roleIdOf(schedule.name))), schedule.name).toEqual(sorted(scheduleActions(schedule)));
    }
  });

  it.each(STATE_MACHINES)('substitutes every placeholder of $file', (definition) => {
    const [, machine] = s.ofType('AWS::StepFunctions::StateMachine').find(([, m]) => m.Properties.StateMachineName === `${prefix}-${definition.workflow}`)!;
    const placeholders = placeholdersIn(readFileSync(path.join(PROJECT_ROOT, definition.file), 'utf8')).sort();
    expect(Object.keys(machine.Properties.DefinitionSubstitutions).sort()).toEqual(placeholders);
  });

  it('keeps the table protected and the alarms and dashboard in place', () => {
    s.template.hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Retain' });
    s.template.hasResourceProperties('AWS::DynamoDB::Table', {
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      DeletionProtectionEnabled: true,
    });
    const alarms = s.ofType('AWS::CloudWatch::Alarm').map(([, alarm]) => alarm.Properties.AlarmName as string);
    expect(alarms).toEqual(expect.arrayContaining([`${prefix}-api-5xx`, ...STATE_MACHINES.map((d) => `${prefix}-${d.workflow}-executions-failed`)]));
    s.template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
  });
});
