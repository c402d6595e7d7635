/**
 * The web console in AWS: the bundle (console/build.ts) in a private S3 bucket, served by a
 * CloudFront distribution through Origin Access Control, and a `console/config.json` beside it
 * that tells the app where the API is and how to sign in (the user pool's hosted UI, code flow
 * with PKCE; infra/constructs/auth.ts adds the console's URL as the app client's callback).
 *
 * Two steps, because the API's JWT audience is the app client whose callback is this
 * distribution's URL: the distribution first (`url`), the files once the API exists (`publish`).
 */
import { CfnOutput, DockerImage, Duration, Lazy, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3deploy from 'aws-cdk-lib/aws-s3-deployment';
import { Construct } from 'constructs';
import { join } from 'node:path';
import { writeConsoleSync } from '../../console/build';
import { PROJECT_ROOT } from '../bundling';
import { acknowledgeRule } from '../nag';

export interface ConsoleHostingProps {
  readonly prefix: string;
}

/** How the console signs in, written into its config.json (console/src/auth.ts reads it). */
export type ConsoleAuth =
  | { readonly mode: 'cognito'; readonly domain: string; readonly clientId: string }
  /** An external OIDC issuer: the console takes a pasted token. */
  | { readonly mode: 'token' };

export class ConsoleHosting extends Construct {
  readonly bucket: s3.Bucket;
  readonly distribution: cloudfront.Distribution;
  /** `https://<distribution>/`: the console, and the sign-in callback. */
  readonly url: string;
  private apiUrl: string | undefined;
  private authDomain: string | undefined;

  constructor(scope: Construct, id: string, props: ConsoleHostingProps) {
    super(scope, id);

    // One log bucket for the site bucket's access logs and CloudFront's standard logs (which need ACLs).
    const logs = new s3.Bucket(this, 'Logs', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
      lifecycleRules: [{ expiration: Duration.days(90) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    acknowledgeRule(logs, 'S1', 'This is the access-log bucket of the console bucket and of its CloudFront distribution; logging it into itself would loop.');

    this.bucket = new s3.Bucket(this, 'Assets', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      versioned: false,
      serverAccessLogsBucket: logs,
      serverAccessLogsPrefix: 'assets/',
      // Kept on stack deletion like the logs: CloudFormation cannot delete a non-empty bucket, and
      // emptying it would take one more custom resource for files any deploy rebuilds.
      removalPolicy: RemovalPolicy.RETAIN,
    });

    const region = Stack.of(this).region;
    const headers = new cloudfront.ResponseHeadersPolicy(this, 'SecurityHeaders', {
      responseHeadersPolicyName: `${props.prefix}-console-headers`,
      securityHeadersBehavior: {
        // The app calls only the API and, to sign in, the user pool's domain; it loads nothing from elsewhere.
        contentSecurityPolicy: {
          override: true,
          contentSecurityPolicy: Lazy.string({
            produce: () =>
              [
                "default-src 'self'",
                "script-src 'self'",
                "style-src 'self'",
                "img-src 'self' data:",
                `connect-src 'self' ${this.apiUrl ?? ''} ${this.authDomain ?? ''} https://cognito-idp.${region}.amazonaws.com`.replace(/\s+/g, ' ').trim(),
                "frame-ancestors 'none'",
                "base-uri 'none'",
                "form-action 'self'",
              ].join('; '),
          }),
        },
        contentTypeOptions: { override: true },
        frameOptions: { frameOption: cloudfront.HeadersFrameOption.DENY, override: true },
        referrerPolicy: { referrerPolicy: cloudfront.HeadersReferrerPolicy.NO_REFERRER, override: true },
        strictTransportSecurity: { accessControlMaxAge: Duration.days(365), includeSubdomains: true, override: true },
      },
    });

    this.distribution = new cloudfront.Distribution(this, 'Distribution', {
      comment: `${props.prefix} web console`,
      defaultRootObject: 'index.html',
      defaultBehavior: {
        origin: origins.S3BucketOrigin.withOriginAccessControl(this.bucket),
        viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        allowedMethods: cloudfront.AllowedMethods.ALLOW_GET_HEAD,
        cachePolicy: cloudfront.CachePolicy.CACHING_OPTIMIZED,
        responseHeadersPolicy: headers,
      },
      httpVersion: cloudfront.HttpVersion.HTTP2_AND_3,
      priceClass: cloudfront.PriceClass.PRICE_CLASS_100,
      enableLogging: true,
      logBucket: logs,
      logFilePrefix: 'cloudfront/',
    });
    acknowledgeRule(
      this.distribution,
      'CFR1',
      'The console is static files for the operator\'s users wherever they are; who may act is decided by the API\'s JWT authorizer, not by country.',
    );
    acknowledgeRule(
      this.distribution,
      'CFR2',
      'It serves only static, public files (no data, no writes); the API behind it has its own throttling, and a WAF web ACL for CloudFront must live in us-east-1.',
    );
    acknowledgeRule(
      this.distribution,
      'CFR4',
      'It uses the cloudfront.net default certificate, which CloudFront serves with its own TLS policy; a custom domain would bring an ACM certificate and minimumProtocolVersion TLSv1.2_2021 (docs/console.md).',
    );
    this.url = `https://${this.distribution.distributionDomainName}/`;
    new CfnOutput(Stack.of(this), 'ConsoleUrl', { value: this.url, description: 'The web console (docs/console.md)' });
  }

  /** Uploads the bundle and its config.json, and invalidates the distribution's cache. */
  publish(props: { apiUrl: string; auth: ConsoleAuth }): void {
    this.apiUrl = props.apiUrl;
    const config =
      props.auth.mode === 'cognito'
        ? { apiUrl: props.apiUrl, auth: { mode: 'cognito', domain: props.auth.domain, clientId: props.auth.clientId, redirectUri: this.url, scopes: ['openid', 'email', 'profile'] } }
        : { apiUrl: props.apiUrl, auth: { mode: 'token' } };
    if (props.auth.mode === 'cognito') this.authDomain = props.auth.domain;

    const bundle = s3deploy.Source.asset(join(PROJECT_ROOT, 'console'), {
      exclude: ['tsconfig.json'],
      bundling: {
        // esbuild runs in-process (console/build.ts); the image is never pulled.
        image: DockerImage.fromRegistry('public.ecr.aws/docker/library/node:24-alpine'),
        local: { tryBundle: (outputDir) => (writeConsoleSync(outputDir), true) },
      },
    });
    const deployment = new s3deploy.BucketDeployment(this, 'Files', {
      sources: [bundle, s3deploy.Source.jsonData('console/config.json', config)],
      destinationBucket: this.bucket,
      distribution: this.distribution,
      distributionPaths: ['/*'],
      prune: true,
      memoryLimit: 512,
    });
    this.acknowledgeDeploymentHandler(deployment);
  }

  /**
   * BucketDeployment's handler (a singleton function aws-cdk-lib creates, with its own role) only
   * runs while CloudFormation deploys: it copies the asset from the CDK staging bucket into the
   * console bucket and invalidates the distribution. Its grants are the construct's own.
   */
  private acknowledgeDeploymentHandler(deployment: s3deploy.BucketDeployment): void {
    const role = deployment.handlerRole;
    const stack = Stack.of(this);
    acknowledgeRule(
      role,
      'IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      'Attached by aws-cdk-lib\'s BucketDeployment to its deploy-time handler for its logs; the construct offers no way to replace it.',
    );
    for (const action of ['s3:GetBucket*', 's3:GetObject*', 's3:List*', 's3:Abort*', 's3:DeleteObject*']) {
      acknowledgeRule(role, `IAM5[Action::${action}]`, 'BucketDeployment\'s own read grant on the CDK asset bucket and read-write grant on the console bucket (prune deletes old files).');
    }
    for (const resource of [
      // cdk-nag prints partition, account and region as written: tokens unless the stack's env names them.
      `arn:${Token.isUnresolved(stack.partition) ? '<AWS::Partition>' : stack.partition}:s3:::cdk-hnb659fds-assets-${Token.isUnresolved(stack.account) ? '<AWS::AccountId>' : stack.account}-${Token.isUnresolved(stack.region) ? '<AWS::Region>' : stack.region}/*`,
      `<${stack.getLogicalId(this.bucket.node.defaultChild as s3.CfnBucket)}.Arn>/*`,
      '*',
    ]) {
      acknowledgeRule(
        role,
        `IAM5[Resource::${resource}]`,
        'BucketDeployment reads the asset objects and writes the console bucket\'s objects; "*" is its cloudfront:CreateInvalidation grant, which it does not scope.',
      );
    }
    const handler = stack.node.children.find((child) => child.node.id.startsWith('Custom::CDKBucketDeployment'));
    if (handler) {
      acknowledgeRule(handler, 'L1', 'aws-cdk-lib\'s BucketDeployment picks its handler\'s runtime itself (it runs the AWS CLI in a layer); a newer aws-cdk-lib brings a newer one.');
    }
  }
}
