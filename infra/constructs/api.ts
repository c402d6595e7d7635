import { RemovalPolicy } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpJwtAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { WorkflowName } from '../../contract/access';
import { ROUTES, type RouteDefinition } from '../../contract/routes';
import { acknowledgeRule } from '../nag';
import type { GpuCluster } from './cluster';
import { ControlPlaneFunction, constructIdFor } from './control-plane-function';
import { HF_TOKEN_SECRET_ACCESS, type GatewaySecret, type HfTokenSecrets } from './secrets';

export interface ControlPlaneApiProps {
  /** Prefix of the API and function names. */
  readonly prefix: string;
  readonly table: dynamodb.ITable;
  /** The state machines routes may start or stop, by workflow. */
  readonly stateMachines: ReadonlyMap<WorkflowName, sfn.StateMachine>;
  /** Issuer (`iss`) of the bearer JWTs; API Gateway fetches its keys from `<issuer>/.well-known/openid-configuration`. */
  readonly jwtIssuer: string;
  /** Audience (`aud`, or `client_id` in a Cognito access token) every token must carry. */
  readonly jwtAudience: string;
  /** The cluster, for the routes that read from Kubernetes (pod logs). */
  readonly cluster: GpuCluster;
  /** The Hugging Face token secrets, for the routes that create or delete them. */
  readonly secrets: HfTokenSecrets;
  /** The inference gateway's master secret, for the routes that read it (`gatewaySecret` access). */
  readonly gatewaySecret: GatewaySecret;
  readonly metricsNamespace: string;
  readonly logLevel?: string;
  /** Stage throttling: steady-state requests per second, and burst. @default 50 and 100 */
  readonly throttle?: { readonly rateLimit: number; readonly burstLimit: number };
}

/** One JSON line per request, with what an operator needs to trace a call to its Lambda invocation. */
const ACCESS_LOG_FORMAT = AccessLogFormat.custom(
  JSON.stringify({
    requestId: '$context.requestId',
    requestTime: '$context.requestTime',
    sourceIp: '$context.identity.sourceIp',
    routeKey: '$context.routeKey',
    path: '$context.path',
    status: '$context.status',
    protocol: '$context.protocol',
    responseLength: '$context.responseLength',
    responseLatency: '$context.responseLatency',
    integrationLatency: '$context.integrationLatency',
    integrationError: '$context.integrationErrorMessage',
    authorizerError: '$context.authorizer.error',
    subject: '$context.authorizer.claims.sub',
  }),
);

/**
 * The HTTP API: one Lambda function per route in contract/routes.ts, every route behind
 * the JWT authorizer except the `public` ones (the OpenAPI document and its page), a throttled `$default` stage with JSON access logs. Each function gets the
 * table access, the StartExecution/StopExecution permissions and the Kubernetes read access its
 * route declares, its part of the token secrets' life cycle, and nothing else.
 */
export class ControlPlaneApi extends Construct {
  readonly httpApi: apigwv2.HttpApi;
  readonly stage: apigwv2.HttpStage;
  /** Route functions by route name. */
  readonly routeFunctions: ReadonlyMap<string, ControlPlaneFunction>;

  constructor(scope: Construct, id: string, props: ControlPlaneApiProps) {
    super(scope, id);

    const authorizer = new HttpJwtAuthorizer('JwtAuthorizer', props.jwtIssuer, {
      authorizerName: `${props.prefix}-jwt`,
      jwtAudience: [props.jwtAudience],
    });
    this.httpApi = new apigwv2.HttpApi(this, 'HttpApi', {
      apiName: `${props.prefix}-api`,
      description: 'GPU model deployment control plane',
      createDefaultStage: false,
      defaultAuthorizer: authorizer,
    });

    const accessLogs = new logs.LogGroup(this, 'AccessLogs', {
      logGroupName: `/aws/vendedlogs/apigateway/${props.prefix}-api`,
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.stage = new apigwv2.HttpStage(this, 'DefaultStage', {
      httpApi: this.httpApi,
      stageName: '$default',
      autoDeploy: true,
      throttle: props.throttle ?? { rateLimit: 50, burstLimit: 100 },
      accessLogSettings: { destination: new apigwv2.LogGroupLogDestination(accessLogs), format: ACCESS_LOG_FORMAT },
    });

    // Public routes (the API's own description, no tenant data) answer without a token.
    const noAuthorizer = new apigwv2.HttpNoneAuthorizer();
    const functions = new Map<string, ControlPlaneFunction>();
    for (const route of ROUTES) {
      const routeId = constructIdFor(route.name);
      const fn = this.routeFunction(route, props);
      const routes = this.httpApi.addRoutes({
        path: route.path,
        methods: [apigwv2.HttpMethod[route.method]],
        integration: new HttpLambdaIntegration(`${routeId}Integration`, fn, {
          payloadFormatVersion: apigwv2.PayloadFormatVersion.VERSION_2_0,
        }),
        authorizer: route.public ? noAuthorizer : authorizer,
      });
      for (const publicRoute of route.public ? routes : []) {
        acknowledgeRule(
          publicRoute,
          'APIG4',
          'Public on purpose: this route serves the API\'s own OpenAPI description (no tenant data, no table read), so clients and tools can read it before they hold a token.',
        );
      }
      functions.set(route.name, fn);
    }
    this.routeFunctions = functions;
  }

  private routeFunction(route: RouteDefinition, props: ControlPlaneApiProps): ControlPlaneFunction {
    const routeId = constructIdFor(route.name);
    const fn = new ControlPlaneFunction(this, routeId, {
      name: route.name,
      entry: route.entry,
      kind: 'api',
      prefix: props.prefix,
      metricsNamespace: props.metricsNamespace,
      logLevel: props.logLevel,
    });
    fn.grantAccess(route.access, props);
    props.secrets.grant(fn, HF_TOKEN_SECRET_ACCESS[route.name] ?? []);
    return fn;
  }

  /** The API's base URL, e.g. `https://abc123.execute-api.us-east-1.amazonaws.com/`. */
  get url(): string {
    return this.stage.url;
  }
}
