/**
 * Applies the cluster bootstrap (contract/cluster-manifests.ts) from the stack, so no
 * person has to apply RBAC by hand before the first deploy (aws-review M1).
 *
 * - New cluster: through the aws-eks-v2 cluster's kubectl provider, a Lambda-backed custom
 *   resource that runs `kubectl apply` with the layer of @aws-cdk/lambda-layer-kubectl-v35.
 *   aws-eks-v2 gives the provider's role its own access entry with AmazonEKSClusterAdminPolicy,
 *   so a cluster admin always exists; the provider runs in the cluster's private subnets with
 *   the cluster security group, so `clusterEndpointPublicCidrs` cannot lock it out.
 * - Imported cluster: this stack does not own it (its authentication mode, admins and existing
 *   RBAC are someone else's), and giving a custom resource cluster-admin on it through a new
 *   access entry would be an escalation the cluster's owner should decide on. The same objects
 *   are therefore a documented one-time step: `npm run -s cluster-manifests | kubectl apply -f -`
 *   by one of its admins (docs/deploy.md); synth warns until then.
 */
import { KubectlV35Layer } from '@aws-cdk/lambda-layer-kubectl-v35';
import { Annotations, Stack } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
// Not re-exported by cdk-nag's index; spells the finding ids exactly as cdk-nag does (as infra/nag.ts).
import { flattenCfnReference } from 'cdk-nag/lib/utils/flatten-cfn-reference.js';
import { Construct } from 'constructs';
import { clusterBootstrapManifests } from '../../contract/cluster-manifests';
import { acknowledgeRule, acknowledgeWildcardResources } from '../nag';

/**
 * The kubectl provider of a new cluster (the one-line hook in NewGpuCluster's `eks.Cluster`
 * props): kubectl layer, and the private subnets where it reaches the private endpoint.
 */
export const bootstrapKubectlProvider = (scope: Construct, vpc: ec2.IVpc): eks.KubectlProviderOptions => ({
  kubectlLayer: new KubectlV35Layer(scope, 'KubectlLayer'),
  privateSubnets: vpc.privateSubnets,
});

export interface ClusterBootstrapProps {
  /** The new cluster (with its kubectl provider), or undefined for an imported cluster. */
  readonly cluster: eks.Cluster | undefined;
  readonly modelNamespace: string;
  /** The IAM principal given cluster-admin for people (new cluster only). */
  readonly adminPrincipalArn?: string;
}

export class ClusterBootstrap extends Construct {
  /** The applied objects in order (the namespace first). */
  readonly manifests: eks.KubernetesManifest[] = [];

  constructor(scope: Construct, id: string, props: ClusterBootstrapProps) {
    super(scope, id);
    const objects = clusterBootstrapManifests(props.modelNamespace);
    if (!props.cluster) {
      Annotations.of(this).addWarningV2(
        'gpu-control-plane:clusterBootstrap',
        `The cluster is imported: an admin of it must apply the cluster bootstrap once (namespace ${props.modelNamespace}, the ` +
          'workflow ClusterRole, the model-cache-gp3 StorageClass, the default-deny NetworkPolicy): ' +
          '`npm run -s cluster-manifests -- --namespace ' + props.modelNamespace + ' | kubectl apply -f -`. Until then deploys fail at the node check with 403.',
      );
      return;
    }
    const cluster = props.cluster;
    if (!cluster.kubectlProvider) {
      throw new Error('ClusterBootstrap needs the cluster created with kubectlProviderOptions (bootstrapKubectlProvider in infra/constructs/cluster.ts).');
    }
    if (!props.adminPrincipalArn) {
      Annotations.of(this).addWarningV2(
        'gpu-control-plane:clusterAdmin',
        'No clusterAdminPrincipalArn: the stack applies its own RBAC through the kubectl provider (which EKS admits as cluster-admin), ' +
          'but no person can use kubectl on the cluster until an access entry is created for them. Set -c clusterAdminPrincipalArn=<role ARN>.',
      );
    }
    // The namespace first: the NetworkPolicy lives in it.
    const [namespace, ...rest] = objects;
    if (!namespace) throw new Error('cluster bootstrap has no namespace');
    const namespaceManifest = new eks.KubernetesManifest(this, 'Namespace', { cluster, manifest: [namespace], overwrite: true });
    // overwrite: clusters set up by the manual steps of earlier releases already hold these objects.
    const objectsManifest = new eks.KubernetesManifest(this, 'Objects', { cluster, manifest: rest, overwrite: true });
    objectsManifest.node.addDependency(namespaceManifest);
    this.manifests.push(namespaceManifest, objectsManifest);

    this.acknowledgeKubectlProvider(cluster);
  }

  /**
   * The kubectl provider's functions and roles are made by aws-eks-v2 and its custom-resource
   * framework, which attach AWS managed policies and a version wildcard the stack cannot change.
   */
  private acknowledgeKubectlProvider(cluster: eks.Cluster): void {
    const provider = cluster.node.tryFindChild('KubectlProvider');
    if (!provider) return;
    acknowledgeRule(
      provider,
      'L1',
      'aws-eks-v2 chooses the runtimes of its kubectl handler and provider framework functions itself; the stack cannot set them, ' +
        'and a newer aws-cdk-lib brings newer ones.',
    );
    const stack = Stack.of(this);
    for (const role of provider.node.findAll().filter((c): c is iam.CfnRole => c instanceof iam.CfnRole)) {
      const arns = stack.resolve(role.managedPolicyArns) as unknown[] | undefined;
      for (const arn of arns ?? []) {
        acknowledgeRule(
          role,
          `IAM4[Policy::${flattenCfnReference(arn)}]`,
          'Attached by aws-eks-v2 to the kubectl provider it creates (Lambda logging, VPC ENIs, pulling the kubectl layer images); ' +
            'the construct offers no way to replace them, and the provider only runs during deployments.',
        );
      }
    }
    const handler = provider.node.tryFindChild('Handler');
    if (handler instanceof lambda.Function) {
      acknowledgeWildcardResources(
        provider,
        [`${handler.functionArn}:*`],
        'The custom-resource framework of aws-eks-v2 invokes any version of its own kubectl handler function; the wildcard is only the version suffix.',
      );
    }
  }
}
