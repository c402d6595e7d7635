/**
 * The synthesized template read as the local cloud's IAM: each function `<prefix>-<name>` maps
 * to its execution role and every statement of that role's policies, and every EKS access entry
 * to its principal, with the template's intrinsics resolved against the names the local cloud
 * really uses (table, state machines, cluster, key, account, region).
 */
import type { AccessEntrySpec, LocalPrincipal } from '../identity';
import { loadTemplate, type TemplateJson } from './synth';

export interface PolicyStatement {
  readonly Sid?: string;
  readonly Effect: 'Allow' | 'Deny';
  readonly Action?: string | readonly string[];
  readonly NotAction?: string | readonly string[];
  readonly Resource?: string | readonly string[];
  readonly NotResource?: string | readonly string[];
  readonly Condition?: Readonly<Record<string, Readonly<Record<string, string | boolean | readonly (string | boolean)[]>>>>;
}

/** What the local endpoints authorize a function's calls against. */
export interface IamPrincipal extends LocalPrincipal {
  readonly roleName: string;
  /** The caller as AWS names it in an AccessDenied message. */
  readonly assumedRoleArn: string;
  readonly statements: readonly PolicyStatement[];
}

export interface LocalIamOptions {
  readonly prefix: string;
  readonly clusterName: string;
  readonly namespace: string;
  readonly region: string;
  readonly account: string;
  /** The key the local cloud passes as HF_TOKEN_KMS_KEY_ARN. */
  readonly kmsKeyArn: string;
}

export interface LocalPrincipals {
  readonly principals: Record<string, IamPrincipal>;
  readonly accessEntries: AccessEntrySpec[];
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

/**
 * Names and ARNs of the template's resources as the local cloud runs them. CloudFormation would
 * generate the role names (`<stack>-<logical id>-<random>`); locally the random part is left off.
 */
const physicalNames = (template: TemplateJson, options: LocalIamOptions) => {
  const { region, account, prefix } = options;
  const refs = new Map<string, string>();
  const attributes = new Map<string, string>();
  const hfKeyIds = new Set<string>();
  for (const [, resource] of Object.entries(template.Resources)) {
    const key = resource.Properties?.Environment?.Variables?.HF_TOKEN_KMS_KEY_ARN?.['Fn::GetAtt']?.[0];
    if (typeof key === 'string') hfKeyIds.add(key);
  }
  for (const [id, resource] of Object.entries(template.Resources)) {
    const p = resource.Properties ?? {};
    switch (resource.Type) {
      case 'AWS::DynamoDB::Table': {
        const name = (p.TableName as string | undefined) ?? `${prefix}-deployments`;
        refs.set(id, name);
        attributes.set(`${id}.Arn`, `arn:aws:dynamodb:${region}:${account}:table/${name}`);
        break;
      }
      case 'AWS::StepFunctions::StateMachine': {
        const arn = `arn:aws:states:${region}:${account}:stateMachine:${p.StateMachineName as string}`;
        refs.set(id, arn);
        attributes.set(`${id}.Name`, p.StateMachineName as string);
        attributes.set(`${id}.Arn`, arn);
        break;
      }
      case 'AWS::Lambda::Function': {
        const name = (p.FunctionName as string | undefined) ?? `${STACK}-${id}`;
        refs.set(id, name);
        attributes.set(`${id}.Arn`, `arn:aws:lambda:${region}:${account}:function:${name}`);
        break;
      }
      case 'AWS::IAM::Role': {
        const name = roleNameOf(id);
        refs.set(id, name);
        attributes.set(`${id}.Arn`, `arn:aws:iam::${account}:role/${name}`);
        break;
      }
      case 'AWS::EKS::Cluster': {
        refs.set(id, (p.Name as string | undefined) ?? options.clusterName);
        attributes.set(`${id}.Arn`, `arn:aws:eks:${region}:${account}:cluster/${(p.Name as string | undefined) ?? options.clusterName}`);
        break;
      }
      case 'AWS::KMS::Key': {
        const arn = hfKeyIds.has(id) ? options.kmsKeyArn : `arn:aws:kms:${region}:${account}:key/local-${id}`;
        refs.set(id, arn.slice(arn.lastIndexOf('/') + 1));
        attributes.set(`${id}.Arn`, arn);
        break;
      }
      default:
        refs.set(id, `local-${id}`);
    }
  }
  return { refs, attributes };
};

const STACK = 'GpuControlPlane';
const roleNameOf = (logicalId: string): string => `${STACK}-${logicalId}`.slice(0, 64);

/** Resolves Ref, Fn::GetAtt, Fn::Join, Fn::Sub, Fn::Select, Fn::Split and the pseudo parameters. */
export const intrinsicResolver = (template: TemplateJson, options: LocalIamOptions): ((value: Json) => Json) => {
  const { refs, attributes } = physicalNames(template, options);
  const pseudo: Record<string, string> = {
    'AWS::Partition': 'aws',
    'AWS::Region': options.region,
    'AWS::AccountId': options.account,
    'AWS::URLSuffix': 'amazonaws.com',
    'AWS::StackName': STACK,
    'AWS::NoValue': '',
  };
  const ref = (name: string): string => {
    const value = pseudo[name] ?? refs.get(name);
    if (value === undefined) throw new Error(`local IAM: the template's Ref ${name} names nothing`);
    return value;
  };
  const getAtt = (id: string, attribute: string): string =>
    attributes.get(`${id}.${attribute}`) ?? (refs.has(id) ? `local-${id}-${attribute}` : ref(id));
  const resolve = (value: Json): Json => {
    if (Array.isArray(value)) return value.map(resolve);
    if (value === null || typeof value !== 'object') return value;
    const keys = Object.keys(value);
    if (keys.length === 1) {
      const [key] = keys as [string];
      const argument = value[key];
      switch (key) {
        case 'Ref':
          return ref(argument as string);
        case 'Fn::GetAtt': {
          const [id, attribute] = typeof argument === 'string' ? argument.split('.') : (argument as [string, string]);
          return getAtt(id!, attribute!);
        }
        case 'Fn::Join': {
          const [separator, parts] = argument as [string, Json[]];
          return (resolve(parts) as Json[]).join(separator);
        }
        case 'Fn::Select': {
          const [index, list] = argument as [Json, Json];
          return (resolve(list) as Json[])[Number(resolve(index))];
        }
        case 'Fn::Split': {
          const [separator, text] = argument as [string, Json];
          return (resolve(text) as string).split(separator);
        }
        case 'Fn::Sub': {
          const [text, variables] = typeof argument === 'string' ? [argument, {}] : (argument as [string, Record<string, Json>]);
          return text.replace(/\$\{([^}!]+)\}/g, (_, name: string) => {
            if (name in variables) return String(resolve(variables[name]));
            const [id, attribute] = name.split('.');
            return attribute ? getAtt(id!, attribute) : ref(name);
          });
        }
      }
    }
    return Object.fromEntries(keys.map((key) => [key, resolve(value[key])]));
  };
  return resolve;
};

/** The logical id (a prefix of it: CDK appends a hash) of the gateway's IAM role in the template (infra). */
const INFERENCE_GATEWAY_ROLE_ID = 'InferenceGatewayRole';

/** The principal name the local cloud runs the inference gateway as. */
export const inferenceGatewayPrincipal = (prefix: string): string => `${prefix}-inference-gateway`;

/** Every function's principal and every access entry, from a template. */
export const principalsFromTemplate = (template: TemplateJson, options: LocalIamOptions): LocalPrincipals => {
  const resolve = intrinsicResolver(template, options);
  const entries = Object.entries(template.Resources);
  const statementsOf = (roleId: string): PolicyStatement[] =>
    entries
      .filter(([, r]) => r.Type === 'AWS::IAM::Policy' && (r.Properties?.Roles as Json[]).some((role) => role.Ref === roleId))
      .flatMap(([, r]) => resolve(r.Properties!.PolicyDocument.Statement) as PolicyStatement[]);
  const principals: Record<string, IamPrincipal> = {};
  for (const [id, resource] of entries) {
    if (resource.Type !== 'AWS::Lambda::Function' || typeof resource.Properties?.FunctionName !== 'string') continue;
    const functionName = resource.Properties.FunctionName;
    const roleId = resource.Properties.Role?.['Fn::GetAtt']?.[0] as string | undefined;
    if (!roleId) throw new Error(`local IAM: function ${functionName} (${id}) has no role of this template`);
    const roleName = roleNameOf(roleId);
    principals[functionName] = {
      functionName,
      roleName,
      roleArn: `arn:aws:iam::${options.account}:role/${roleName}`,
      assumedRoleArn: `arn:aws:sts::${options.account}:assumed-role/${roleName}/${functionName}`,
      statements: statementsOf(roleId),
    };
  }
  // The inference gateway is a pod, not a function: its role (EKS Pod Identity) is found by logical id,
  // and the local cloud runs the gateway's calls as this principal.
  const gatewayRole = entries.find(([id, r]) => r.Type === 'AWS::IAM::Role' && id.includes(INFERENCE_GATEWAY_ROLE_ID));
  if (gatewayRole) {
    const functionName = inferenceGatewayPrincipal(options.prefix);
    const roleName = roleNameOf(gatewayRole[0]);
    principals[functionName] = {
      functionName,
      roleName,
      roleArn: `arn:aws:iam::${options.account}:role/${roleName}`,
      assumedRoleArn: `arn:aws:sts::${options.account}:assumed-role/${roleName}/${functionName}`,
      statements: statementsOf(gatewayRole[0]),
    };
  }
  const accessEntries = entries
    .filter(([, r]) => r.Type === 'AWS::EKS::AccessEntry')
    .map(([, r]): AccessEntrySpec => {
      const p = resolve(r.Properties) as Json;
      return {
        principalArn: p.PrincipalArn as string,
        ...(p.Username ? { username: p.Username as string } : {}),
        kubernetesGroups: (p.KubernetesGroups as string[] | undefined) ?? [],
        accessPolicies: ((p.AccessPolicies as Json[] | undefined) ?? []).map((policy) => ({
          policyArn: policy.PolicyArn as string,
          scope:
            policy.AccessScope.Type === 'namespace'
              ? { type: 'namespace' as const, namespaces: policy.AccessScope.Namespaces as string[] }
              : { type: 'cluster' as const },
        })),
      };
    });
  return { principals, accessEntries };
};

/** The principals and access entries of the app as the local cloud with `options` runs it. */
export const loadLocalPrincipals = async (options: LocalIamOptions): Promise<LocalPrincipals> =>
  principalsFromTemplate(await loadTemplate(options), options);
