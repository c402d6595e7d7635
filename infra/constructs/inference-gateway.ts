/**
 * The inference gateway in AWS (issue 15, docs/inference.md): the customers' OpenAI-compatible
 * endpoint, a node:http service (gateway/) that authenticates inference keys, meters tokens and
 * proxies to the model servers.
 *
 * - Identity: an IAM role the gateway pods assume through EKS Pod Identity, allowed exactly what
 *   the gateway calls: read keys and deployments, add to the usage counters and load items, read
 *   the master secret, start the scale workflow (the wake from zero of issue 16).
 */
import { Aws } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { TABLE } from '../../contract/table';
import type { GatewaySecret } from './secrets';

/** Where the gateway runs in the cluster (its Pod Identity association names both). */
export const GATEWAY_NAMESPACE = 'inference-gateway';
export const GATEWAY_SERVICE_ACCOUNT = 'inference-gateway';

/** The principal EKS Pod Identity assumes roles as. */
export const POD_IDENTITY_PRINCIPAL = 'pods.eks.amazonaws.com';

/** What the gateway reads: inference keys (GetItem by key id) and deployments (GetItem, Query). */
export const GATEWAY_READ_ACTIONS = ['dynamodb:GetItem', 'dynamodb:Query'] as const;

/**
 * The partitions the gateway writes (DATAPLANE.md): usage per key (`INFKEY#<key id>`, sk
 * `USAGE#…`), usage per deployment (`TOKENS#<deployment id>`) and its load items
 * (`LOAD#<deployment id>`). UpdateItem only: counters are ADDed, load items upserted.
 */
export const GATEWAY_WRITE_PARTITIONS = ['INFKEY#*', 'TOKENS#*', 'LOAD#*'] as const;

export interface InferenceGatewayProps {
  readonly table: dynamodb.ITable;
  /** The scale workflow's state machine: the gateway starts it to wake a deployment paused at zero. */
  readonly scaleStateMachine: sfn.IStateMachine;
  /** `${prefix}/inference-gateway`: the master secret the key pepper and the model server keys derive from. */
  readonly masterSecret: GatewaySecret;
  /** EKS cluster name the pods run in (the trust policy admits only its pods). */
  readonly clusterName: string;
}

export class InferenceGateway extends Construct {
  /** The gateway pods' role (logical id `InferenceGatewayRole…`, which local IAM looks up). */
  readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: InferenceGatewayProps) {
    super(scope, id);
    this.role = this.createRole(props);
  }

  private createRole(props: InferenceGatewayProps): iam.Role {
    // Pod Identity assumes the role with session tags (sts:TagSession, same statement); the tags
    // name the cluster, namespace and service account, so no other association can borrow the role.
    const role = new iam.Role(this, 'Role', {
      description: `Inference gateway pods (service account ${GATEWAY_NAMESPACE}/${GATEWAY_SERVICE_ACCOUNT}) through EKS Pod Identity`,
      assumedBy: new iam.ServicePrincipal(POD_IDENTITY_PRINCIPAL)
        .withConditions({
          StringEquals: {
            'aws:SourceAccount': Aws.ACCOUNT_ID,
            'aws:RequestTag/eks-cluster-name': props.clusterName,
            'aws:RequestTag/kubernetes-namespace': GATEWAY_NAMESPACE,
            'aws:RequestTag/kubernetes-service-account': GATEWAY_SERVICE_ACCOUNT,
          },
        })
        .withSessionTags(),
    });

    const tableArn = props.table.tableArn;
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'ReadKeysAndDeployments',
        actions: [...GATEWAY_READ_ACTIONS],
        resources: [tableArn],
      }),
    );
    // Indexes named one by one (contract/table.ts), as the functions' grants do: no `index/*`.
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'QueryIndexes',
        actions: ['dynamodb:Query'],
        resources: TABLE.indexes.map((index) => `${tableArn}/index/${index.name}`),
      }),
    );
    // dynamodb:LeadingKeys is the partition key of the item UpdateItem writes: the gateway can
    // never write a deployment, a capacity reservation or another control-plane item.
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'WriteUsageAndLoad',
        actions: ['dynamodb:UpdateItem'],
        resources: [tableArn],
        conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [...GATEWAY_WRITE_PARTITIONS] } },
      }),
    );
    // GetSecretValue on this one secret, kms:Decrypt only through Secrets Manager and for it.
    props.masterSecret.grantRead(role);
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'WakeFromZero',
        actions: ['states:StartExecution'],
        resources: [props.scaleStateMachine.stateMachineArn],
      }),
    );
    return role;
  }
}
