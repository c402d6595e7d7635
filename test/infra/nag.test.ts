/**
 * cdk-nag (AwsSolutions) runs in every synth of the app: in both cluster modes the stack must
 * have no unacknowledged finding, an unacknowledged error must fail the synth, and every
 * acknowledgement must be a specific, reasoned one.
 */
import { Validations, type App } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { createControlPlaneApp } from '../../infra/stack';
import { IMPORT_MODE, synthContext } from './template';

/**
 * The only kinds of acknowledgement the app may make: a wildcard resource IAM cannot avoid (one
 * resource at a time), an AWS managed policy a service requires (one policy at a time), an EKS
 * public endpoint limited to operator CIDRs (only when they are given), and CloudFormation's
 * deprecation notice on the EKS encryption config.
 */
const ALLOWED_ACKNOWLEDGEMENTS = [
  /^(Annotation::)?AwsSolutions-IAM5\[Resource::[^\]]+\]$/,
  /^(Annotation::)?AwsSolutions-IAM4\[Policy::arn:<AWS::Partition>:iam::aws:policy\/(AmazonEKSClusterPolicy|AmazonEKSWorkerNodePolicy|AmazonEKS_CNI_Policy|AmazonEC2ContainerRegistryReadOnly|service-role\/AmazonEBSCSIDriverPolicy)\]$/,
  /^(Annotation::)?AwsSolutions-EKS1$/,
  // The kubectl provider aws-eks-v2 creates to apply the cluster bootstrap (Lambda logging and VPC access, the
  // conditional ECR Public read its layer needs), acknowledged on that provider's roles only.
  /^(Annotation::)?AwsSolutions-IAM4\[Policy::arn:<AWS::Partition>:iam::aws:policy\/service-role\/(AWSLambdaBasicExecutionRole|AWSLambdaVPCAccessExecutionRole)\]$/,
  /^(Annotation::)?AwsSolutions-L1$/,
  /^(Annotation::)?AwsSolutions-IAM4\[Policy::\{"Fn::If":\["ClusterKubectlProviderHandlerHasEcrPublic[0-9A-F]+",.*AmazonElasticContainerRegistryPublicReadOnly.*\]$/,
  // The public routes (OpenAPI document and its page), acknowledged on those routes only.
  /^(Annotation::)?AwsSolutions-APIG4$/,
  // The inference gateway's master secret: every inference key and model server key derives from it, so it is rotated by hand.
  /^(Annotation::)?AwsSolutions-SMG4$/,
  /^CloudFormation-Validate::W9009$/,
  // The web console (infra/constructs/console.ts): its CloudFront distribution (no geo restriction, no WAF for
  // static files, the default certificate's TLS policy), its log bucket, and BucketDeployment's deploy-time handler.
  /^(Annotation::)?AwsSolutions-CFR[124]$/,
  /^(Annotation::)?AwsSolutions-S1$/,
  /^(Annotation::)?AwsSolutions-IAM5\[Action::s3:(GetBucket|GetObject|List|Abort|DeleteObject)\*\]$/,
  // Added by the CDK itself: literal AZs from stack.availabilityZones (W3010), and the flow log's
  // camelCase DestinationOptions (F3002, F3003).
  /^CloudFormation-Validate::(W3010|F3002|F3003)$/,
];

const acknowledgementsIn = (app: App): [string, string][] =>
  app.node
    .findAll()
    .flatMap((construct) =>
      construct.node.metadata
        .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
        .flatMap((entry) => Object.entries(entry.data as Record<string, string>)),
    );

describe.each([
  { mode: 'new cluster (default)', context: {} },
  { mode: 'existing cluster (-c existingClusterName=demo)', context: IMPORT_MODE },
  { mode: 'new cluster with a public endpoint for operator CIDRs', context: { clusterEndpointPublicCidrs: '203.0.113.0/24' } },
  {
    mode: 'existing cluster with the functions in its VPC',
    context: { ...IMPORT_MODE, functionVpcId: 'vpc-0123456789abcdef0', functionSubnetIds: 'subnet-0123456789abcdef0,subnet-0123456789abcdef1', functionSecurityGroupIds: 'sg-0123456789abcdef0' },
  },
])('cdk-nag AwsSolutions checks, $mode', ({ context }) => {
  it('synthesizes with no unacknowledged finding, error or warning, and only specific, reasoned acknowledgements', () => {
    const { app } = createControlPlaneApp({ context: synthContext(context) });

    // The synth itself fails on an unacknowledged error: the checks are registered by the app.
    expect(() => app.synth()).not.toThrow();
    const report = new AwsSolutionsChecks(undefined, { verbose: true }).validateScope(app);
    expect(report.violations.map((violation) => `${violation.severity} ${violation.ruleName}`)).toEqual([]);

    const acknowledgements = acknowledgementsIn(app);
    expect(acknowledgements.length).toBeGreaterThan(0);
    for (const [rule, reason] of acknowledgements) {
      expect(ALLOWED_ACKNOWLEDGEMENTS.some((pattern) => pattern.test(rule)), `acknowledged rule ${rule}`).toBe(true);
      expect(reason.length, `reason for ${rule}`).toBeGreaterThan(60);
    }
  });
});

describe('cdk-nag enforcement', () => {
  it('fails the synth when a finding is not acknowledged', () => {
    const { app, stack } = createControlPlaneApp({ context: synthContext(IMPORT_MODE) });
    stack.api.routeFunctions
      .get('get-deployment')
      ?.addToRolePolicy(new iam.PolicyStatement({ actions: ['dynamodb:*'], resources: ['*'] }));

    expect(() => app.synth()).toThrow(/AwsSolutions-IAM5\[Action::dynamodb:\*\]/);
  });
});
