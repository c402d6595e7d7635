/**
 * The GPU managed node groups of a new cluster, one per inventory config, each with its own
 * launch template:
 * - IMDSv2 required with a hop limit of 1, so a pod (one hop further) cannot read the node
 *   role's credentials (EKS security best practices);
 * - the Bottlerocket data volume (/dev/xvdb) sized by the config's `disk_size_gib`, gp3, encrypted;
 * - for instance types with NVMe instance store, Bottlerocket bootstrap commands that RAID-0 it
 *   and bind containerd, kubelet (the pods' emptyDir model cache) and pod logs onto it;
 * - the config's capacity option: an On-Demand Capacity Reservation target, or a Capacity Block
 *   (market type capacity-block, node group capacity type CAPACITY_BLOCK, the block's AZ only).
 * The node group sets min and max only: no DesiredSize in the template, so no CloudFormation
 * update can reset the size the workflows chose. Each group's Auto Scaling group gets AZRebalance
 * suspended (infra/custom-resources/suspend-az-rebalance.ts).
 */
import { ArnFormat, CustomResource, Fn, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import type { GpuConfig } from '../../contract/catalog';
import { acknowledgeWildcardResources } from '../nag';
import { ControlPlaneFunction, constructIdFor } from './control-plane-function';
import type { GpuPlacement } from './gpu-placement';

/** Node label with the inventory's GPU config id (the workloads select `eks.amazonaws.com/nodegroup`). */
export const GPU_CONFIG_LABEL = 'gpudeploy.io/gpu-config';
/** The taint every GPU node carries; only the model workloads tolerate it. */
export const GPU_TAINT = { key: 'nvidia.com/gpu', value: 'true', effect: 'NO_SCHEDULE' } as const;
/** Bottlerocket's NVIDIA variant: the driver and the Kubernetes device plugin are part of the image. */
export const GPU_AMI_TYPE = 'BOTTLEROCKET_x86_64_NVIDIA';
/** Bottlerocket's data volume (images, kubelet, logs); /dev/xvda is its small OS volume. */
export const BOTTLEROCKET_DATA_DEVICE = '/dev/xvdb';

/**
 * Bottlerocket user data (TOML). EKS merges its own cluster settings into it for managed node
 * groups without a custom AMI. The ephemeral-storage commands run on every boot (`always`): the
 * instance store is blank after a stop/start; `essential` stops a node whose cache cannot mount
 * from joining with a silently smaller disk.
 */
export const bottlerocketUserData = (config: GpuConfig): string | undefined => {
  if (!config.instance_store) return undefined;
  return [
    '[settings.bootstrap-commands.000-instance-store]',
    'commands = [',
    '  ["apiclient", "ephemeral-storage", "init"],',
    '  ["apiclient", "ephemeral-storage", "bind", "--dirs", "/var/lib/containerd", "/var/lib/kubelet", "/var/log/pods"],',
    ']',
    'essential = true',
    'mode = "always"',
    '',
  ].join('\n');
};

/** Launch template data that keeps pods off IMDS credentials; shared with the system nodes. */
export const NODE_METADATA_OPTIONS: ec2.CfnLaunchTemplate.MetadataOptionsProperty = {
  httpEndpoint: 'enabled',
  httpTokens: 'required',
  httpPutResponseHopLimit: 1,
};

const capacityData = (config: GpuConfig): Partial<ec2.CfnLaunchTemplate.LaunchTemplateDataProperty> => {
  const capacity = config.capacity;
  if (capacity?.type === 'capacity-block') {
    return {
      instanceMarketOptions: { marketType: 'capacity-block' },
      capacityReservationSpecification: { capacityReservationTarget: { capacityReservationId: capacity.reservation_id } },
    };
  }
  if (capacity?.type === 'capacity-reservation') {
    return {
      capacityReservationSpecification: {
        capacityReservationTarget: capacity.reservation_id
          ? { capacityReservationId: capacity.reservation_id }
          : { capacityReservationResourceGroupArn: capacity.resource_group_arn },
      },
    };
  }
  return {};
};

export interface GpuNodeGroupsProps {
  readonly cluster: eks.Cluster;
  readonly nodeRole: iam.IRole;
  readonly placements: readonly GpuPlacement[];
  /** Private subnets by AZ ID. */
  readonly subnetsByAzId: ReadonlyMap<string, ec2.ISubnet>;
  /** Prefix of the custom resource function's name. */
  readonly prefix: string;
  readonly metricsNamespace: string;
}

export class GpuNodeGroups extends Construct {
  /** Node groups by inventory config id. */
  readonly nodeGroups: ReadonlyMap<string, eks.CfnNodegroup>;
  readonly launchTemplates: ReadonlyMap<string, ec2.CfnLaunchTemplate>;

  constructor(scope: Construct, id: string, props: GpuNodeGroupsProps) {
    super(scope, id);
    const nodeGroups = new Map<string, eks.CfnNodegroup>();
    const launchTemplates = new Map<string, ec2.CfnLaunchTemplate>();
    const rebalance = this.azRebalanceFunction(props);

    for (const { config, azIds } of props.placements) {
      const constructId = constructIdFor(config.config_id);
      const userData = bottlerocketUserData(config);
      const launchTemplate = new ec2.CfnLaunchTemplate(this, `${constructId}LaunchTemplate`, {
        launchTemplateData: {
          metadataOptions: NODE_METADATA_OPTIONS,
          blockDeviceMappings: [
            { deviceName: BOTTLEROCKET_DATA_DEVICE, ebs: { volumeSize: config.disk_size_gib, volumeType: 'gp3', encrypted: true, deleteOnTermination: true } },
          ],
          userData: userData ? Fn.base64(userData) : undefined,
          ...capacityData(config),
        },
      });
      const capacityBlock = config.capacity?.type === 'capacity-block';
      const nodeGroup = new eks.CfnNodegroup(this, constructId, {
        clusterName: props.cluster.clusterName,
        // The control plane addresses the group by this name; a change that replaces the group
        // (instance type, AZs, capacity type) needs a new name: docs/deploy.md, "Changing a GPU config".
        nodegroupName: config.node_group.name,
        nodeRole: props.nodeRole.roleArn,
        subnets: azIds.map((azId) => props.subnetsByAzId.get(azId)!.subnetId),
        amiType: GPU_AMI_TYPE,
        capacityType: capacityBlock ? 'CAPACITY_BLOCK' : 'ON_DEMAND',
        instanceTypes: [config.instance_type],
        launchTemplate: { id: launchTemplate.ref, version: launchTemplate.attrLatestVersionNumber },
        // No desiredSize: CloudFormation would send it with every scaling change (min or max) and
        // reset the size the workflows set; EKS starts a new group at minSize.
        scalingConfig: { minSize: config.node_group.min_size, maxSize: config.node_group.max_size },
        labels: { [GPU_CONFIG_LABEL]: config.config_id, 'gpudeploy.io/pool': 'gpu' },
        taints: [GPU_TAINT],
        updateConfig: { maxUnavailable: 1 },
      });
      nodeGroups.set(config.config_id, nodeGroup);
      launchTemplates.set(config.config_id, launchTemplate);

      new CustomResource(this, `${constructId}SuspendAzRebalance`, {
        serviceToken: rebalance.functionArn,
        resourceType: 'Custom::SuspendAzRebalance',
        properties: {
          ClusterName: props.cluster.clusterName,
          NodegroupName: nodeGroup.attrNodegroupName,
          // A node group update can recreate its Auto Scaling settings: re-suspend after each one.
          LaunchTemplateVersion: launchTemplate.attrLatestVersionNumber,
        },
      });
    }
    this.nodeGroups = nodeGroups;
    this.launchTemplates = launchTemplates;
  }

  /** The function behind Custom::SuspendAzRebalance, allowed exactly the calls it makes on this cluster's GPU groups. */
  private azRebalanceFunction(props: GpuNodeGroupsProps): ControlPlaneFunction {
    const fn = new ControlPlaneFunction(this, 'SuspendAzRebalance', {
      name: 'suspend-az-rebalance',
      entry: 'infra/custom-resources/suspend-az-rebalance.ts',
      kind: 'workflow',
      description: 'Custom resource: suspends AZRebalance on the GPU node groups',
      prefix: props.prefix,
      metricsNamespace: props.metricsNamespace,
    });
    const stack = Stack.of(this);
    const clusterName = props.cluster.clusterName;
    const names = props.placements.map(({ config }) => config.node_group.name);
    const nodeGroupArns = names.map((name) =>
      stack.formatArn({ service: 'eks', resource: 'nodegroup', resourceName: `${clusterName}/${name}/*`, arnFormat: ArnFormat.SLASH_RESOURCE_NAME }),
    );
    fn.executionRole.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['eks:DescribeNodegroup'], resources: nodeGroupArns }));
    const groups = stack.formatArn({ service: 'autoscaling', resource: 'autoScalingGroup', resourceName: '*:autoScalingGroupName/*', arnFormat: ArnFormat.COLON_RESOURCE_NAME });
    fn.executionRole.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['autoscaling:SuspendProcesses', 'autoscaling:ResumeProcesses'],
        resources: [groups],
        conditions: { StringEquals: { 'aws:ResourceTag/eks:cluster-name': clusterName, 'aws:ResourceTag/eks:nodegroup-name': names } },
      }),
    );
    acknowledgeWildcardResources(
      fn.executionRole,
      [...nodeGroupArns, groups],
      'EKS appends a UUID to node group ARNs and names the Auto Scaling groups itself; the statements are pinned to this ' +
        "cluster's GPU node groups by name and by the eks:cluster-name / eks:nodegroup-name tags EKS puts on their groups.",
    );
    return fn;
  }
}
