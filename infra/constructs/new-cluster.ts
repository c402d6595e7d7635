/**
 * A new VPC and EKS cluster with one managed node group per enabled inventory GPU configuration.
 *
 * - VPC: public and private subnets in the AZ IDs chosen by infra/constructs/gpu-placement.ts
 *   (subnets are created by AZ ID, so no AZ-name mapping per account is needed), NAT for the
 *   nodes (image and weight downloads), flow logs, interface endpoints for the AWS APIs the
 *   in-VPC functions call and a DynamoDB gateway endpoint.
 * - Cluster: access entries only, a private API endpoint (public only from the operator CIDRs
 *   given in context), all control plane logs, Kubernetes secrets encrypted with a customer key.
 *   The functions that call Kubernetes run in the private subnets (infra/stack.ts).
 * - Add-ons: EKS Pod Identity agent; the VPC CNI (network policy enabled) and the EBS CSI driver,
 *   each with its own role through Pod Identity, so the node role keeps only what a node needs.
 * - Nodes: infra/constructs/gpu-node-groups.ts; a small system group for the add-ons. Every node
 *   gets IMDSv2 with hop limit 1.
 */
import { Annotations, Fn, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { acknowledgeRule } from '../nag';
import { bootstrapKubectlProvider } from './cluster-bootstrap';
import { GpuCluster, eksAccessPolicyArn, inventoryGpuConfigs, type GpuClusterProps } from './cluster';
import type { FunctionNetwork } from './control-plane-function';
import { GpuNodeGroups, NODE_METADATA_OPTIONS } from './gpu-node-groups';
import { chooseVpcAzIds, placeGpuConfigs, type InstanceTypeOfferings } from './gpu-placement';

export interface NewGpuClusterProps extends GpuClusterProps {
  readonly clusterName: string;
  /** Kubernetes minor version, e.g. `1.34`. */
  readonly kubernetesVersion: string;
  /** NAT gateways of the new VPC (1 saves cost, one per AZ survives an AZ outage). */
  readonly natGateways: number;
  /** Operator CIDR blocks allowed to the public API endpoint; empty = private endpoint only. */
  readonly endpointPublicCidrs: readonly string[];
  /** IAM role (or user) given cluster-admin through an access entry. */
  readonly adminPrincipalArn?: string;
  /** AZ IDs of the VPC; default: chosen from the GPU configs' offerings. */
  readonly availabilityZoneIds?: readonly string[];
  /** AZ IDs per instance type, for configs without `placement.az_ids` in the inventory. */
  readonly instanceTypeOfferings: InstanceTypeOfferings;
  /** Region named in error messages (the commands to run). */
  readonly offeringsRegion: string;
  /** The system node group, for CoreDNS and other add-ons. */
  readonly systemNodes?: { readonly instanceType: string; readonly minSize: number; readonly maxSize: number };
}

/** The AWS managed policies a managed node role needs once the VPC CNI has its own role. */
export const NODE_POLICIES = ['AmazonEKSWorkerNodePolicy', 'AmazonEC2ContainerRegistryReadOnly'] as const;

/** AWS APIs the in-VPC functions call, reached through interface endpoints rather than NAT. */
export const INTERFACE_ENDPOINTS = {
  Sts: ec2.InterfaceVpcEndpointAwsService.STS,
  Eks: ec2.InterfaceVpcEndpointAwsService.EKS,
  EksAuth: ec2.InterfaceVpcEndpointAwsService.EKS_AUTH,
  SecretsManager: ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER,
  StepFunctions: ec2.InterfaceVpcEndpointAwsService.STEP_FUNCTIONS,
  Logs: ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_LOGS,
  XRay: ec2.InterfaceVpcEndpointAwsService.XRAY,
  AutoScaling: ec2.InterfaceVpcEndpointAwsService.AUTOSCALING,
} as const;

/** The VPC's address range, literal so that security group rules naming it can be checked at synth. */
export const VPC_CIDR = '10.0.0.0/16';

export class NewGpuCluster extends GpuCluster {
  readonly vpc: ec2.Vpc;
  readonly cluster: eks.Cluster;
  readonly nodeRole: iam.Role;
  /** AZ IDs of the VPC, in subnet order. */
  readonly availabilityZoneIds: readonly string[];
  /** GPU node groups by inventory config id. */
  readonly gpuNodeGroups: ReadonlyMap<string, eks.CfnNodegroup>;
  readonly systemNodeGroup: eks.CfnNodegroup;
  readonly functionNetwork: FunctionNetwork;
  readonly addons: ReadonlyMap<string, eks.CfnAddon>;

  constructor(scope: Construct, id: string, props: NewGpuClusterProps) {
    super(scope, id, props.clusterName, props);
    const configs = inventoryGpuConfigs();
    this.availabilityZoneIds = chooseVpcAzIds(configs, props.instanceTypeOfferings, props.availabilityZoneIds);
    // Fails the synth, naming every config that cannot be placed and the command that would tell.
    const placements = placeGpuConfigs(configs, props.instanceTypeOfferings, this.availabilityZoneIds, props.offeringsRegion);
    if (this.availabilityZoneIds.length < 2) {
      throw new Error(
        `An EKS cluster needs subnets in two AZs, but the GPU configs are offered only in ${this.availabilityZoneIds.join(', ')}; ` +
          'name a second AZ ID in context availabilityZoneIds.',
      );
    }

    if (!props.availabilityZoneIds || props.availabilityZoneIds.length === 0) {
      // Every subnet's AZ is a replacement property: the first choice has to be kept for good.
      const pin = this.availabilityZoneIds.join(',');
      Annotations.of(this).addWarningV2(
        'gpu-control-plane:unpinnedAvailabilityZoneIds',
        `The VPC's AZ IDs were chosen from the enabled GPU entries: ${pin}. Pin them before the first deployment, in this order ` +
          `(context "availabilityZoneIds": "${pin}" in cdk.context.json; a stack deployed unpinned names its own in the output VpcAvailabilityZoneIds): unpinned, ` +
          'enabling or adding an entry later can choose other AZs, and CloudFormation can only replace a subnet or node group whose AZ changes.',
      );
    }

    this.vpc = this.createVpc(props.natGateways);
    const privateSubnets = this.vpc.privateSubnets;
    const subnetsByAzId = new Map(privateSubnets.map((subnet, index) => [this.availabilityZoneIds[index]!, subnet]));

    const secretsKey = new kms.Key(this, 'KubernetesSecretsKey', {
      description: `Envelope encryption of the Kubernetes secrets of EKS cluster ${props.clusterName}`,
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.cluster = new eks.Cluster(this, 'Cluster', {
      clusterName: props.clusterName,
      version: eks.KubernetesVersion.of(props.kubernetesVersion),
      vpc: this.vpc,
      vpcSubnets: [{ subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS }],
      defaultCapacityType: eks.DefaultCapacityType.NODEGROUP,
      defaultCapacity: 0,
      endpointAccess:
        props.endpointPublicCidrs.length > 0 ? eks.EndpointAccess.PUBLIC_AND_PRIVATE.onlyFrom(...props.endpointPublicCidrs) : eks.EndpointAccess.PRIVATE,
      clusterLogging: [
        eks.ClusterLoggingTypes.API,
        eks.ClusterLoggingTypes.AUDIT,
        eks.ClusterLoggingTypes.AUTHENTICATOR,
        eks.ClusterLoggingTypes.CONTROLLER_MANAGER,
        eks.ClusterLoggingTypes.SCHEDULER,
      ],
      secretsEncryptionKey: secretsKey,
      // Cluster admins are named explicitly (adminPrincipalArn), not whoever ran CloudFormation.
      bootstrapClusterCreatorAdminPermissions: false,
      // The kubectl provider applies the cluster bootstrap (cluster-bootstrap.ts) from the private subnets.
      kubectlProviderOptions: bootstrapKubectlProvider(this, this.vpc),
    });
    const cfnCluster = this.cluster.node.defaultChild as eks.CfnCluster;
    Validations.of(cfnCluster).acknowledge({
      id: 'CloudFormation-Validate::W9009',
      reason:
        "The EKS construct writes EncryptionConfig.Resources ['secrets'], the only value EKS accepts; the schema marks " +
        'the property deprecated because the value is implied, not because it changes anything.',
    });
    if (props.endpointPublicCidrs.length > 0) {
      acknowledgeRule(
        cfnCluster,
        'EKS1',
        `The public endpoint is open only to the operator CIDR blocks given in context clusterEndpointPublicCidrs (${props.endpointPublicCidrs.join(', ')}) ` +
          'and admits only IAM principals with access entries; the control plane functions use the private endpoint from the VPC.',
      );
    }
    acknowledgeRule(
      this.cluster.role,
      'IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/AmazonEKSClusterPolicy]',
      'AmazonEKSClusterPolicy is the AWS-maintained policy the EKS service role must carry; EKS documents no narrower alternative.',
    );
    if (props.adminPrincipalArn) {
      new eks.CfnAccessEntry(this, 'AdminAccess', {
        clusterName: this.cluster.clusterName,
        principalArn: props.adminPrincipalArn,
        type: 'STANDARD',
        accessPolicies: [{ policyArn: eksAccessPolicyArn('AmazonEKSClusterAdminPolicy'), accessScope: { type: 'cluster' } }],
      });
    }

    // The functions that call Kubernetes: private subnets, HTTPS to the cluster's endpoint.
    const functionSecurityGroup = new ec2.SecurityGroup(this, 'FunctionSecurityGroup', {
      vpc: this.vpc,
      description: 'Control plane functions that call the Kubernetes API',
      allowAllOutbound: true,
    });
    this.cluster.clusterSecurityGroup.addIngressRule(functionSecurityGroup, ec2.Port.tcp(443), 'Kubernetes API from the control plane functions');
    this.functionNetwork = {
      vpcId: this.vpc.vpcId,
      subnetIds: privateSubnets.map((subnet) => subnet.subnetId),
      securityGroupIds: [functionSecurityGroup.securityGroupId],
    };

    this.nodeRole = new iam.Role(this, 'NodeRole', {
      assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com'),
      description: `Nodes of EKS cluster ${props.clusterName}`,
      managedPolicies: NODE_POLICIES.map((name) => iam.ManagedPolicy.fromAwsManagedPolicyName(name)),
    });
    for (const name of NODE_POLICIES) {
      acknowledgeRule(
        this.nodeRole,
        `IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/${name}]`,
        `${name} is one of the AWS-maintained policies EKS requires on a managed node role (join the cluster, pull images ` +
          'from ECR); the VPC CNI has its own role through Pod Identity instead of the node role.',
      );
    }
    this.addons = this.createAddons(props.clusterName);

    const system = props.systemNodes ?? { instanceType: 't4g.medium', minSize: 2, maxSize: 3 };
    const systemTemplate = new ec2.CfnLaunchTemplate(this, 'SystemLaunchTemplate', { launchTemplateData: { metadataOptions: NODE_METADATA_OPTIONS } });
    this.systemNodeGroup = new eks.CfnNodegroup(this, 'SystemNodeGroup', {
      clusterName: this.cluster.clusterName,
      nodegroupName: 'system',
      nodeRole: this.nodeRole.roleArn,
      subnets: privateSubnets.map((subnet) => subnet.subnetId),
      amiType: 'BOTTLEROCKET_ARM_64',
      capacityType: 'ON_DEMAND',
      instanceTypes: [system.instanceType],
      launchTemplate: { id: systemTemplate.ref, version: systemTemplate.attrLatestVersionNumber },
      // No desiredSize here either: a new group starts at minSize, and updates leave the size alone.
      scalingConfig: { minSize: system.minSize, maxSize: system.maxSize },
      labels: { 'gpudeploy.io/pool': 'system' },
      updateConfig: { maxUnavailable: 1 },
    });

    const gpu = new GpuNodeGroups(this, 'Gpu', {
      cluster: this.cluster,
      nodeRole: this.nodeRole,
      placements,
      subnetsByAzId,
      prefix: props.prefix,
      metricsNamespace: props.metricsNamespace,
    });
    this.gpuNodeGroups = gpu.nodeGroups;
    // Nodes join only once the CNI and the Pod Identity agent can hand the CNI its credentials
    // (the node role no longer carries AmazonEKS_CNI_Policy).
    for (const nodeGroup of [this.systemNodeGroup, ...this.gpuNodeGroups.values()]) {
      nodeGroup.node.addDependency(this.addons.get('vpc-cni')!);
      nodeGroup.node.addDependency(this.addons.get('eks-pod-identity-agent')!);
    }
    // The EBS CSI controller is a Deployment: it needs the system nodes to become ACTIVE.
    this.addons.get('aws-ebs-csi-driver')!.node.addDependency(this.systemNodeGroup);
  }

  protected get clusterNameReference(): string {
    return this.cluster.clusterName;
  }

  /**
   * Private subnets by AZ ID. The VPC construct only knows AZ names (Fn::GetAZs by position, which
   * maps to different zones per account), so each subnet's AZ is replaced by the AZ ID at its
   * position; every other construct refers to subnets, never to AZ names.
   */
  private createVpc(natGateways: number): ec2.Vpc {
    const flowLogs = new logs.LogGroup(this, 'VpcFlowLogs', { retention: logs.RetentionDays.ONE_MONTH, removalPolicy: RemovalPolicy.DESTROY });
    const vpc = new ec2.Vpc(this, 'Vpc', {
      ipAddresses: ec2.IpAddresses.cidr(VPC_CIDR),
      // Placeholders, one per AZ ID (an environment-agnostic stack would otherwise get two AZs);
      // replaced below by the AZ ID on every subnet.
      availabilityZones: this.availabilityZoneIds.map((_, index) => Fn.select(index, Fn.getAzs())),
      natGateways,
      subnetConfiguration: [
        { name: 'public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 },
        // Nodes and pods share these addresses (VPC CNI): /19 leaves ~8000 per AZ.
        { name: 'nodes', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 19 },
      ],
      flowLogs: { all: { destination: ec2.FlowLogDestination.toCloudWatchLogs(flowLogs), trafficType: ec2.FlowLogTrafficType.ALL } },
    });
    for (const subnets of [vpc.publicSubnets, vpc.privateSubnets]) {
      subnets.forEach((subnet, index) => {
        const cfn = subnet.node.defaultChild as ec2.CfnSubnet;
        cfn.addPropertyDeletionOverride('AvailabilityZone');
        cfn.addPropertyOverride('AvailabilityZoneId', this.availabilityZoneIds[index]);
      });
    }
    vpc.addGatewayEndpoint('DynamoDb', { service: ec2.GatewayVpcEndpointAwsService.DYNAMODB, subnets: [{ subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS }] });
    // One security group for all endpoints: HTTPS from inside the VPC (functions, nodes, pods).
    const endpointSecurityGroup = new ec2.SecurityGroup(this, 'EndpointSecurityGroup', {
      vpc,
      description: 'Interface VPC endpoints: HTTPS from the VPC',
      allowAllOutbound: false,
    });
    endpointSecurityGroup.addIngressRule(ec2.Peer.ipv4(VPC_CIDR), ec2.Port.tcp(443), 'HTTPS from the VPC');
    for (const [name, service] of Object.entries(INTERFACE_ENDPOINTS)) {
      vpc.addInterfaceEndpoint(name, {
        service,
        subnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
        privateDnsEnabled: true,
        securityGroups: [endpointSecurityGroup],
        open: false,
      });
    }
    return vpc;
  }

  /** A role that pods of one service account assume through EKS Pod Identity. */
  private podIdentityRole(id: string, managedPolicy: string, why: string): iam.Role {
    const role = new iam.Role(this, id, {
      assumedBy: new iam.ServicePrincipal('pods.eks.amazonaws.com'),
      managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName(managedPolicy)],
    });
    role.assumeRolePolicy?.addStatements(
      new iam.PolicyStatement({ actions: ['sts:TagSession'], principals: [new iam.ServicePrincipal('pods.eks.amazonaws.com')] }),
    );
    acknowledgeRule(role, `IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/${managedPolicy}]`, why);
    return role;
  }

  private createAddons(clusterName: string): Map<string, eks.CfnAddon> {
    const addons = new Map<string, eks.CfnAddon>();
    const addon = (name: string, props: Partial<eks.CfnAddonProps> = {}) => {
      const resource = new eks.CfnAddon(this, `Addon-${name}`, {
        clusterName: this.cluster.clusterName,
        addonName: name,
        // EKS installs a self-managed VPC CNI with every cluster; the managed add-on takes it over.
        resolveConflicts: 'OVERWRITE',
        ...props,
      });
      addons.set(name, resource);
      return resource;
    };
    const agent = addon('eks-pod-identity-agent');
    const cniRole = this.podIdentityRole(
      'VpcCniRole',
      'AmazonEKS_CNI_Policy',
      `AmazonEKS_CNI_Policy is what the VPC CNI of cluster ${clusterName} needs to manage pod ENIs; only its aws-node service account can assume this role.`,
    );
    addon('vpc-cni', {
      podIdentityAssociations: [{ serviceAccount: 'aws-node', roleArn: cniRole.roleArn }],
      // NetworkPolicy objects are enforced only when the CNI's network policy agent is on.
      configurationValues: JSON.stringify({ enableNetworkPolicy: 'true' }),
    }).node.addDependency(agent);
    const ebsRole = this.podIdentityRole(
      'EbsCsiRole',
      'service-role/AmazonEBSCSIDriverPolicy',
      'AmazonEBSCSIDriverPolicy is the AWS-maintained policy of the EBS CSI driver (create, attach, delete volumes); only its controller service account can assume this role.',
    );
    addon('aws-ebs-csi-driver', { podIdentityAssociations: [{ serviceAccount: 'ebs-csi-controller-sa', roleArn: ebsRole.roleArn }] }).node.addDependency(agent);
    return addons;
  }
}
