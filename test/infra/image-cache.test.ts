/**
 * The serving image's ECR pull-through cache (issue 13, M2): the rule with the Docker Hub secret
 * from context, the node role's pull-through grants scoped to the cache prefix, VLLM_IMAGE on
 * every function that renders manifests, and a synth warning (no rule) without the secret.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { PULL_THROUGH_ACTIONS, SERVING_IMAGE_FUNCTIONS, dockerHubPath } from '../../infra/constructs/image-cache';
import { ROUTES } from '../../contract/routes';
import { SCHEDULES } from '../../contract/schedules';
import { TASK_FUNCTIONS } from '../../contract/workflows';
import { IMPORT_MODE, resourcesFor, statementsWith, synthesize, type Json, type Synthesized } from './template';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SECRET = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:ecr-pullthroughcache/docker-hub-AbCdEf';
const CACHED = { 'Fn::Join': ['', [{ Ref: 'AWS::AccountId' }, '.dkr.ecr.', { Ref: 'AWS::Region' }, '.', { Ref: 'AWS::URLSuffix' }, '/docker-hub/vllm/vllm-openai:v0.11.0']] };
const ADAPTER = path.join(ROOT, 'functions/adapters/serving-image.ts');

/** Whether a handler's source (followed through its relative imports) reads the serving image. */
const readsServingImage = (entry: string, seen = new Set<string>()): boolean => {
  const file = path.join(ROOT, entry);
  if (file === ADAPTER) return true;
  if (seen.has(file)) return false;
  seen.add(file);
  const source = readFileSync(file, 'utf8');
  // `import type` is erased: it does not reach the bundle.
  return [...source.matchAll(/^(?:import|export)(?! type )[^;]*? from '(\.{1,2}\/[^']+)'/gms)].some(([, spec]) => {
    const target = path.relative(ROOT, path.resolve(path.dirname(file), spec!));
    if (/\.(json|txt|md)$/.test(target)) return false; // data, not code
    return readsServingImage(target.endsWith('.ts') ? target : `${target}.ts`, seen);
  });
};

const nodeRoleId = (s: Synthesized): string => {
  const [id] = s.ofType('AWS::EKS::Nodegroup').map(([, group]) => group.Properties.NodeRole['Fn::GetAtt'][0] as string);
  return id!;
};

describe('with the Docker Hub secret', () => {
  let s: Synthesized;
  beforeAll(() => {
    s = synthesize({ dockerHubCredentialsSecretArn: SECRET });
  });

  it('creates a Docker Hub pull-through cache rule with the secret', () => {
    s.template.resourceCountIs('AWS::ECR::PullThroughCacheRule', 1);
    s.template.hasResourceProperties('AWS::ECR::PullThroughCacheRule', {
      EcrRepositoryPrefix: 'docker-hub',
      UpstreamRegistry: 'docker-hub',
      UpstreamRegistryUrl: 'registry-1.docker.io',
      CredentialArn: SECRET,
    });
    s.template.hasResourceProperties('AWS::ECR::RepositoryCreationTemplate', { Prefix: 'docker-hub', AppliedFor: ['PULL_THROUGH_CACHE'], LifecyclePolicy: Match.stringLikeRegexp('untagged') });
    expect(Annotations.fromStack(s.stack).findWarning('*', Match.stringLikeRegexp('dockerHubCredentialsSecretArn'))).toEqual([]);
  });

  it('lets the node role create and import repositories below the prefix only', () => {
    const roleId = nodeRoleId(s);
    const statements = s.statementsOfRole(roleId);
    const cacheRepositories = {
      'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':ecr:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':repository/docker-hub/*']],
    };
    for (const action of PULL_THROUGH_ACTIONS) expect(resourcesFor(statements, action), action).toEqual([cacheRepositories]);
    // Reading the cached images is the managed read-only policy's job.
    const managed = JSON.stringify(s.resources[roleId]!.Properties.ManagedPolicyArns);
    expect(managed).toContain('AmazonEC2ContainerRegistryReadOnly');
    // Every GPU and system node group uses this role.
    expect(new Set(s.ofType('AWS::EKS::Nodegroup').map(([, group]) => group.Properties.NodeRole['Fn::GetAtt'][0]))).toEqual(new Set([roleId]));
  });

  it('points VLLM_IMAGE of the manifest-rendering functions at the cached copy', () => {
    for (const name of SERVING_IMAGE_FUNCTIONS) expect(s.functionProps(name).Environment.Variables.VLLM_IMAGE, name).toEqual(CACHED);
  });

  it('gives VLLM_IMAGE to exactly the functions whose code reads it', () => {
    const all = [...ROUTES, ...TASK_FUNCTIONS, ...SCHEDULES];
    const readers = all.filter((definition) => readsServingImage(definition.entry)).map((definition) => definition.name);
    expect(readers.sort()).toEqual([...SERVING_IMAGE_FUNCTIONS].sort());
    const given = all.filter((definition) => (s.functionProps(definition.name).Environment.Variables as Json).VLLM_IMAGE !== undefined).map((d) => d.name);
    expect(given.sort()).toEqual(readers.sort());
  });

  it('refuses a secret ECR would not read', () => {
    expect(() => synthesize({ dockerHubCredentialsSecretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:docker-hub-AbCdEf' })).toThrow(/ecr-pullthroughcache\//);
    expect(() => synthesize({ dockerHubCredentialsSecretArn: SECRET, imageCachePrefix: 'Docker_Hub' })).toThrow(/imageCachePrefix/);
  });
});

describe('without the secret', () => {
  let s: Synthesized;
  beforeAll(() => {
    s = synthesize();
  });

  it('warns at synth and creates no cache', () => {
    s.template.resourceCountIs('AWS::ECR::PullThroughCacheRule', 0);
    s.template.resourceCountIs('AWS::ECR::RepositoryCreationTemplate', 0);
    const warnings = Annotations.fromStack(s.stack).findWarning('*', Match.stringLikeRegexp('dockerHubCredentialsSecretArn'));
    expect(warnings).toHaveLength(1);
  });

  it('keeps the Docker Hub image and grants the nodes nothing more', () => {
    for (const name of SERVING_IMAGE_FUNCTIONS) expect(s.functionProps(name).Environment.Variables.VLLM_IMAGE).toBe('vllm/vllm-openai:v0.11.0');
    const statements = s.statementsOfRole(nodeRoleId(s));
    for (const action of PULL_THROUGH_ACTIONS) expect(statementsWith(statements, action)).toEqual([]);
  });
});

describe('import mode', () => {
  it('creates the rule and points the functions at it; the node role is the cluster owner\'s', () => {
    const s = synthesize({ ...IMPORT_MODE, dockerHubCredentialsSecretArn: SECRET });
    s.template.resourceCountIs('AWS::ECR::PullThroughCacheRule', 1);
    expect(s.functionProps('apply-workload').Environment.Variables.VLLM_IMAGE).toEqual(CACHED);
    const granted = s.ofType('AWS::IAM::Policy').filter(([, policy]) => JSON.stringify(policy.Properties.PolicyDocument).includes('ecr:BatchImportUpstreamImage'));
    expect(granted).toEqual([]);
  });
});

describe('dockerHubPath', () => {
  it('puts official images under library/ and keeps organisation paths', () => {
    expect(dockerHubPath('vllm/vllm-openai:v0.11.0')).toBe('vllm/vllm-openai:v0.11.0');
    expect(dockerHubPath('ubuntu:24.04')).toBe('library/ubuntu:24.04');
    expect(dockerHubPath('docker.io/library/busybox@sha256:' + 'a'.repeat(64))).toBe(`library/busybox@sha256:${'a'.repeat(64)}`);
    expect(dockerHubPath('docker.io/vllm/vllm-openai:v0.10.2')).toBe('vllm/vllm-openai:v0.10.2');
  });
});
