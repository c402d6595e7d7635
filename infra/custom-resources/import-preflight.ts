/**
 * Custom resource of the import mode: before any access entry is created on an existing
 * cluster, checks the two assumptions the control plane makes about it, and fails the deploy
 * with a message that says what to change:
 * - authentication mode API or API_AND_CONFIG_MAP (access entries do not exist in CONFIG_MAP);
 * - an API endpoint the functions can reach: the private endpoint from the cluster's VPC when the
 *   functions run in a VPC (context functionVpcId / functionSubnetIds), else a public endpoint
 *   open to any address (Lambda's egress addresses outside a VPC are neither fixed nor published).
 */
import { DescribeClusterCommand, EKSClient } from '@aws-sdk/client-eks';
import { customResourceHandler, stringProperty, type CustomResourceEvent } from './cfn-response';

const eks = new EKSClient({ maxAttempts: 5 });

export interface ClusterFacts {
  readonly authenticationMode?: string;
  readonly endpointPublicAccess?: boolean;
  readonly endpointPrivateAccess?: boolean;
  readonly publicAccessCidrs?: readonly string[];
  readonly vpcId?: string;
}

/** What stops the control plane from working with the cluster; empty when nothing does. */
export const preflightProblems = (clusterName: string, facts: ClusterFacts, functionVpcId: string | undefined): string[] => {
  const problems: string[] = [];
  if (facts.authenticationMode !== 'API' && facts.authenticationMode !== 'API_AND_CONFIG_MAP') {
    problems.push(
      `cluster ${clusterName} authenticates with ${facts.authenticationMode ?? 'CONFIG_MAP'} only, so the stack's access entries cannot work; run ` +
        `aws eks update-cluster-config --name ${clusterName} --access-config authenticationMode=API_AND_CONFIG_MAP`,
    );
  }
  if (functionVpcId) {
    if (!facts.endpointPrivateAccess) {
      problems.push(
        `the functions run in ${functionVpcId} but cluster ${clusterName} has no private endpoint; run ` +
          `aws eks update-cluster-config --name ${clusterName} --resources-vpc-config endpointPrivateAccess=true`,
      );
    }
    if (facts.vpcId !== functionVpcId) {
      problems.push(`the functions run in ${functionVpcId} but cluster ${clusterName} is in ${facts.vpcId}; give the cluster's VPC in context functionVpcId`);
    }
  } else if (!facts.endpointPublicAccess || !(facts.publicAccessCidrs ?? []).includes('0.0.0.0/0')) {
    problems.push(
      `the functions run outside any VPC, so they reach cluster ${clusterName} only through a public endpoint open to 0.0.0.0/0 ` +
        `(it allows ${facts.endpointPublicAccess ? (facts.publicAccessCidrs ?? []).join(', ') : 'no public access'}); ` +
        'put the functions in the cluster VPC with context functionVpcId, functionSubnetIds and functionSecurityGroupIds (docs/deploy.md)',
    );
  }
  return problems;
};

const check = async (event: CustomResourceEvent) => {
  const clusterName = stringProperty(event, 'ClusterName');
  const physicalResourceId = `${clusterName}/preflight`;
  if (event.RequestType === 'Delete') return { physicalResourceId: event.PhysicalResourceId ?? physicalResourceId };
  const functionVpcId = typeof event.ResourceProperties.FunctionVpcId === 'string' ? event.ResourceProperties.FunctionVpcId : undefined;
  const { cluster } = await eks.send(new DescribeClusterCommand({ name: clusterName }));
  const problems = preflightProblems(
    clusterName,
    {
      authenticationMode: cluster?.accessConfig?.authenticationMode,
      endpointPublicAccess: cluster?.resourcesVpcConfig?.endpointPublicAccess,
      endpointPrivateAccess: cluster?.resourcesVpcConfig?.endpointPrivateAccess,
      publicAccessCidrs: cluster?.resourcesVpcConfig?.publicAccessCidrs,
      vpcId: cluster?.resourcesVpcConfig?.vpcId,
    },
    functionVpcId || undefined,
  );
  if (problems.length > 0) throw new Error(`Import preflight failed: ${problems.join('; ')}.`);
  return { physicalResourceId, data: { ClusterSecurityGroupId: cluster?.resourcesVpcConfig?.clusterSecurityGroupId ?? '' } };
};

export const handler = customResourceHandler(check);
