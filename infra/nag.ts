/**
 * cdk-nag wiring. cdk-nag 3 runs as a CDK policy-validation plugin: every synth of the app
 * evaluates the AwsSolutions rules, and an unacknowledged error-level finding fails the synth
 * (the CDK throws, or exits non-zero under the CLI) with the report in
 * cdk.out/policy-validation-report.json. Findings we accept are acknowledged on the construct
 * that causes them, each with its reason, through the helpers below.
 */
import { Stack, Validations, type Stage } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
// Not re-exported by cdk-nag's index; used so finding ids are spelled exactly as cdk-nag spells them.
import { flattenCfnReference } from 'cdk-nag/lib/utils/flatten-cfn-reference.js';
import type { IConstruct } from 'constructs';

/** Runs the AwsSolutions pack on every synth of `app` and records acknowledgements in the templates' Metadata. */
export const applyAwsSolutionsChecks = (app: Stage): void => {
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true, writeSuppressionsToCloudFormation: true }));
};

/** Acknowledges an AwsSolutions rule (e.g. 'APIG3') on `scope` and everything below it. */
export const acknowledgeRule = (scope: IConstruct, rule: string, reason: string): void => {
  Validations.of(scope).acknowledge({ id: `AwsSolutions-${rule}`, reason });
};

/**
 * Acknowledges AwsSolutions-IAM5 (wildcard permissions) for exactly these policy resources on
 * `scope` (a role, or a construct above it): any other wildcard still fails the synth.
 */
export const acknowledgeWildcardResources = (scope: IConstruct, resources: readonly string[], reason: string): void => {
  for (const resource of resources) {
    const finding = flattenCfnReference(Stack.of(scope).resolve(resource));
    acknowledgeRule(scope, `IAM5[Resource::${finding}]`, reason);
  }
};
