import { Annotations, Stack, Token } from 'aws-cdk-lib';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { VLLM_IMAGE } from '../../functions/domain/manifests';
import { acknowledgeWildcardResources } from '../nag';

/** Docker Hub as ECR's pull-through cache names it (CreatePullThroughCacheRule's upstreamRegistry and URL). */
export const DOCKER_HUB = { upstreamRegistry: 'docker-hub', upstreamRegistryUrl: 'registry-1.docker.io' } as const;

/** The environment variable that carries the serving image to the functions (functions/adapters/serving-image.ts). */
export const SERVING_IMAGE_VARIABLE = 'VLLM_IMAGE';

/**
 * The functions that render model manifests or show the serving image (the functions whose
 * entry imports functions/adapters/serving-image.ts; test/infra/image-cache.test.ts walks the
 * imports to keep this list complete).
 */
export const SERVING_IMAGE_FUNCTIONS = ['apply-workload', 'create-deployment', 'deploy-yaml', 'list-recipes'] as const;

/**
 * The actions a pulling principal needs beyond ECR read access when the cached repository or
 * tag does not exist yet: ECR creates the repository and imports the image as that principal.
 */
export const PULL_THROUGH_ACTIONS = ['ecr:BatchImportUpstreamImage', 'ecr:CreateRepository'] as const;

/** CreatePullThroughCacheRule's credentialArn pattern: the secret's name must start with `ecr-pullthroughcache/`. */
export const PULL_THROUGH_SECRET_ARN = /^arn:aws[a-z-]*:secretsmanager:([a-z0-9-]+):(\d{12}):secret:ecr-pullthroughcache\/[a-zA-Z0-9/_+=.@-]+$/;
/** ecrRepositoryPrefix: 2-30 characters, lower-case path segments. */
export const REPOSITORY_PREFIX = /^(?=.{2,30}$)(?:[a-z0-9]+(?:[._-][a-z0-9]+)*\/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$/;

/**
 * A Docker Hub reference as a path below the cache prefix: Docker Hub's official images live
 * under `library/` (`ubuntu:24.04` is `library/ubuntu:24.04`), organisation images such as
 * `vllm/vllm-openai` keep their path.
 */
export const dockerHubPath = (image: string): string => {
  const withoutHost = image.replace(/^(docker\.io|index\.docker\.io|registry-1\.docker\.io)\//, '');
  const name = withoutHost.split(/[:@]/, 1)[0]!;
  return name.includes('/') ? withoutHost : `library/${withoutHost}`;
};

export interface ServingImageCacheProps {
  /**
   * ARN of the Secrets Manager secret (named `ecr-pullthroughcache/…`, same account and region)
   * holding the Docker Hub `username` and `accessToken`. ECR caches Docker Hub only as an
   * authenticated upstream; without the secret there is no cache and the nodes pull the image
   * anonymously from Docker Hub.
   */
  readonly credentialArn?: string;
  /** Repository prefix of the cached images (ecrRepositoryPrefix). */
  readonly repositoryPrefix: string;
  /** The image as Docker Hub names it. */
  readonly upstreamImage?: string;
}

/**
 * An ECR pull-through cache for Docker Hub and the serving image behind it. GPU nodes share one
 * NAT address, and Docker Hub limits anonymous pulls per IPv4 address: a scale-out of several
 * GPU nodes, each pulling the ~10 GB vLLM image, runs into `toomanyrequests`. Through the cache
 * the nodes pull from ECR in the region (no Docker Hub limit), and ECR fetches each image from
 * Docker Hub once, authenticated, re-checking it at most once a day.
 */
export class ServingImageCache extends Construct {
  /** The image the model pods run: the cached copy, or the Docker Hub reference without a cache. */
  readonly servingImage: string;
  readonly rule?: ecr.CfnPullThroughCacheRule;
  readonly repositoryPrefix: string;
  /** ARN pattern of the repositories the cache creates. */
  readonly repositoryArns: string;

  constructor(scope: Construct, id: string, props: ServingImageCacheProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const upstreamImage = props.upstreamImage ?? VLLM_IMAGE;
    this.repositoryPrefix = props.repositoryPrefix;
    this.repositoryArns = stack.formatArn({ service: 'ecr', resource: 'repository', resourceName: `${props.repositoryPrefix}/*` });

    if (props.credentialArn === undefined) {
      this.servingImage = upstreamImage;
      Annotations.of(this).addWarningV2(
        'gpu-control-plane:noImageCache',
        `No context value dockerHubCredentialsSecretArn: GPU nodes pull ${upstreamImage} anonymously from Docker Hub, whose per-IP pull limit a ` +
          'scale-out through the shared NAT address can exceed (docs/deploy.md, "Serving image cache").',
      );
      return;
    }
    checkSecretLocation(stack, props.credentialArn);

    this.rule = new ecr.CfnPullThroughCacheRule(this, 'DockerHub', {
      ecrRepositoryPrefix: props.repositoryPrefix,
      upstreamRegistry: DOCKER_HUB.upstreamRegistry,
      upstreamRegistryUrl: DOCKER_HUB.upstreamRegistryUrl,
      credentialArn: props.credentialArn,
    });
    // Re-synced tags leave their old image untagged; a cached image that expires is fetched again on the next pull.
    new ecr.CfnRepositoryCreationTemplate(this, 'RepositoryTemplate', {
      prefix: props.repositoryPrefix,
      appliedFor: ['PULL_THROUGH_CACHE'],
      description: 'Docker Hub images cached for the GPU model nodes',
      lifecyclePolicy: JSON.stringify({
        rules: [
          {
            rulePriority: 1,
            description: 'Expire images a re-synced tag no longer names',
            selection: { tagStatus: 'untagged', countType: 'sinceImagePushed', countUnit: 'days', countNumber: 7 },
            action: { type: 'expire' },
          },
        ],
      }),
    });
    this.servingImage = `${stack.account}.dkr.ecr.${stack.region}.${stack.urlSuffix}/${props.repositoryPrefix}/${dockerHubPath(upstreamImage)}`;
  }

  /**
   * Lets a pulling principal (a node role) fill the cache: the first pull of a repository or tag
   * creates the repository and imports the image as that principal. Reading it needs
   * AmazonEC2ContainerRegistryReadOnly, which EKS node roles carry anyway.
   */
  grantPullThrough(role: iam.IRole): void {
    if (!this.rule) return;
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: [...PULL_THROUGH_ACTIONS], resources: [this.repositoryArns] }));
    acknowledgeWildcardResources(
      role,
      [this.repositoryArns],
      'The pull-through cache creates one repository per cached Docker Hub image below its prefix; the grant is scoped to that prefix.',
    );
  }
}

/** ECR refuses a secret from another account or region; say so at synth rather than at deploy. */
const checkSecretLocation = (stack: Stack, arn: string): void => {
  const match = PULL_THROUGH_SECRET_ARN.exec(arn);
  if (!match) {
    throw new Error(
      `Context value dockerHubCredentialsSecretArn=${JSON.stringify(arn)} is invalid: expected the ARN of a Secrets Manager secret whose name ` +
        'starts with ecr-pullthroughcache/ (ECR reads pull-through credentials only from such secrets).',
    );
  }
  const [, region, account] = match;
  for (const [what, expected, actual] of [['region', stack.region, region], ['account', stack.account, account]] as const) {
    if (!Token.isUnresolved(expected) && expected !== actual) {
      throw new Error(`Context value dockerHubCredentialsSecretArn names a secret in ${what} ${actual}; ECR needs it in the stack's ${what} ${expected}.`);
    }
  }
};
