/**
 * The inference gateway in AWS (issue 15, item 3): its Pod Identity role, allowed exactly what the
 * gateway calls, checked in the template and, for the denied call shapes, with the local IAM
 * evaluator (local/iam/evaluate.ts) that the local cloud runs the gateway under.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { App } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { ROUTES } from '../../contract/routes';
import { SCHEDULES } from '../../contract/schedules';
import { TABLE } from '../../contract/table';
import { TASK_FUNCTIONS } from '../../contract/workflows';
import {
  ALB_IDLE_TIMEOUT_SECONDS,
  GATEWAY_NAMESPACE,
  GATEWAY_POD_LABELS,
  GATEWAY_PORT,
  GATEWAY_SERVICE_ACCOUNT,
  GATEWAY_LOAD_ATTRIBUTES,
  GATEWAY_LOAD_PARTITIONS,
  GATEWAY_USAGE_ATTRIBUTES,
  GATEWAY_USAGE_PARTITIONS,
  GATEWAY_WAKE_PUT_PARTITIONS,
  GATEWAY_WAKE_UPDATE_PARTITIONS,
  LB_CONTROLLER,
  LB_CONTROLLER_TARGET_ACTIONS,
  STREAM_DRAIN_SECONDS,
} from '../../infra/constructs/inference-gateway';
import { DEFAULTS, DEFAULT_CONFIG, ENDPOINT_URL_FUNCTIONS, configFromContext, createControlPlaneApp, type ControlPlaneConfig, type GpuControlPlaneStack } from '../../infra/stack';
import { dynamoRequests } from '../../local/iam/dynamodb-requests';
import { evaluate, type AuthorizationRequest } from '../../local/iam/evaluate';
import { intrinsicResolver, type PolicyStatement } from '../../local/iam/principals';
import type { TemplateJson } from '../../local/iam/synth';
import { IMPORT_MODE, actionsOf, resourcesFor, synthContext, synthesize, type Json, type Statement, type Synthesized } from './template';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Whether a handler's source, followed through its relative imports, reaches `target` (as image-cache.test.ts follows them). */
const reaches = (entry: string, target: string, seen = new Set<string>()): boolean => {
  if (entry === target) return true;
  if (seen.has(entry)) return false;
  seen.add(entry);
  const source = readFileSync(path.join(ROOT, entry), 'utf8');
  // `import type` is erased: it does not reach the bundle.
  return [...source.matchAll(/^(?:import|export)(?! type )[^;]*? from '(\.{1,2}\/[^']+)'/gms)].some(([, spec]) => {
    const next = path.relative(ROOT, path.resolve(path.dirname(path.join(ROOT, entry)), spec!));
    if (/\.(json|txt|md)$/.test(next)) return false;
    return reaches(next.endsWith('.ts') ? next : `${next}.ts`, target, seen);
  });
};

/**
 * A KubernetesManifest's JSON text with the template's references written out (`Ref(<id>)`,
 * `GetAtt(<id>.<attribute>)`, the text of an Fn::Sub), so that it parses.
 */
const manifestText = (manifest: unknown): string => {
  if (typeof manifest === 'string') return manifest;
  const token = (part: Json): string => {
    if (typeof part === 'string') return part;
    if (part.Ref) return `Ref(${part.Ref})`;
    if (part['Fn::GetAtt']) return `GetAtt(${(part['Fn::GetAtt'] as string[]).join('.')})`;
    if (part['Fn::Sub']) return String(part['Fn::Sub']);
    if (part['Fn::Join']) return (part['Fn::Join'][1] as Json[]).map(token).join(part['Fn::Join'][0]);
    return 'Token';
  };
  return token(manifest as Json);
};

const synthContextConfig = (context: Record<string, unknown>): ControlPlaneConfig => configFromContext(new App({ context: synthContext(context) }).node);

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
      'dynamodb:BatchWriteItem',
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:Query',
      'dynamodb:UpdateItem',
      'kms:Decrypt',
      'secretsmanager:GetSecretValue',
      'states:StartExecution',
    ]);
    const tableId = s.ofType('AWS::DynamoDB::Table')[0]![0];
    const tableArn = { 'Fn::GetAtt': [tableId, 'Arn'] };
    expect(resourcesFor(statements, 'dynamodb:GetItem')).toEqual([tableArn]);
    expect(resourcesFor(statements, 'dynamodb:UpdateItem')).toEqual([tableArn, tableArn]);
    expect(resourcesFor(statements, 'dynamodb:PutItem')).toEqual([tableArn]);
    expect(resourcesFor(statements, 'dynamodb:BatchWriteItem')).toEqual([tableArn]);
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

  it('writes only the usage and load partitions and their attributes (dynamodb:LeadingKeys, dynamodb:Attributes)', () => {
    const conditionOf = (action: string) => statements.filter((statement) => actionsOf([statement]).includes(action)).map((statement) => statement.Condition);
    expect(conditionOf('dynamodb:UpdateItem')).toEqual([
      {
        'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [...GATEWAY_USAGE_PARTITIONS] },
        'ForAllValues:StringEquals': { 'dynamodb:Attributes': [...GATEWAY_USAGE_ATTRIBUTES] },
        Null: { 'dynamodb:LeadingKeys': 'false' },
      },
      // The wake's hand-over and GPU reservation (functions/use-cases/wake.ts through the scale use case).
      { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [...GATEWAY_WAKE_UPDATE_PARTITIONS] }, Null: { 'dynamodb:LeadingKeys': 'false' } },
    ]);
    expect(conditionOf('dynamodb:PutItem')).toEqual([
      { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [...GATEWAY_WAKE_PUT_PARTITIONS] }, Null: { 'dynamodb:LeadingKeys': 'false' } },
    ]);
    expect(conditionOf('dynamodb:BatchWriteItem')).toEqual([
      {
        'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [...GATEWAY_LOAD_PARTITIONS] },
        'ForAllValues:StringEquals': { 'dynamodb:Attributes': [...GATEWAY_LOAD_ATTRIBUTES] },
        Null: { 'dynamodb:LeadingKeys': 'false' },
      },
    ]);
  });
});

describe('the gateway role under the local IAM evaluator', () => {
  let policy: PolicyStatement[];
  const scope = { region: REGION, account: ACCOUNT };
  /** IAM's answer for a DynamoDB call as the local endpoint sees it (local/iam/dynamodb-requests.ts). */
  const call = (operation: string, body: Json) => dynamoRequests(operation, { TableName: `${prefix}-deployments`, ...body }, scope).map((request) => evaluate(policy, request));
  const decide = (request: AuthorizationRequest) => evaluate(policy, request);
  const S = (value: string) => ({ S: value });
  const N = (value: number) => ({ N: String(value) });
  /** The UpdateItem functions/adapters/token-usage.ts sends for one counter item. */
  const addUsage = (pk: string, sk: string) => ({
    Key: { pk: S(pk), sk: S(sk) },
    UpdateExpression: 'SET #org_id = :org_id, #project_id = :project_id, #deployment_id = :deployment_id, #day = :day ADD #requests :requests, #prompt_tokens :prompt_tokens',
    ExpressionAttributeNames: { '#org_id': 'org_id', '#project_id': 'project_id', '#deployment_id': 'deployment_id', '#day': 'day', '#requests': 'requests', '#prompt_tokens': 'prompt_tokens' },
    ExpressionAttributeValues: { ':org_id': S('o'), ':project_id': S('p'), ':deployment_id': S('dep-1'), ':day': S('2026-12-07'), ':requests': N(1), ':prompt_tokens': N(9) },
  });
  /** The BatchWriteItem functions/adapters/load-signals.ts sends. */
  const putLoad = (...pks: string[]) => ({
    RequestItems: {
      [`${prefix}-deployments`]: pks.map((pk) => ({
        PutRequest: { Item: { pk: S(pk), sk: S('GW#pod-a'), deployment_id: S('dep-1'), instance_id: S('pod-a'), in_flight: N(1), held: N(0), completed: N(3), at: S('t'), expires_at: N(1) } },
      })),
    },
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

  it('allows reading keys and deployments, adding to token counters, publishing load, the master secret and the wake', () => {
    // The wake: the deployment's hand-over, the GPU reservation, the event, the scale execution.
    const set = (pk: string, sk: string) => ({ Key: { pk: S(pk), sk: S(sk) }, UpdateExpression: 'SET #p = :p', ExpressionAttributeNames: { '#p': 'phase' } });
    expect(call('UpdateItem', set('TENANT#o#p', 'DEP#dep-1'))).toEqual(['allow']);
    expect(call('UpdateItem', set('CAPACITY#l4-24gb', 'LEDGER'))).toEqual(['allow']);
    expect(call('PutItem', { Item: { pk: S('TENANT#o#p'), sk: S('EVT#dep-1#t#0'), type: S('resume_requested') } })).toEqual(['allow']);
    expect(call('GetItem', { Key: { pk: S('INFKEY#ik1'), sk: S('INFKEY') } })).toEqual(['allow']);
    expect(call('GetItem', { Key: { pk: S('TENANT#o#p'), sk: S('DEP#dep-1') } })).toEqual(['allow']);
    expect(decide({ action: 'dynamodb:Query', resource: `${TABLE_ARN}/index/${TABLE.indexes[0]!.name}` })).toBe('allow');
    expect(call('UpdateItem', addUsage('INFKEY#ik1', 'USAGE#2026-12-07#dep-1'))).toEqual(['allow']);
    expect(call('UpdateItem', addUsage('TOKENS#dep-1', 'DAY#2026-12-07'))).toEqual(['allow']);
    expect(call('BatchWriteItem', putLoad('LOAD#dep-1', 'LOAD#dep-2'))).toEqual(['allow']);
    expect(decide({ action: 'states:StartExecution', resource: `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:${prefix}-scale` })).toBe('allow');
    expect(decide({ action: 'secretsmanager:GetSecretValue', resource: `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:${prefix}/inference-gateway-AbCdEf` })).toBe('allow');
  });

  it('denies writing other items, a key\'s own fields, deletes and scans, other workflows and other secrets', () => {
    // The catalog, cold-start statistics, a load item by UpdateItem: partitions no grant names.
    expect(call('UpdateItem', addUsage('CATALOG', 'MODEL#m'))).toEqual(['implicit-deny']);
    expect(call('UpdateItem', addUsage('STATS#m#g', 'COLD_START'))).toEqual(['implicit-deny']);
    expect(call('UpdateItem', addUsage('LOAD#dep-1', 'GW#pod-a'))).toEqual(['implicit-deny']);
    // Un-revoking or extending a key: its partition, but not a counter's attributes.
    const unrevoke = { Key: { pk: S('INFKEY#ik1'), sk: S('INFKEY') }, UpdateExpression: 'REMOVE revoked_at SET #e = :e', ExpressionAttributeNames: { '#e': 'expires_at' }, ExpressionAttributeValues: { ':e': S('2999') } };
    expect(call('UpdateItem', unrevoke)).toEqual(['implicit-deny']);
    // A batch with one item outside the load partitions is refused whole; a batch that deletes a deployment too.
    expect(call('BatchWriteItem', putLoad('LOAD#dep-1', 'TENANT#o#p'))).toEqual(['implicit-deny']);
    expect(call('BatchWriteItem', { RequestItems: { [`${prefix}-deployments`]: [{ DeleteRequest: { Key: { pk: S('TENANT#o#p'), sk: S('DEP#dep-1') } } }] } })).toEqual(['implicit-deny']);
    for (const operation of ['PutItem', 'DeleteItem']) expect(call(operation, { Key: { pk: S('INFKEY#ik1'), sk: S('INFKEY') }, Item: { pk: S('INFKEY#ik1'), sk: S('INFKEY') } }), operation).toEqual(['implicit-deny']);
    expect(call('PutItem', { Item: { pk: S('CATALOG'), sk: S('MODEL#m') } })).toEqual(['implicit-deny']);
    expect(call('DeleteItem', { Key: { pk: S('TENANT#o#p'), sk: S('DEP#dep-1') } })).toEqual(['implicit-deny']);
    for (const action of ['dynamodb:Scan', 'dynamodb:TransactWriteItems']) expect(decide({ action, resource: TABLE_ARN }), action).toBe('implicit-deny');
    expect(decide({ action: 'dynamodb:GetItem', resource: `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/other` })).toBe('implicit-deny');
    for (const workflow of ['deploy', 'delete']) {
      expect(decide({ action: 'states:StartExecution', resource: `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:${prefix}-${workflow}` })).toBe('implicit-deny');
    }
    expect(decide({ action: 'states:StopExecution', resource: `arn:aws:states:${REGION}:${ACCOUNT}:execution:${prefix}-scale:x` })).toBe('implicit-deny');
    expect(decide({ action: 'secretsmanager:GetSecretValue', resource: `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:${prefix}/hf-token/dep-1-AbCdEf` })).toBe('implicit-deny');
  });
});

const EDGE = { inferenceDomain: 'inference.example.com', inferenceHostedZoneId: 'Z0123456789ABCDEFGHIJ', inferenceHostedZoneName: 'example.com' } as const;

describe('the gateway workload in the new cluster', () => {
  const manifestsOf = (synthesized: Synthesized, idPrefix: string): Json[] =>
    synthesized
      .ofType('Custom::AWSCDK-EKS-KubernetesResource')
      .filter(([id]) => id.startsWith(idPrefix))
      .flatMap(([, resource]) => JSON.parse(manifestText(resource.Properties.Manifest)) as Json[]);
  const byKind = (manifests: Json[], kind: string): Json => {
    const found = manifests.filter((manifest) => manifest.kind === kind);
    expect(found, kind).toHaveLength(1);
    return found[0]!;
  };

  it('applies a restricted namespace, a service account, a deployment, a PDB and a service', () => {
    const manifests = [...manifestsOf(s, 'InferenceGatewayNamespace'), ...manifestsOf(s, 'InferenceGatewayWorkload')];
    expect(manifests.map((m) => m.kind)).toEqual(['Namespace', 'ServiceAccount', 'Deployment', 'PodDisruptionBudget', 'Service']);
    expect(byKind(manifests, 'Namespace').metadata.labels['pod-security.kubernetes.io/enforce']).toBe('restricted');
    // No Load Balancer Controller without the edge, so no readiness gate to wait for.
    expect(byKind(manifests, 'Namespace').metadata.labels['elbv2.k8s.aws/pod-readiness-gate-inject']).toBeUndefined();
    expect(manifests.every((m) => m.kind === 'Namespace' || m.metadata.namespace === GATEWAY_NAMESPACE)).toBe(true);
    expect(byKind(manifests, 'PodDisruptionBudget').spec.minAvailable).toBe(1);
    expect(byKind(manifests, 'Service').spec.ports).toEqual([{ name: 'http', port: GATEWAY_PORT, targetPort: 'http', protocol: 'TCP' }]);
  });

  it('runs 2+ replicas on the system nodes, spread over zones, non-root, read-only, probed on /healthz, drained for long streams', () => {
    const deployment = byKind(manifestsOf(s, 'InferenceGatewayWorkload'), 'Deployment');
    expect(deployment.spec.replicas).toBeGreaterThanOrEqual(2);
    const pod = deployment.spec.template.spec;
    expect(deployment.spec.template.metadata.labels).toMatchObject(GATEWAY_POD_LABELS);
    expect(pod.serviceAccountName).toBe(GATEWAY_SERVICE_ACCOUNT);
    expect(pod.nodeSelector).toEqual({ 'gpudeploy.io/pool': 'system' });
    expect(pod.tolerations).toBeUndefined();
    expect(pod.topologySpreadConstraints.map((c: Json) => c.topologyKey)).toContain('topology.kubernetes.io/zone');
    expect(pod.terminationGracePeriodSeconds).toBe(STREAM_DRAIN_SECONDS);
    expect(pod.securityContext.runAsNonRoot).toBe(true);
    const [container] = pod.containers;
    expect(container.securityContext).toEqual({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
    for (const probe of [container.readinessProbe, container.livenessProbe]) expect(probe.httpGet).toEqual({ path: '/healthz', port: 'http' });
    expect(container.resources.requests).toBeDefined();
    expect(container.resources.limits.memory).toBeDefined();
    const env = Object.fromEntries((container.env as Json[]).map((v) => [v.name, v.value ?? v.valueFrom]));
    expect(Object.keys(env)).toEqual(
      expect.arrayContaining(['GATEWAY_PORT', 'AWS_REGION', 'TABLE_NAME', 'GATEWAY_SECRET_ID', 'SCALE_STATE_MACHINE_ARN', 'MODEL_NAMESPACE', 'UPSTREAM_URL_TEMPLATE']),
    );
    expect(env.MODEL_NAMESPACE).toBe(DEFAULTS.modelNamespace);
    expect(env.GATEWAY_PORT).toBe(String(GATEWAY_PORT));
    // The image is the stack's asset in the CDK bootstrap repository.
    expect(JSON.stringify(container.image)).toContain('container-assets');
  });

  it('associates the service account with the gateway role through Pod Identity, before the pods start', () => {
    s.template.hasResourceProperties('AWS::EKS::PodIdentityAssociation', {
      Namespace: GATEWAY_NAMESPACE,
      ServiceAccount: GATEWAY_SERVICE_ACCOUNT,
      RoleArn: { 'Fn::GetAtt': [roleId, 'Arn'] },
    });
    const [associationId] = s.ofType('AWS::EKS::PodIdentityAssociation').find(([, a]) => a.Properties.Namespace === GATEWAY_NAMESPACE)!;
    const [, workload] = s.ofType('Custom::AWSCDK-EKS-KubernetesResource').find(([id]) => id.startsWith('InferenceGatewayWorkload'))!;
    expect(workload.DependsOn).toContain(associationId);
    // The stack's cluster already runs the Pod Identity agent.
    s.template.hasResourceProperties('AWS::EKS::Addon', { AddonName: 'eks-pod-identity-agent' });
  });

  it('without the inference context: no load balancer, a synth warning, endpoint_url left alone', () => {
    s.template.resourceCountIs('AWS::ElasticLoadBalancingV2::LoadBalancer', 0);
    expect(Annotations.fromStack(s.stack).findWarning('*', Match.stringLikeRegexp('inferenceDomain'))).toHaveLength(1);
    for (const name of ENDPOINT_URL_FUNCTIONS) expect(s.functionProps(name).Environment.Variables.ENDPOINT_URL_TEMPLATE, name).toBeUndefined();
  });
});

describe('the edge (context inferenceDomain, inferenceHostedZoneId, inferenceHostedZoneName)', () => {
  let edge: Template;
  let e: Json;
  let stack: GpuControlPlaneStack;
  const ofType = (type: string): [string, Json][] => Object.entries(e.Resources as Record<string, Json>).filter(([, r]) => r.Type === type);

  beforeAll(() => {
    const app = createControlPlaneApp({ context: synthContext(EDGE) }, { region: 'us-east-1', account: '123456789012' });
    stack = app.stack;
    edge = Template.fromStack(stack);
    e = edge.toJSON() as Json;
  });

  it('creates an internet-facing ALB with a 3600 s idle timeout, dropping invalid headers, logging to its own bucket', () => {
    edge.resourceCountIs('AWS::ElasticLoadBalancingV2::LoadBalancer', 1);
    const [[, alb]] = ofType('AWS::ElasticLoadBalancingV2::LoadBalancer') as [[string, Json]];
    expect(alb.Properties.Scheme).toBe('internet-facing');
    const attributes = Object.fromEntries((alb.Properties.LoadBalancerAttributes as Json[]).map((a) => [a.Key, a.Value]));
    expect(attributes['idle_timeout.timeout_seconds']).toBe(String(ALB_IDLE_TIMEOUT_SECONDS));
    expect(attributes['routing.http.drop_invalid_header_fields.enabled']).toBe('true');
    expect(attributes['access_logs.s3.enabled']).toBe('true');
  });

  it('serves HTTPS with one DNS-validated certificate for the one hostname, a recommended TLS policy, and redirects HTTP', () => {
    edge.hasResourceProperties('AWS::CertificateManager::Certificate', {
      DomainName: EDGE.inferenceDomain,
      ValidationMethod: 'DNS',
      DomainValidationOptions: [{ DomainName: EDGE.inferenceDomain, HostedZoneId: EDGE.inferenceHostedZoneId }],
    });
    edge.resourceCountIs('AWS::CertificateManager::Certificate', 1);
    edge.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      Port: 443,
      Protocol: 'HTTPS',
      SslPolicy: Match.stringLikeRegexp('^ELBSecurityPolicy-TLS13'),
      DefaultActions: [Match.objectLike({ Type: 'forward' })],
    });
    edge.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      Port: 80,
      Protocol: 'HTTP',
      DefaultActions: [{ Type: 'redirect', RedirectConfig: { Protocol: 'HTTPS', Port: '443', StatusCode: 'HTTP_301' } }],
    });
  });

  it('forwards to an IP target group on the gateway port, health-checked on /healthz, drained as long as a stream', () => {
    edge.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
      TargetType: 'ip',
      Port: GATEWAY_PORT,
      Protocol: 'HTTP',
      HealthCheckPath: '/healthz',
      TargetGroupAttributes: Match.arrayWith([{ Key: 'deregistration_delay.timeout_seconds', Value: String(STREAM_DRAIN_SECONDS) }]),
    });
  });

  it('lets the ALB reach only the gateway port of the pods\' security group', () => {
    const [[albSgId, albSg]] = ofType('AWS::EC2::SecurityGroup').filter(([id]) => id.startsWith('InferenceGatewayLoadBalancerSecurityGroup')) as [[string, Json]];
    expect((albSg.Properties.SecurityGroupIngress as Json[]).map((rule) => [rule.CidrIp, rule.FromPort, rule.ToPort]).sort()).toEqual([
      ['0.0.0.0/0', 443, 443],
      ['0.0.0.0/0', 80, 80],
    ]);
    const egress = [...(albSg.Properties.SecurityGroupEgress ?? []), ...ofType('AWS::EC2::SecurityGroupEgress').filter(([, r]) => r.Properties.GroupId['Fn::GetAtt']?.[0] === albSgId).map(([, r]) => r.Properties)];
    expect(egress.filter((rule: Json) => rule.CidrIp !== '255.255.255.255/32').map((rule: Json) => [rule.FromPort, rule.ToPort])).toEqual([[GATEWAY_PORT, GATEWAY_PORT]]);
    const ingressFromAlb = ofType('AWS::EC2::SecurityGroupIngress').filter(([, r]) => r.Properties.SourceSecurityGroupId?.['Fn::GetAtt']?.[0] === albSgId);
    expect(ingressFromAlb.map(([, r]) => [r.Properties.FromPort, r.Properties.ToPort])).toEqual([[GATEWAY_PORT, GATEWAY_PORT]]);
  });

  it('names the endpoint base in a stack output', () => {
    expect(e.Outputs.InferenceEndpoint.Value).toBe('https://inference.example.com');
  });

  it('points an alias A record of the domain at the ALB', () => {
    edge.hasResourceProperties('AWS::Route53::RecordSet', {
      Name: `${EDGE.inferenceDomain}.`,
      Type: 'A',
      HostedZoneId: EDGE.inferenceHostedZoneId,
      AliasTarget: Match.objectLike({ DNSName: Match.anyValue() }),
    });
  });

  it('binds the gateway Service to the target group through the Load Balancer Controller, whose role registers targets there only', () => {
    const [[tgId]] = ofType('AWS::ElasticLoadBalancingV2::TargetGroup') as [[string, Json]];
    const binding = JSON.stringify(
      ofType('Custom::AWSCDK-EKS-KubernetesResource').filter(([id]) => id.startsWith('InferenceGatewayTargetGroupBinding')).map(([, r]) => r.Properties.Manifest),
    );
    expect(binding).toContain('TargetGroupBinding');
    expect(binding).toContain(tgId);
    // New gateway pods are ready only once the ALB sees them healthy (the controller's readiness gate).
    const namespace = ofType('Custom::AWSCDK-EKS-KubernetesResource').find(([id]) => id.startsWith('InferenceGatewayNamespace'))!;
    expect(JSON.stringify(namespace[1].Properties.Manifest)).toContain('elbv2.k8s.aws/pod-readiness-gate-inject');
    const [[chartId, chart]] = ofType('Custom::AWSCDK-EKS-HelmChart') as [[string, Json]];
    expect(chart.Properties.Chart).toBe(LB_CONTROLLER.chart);
    expect(chart.Properties.Version).toBe(LB_CONTROLLER.version);
    expect(JSON.stringify(chart.Properties.Values)).toContain(`\\"watchNamespace\\":\\"${GATEWAY_NAMESPACE}\\"`);
    const [[, bindingResource]] = ofType('Custom::AWSCDK-EKS-KubernetesResource').filter(([id]) => id.startsWith('InferenceGatewayTargetGroupBinding')) as [[string, Json]];
    expect(bindingResource.DependsOn).toContain(chartId);

    const [[controllerRoleId]] = ofType('AWS::IAM::Role').filter(([id]) => id.startsWith('InferenceGatewayLoadBalancerControllerRole')) as [[string, Json]];
    const controllerStatements = ofType('AWS::IAM::Policy')
      .filter(([, p]) => p.Properties.Roles.some((r: Json) => r.Ref === controllerRoleId))
      .flatMap(([, p]) => p.Properties.PolicyDocument.Statement as Statement[]);
    expect(resourcesFor(controllerStatements, 'elasticloadbalancing:RegisterTargets')).toEqual([{ Ref: tgId }]);
    expect(resourcesFor(controllerStatements, 'elasticloadbalancing:DeregisterTargets')).toEqual([{ Ref: tgId }]);
    const writes = actionsOf(controllerStatements).filter((action) => !/:(Describe|Get)/.test(action));
    expect(writes).toEqual([...LB_CONTROLLER_TARGET_ACTIONS].sort());
    edge.hasResourceProperties('AWS::EKS::PodIdentityAssociation', { Namespace: LB_CONTROLLER.namespace, ServiceAccount: LB_CONTROLLER.serviceAccount, RoleArn: { 'Fn::GetAtt': [controllerRoleId, 'Arn'] } });
  });

  it('sets endpoint_url to https://<domain>/orgs/{org}/projects/{project}/aimodels/{id}/v1 in exactly the functions that read it', () => {
    const functions = ofType('AWS::Lambda::Function').filter(([, fn]) => typeof fn.Properties.FunctionName === 'string');
    const withTemplate = functions
      .filter(([, fn]) => fn.Properties.Environment?.Variables?.ENDPOINT_URL_TEMPLATE !== undefined)
      .map(([, fn]) => (fn.Properties.FunctionName as string).slice(`${prefix}-`.length))
      .sort();
    expect(withTemplate).toEqual([...ENDPOINT_URL_FUNCTIONS].sort());
    for (const [, fn] of functions.filter(([, f]) => f.Properties.Environment?.Variables?.ENDPOINT_URL_TEMPLATE)) {
      expect(fn.Properties.Environment.Variables.ENDPOINT_URL_TEMPLATE).toBe('https://inference.example.com/orgs/{org}/projects/{project}/aimodels/{id}/v1');
    }
    const readers = [...ROUTES, ...TASK_FUNCTIONS, ...SCHEDULES].filter((definition) => reaches(definition.entry, 'functions/wiring/serving-endpoint.ts'));
    expect(readers.map((definition) => definition.name).sort()).toEqual([...ENDPOINT_URL_FUNCTIONS].sort());
  });

  it('passes cdk-nag with the edge', () => {
    const report = new AwsSolutionsChecks(undefined, { verbose: true }).validateScope(stack.node.scope as App);
    expect(report.violations.map((violation) => `${violation.severity} ${violation.ruleName}`)).toEqual([]);
  });
});

describe('the inference context', () => {
  it('needs all three values, and the domain in the zone', () => {
    expect(() => synthContextConfig({ inferenceDomain: 'inference.example.com' })).toThrow(/go together/);
    expect(() => synthContextConfig({ ...EDGE, inferenceHostedZoneName: 'example.org' })).toThrow(/not in the hosted zone/);
    expect(() => synthContextConfig({ ...EDGE, inferenceDomain: 'Inference Example' })).toThrow(/inferenceDomain/);
    expect(synthContextConfig({ ...EDGE, inferenceHostedZoneName: 'example.com.' }).inferenceEdge).toEqual({
      domain: 'inference.example.com',
      hostedZoneId: 'Z0123456789ABCDEFGHIJ',
      hostedZoneName: 'example.com',
    });
  });

  it('an imported cluster gets the role but no workload, and a warning', () => {
    const imported = synthesize(IMPORT_MODE);
    expect(imported.ofType('AWS::IAM::Role').filter(([id]) => id.startsWith('InferenceGatewayRole'))).toHaveLength(1);
    imported.template.resourceCountIs('AWS::EKS::PodIdentityAssociation', 0);
    expect(Annotations.fromStack(imported.stack).findWarning('*', Match.stringLikeRegexp('does not run the gateway'))).toHaveLength(1);
  });
});
