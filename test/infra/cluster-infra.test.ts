/**
 * The new cluster's infrastructure against what a real account needs (issue 13: B4, M4-M8, M10,
 * m2): node groups only in AZ IDs that offer their instance type, launch templates that keep pods
 * away from node credentials, sizes CloudFormation never resets, AZRebalance suspended, a private
 * API endpoint reached by in-VPC functions through VPC endpoints, and the CNI and EBS CSI driver
 * on Pod Identity roles. One synth of the default app, plus small stacks for the capacity options.
 */
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import * as iam from 'aws-cdk-lib/aws-iam';
import { beforeAll, describe, expect, it } from 'vitest';
import { INVENTORY, type GpuConfig } from '../../contract/catalog';
import { VPC_ACCESS_ACTIONS } from '../../infra/constructs/control-plane-function';
import { BOTTLEROCKET_DATA_DEVICE, GpuNodeGroups } from '../../infra/constructs/gpu-node-groups';
import { placeGpuConfigs } from '../../infra/constructs/gpu-placement';
import { INTERFACE_ENDPOINTS, NODE_POLICIES } from '../../infra/constructs/new-cluster';
import { ROUTES } from '../../contract/routes';
import { SCHEDULES } from '../../contract/schedules';
import { TASK_FUNCTIONS } from '../../contract/workflows';
import { createControlPlaneApp } from '../../infra/stack';
import { FIXTURE_OFFERINGS, actionsOf, synthContext, synthesize, type Json, type Synthesized } from './template';

let s: Synthesized;
beforeAll(() => {
  s = synthesize();
});

const gpuNodeGroups = () => s.ofType('AWS::EKS::Nodegroup').filter(([, group]) => group.Properties.NodegroupName !== 'system');
const configOf = (group: Json): GpuConfig => INVENTORY.gpu_configs.find((config) => config.node_group.name === group.Properties.NodegroupName)!;
const azIdOfSubnet = (ref: Json): string => s.resources[ref.Ref as string]!.Properties.AvailabilityZoneId as string;
const launchTemplateOf = (group: Json): Json => s.resources[group.Properties.LaunchTemplate.Id.Ref as string]!.Properties.LaunchTemplateData;

describe('placement by AZ ID (B4)', () => {
  it('creates every subnet by AZ ID, never by AZ name, in three AZs', () => {
    const subnets = s.ofType('AWS::EC2::Subnet');
    for (const [, subnet] of subnets) {
      expect(subnet.Properties.AvailabilityZone).toBeUndefined();
      expect(subnet.Properties.AvailabilityZoneId).toMatch(/^use1-az\d$/);
    }
    expect(new Set(subnets.map(([, subnet]) => subnet.Properties.AvailabilityZoneId)).size).toBe(3);
  });

  it('puts no GPU node group in a subnet whose AZ ID does not offer its instance type', () => {
    for (const [, group] of gpuNodeGroups()) {
      const offered = FIXTURE_OFFERINGS[configOf(group).instance_type]!;
      const azIds = (group.Properties.Subnets as Json[]).map(azIdOfSubnet);
      expect(azIds.length, group.Properties.NodegroupName).toBeGreaterThan(0);
      for (const azId of azIds) expect(offered, group.Properties.NodegroupName).toContain(azId);
    }
  });

  it('chooses VPC AZs that serve every config, even one offered in a single AZ', () => {
    const h200 = gpuNodeGroups().find(([, group]) => configOf(group).instance_type === 'p5en.48xlarge')!;
    expect((h200[1].Properties.Subnets as Json[]).map(azIdOfSubnet)).toEqual(['use1-az4']);
    const a100 = gpuNodeGroups().find(([, group]) => configOf(group).instance_type === 'p4de.24xlarge')!;
    expect((a100[1].Properties.Subnets as Json[]).map(azIdOfSubnet)).toEqual(['use1-az6']);
  });

  it('fails the synth naming each config and the command to run when the offerings are unknown', () => {
    const synth = () => createControlPlaneApp({ context: synthContext({ gpuInstanceOfferings: { 'g6.12xlarge': ['use1-az1'] } }) });
    expect(synth).toThrow(/GPU config h100-80gb \(p5\.48xlarge\): the AZ IDs that offer p5\.48xlarge are unknown/);
    expect(synth).toThrow(
      'aws ec2 describe-instance-type-offerings --location-type availability-zone-id --filters Name=instance-type,Values=p5.48xlarge --region us-east-1',
    );
    expect(synth).not.toThrow(/GPU config l4-24gb/);
  });

  it('fails the synth when the AZ IDs asked for serve no offered AZ of a config', () => {
    const synth = () => createControlPlaneApp({ context: synthContext({ availabilityZoneIds: 'use1-az1,use1-az2' }) });
    expect(synth).toThrow(/GPU config h200-141gb \(p5en\.48xlarge\): offered in use1-az4, but the VPC uses use1-az1, use1-az2/);
  });

  it('reads the offerings as JSON text from -c', () => {
    const text = JSON.stringify(FIXTURE_OFFERINGS);
    expect(() => createControlPlaneApp({ context: synthContext({ gpuInstanceOfferings: text }) })).not.toThrow();
    expect(() => createControlPlaneApp({ context: synthContext({ gpuInstanceOfferings: '{"p5.48xlarge":["us-east-1a"]}' }) })).toThrow(
      /gpuInstanceOfferings\.p5\.48xlarge is invalid/,
    );
  });
});

describe('node groups CloudFormation cannot resize or break (M6)', () => {
  it('sends no DesiredSize and no node-group DiskSize; the data disk is the inventory disk_size_gib', () => {
    for (const [, group] of s.ofType('AWS::EKS::Nodegroup')) {
      expect(group.Properties.ScalingConfig.DesiredSize, group.Properties.NodegroupName).toBeUndefined();
      expect(group.Properties.DiskSize).toBeUndefined();
    }
    for (const [, group] of gpuNodeGroups()) {
      const config = configOf(group);
      expect(launchTemplateOf(group).BlockDeviceMappings).toEqual([
        { DeviceName: BOTTLEROCKET_DATA_DEVICE, Ebs: { VolumeSize: config.disk_size_gib, VolumeType: 'gp3', Encrypted: true, DeleteOnTermination: true } },
      ]);
    }
  });

  it('uses the latest launch template version, so a template change rolls the group instead of replacing it', () => {
    for (const [, group] of s.ofType('AWS::EKS::Nodegroup')) {
      expect(group.Properties.LaunchTemplate.Version).toEqual({ 'Fn::GetAtt': [group.Properties.LaunchTemplate.Id.Ref, 'LatestVersionNumber'] });
    }
  });
});

describe('node credentials and instance store (M8, m2)', () => {
  it('requires IMDSv2 with a hop limit of 1 on every node, so pods cannot read the node role', () => {
    const groups = s.ofType('AWS::EKS::Nodegroup');
    expect(groups.length).toBe(INVENTORY.gpu_configs.length + 1);
    for (const [, group] of groups) {
      expect(launchTemplateOf(group).MetadataOptions).toEqual({ HttpEndpoint: 'enabled', HttpTokens: 'required', HttpPutResponseHopLimit: 1 });
    }
  });

  it('binds containerd, kubelet and pod logs to the NVMe instance store of the types that have one', () => {
    for (const [, group] of gpuNodeGroups()) {
      const userData = launchTemplateOf(group).UserData;
      if (!configOf(group).instance_store) {
        expect(userData).toBeUndefined();
        continue;
      }
      const toml = userData['Fn::Base64'] as string;
      expect(toml).toContain('["apiclient", "ephemeral-storage", "init"]');
      expect(toml).toContain('["apiclient", "ephemeral-storage", "bind", "--dirs", "/var/lib/containerd", "/var/lib/kubelet", "/var/log/pods"]');
      expect(toml).toMatch(/essential = true\nmode = "always"/);
    }
  });

  it('keeps the node role to joining and pulling images: the VPC CNI gets its own role through Pod Identity', () => {
    const roleArn = gpuNodeGroups()[0]![1].Properties.NodeRole['Fn::GetAtt'][0] as string;
    const policies = (s.resources[roleArn]!.Properties.ManagedPolicyArns as Json[]).map((arn) => JSON.stringify(arn));
    expect(policies).toHaveLength(NODE_POLICIES.length);
    expect(policies.join()).not.toContain('AmazonEKS_CNI_Policy');
    s.template.hasResourceProperties('AWS::EKS::Addon', {
      AddonName: 'vpc-cni',
      PodIdentityAssociations: [{ ServiceAccount: 'aws-node', RoleArn: { 'Fn::GetAtt': Match.arrayWith(['Arn']) } }],
      ConfigurationValues: JSON.stringify({ enableNetworkPolicy: 'true' }),
    });
    s.template.hasResourceProperties('AWS::EKS::Addon', { AddonName: 'eks-pod-identity-agent' });
  });

  it('lets no node group join before the CNI and the Pod Identity agent exist', () => {
    const addonIds = Object.fromEntries(s.ofType('AWS::EKS::Addon').map(([id, addon]) => [addon.Properties.AddonName as string, id]));
    for (const [id, group] of s.ofType('AWS::EKS::Nodegroup')) {
      expect(group.DependsOn, id).toEqual(expect.arrayContaining([addonIds['vpc-cni'], addonIds['eks-pod-identity-agent']]));
    }
  });
});

describe('EBS CSI driver (M10)', () => {
  it('installs the aws-ebs-csi-driver add-on with a Pod Identity role carrying the driver policy, after the system nodes', () => {
    const [id, addon] = s.ofType('AWS::EKS::Addon').find(([, candidate]) => candidate.Properties.AddonName === 'aws-ebs-csi-driver')!;
    const [association] = addon.Properties.PodIdentityAssociations as Json[];
    expect(association!.ServiceAccount).toBe('ebs-csi-controller-sa');
    const role = s.resources[association!.RoleArn['Fn::GetAtt'][0] as string]!;
    expect(JSON.stringify(role.Properties.ManagedPolicyArns)).toContain('service-role/AmazonEBSCSIDriverPolicy');
    expect(role.Properties.AssumeRolePolicyDocument.Statement).toEqual(
      expect.arrayContaining([expect.objectContaining({ Principal: { Service: 'pods.eks.amazonaws.com' } })]),
    );
    const systemId = s.ofType('AWS::EKS::Nodegroup').find(([, group]) => group.Properties.NodegroupName === 'system')![0];
    expect(s.resources[id]!.DependsOn).toContain(systemId);
  });
});

describe('AZRebalance (M4)', () => {
  it('suspends AZRebalance on the Auto Scaling group of every GPU node group', () => {
    const suspensions = s.ofType('Custom::SuspendAzRebalance');
    const groups = gpuNodeGroups();
    expect(suspensions).toHaveLength(groups.length);
    for (const [groupId] of groups) {
      expect(suspensions.some(([, resource]) => resource.Properties.NodegroupName['Fn::GetAtt']?.[0] === groupId), groupId).toBe(true);
    }
  });

  it('lets its function suspend and resume processes only on this cluster GPU node groups', () => {
    const statements = s.statementsOfRole(s.roleIdOf('suspend-az-rebalance'));
    const suspend = statements.find((statement) => [statement.Action].flat().includes('autoscaling:SuspendProcesses'))!;
    expect(suspend.Condition?.StringEquals['aws:ResourceTag/eks:nodegroup-name']).toEqual(INVENTORY.gpu_configs.map((config) => config.node_group.name));
    expect(actionsOf(statements)).not.toContain('autoscaling:UpdateAutoScalingGroup');
  });
});

describe('private API endpoint and in-VPC functions (M7)', () => {
  it('turns the public endpoint off by default', () => {
    s.template.hasResourceProperties('AWS::EKS::Cluster', { ResourcesVpcConfig: { EndpointPrivateAccess: true, EndpointPublicAccess: false } });
  });

  it('opens the public endpoint only to the operator CIDRs given in context', () => {
    const { stack } = createControlPlaneApp({ context: synthContext({ clusterEndpointPublicCidrs: '203.0.113.0/24' }) });
    Template.fromStack(stack).hasResourceProperties('AWS::EKS::Cluster', {
      ResourcesVpcConfig: { EndpointPrivateAccess: true, EndpointPublicAccess: true, PublicAccessCidrs: ['203.0.113.0/24'] },
    });
  });

  it('runs exactly the functions that call Kubernetes in the private subnets, with the ENI actions', () => {
    const callers = [
      ...TASK_FUNCTIONS.filter((task) => task.access.kubernetes).map((task) => task.name),
      ...SCHEDULES.filter((schedule) => schedule.access.kubernetes).map((schedule) => schedule.name),
      ...ROUTES.filter((route) => route.access.kubernetes).map((route) => route.name),
    ];
    const privateSubnetIds = s
      .ofType('AWS::EC2::Subnet')
      .filter(([, subnet]) => subnet.Properties.MapPublicIpOnLaunch === false)
      .map(([id]) => id)
      .sort();
    for (const name of [...ROUTES, ...TASK_FUNCTIONS, ...SCHEDULES].map((definition) => definition.name)) {
      const vpcConfig = s.functionProps(name).VpcConfig as Json | undefined;
      if (!callers.includes(name)) {
        expect(vpcConfig, name).toBeUndefined();
        continue;
      }
      expect((vpcConfig!.SubnetIds as Json[]).map((ref) => ref.Ref).sort(), name).toEqual(privateSubnetIds);
      expect(actionsOf(s.statementsOfRole(s.roleIdOf(name))), name).toEqual(expect.arrayContaining([...VPC_ACCESS_ACTIONS]));
    }
  });

  it('lets the functions security group reach the cluster API on 443', () => {
    const fnSecurityGroup = s.functionProps(TASK_FUNCTIONS.find((task) => task.access.kubernetes)!.name).VpcConfig.SecurityGroupIds[0];
    s.template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      IpProtocol: 'tcp',
      FromPort: 443,
      ToPort: 443,
      SourceSecurityGroupId: fnSecurityGroup,
    });
  });

  it('creates interface endpoints for the AWS APIs the in-VPC functions call and a DynamoDB gateway endpoint', () => {
    const endpoints = s.ofType('AWS::EC2::VPCEndpoint').map(([, endpoint]) => endpoint.Properties);
    const interfaces = endpoints.filter((endpoint) => endpoint.VpcEndpointType === 'Interface');
    const names = interfaces.map((endpoint) => JSON.stringify(endpoint.ServiceName));
    for (const service of ['sts', 'eks', 'eks-auth', 'secretsmanager', 'states', 'logs', 'xray', 'autoscaling']) {
      expect(names.some((name) => name.includes(`.${service}"`)), service).toBe(true);
      expect(interfaces.find((endpoint) => JSON.stringify(endpoint.ServiceName).includes(`.${service}"`))!.PrivateDnsEnabled).toBe(true);
    }
    expect(interfaces).toHaveLength(Object.keys(INTERFACE_ENDPOINTS).length);
    expect(endpoints.filter((endpoint) => endpoint.VpcEndpointType === 'Gateway').map((endpoint) => JSON.stringify(endpoint.ServiceName))).toEqual([
      expect.stringContaining('.dynamodb'),
    ]);
  });
});

/** A small stack with one GPU node group built from `config`, for the capacity options. */
const nodeGroupFor = (config: GpuConfig): { group: Json; template: Json } => {
  const stack = new Stack(new App(), 'Probe');
  const azIds = ['use1-az1', 'use1-az4', 'use1-az6'];
  const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 0, subnetConfiguration: [{ name: 'p', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }] });
  const subnets = [...vpc.isolatedSubnets, ec2.Subnet.fromSubnetId(stack, 'Third', 'subnet-0123456789abcdef0')];
  const cluster = new eks.Cluster(stack, 'Cluster', {
    version: eks.KubernetesVersion.of('1.35'),
    vpc,
    vpcSubnets: [{ subnetType: ec2.SubnetType.PRIVATE_ISOLATED }],
    endpointAccess: eks.EndpointAccess.PRIVATE,
    defaultCapacityType: eks.DefaultCapacityType.NODEGROUP,
    defaultCapacity: 0,
  });
  new GpuNodeGroups(stack, 'Gpu', {
    cluster,
    nodeRole: new iam.Role(stack, 'NodeRole', { assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com') }),
    placements: placeGpuConfigs([config], { [config.instance_type]: azIds }, azIds, 'us-east-1'),
    subnetsByAzId: new Map(azIds.map((azId, index) => [azId, subnets[index]!])),
    prefix: 'probe',
    metricsNamespace: 'Probe',
  });
  const template = Template.fromStack(stack).toJSON() as Json;
  const group = Object.values(template.Resources as Record<string, Json>).find((resource) => resource.Type === 'AWS::EKS::Nodegroup')!;
  return { group, template };
};
const h100 = INVENTORY.gpu_configs.find((config) => config.instance_type === 'p5.48xlarge')!;
const templateData = ({ group, template }: { group: Json; template: Json }): Json =>
  template.Resources[group.Properties.LaunchTemplate.Id.Ref].Properties.LaunchTemplateData;

describe('capacity reservations and Capacity Blocks (M5)', () => {
  it('runs a Capacity Block entry as CAPACITY_BLOCK in the block AZ only, with the capacity-block market', () => {
    const probe = nodeGroupFor({ ...h100, capacity: { type: 'capacity-block', reservation_id: 'cr-0123456789abcdef0', az_id: 'use1-az4' } });
    expect(probe.group.Properties.CapacityType).toBe('CAPACITY_BLOCK');
    expect(probe.group.Properties.Subnets).toHaveLength(1);
    expect(probe.group.Properties.ScalingConfig).toEqual({ MinSize: 0, MaxSize: h100.node_group.max_size });
    expect(templateData(probe)).toMatchObject({
      InstanceMarketOptions: { MarketType: 'capacity-block' },
      CapacityReservationSpecification: { CapacityReservationTarget: { CapacityReservationId: 'cr-0123456789abcdef0' } },
    });
  });

  it('targets an On-Demand Capacity Reservation by id (its AZ only) or by resource group (every offered AZ)', () => {
    const byId = nodeGroupFor({ ...h100, capacity: { type: 'capacity-reservation', reservation_id: 'cr-0123456789abcdef0', az_id: 'use1-az6' } });
    expect(byId.group.Properties.CapacityType).toBe('ON_DEMAND');
    expect(byId.group.Properties.Subnets).toHaveLength(1);
    expect(templateData(byId).CapacityReservationSpecification).toEqual({ CapacityReservationTarget: { CapacityReservationId: 'cr-0123456789abcdef0' } });
    expect(templateData(byId).InstanceMarketOptions).toBeUndefined();

    const group = 'arn:aws:resource-groups:us-east-1:123456789012:group/p5-reservations';
    const byGroup = nodeGroupFor({ ...h100, capacity: { type: 'capacity-reservation', resource_group_arn: group } });
    expect(byGroup.group.Properties.Subnets).toHaveLength(3);
    expect(templateData(byGroup).CapacityReservationSpecification).toEqual({ CapacityReservationTarget: { CapacityReservationResourceGroupArn: group } });
  });

  it('rejects at synth the capacity options EC2 or EKS would reject at deploy', () => {
    const place = (config: GpuConfig) => () => placeGpuConfigs([config], { [config.instance_type]: ['use1-az4'] }, ['use1-az4', 'use1-az6'], 'us-east-1');
    expect(place({ ...h100, capacity: { type: 'capacity-reservation' } })).toThrow(/exactly one of reservation_id and resource_group_arn/);
    expect(place({ ...h100, capacity: { type: 'capacity-reservation', reservation_id: 'cr-0123456789abcdef0' } })).toThrow(/needs the az_id/);
    expect(place({ ...h100, node_group: { ...h100.node_group, min_size: 1 }, capacity: { type: 'capacity-block', reservation_id: 'cr-0123456789abcdef0', az_id: 'use1-az4' } })).toThrow(
      /capacity-block node group must have min_size 0/,
    );
    expect(place({ ...h100, capacity: { type: 'capacity-block', reservation_id: 'cr-0123456789abcdef0', az_id: 'use1-az6' } })).toThrow(
      /reservation is in use1-az6, which does not offer p5\.48xlarge/,
    );
    expect(place({ ...h100, disk_size_gib: undefined })).toThrow(/disk_size_gib is missing/);
  });

  it('keeps the GPU node groups and the system group within the 30 managed node groups of a cluster', () => {
    const entries = Array.from({ length: 30 }, (_, index) => ({ ...h100, config_id: `h100-${index}`, node_group: { ...h100.node_group, name: `gpu-h100-${index}` } }));
    expect(() => placeGpuConfigs(entries.slice(0, 29), { [h100.instance_type]: ['use1-az4'] }, ['use1-az4'], 'us-east-1')).not.toThrow();
    expect(() => placeGpuConfigs(entries, { [h100.instance_type]: ['use1-az4'] }, ['use1-az4'], 'us-east-1')).toThrow(/exceed the 30 managed node groups/);
  });
});
