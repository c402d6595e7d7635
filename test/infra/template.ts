/**
 * Shared by the infra tests: synthesizing the app the way `cdk synth` does (context from
 * cdk.json plus overrides, cdk-nag registered) but with bundling skipped, and small readers for
 * the synthesized template. Each test file synthesizes once per mode it checks.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { createControlPlaneApp, type GpuControlPlaneStack } from '../../infra/stack';

const cdkJson = JSON.parse(readFileSync(fileURLToPath(new URL('../../cdk.json', import.meta.url)), 'utf8')) as {
  context: Record<string, unknown>;
};

/**
 * AZ-ID offerings for the inventory's instance types. A TEST FIXTURE, not AWS data: the real
 * answers come from `aws ec2 describe-instance-type-offerings` on the target account
 * (docs/deploy.md). Deliberately uneven, so placement is exercised: some types in one AZ only,
 * and the VPC's three AZs cannot all serve every type.
 */
export const FIXTURE_OFFERINGS: Readonly<Record<string, readonly string[]>> = {
  'g6.12xlarge': ['use1-az1', 'use1-az2', 'use1-az4', 'use1-az6'],
  'g5.12xlarge': ['use1-az1', 'use1-az2', 'use1-az4', 'use1-az5', 'use1-az6'],
  'g6e.12xlarge': ['use1-az1', 'use1-az4'],
  'p4de.24xlarge': ['use1-az6'],
  'p5.48xlarge': ['use1-az4', 'use1-az6'],
  'p5en.48xlarge': ['use1-az4'],
};

/**
 * The context of `cdk synth` (cdk.json) plus the fixture offerings, with bundling skipped: no
 * esbuild run, no handler file needed.
 */
export const synthContext = (overrides: Record<string, unknown> = {}): Record<string, unknown> => ({
  ...cdkJson.context,
  gpuInstanceOfferings: FIXTURE_OFFERINGS,
  'aws:cdk:bundling-stacks': [],
  ...overrides,
});

/** Context that selects the import mode. */
export const IMPORT_MODE = { existingClusterName: 'demo' } as const;

export type Json = Record<string, any>;

export interface Statement {
  readonly Action: string | string[];
  readonly Resource: unknown;
  readonly Condition?: Json;
}

export interface Synthesized {
  readonly app: App;
  readonly stack: GpuControlPlaneStack;
  readonly template: Template;
  readonly resources: Record<string, Json>;
  readonly outputs: Record<string, Json>;
  ofType(type: string): [string, Json][];
  /** Logical id of the Lambda function named `<prefix>-<name>`. */
  functionId(name: string): string;
  functionProps(name: string): Json;
  roleIdOf(name: string): string;
  /** All statements of the policies attached to a role. */
  statementsOfRole(roleId: string): Statement[];
  /** Logical id of the state machine of a workflow. */
  stateMachineId(workflow: string): string;
}

export const asArray = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);
export const actionsOf = (statements: readonly Statement[]): string[] => [...new Set(statements.flatMap((s) => asArray(s.Action)))].sort();
export const statementsWith = (statements: readonly Statement[], action: string): Statement[] =>
  statements.filter((s) => asArray(s.Action).includes(action));
export const inStableOrder = (values: readonly unknown[]): unknown[] =>
  [...values].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
/** Every resource `action` is allowed on, whichever statements (merged or not) grant it, in a stable order. */
export const resourcesFor = (statements: readonly Statement[], action: string): unknown[] =>
  inStableOrder(statementsWith(statements, action).flatMap((s) => asArray(s.Resource)));

/** Synthesizes the app (one stack) with `context` overrides on top of cdk.json. */
export const synthesize = (overrides: Record<string, unknown> = {}): Synthesized => {
  const { app, stack } = createControlPlaneApp({ context: synthContext(overrides) });
  const template = Template.fromStack(stack);
  const json = template.toJSON() as Json;
  const resources = json.Resources as Record<string, Json>;
  const prefix = stack.config.prefix;
  const ofType = (type: string): [string, Json][] => Object.entries(resources).filter(([, resource]) => resource.Type === type);
  const functionId = (name: string): string => {
    const match = ofType('AWS::Lambda::Function').find(([, fn]) => fn.Properties.FunctionName === `${prefix}-${name}`);
    if (!match) throw new Error(`no function ${prefix}-${name} in the template`);
    return match[0];
  };
  const functionProps = (name: string): Json => resources[functionId(name)]!.Properties;
  return {
    app,
    stack,
    template,
    resources,
    outputs: (json.Outputs ?? {}) as Record<string, Json>,
    ofType,
    functionId,
    functionProps,
    roleIdOf: (name) => functionProps(name).Role['Fn::GetAtt'][0],
    statementsOfRole: (roleId) =>
      ofType('AWS::IAM::Policy')
        .filter(([, policy]) => policy.Properties.Roles.some((role: Json) => role.Ref === roleId))
        .flatMap(([, policy]) => policy.Properties.PolicyDocument.Statement as Statement[]),
    stateMachineId: (workflow) => {
      const match = ofType('AWS::StepFunctions::StateMachine').find(
        ([, machine]) => machine.Properties.StateMachineName === `${prefix}-${workflow}`,
      );
      if (!match) throw new Error(`no ${workflow} state machine in the template`);
      return match[0];
    },
  };
};
