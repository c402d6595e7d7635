import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { ArnFormat, Stack } from 'aws-cdk-lib';
import * as eks from 'aws-cdk-lib/aws-eks';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { PROJECT_ROOT } from '../bundling';
import type { TaskFunctionDefinition } from '../definitions/workflows';
import { acknowledgeWildcardResources } from '../nag';

export type EksAction = TaskFunctionDefinition['access']['eks'][number];
export type AutoScalingAction = TaskFunctionDefinition['access']['autoscaling'][number];

/** The Kubernetes group the workflow roles are mapped to; docs/deploy.md binds it with RBAC. */
export const KUBERNETES_GROUP = 'gpu-control-plane';

/** Which EKS resource type each action is authorised on. */
const EKS_ACTION_RESOURCE: Readonly<Record<EksAction, 'cluster' | 'nodegroup'>> = {
  'eks:DescribeCluster': 'cluster',
  'eks:DescribeNodegroup': 'nodegroup',
  'eks:UpdateNodegroupConfig': 'nodegroup',
};

const INVENTORY_FILE = 'functions/domain/data/inventory.json';

/** The EKS node group names the GPU inventory (functions/domain/data/inventory.json) scales. */
export const inventoryNodeGroupNames = (): string[] => {
  const inventory: unknown = JSON.parse(readFileSync(path.join(PROJECT_ROOT, INVENTORY_FILE), 'utf8'));
  const configs = (inventory as { gpu_configs?: unknown }).gpu_configs;
  if (!Array.isArray(configs)) throw new Error(`${INVENTORY_FILE} has no gpu_configs array`);
  const names = configs.map((config: unknown, index) => {
    const name = (config as { node_group?: { name?: unknown } }).node_group?.name;
    if (typeof name !== 'string' || name === '') throw new Error(`${INVENTORY_FILE}: gpu_configs[${index}].node_group.name is missing`);
    return name;
  });
  return [...new Set(names)];
};

export interface ExistingClusterProps {
  /** Name of the existing EKS cluster in this stack's account and region. */
  readonly clusterName: string;
  /** The GPU node groups the control plane may describe and resize. */
  readonly nodeGroupNames: readonly string[];
}

/**
 * The existing EKS cluster, imported by name: it is not managed by this stack and needs no
 * kubectl provider. It knows the cluster's ARNs and hands out the narrow EKS and Auto Scaling
 * grants the workflow tasks need, plus the EKS access entries that let their roles reach the
 * Kubernetes API as members of {@link KUBERNETES_GROUP}.
 */
export class ExistingCluster extends Construct {
  readonly clusterName: string;
  readonly clusterArn: string;
  /** One pattern per GPU node group: `…:nodegroup/<cluster>/<node group>/*` (the suffix is EKS's UUID). */
  readonly nodeGroupArns: readonly string[];
  private readonly nodeGroupNames: readonly string[];

  constructor(scope: Construct, id: string, props: ExistingClusterProps) {
    super(scope, id);
    if (props.nodeGroupNames.length === 0) throw new Error('ExistingCluster needs at least one GPU node group name');
    const stack = Stack.of(this);
    this.clusterName = props.clusterName;
    this.nodeGroupNames = props.nodeGroupNames;
    this.clusterArn = stack.formatArn({
      service: 'eks',
      resource: 'cluster',
      resourceName: props.clusterName,
      arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
    });
    this.nodeGroupArns = props.nodeGroupNames.map((nodeGroup) =>
      stack.formatArn({
        service: 'eks',
        resource: 'nodegroup',
        resourceName: `${props.clusterName}/${nodeGroup}/*`,
        arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
      }),
    );
  }

  /** Allows `actions` on the cluster (DescribeCluster) or on the GPU node groups (node group actions). */
  grantEks(role: iam.IRole, actions: readonly EksAction[]): void {
    const clusterActions = actions.filter((action) => EKS_ACTION_RESOURCE[action] === 'cluster');
    const nodeGroupActions = actions.filter((action) => EKS_ACTION_RESOURCE[action] === 'nodegroup');
    if (clusterActions.length > 0) {
      role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: clusterActions, resources: [this.clusterArn] }));
    }
    if (nodeGroupActions.length > 0) {
      role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: nodeGroupActions, resources: [...this.nodeGroupArns] }));
      acknowledgeWildcardResources(
        role,
        this.nodeGroupArns,
        'A node group ARN ends in the UUID EKS assigns at creation; the pattern is pinned to this cluster and to one GPU node group named in inventory.json.',
      );
    }
  }

  /**
   * Allows the Auto Scaling calls behind targeted scale-in: describing groups (an action without
   * resource-level permissions) and terminating one instance, only in Auto Scaling groups that
   * EKS tagged as belonging to this cluster and to one of its GPU node groups.
   */
  grantAutoScaling(role: iam.IRole, actions: readonly AutoScalingAction[]): void {
    if (actions.includes('autoscaling:DescribeAutoScalingGroups')) {
      role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['autoscaling:DescribeAutoScalingGroups'], resources: ['*'] }));
      acknowledgeWildcardResources(
        role,
        ['*'],
        'autoscaling:DescribeAutoScalingGroups supports no resource-level permissions; it only reads group sizes and instance ids.',
      );
    }
    if (actions.includes('autoscaling:TerminateInstanceInAutoScalingGroup')) {
      const eksManagedGroups = Stack.of(this).formatArn({
        service: 'autoscaling',
        resource: 'autoScalingGroup',
        resourceName: '*:autoScalingGroupName/*',
        arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      });
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          actions: ['autoscaling:TerminateInstanceInAutoScalingGroup'],
          resources: [eksManagedGroups],
          conditions: {
            StringEquals: {
              'aws:ResourceTag/eks:cluster-name': this.clusterName,
              'aws:ResourceTag/eks:nodegroup-name': [...this.nodeGroupNames],
            },
          },
        }),
      );
      acknowledgeWildcardResources(
        role,
        [eksManagedGroups],
        'EKS generates the Auto Scaling group names of managed node groups, so the ARN cannot name them; the ' +
          'statement is scoped by the aws:ResourceTag/eks:cluster-name and aws:ResourceTag/eks:nodegroup-name conditions instead.',
      );
    }
  }

  /** Maps `role` to {@link KUBERNETES_GROUP} in the cluster through an EKS access entry. */
  addKubernetesAccess(id: string, role: iam.IRole): eks.CfnAccessEntry {
    return new eks.CfnAccessEntry(this, id, {
      clusterName: this.clusterName,
      principalArn: role.roleArn,
      kubernetesGroups: [KUBERNETES_GROUP],
      type: 'STANDARD',
    });
  }
}
