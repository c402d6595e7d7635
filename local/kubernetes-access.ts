/**
 * INTERIM loader (swap for local/iam's `loadLocalPrincipals()` when merging): who each Lambda
 * function is to the simulated Kubernetes API, read from the synthesized CDK template, the one
 * source of truth: each `AWS::Lambda::Function` → its role, each `AWS::EKS::AccessEntry` → its
 * principal, groups and access policies. The app is synthesized in-process (bundling and
 * cdk-nag skipped) and the result cached on disk by a hash of everything that shapes it.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AccessEntrySpec, LocalPrincipal } from './identity';

const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '..');
const CACHE_DIR = join(ROOT, 'node_modules', '.cache', 'gpu-local-kubernetes-access');

export interface KubernetesAccessOptions {
  readonly prefix: string;
  readonly clusterName: string;
  readonly namespace: string;
  readonly account: string;
}

export interface KubernetesAccess {
  readonly principals: LocalPrincipal[];
  readonly accessEntries: AccessEntrySpec[];
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

const filesUnder = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(join(dir, e.name)) : [join(dir, e.name)]));

const inputsHash = (options: KubernetesAccessOptions): string => {
  const hash = createHash('sha256');
  const data = join(ROOT, 'functions', 'domain', 'data');
  const files = [...filesUnder(join(ROOT, 'infra')), ...filesUnder(data), join(ROOT, 'cdk.json'), join(ROOT, 'package-lock.json')].sort();
  for (const file of files) hash.update(relative(ROOT, file)).update('\0').update(readFileSync(file)).update('\0');
  hash.update(JSON.stringify(options));
  return hash.digest('hex').slice(0, 32);
};

/** `{Fn::GetAtt: [role, Arn]}`, `{Fn::Join}` and `{Ref: AWS::Partition}`, as the local cloud names them. */
const resolveValue = (value: Json, account: string): Json => {
  if (Array.isArray(value)) return value.map((v) => resolveValue(v, account));
  if (value === null || typeof value !== 'object') return value;
  if (value.Ref === 'AWS::Partition') return 'aws';
  if (value.Ref === 'AWS::AccountId') return account;
  if (Array.isArray(value['Fn::GetAtt']) && value['Fn::GetAtt'][1] === 'Arn') return `arn:aws:iam::${account}:role/${String(value['Fn::GetAtt'][0])}`;
  if (Array.isArray(value['Fn::Join'])) {
    const [separator, parts] = value['Fn::Join'] as [string, Json[]];
    return parts.map((p) => resolveValue(p, account)).join(separator);
  }
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolveValue(v, account)]));
};

/** The principals and access entries of a synthesized template. */
export const kubernetesAccessFromTemplate = (template: { Resources: Record<string, Json> }, account: string): KubernetesAccess => {
  const resources = Object.values(template.Resources);
  const principals = resources
    .filter((r) => r.Type === 'AWS::Lambda::Function' && typeof r.Properties?.FunctionName === 'string')
    .map((r): LocalPrincipal => ({ functionName: r.Properties.FunctionName as string, roleArn: resolveValue(r.Properties.Role, account) as string }));
  const accessEntries = resources
    .filter((r) => r.Type === 'AWS::EKS::AccessEntry')
    .map((r): AccessEntrySpec => {
      const p = resolveValue(r.Properties, account) as Json;
      return {
        principalArn: p.PrincipalArn as string,
        ...(p.Username ? { username: p.Username as string } : {}),
        kubernetesGroups: (p.KubernetesGroups as string[] | undefined) ?? [],
        accessPolicies: ((p.AccessPolicies as Json[] | undefined) ?? []).map((a) => ({
          policyArn: a.PolicyArn as string,
          scope: a.AccessScope.Type === 'namespace' ? { type: 'namespace' as const, namespaces: a.AccessScope.Namespaces as string[] } : { type: 'cluster' as const },
        })),
      };
    });
  return { principals, accessEntries };
};

const synthesize = async (options: KubernetesAccessOptions): Promise<{ Resources: Record<string, Json> }> => {
  const [{ App }, { configFromContext, GpuControlPlaneStack }] = await Promise.all([import('aws-cdk-lib'), import('../infra/stack')]);
  const outdir = mkdtempSync(join(tmpdir(), 'gpu-local-k8s-access-'));
  const cdkJson = JSON.parse(readFileSync(join(ROOT, 'cdk.json'), 'utf8')) as { context: Record<string, unknown> };
  const app = new App({
    context: { ...cdkJson.context, 'aws:cdk:bundling-stacks': [], prefix: options.prefix, clusterName: options.clusterName, modelNamespace: options.namespace },
    outdir,
  });
  try {
    new GpuControlPlaneStack(app, 'GpuControlPlane', { config: configFromContext(app.node) });
    return app.synth().getStackByName('GpuControlPlane').template as { Resources: Record<string, Json> };
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
};

/** The functions' roles and the cluster's access entries for the local cloud with `options`. */
export const loadKubernetesAccess = async (options: KubernetesAccessOptions): Promise<KubernetesAccess> => {
  const file = join(CACHE_DIR, `${inputsHash(options)}.json`);
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as KubernetesAccess;
  } catch {
    // Not cached yet (or a stale, unreadable entry): synthesize.
  }
  const access = kubernetesAccessFromTemplate(await synthesize(options), options.account);
  mkdirSync(CACHE_DIR, { recursive: true });
  const temporary = `${file}.${process.pid}.${Date.now()}`;
  writeFileSync(temporary, JSON.stringify(access));
  renameSync(temporary, file);
  return access;
};
