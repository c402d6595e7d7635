/**
 * The EKS cluster the models run on, in one of two modes (chosen by context, see infra/stack.ts):
 *
 * - `NewGpuCluster` (default, infra/constructs/new-cluster.ts, which extends the base class here):
 *   a VPC and an EKS cluster made by this stack, with one managed node group per enabled GPU
 *   configuration in the inventory (0 nodes while idle) and a small system node group;
 * - {@link ExistingCluster} (`-c existingClusterName=<name>`): a cluster and node groups that
 *   exist already, imported by name and left as they are.
 *
 * Both hand out the same narrow grants: EKS and Auto Scaling calls on exactly the inventory's
 * node groups, and EKS access entries that map a function role to the model namespace.
 */
import { ArnFormat, Aws, CustomResource, Stack } from 'aws-cdk-lib';
import type * as eks from 'aws-cdk-lib/aws-eks-v2';
import * as iam from 'aws-cdk-lib/aws-iam';
import { CfnAccessEntry } from 'aws-cdk-lib/aws-eks-v2';
import { Construct } from 'constructs';
import { INVENTORY, type GpuConfig } from '../../contract/catalog';
import { KUBERNETES_GROUP } from '../../contract/cluster-manifests';
import type { AutoScalingAction, EksAction, KubernetesAccess } from '../../contract/access';
import { acknowledgeWildcardResources } from '../nag';
import { ControlPlaneFunction, type FunctionNetwork } from './control-plane-function';

export { GPU_AMI_TYPE, GPU_CONFIG_LABEL, GPU_TAINT } from './gpu-node-groups';

// The Kubernetes group the workflow access entries map roles to; the cluster bootstrap binds it (one definition).
export { KUBERNETES_GROUP };

/** Which EKS resource type each action is authorised on. */
const EKS_ACTION_RESOURCE: Readonly<Record<EksAction, 'cluster' | 'nodegroup'>> = {
  'eks:DescribeCluster': 'cluster',
  'eks:DescribeNodegroup': 'nodegroup',
  'eks:UpdateNodegroupConfig': 'nodegroup',
};

/** The GPU configurations of contract/data/inventory.json, as the API serves them. */
export const inventoryGpuConfigs = (): readonly GpuConfig[] => INVENTORY.gpu_configs;

/** The EKS node group names the GPU inventory scales, each once. */
export const inventoryNodeGroupNames = (): string[] => [...new Set(inventoryGpuConfigs().map((config) => config.node_group.name))];

/** The EKS access policy scoped to the model namespace, per KubernetesAccess (contract/access.ts). */
const NAMESPACE_POLICY: Readonly<Record<KubernetesAccess, string>> = {
  workflow: 'AmazonEKSEditPolicy',
  read: 'AmazonEKSViewPolicy',
};

const ACCESS_GROUPS: Readonly<Record<KubernetesAccess, string[] | undefined>> = {
  workflow: [KUBERNETES_GROUP],
  read: undefined,
};

export interface GpuClusterProps {
  /** Kubernetes namespace of the model workloads: the scope of the access entries. */
  readonly modelNamespace: string;
  /** Prefix of the names of the custom resource functions. */
  readonly prefix: string;
  readonly metricsNamespace: string;
}

/**
 * What the rest of the stack needs from the cluster, whichever mode: its name and ARNs, the
 * grants, and the access entries.
 */
export abstract class GpuCluster extends Construct {
  /** The cluster's name as a plain string (function environments, ARNs, IAM conditions). */
  readonly clusterName: string;
  readonly clusterArn: string;
  /** One pattern per GPU node group: `…:nodegroup/<cluster>/<node group>/*` (the suffix is EKS's UUID). */
  readonly nodeGroupArns: readonly string[];
  readonly modelNamespace: string;
  readonly nodeGroupNames: readonly string[];
  /**
   * Where the functions that call the Kubernetes API run; undefined = outside any VPC (import
   * mode without function network context, through a public endpoint).
   */
  abstract readonly functionNetwork: FunctionNetwork | undefined;
  private readonly kubernetesRoles = new Set<iam.IRole>();

  protected constructor(scope: Construct, id: string, clusterName: string, props: GpuClusterProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.clusterName = clusterName;
    this.modelNamespace = props.modelNamespace;
    this.nodeGroupNames = inventoryNodeGroupNames();
    if (this.nodeGroupNames.length === 0) throw new Error('The inventory has no GPU configuration, so there is no node group to scale');
    this.clusterArn = stack.formatArn({ service: 'eks', resource: 'cluster', resourceName: clusterName, arnFormat: ArnFormat.SLASH_RESOURCE_NAME });
    this.nodeGroupArns = this.nodeGroupNames.map((nodeGroup) =>
      stack.formatArn({
        service: 'eks',
        resource: 'nodegroup',
        resourceName: `${clusterName}/${nodeGroup}/*`,
        arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
      }),
    );
  }

  /**
   * The cluster name to reference from resources that must be created after the cluster (access
   * entries): a reference to the cluster resource when this stack creates it, else the name.
   */
  protected abstract get clusterNameReference(): string;

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
    // Auto Scaling's Describe* actions support no resource-level permissions.
    const describes = actions.filter((a) => a === 'autoscaling:DescribeAutoScalingGroups' || a === 'autoscaling:DescribeScalingActivities');
    if (describes.length > 0) {
      role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: [...describes], resources: ['*'] }));
      acknowledgeWildcardResources(
        role,
        ['*'],
        `${describes.join(', ')} support no resource-level permissions; they only read group sizes, instance ids and scaling activities.`,
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

  /**
   * Lets `role` into the cluster through an EKS access entry: an EKS access policy scoped to the
   * model namespace, plus (for `workflow`) membership of {@link KUBERNETES_GROUP} for the few
   * cluster-scoped calls no namespace-scoped policy can allow.
   */
  addKubernetesAccess(id: string, role: iam.IRole, access: KubernetesAccess): eks.CfnAccessEntry {
    this.kubernetesRoles.add(role);
    const entry = new CfnAccessEntry(this, id, {
      clusterName: this.clusterNameReference,
      principalArn: role.roleArn,
      type: 'STANDARD',
      kubernetesGroups: ACCESS_GROUPS[access],
      accessPolicies: [
        {
          policyArn: eksAccessPolicyArn(NAMESPACE_POLICY[access]),
          accessScope: { type: 'namespace', namespaces: [this.modelNamespace] },
        },
      ],
    });
    this.afterAccessEntry(entry);
    return entry;
  }

  /** Whether `role` was given Kubernetes access (its function must reach the API endpoint). */
  callsKubernetes(role: iam.IRole): boolean {
    return this.kubernetesRoles.has(role);
  }

  /** Orders an access entry after what it needs (the import preflight). */
  protected afterAccessEntry(_entry: eks.CfnAccessEntry): void {}
}

/** ARN of an EKS access policy (`arn:<partition>:eks::aws:cluster-access-policy/<name>`). */
export const eksAccessPolicyArn = (name: string): string => `arn:${Aws.PARTITION}:eks::aws:cluster-access-policy/${name}`;

/**
 * An existing EKS cluster, imported by name: not managed by this stack, no kubectl provider. Its
 * node groups must be named as in the inventory (`gpu_configs[].node_group.name`). Before the
 * first access entry, a preflight custom resource (infra/custom-resources/import-preflight.ts)
 * checks the cluster's authentication mode and that its endpoint is reachable from where the
 * functions run, and fails the deploy with the fix when not.
 */
export class ExistingCluster extends GpuCluster {
  readonly functionNetwork: FunctionNetwork | undefined;
  readonly preflight: CustomResource;

  constructor(scope: Construct, id: string, props: GpuClusterProps & { readonly clusterName: string; readonly functionNetwork?: FunctionNetwork }) {
    super(scope, id, props.clusterName, props);
    this.functionNetwork = props.functionNetwork;
    const fn = new ControlPlaneFunction(this, 'ImportPreflight', {
      name: 'import-preflight',
      entry: 'infra/custom-resources/import-preflight.ts',
      kind: 'workflow',
      description: `Custom resource: checks that EKS cluster ${props.clusterName} can be used by the control plane`,
      prefix: props.prefix,
      metricsNamespace: props.metricsNamespace,
    });
    this.grantEks(fn.executionRole, ['eks:DescribeCluster']);
    this.preflight = new CustomResource(this, 'Preflight', {
      serviceToken: fn.functionArn,
      resourceType: 'Custom::EksImportPreflight',
      properties: { ClusterName: props.clusterName, FunctionVpcId: props.functionNetwork?.vpcId ?? '' },
    });
  }

  protected get clusterNameReference(): string {
    return this.clusterName;
  }

  protected override afterAccessEntry(entry: eks.CfnAccessEntry): void {
    entry.node.addDependency(this.preflight);
  }
}

