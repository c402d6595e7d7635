/**
 * Who may call the API: the issuer and audience of the bearer JWTs the HTTP API's authorizer
 * accepts. Either an OpenID Connect issuer of the operator's choice (context `jwtIssuer` and
 * `jwtAudience`), or by default a Cognito user pool made here.
 *
 * The handlers read three claims (functions/commons/http.ts): `org_id`, `project_ids` (space or
 * comma separated, or `*`) and `role` (admin, editor, viewer). An external issuer puts them in
 * its tokens directly. Cognito, without a pre-token-generation trigger, can only carry them as
 * custom attributes, which appear in the ID token as `custom:org_id`, `custom:project_ids` and
 * `custom:role`; the handlers read either spelling. Only administrators set them
 * (AdminCreateUser / AdminUpdateUserAttributes): the app client may read but not write them, so
 * users cannot grant themselves another organisation.
 */
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import { Construct } from 'constructs';

export interface ApiAuthProps {
  readonly prefix: string;
  /** An external OIDC issuer; when absent, a Cognito user pool is created. */
  readonly external?: { readonly issuer: string; readonly audience: string };
  /**
   * The web console's URL (infra/constructs/console.ts): the app client then also signs in
   * through the hosted UI (authorization code + PKCE, no client secret) with it as callback.
   */
  readonly consoleUrl?: string;
}

/** The claims the handlers authorise with, as Cognito custom attributes (`custom:<name>` in the ID token). */
export const TENANT_ATTRIBUTES = {
  org_id: new cognito.StringAttribute({ minLen: 1, maxLen: 64, mutable: true }),
  project_ids: new cognito.StringAttribute({ minLen: 1, maxLen: 2048, mutable: true }),
  role: new cognito.StringAttribute({ minLen: 1, maxLen: 16, mutable: true }),
} as const;

export class ApiAuth extends Construct {
  /** `iss` of the accepted tokens. */
  readonly issuer: string;
  /** `aud` (or, for Cognito access tokens, `client_id`) the tokens must carry. */
  readonly audience: string;
  readonly userPool?: cognito.UserPool;
  readonly userPoolClient?: cognito.UserPoolClient;
  /** `https://<prefix>.auth.<region>.amazoncognito.com`: the hosted UI, when there is a console. */
  readonly hostedUiUrl?: string;

  constructor(scope: Construct, id: string, props: ApiAuthProps) {
    super(scope, id);
    if (props.external) {
      this.issuer = props.external.issuer;
      this.audience = props.external.audience;
      return;
    }

    const userPool = new cognito.UserPool(this, 'UserPool', {
      userPoolName: `${props.prefix}-users`,
      // Administrators create the users and set their tenant attributes; nobody signs up alone.
      selfSignUpEnabled: false,
      signInAliases: { email: true },
      signInCaseSensitive: false,
      standardAttributes: { email: { required: true, mutable: true } },
      customAttributes: { ...TENANT_ATTRIBUTES },
      mfa: cognito.Mfa.REQUIRED,
      mfaSecondFactor: { otp: true, sms: false },
      passwordPolicy: {
        minLength: 14,
        requireLowercase: true,
        requireUppercase: true,
        requireDigits: true,
        requireSymbols: true,
        tempPasswordValidity: Duration.days(3),
      },
      accountRecovery: cognito.AccountRecovery.EMAIL_ONLY,
      // Plus: threat protection (compromised credentials, risky sign-ins) enforced.
      featurePlan: cognito.FeaturePlan.PLUS,
      standardThreatProtectionMode: cognito.StandardThreatProtectionMode.FULL_FUNCTION,
      // The users and their tenant attributes are durable state, like the table.
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    const tenantAttributes = Object.keys(TENANT_ATTRIBUTES);
    const userPoolClient = userPool.addClient('ApiClient', {
      userPoolClientName: `${props.prefix}-api`,
      generateSecret: false,
      // USER_PASSWORD_AUTH for the CLI walk-through in docs/deploy.md; SRP for SDK clients.
      authFlows: { userPassword: true, userSrp: true },
      // The console signs in through the hosted UI with the same client, so its ID tokens carry this audience.
      ...(props.consoleUrl
        ? {
            oAuth: {
              flows: { authorizationCodeGrant: true },
              scopes: [cognito.OAuthScope.OPENID, cognito.OAuthScope.EMAIL, cognito.OAuthScope.PROFILE],
              callbackUrls: [props.consoleUrl],
              logoutUrls: [props.consoleUrl],
            },
            supportedIdentityProviders: [cognito.UserPoolClientIdentityProvider.COGNITO],
          }
        : { disableOAuth: true }),
      preventUserExistenceErrors: true,
      enableTokenRevocation: true,
      idTokenValidity: Duration.hours(1),
      accessTokenValidity: Duration.hours(1),
      refreshTokenValidity: Duration.days(30),
      readAttributes: new cognito.ClientAttributes()
        .withStandardAttributes({ email: true, emailVerified: true })
        .withCustomAttributes(...tenantAttributes),
      // Not the tenant attributes: only AdminUpdateUserAttributes may change those.
      writeAttributes: new cognito.ClientAttributes().withStandardAttributes({ email: true }),
    });

    if (props.consoleUrl) {
      // Globally unique per region: the prefix and the account.
      const domain = userPool.addDomain('HostedUi', { cognitoDomain: { domainPrefix: `${props.prefix}-${Stack.of(this).account}` } });
      this.hostedUiUrl = domain.baseUrl();
    }
    this.userPool = userPool;
    this.userPoolClient = userPoolClient;
    this.issuer = `https://cognito-idp.${Stack.of(this).region}.amazonaws.com/${userPool.userPoolId}`;
    this.audience = userPoolClient.userPoolClientId;
  }
}
