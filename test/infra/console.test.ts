/**
 * The web console's hosting (infra/constructs/console.ts): a private bucket readable only by
 * its CloudFront distribution (OAC), HTTPS with security headers, the files and config.json
 * deployed to it, and sign-in through the user pool's hosted UI with the console as callback.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { writeConsoleSync } from '../../console/build';
import { IMPORT_MODE, synthesize, type Json, type Synthesized } from './template';

let s: Synthesized;
beforeAll(() => {
  s = synthesize();
});

const distribution = (): [string, Json] => {
  const found = s.ofType('AWS::CloudFront::Distribution');
  expect(found).toHaveLength(1);
  return found[0]!;
};
const assetsBucketId = (): string => {
  const [, dist] = distribution();
  const origin = dist.Properties.DistributionConfig.Origins[0];
  return origin.DomainName['Fn::GetAtt'][0];
};

describe('console hosting', () => {
  it('keeps the assets in a private, encrypted, TLS-only bucket with access logs', () => {
    const bucket = s.resources[assetsBucketId()]!;
    expect(bucket.Type).toBe('AWS::S3::Bucket');
    expect(bucket.Properties).toMatchObject({
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
      LoggingConfiguration: { LogFilePrefix: 'assets/' },
    });
    const policy = s.ofType('AWS::S3::BucketPolicy').find(([, p]) => p.Properties.Bucket.Ref === assetsBucketId())![1];
    const statements = policy.Properties.PolicyDocument.Statement as Json[];
    expect(statements).toContainEqual(expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }));
    // Only CloudFront, and only on behalf of this distribution, may read the objects.
    const reads = statements.filter((st) => st.Effect === 'Allow');
    expect(reads).toHaveLength(1);
    expect(reads[0]).toMatchObject({
      Action: 's3:GetObject',
      Principal: { Service: 'cloudfront.amazonaws.com' },
      Condition: { StringEquals: { 'AWS:SourceArn': expect.objectContaining({ 'Fn::Join': expect.anything() }) } },
    });
  });

  it('serves it over HTTPS from CloudFront through Origin Access Control, with a content security policy and logs', () => {
    const [, dist] = distribution();
    const config = dist.Properties.DistributionConfig;
    expect(config).toMatchObject({ DefaultRootObject: 'index.html', Enabled: true, Logging: { Prefix: 'cloudfront/' } });
    expect(config.DefaultCacheBehavior).toMatchObject({ ViewerProtocolPolicy: 'redirect-to-https', AllowedMethods: ['GET', 'HEAD'] });
    expect(config.Origins[0].OriginAccessControlId).toBeDefined();
    s.template.hasResourceProperties('AWS::CloudFront::OriginAccessControl', {
      OriginAccessControlConfig: Match.objectLike({ OriginAccessControlOriginType: 's3', SigningBehavior: 'always', SigningProtocol: 'sigv4' }),
    });
    const [, headers] = s.ofType('AWS::CloudFront::ResponseHeadersPolicy')[0]!;
    const security = headers.Properties.ResponseHeadersPolicyConfig.SecurityHeadersConfig;
    expect(security.FrameOptions.FrameOption).toBe('DENY');
    expect(security.StrictTransportSecurity.AccessControlMaxAgeSec).toBe(365 * 24 * 3600);
    const csp = JSON.stringify(security.ContentSecurityPolicy.ContentSecurityPolicy);
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    // connect-src names the API's stage and the hosted UI's domain.
    expect(csp).toMatch(/connect-src 'self' .*execute-api/);
    expect(csp).toContain('auth.');
  });

  it('deploys the built files and a config.json with the API URL and the hosted UI settings, then invalidates the cache', () => {
    const [, deployment] = s.ofType('Custom::CDKBucketDeployment')[0]!;
    expect(deployment.Properties).toMatchObject({
      DestinationBucketName: { Ref: assetsBucketId() },
      DistributionId: { Ref: distribution()[0] },
      DistributionPaths: ['/*'],
      Prune: true,
    });
    // Two sources: the esbuild bundle, and config.json (whose tokens CloudFormation fills in at deploy time).
    expect(deployment.Properties.SourceObjectKeys).toHaveLength(2);
    const markers = JSON.stringify(deployment.Properties.SourceMarkers ?? []);
    for (const reference of ['ApiHttpApi', 'AuthUserPoolHostedUi', 'AuthUserPoolApiClient', 'ConsoleDistribution']) expect(markers).toContain(reference);
  });

  it('signs in with the API\'s app client through the hosted UI: code flow, the console URL as callback, no secret', () => {
    const [clientId, client] = s.ofType('AWS::Cognito::UserPoolClient')[0]!;
    expect(client.Properties).toMatchObject({ AllowedOAuthFlows: ['code'], AllowedOAuthFlowsUserPoolClient: true, GenerateSecret: false, SupportedIdentityProviders: ['COGNITO'] });
    expect(client.Properties.AllowedOAuthScopes).toEqual(expect.arrayContaining(['openid', 'email', 'profile']));
    const callback = JSON.stringify(client.Properties.CallbackURLs);
    expect(callback).toContain(distribution()[0]);
    s.template.hasResourceProperties('AWS::Cognito::UserPoolDomain', { Domain: Match.anyValue(), UserPoolId: Match.anyValue() });
    // The same client is the API's JWT audience, so the console's ID tokens are accepted.
    s.template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', { JwtConfiguration: Match.objectLike({ Audience: [{ Ref: clientId }] }) });
    expect(Object.keys(s.outputs)).toContain('ConsoleUrl');
  });
});

describe('the asset bundling (console/build.ts, run by the asset\'s local bundler at synth)', () => {
  it('writes index.html at the root and the bundle under console/, as the local gateway serves them', () => {
    const out = mkdtempSync(join(tmpdir(), 'console-assets-'));
    try {
      writeConsoleSync(out);
      expect(readFileSync(join(out, 'index.html'), 'utf8')).toContain('/console/app.js');
      for (const file of ['console/app.js', 'console/app.css']) expect(existsSync(join(out, file)), file).toBe(true);
      // Type-only contract imports stay out of the browser bundle: no zod in it.
      expect(readFileSync(join(out, 'console/app.js'), 'utf8')).not.toMatch(/ZodError|\$ZodType/);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});

describe('console hosting with an external issuer', () => {
  it('takes pasted tokens: no user pool, no hosted UI, config.json in token mode', () => {
    const external = synthesize({ ...IMPORT_MODE, jwtIssuer: 'https://issuer.example.com/', jwtAudience: 'gpu-api' });
    external.template.resourceCountIs('AWS::Cognito::UserPoolDomain', 0);
    external.template.resourceCountIs('AWS::CloudFront::Distribution', 1);
    const [, deployment] = external.ofType('Custom::CDKBucketDeployment')[0]!;
    expect(JSON.stringify(deployment.Properties.SourceMarkers ?? [])).not.toContain('HostedUi');
  });
});
