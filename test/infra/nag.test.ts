/**
 * cdk-nag (AwsSolutions) runs in every synth of the app: the stack must have no unacknowledged
 * finding, an unacknowledged error must fail the synth, and every acknowledgement must be a
 * specific, reasoned one.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { createControlPlaneApp } from '../../infra/stack';

const cdkJson = JSON.parse(readFileSync(fileURLToPath(new URL('../../cdk.json', import.meta.url)), 'utf8')) as {
  context: Record<string, unknown>;
};
const context = { ...cdkJson.context, 'aws:cdk:bundling-stacks': [] };

describe('cdk-nag AwsSolutions checks', () => {
  it('synthesizes the app with no unacknowledged finding, error or warning, and only reasoned IAM5 acknowledgements', () => {
    const { app } = createControlPlaneApp({ context });

    // The synth itself fails on an unacknowledged error: the checks are registered by the app.
    expect(() => app.synth()).not.toThrow();
    const report = new AwsSolutionsChecks(undefined, { verbose: true }).validateScope(app);
    expect(report.violations.map((violation) => `${violation.severity} ${violation.ruleName}`)).toEqual([]);

    const acknowledgements = app.node
      .findAll()
      .flatMap((construct) =>
        construct.node.metadata
          .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
          .flatMap((entry) => Object.entries(entry.data as Record<string, string>)),
      );
    expect(acknowledgements.length).toBeGreaterThan(0);
    for (const [rule, reason] of acknowledgements) {
      // Only wildcard-resource findings, one resource at a time; never a whole rule.
      expect(rule).toMatch(/AwsSolutions-IAM5\[Resource::[^\]]+\]$/);
      expect(reason.length, `reason for ${rule}`).toBeGreaterThan(60);
    }
  });

  it('fails the synth when a finding is not acknowledged', () => {
    const { app, stack } = createControlPlaneApp({ context });
    stack.api.routeFunctions
      .get('get-deployment')
      ?.addToRolePolicy(new iam.PolicyStatement({ actions: ['dynamodb:*'], resources: ['*'] }));

    expect(() => app.synth()).toThrow(/AwsSolutions-IAM5\[Action::dynamodb:\*\]/);
  });
});
