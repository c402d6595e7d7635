import { Duration, Stack } from 'aws-cdk-lib';
import type * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { WorkflowName } from '../../contract/routes';
import { constructIdFor, type ControlPlaneFunction, type FunctionKind } from './control-plane-function';

export interface MonitoredFunction {
  readonly name: string;
  readonly kind: FunctionKind;
  readonly fn: ControlPlaneFunction;
}

export interface MonitoringProps {
  readonly prefix: string;
  /** Namespace and `service` dimension of the Powertools metrics. */
  readonly metricsNamespace: string;
  readonly httpApi: apigwv2.HttpApi;
  readonly stateMachines: ReadonlyMap<WorkflowName, sfn.StateMachine>;
  readonly functions: readonly MonitoredFunction[];
  readonly table: dynamodb.ITable;
  /** Subscribed to the alarm topic when given. */
  readonly alarmEmail?: string;
}

const FIVE_MINUTES = Duration.minutes(5);

/**
 * The custom metrics the functions emit (METRIC in functions/commons/observability.ts, which is
 * not imported here because it creates the Powertools singletons; a test keeps the two equal).
 */
export const CUSTOM_METRIC = {
  apiServerError: 'ApiServerError',
  taskFailed: 'TaskFailed',
  taskDuration: 'TaskDuration',
  workflowFailed: 'WorkflowFailed',
} as const;
const METRIC = CUSTOM_METRIC;

/**
 * Errors that page someone. An API handler maps every expected error to a response, so one
 * thrown Lambda error is a bug or an outage. Workflow tasks throw by design (NotReadyYet is the
 * polling loop, Superseded a hand-over, DeploymentFailed a classified outcome), so their alarms
 * count TaskFailed, which excludes all three: what is left is an error the state machine
 * retries (Kubernetes or AWS unreachable, throttling), and a few in 15 minutes are normal.
 */
export const ERROR_ALARM_THRESHOLDS: Readonly<Record<FunctionKind, { readonly errors: number; readonly period: Duration }>> = {
  api: { errors: 1, period: FIVE_MINUTES },
  workflow: { errors: 5, period: Duration.minutes(15) },
  scheduled: { errors: 2, period: Duration.minutes(30) },
};

/**
 * Alarms (to one encrypted SNS topic) and one CloudWatch dashboard:
 * - per state machine: any timed-out execution, and any failure record-failure classified as the
 *   platform's (domain/failure-class.ts): a tenant's crashing model, bad custom image or gated
 *   model fails its deploy without paging (aborted executions are deliberate: a delete stops the
 *   operation it supersedes; a failure that never reached record-failure shows as that task's
 *   TaskFailed);
 * - per workflow task: TaskFailed above {@link ERROR_ALARM_THRESHOLDS}; per API handler and
 *   scheduled function: Lambda errors above them;
 * - the API: any 5xx answer.
 */
export class Monitoring extends Construct {
  readonly alarmTopic: sns.Topic;
  readonly alarms: cloudwatch.Alarm[] = [];
  readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);

    // CloudWatch can publish to an encrypted topic only with a customer managed key that lets it.
    const topicKey = new kms.Key(this, 'AlarmTopicKey', {
      description: `Encrypts the alarm notifications of ${props.prefix}`,
      enableKeyRotation: true,
    });
    topicKey.addToResourcePolicy(
      new iam.PolicyStatement({
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
    );
    this.alarmTopic = new sns.Topic(this, 'AlarmTopic', {
      topicName: `${props.prefix}-alarms`,
      displayName: `GPU control plane ${props.prefix} alarms`,
      masterKey: topicKey,
      enforceSSL: true,
    });
    if (props.alarmEmail) this.alarmTopic.addSubscription(new subscriptions.EmailSubscription(props.alarmEmail));
    const notify = new actions.SnsAction(this.alarmTopic);

    const alarm = (alarmId: string, alarmProps: cloudwatch.AlarmProps): cloudwatch.Alarm => {
      const created = new cloudwatch.Alarm(this, alarmId, alarmProps);
      created.addAlarmAction(notify);
      created.addOkAction(notify);
      this.alarms.push(created);
      return created;
    };

    const workflowFailed = (workflow: WorkflowName, failureClass: 'platform' | 'workload') =>
      new cloudwatch.Metric({
        namespace: props.metricsNamespace,
        metricName: METRIC.workflowFailed,
        dimensionsMap: { service: props.prefix, workflow, class: failureClass },
        statistic: cloudwatch.Stats.SUM,
        period: FIVE_MINUTES,
        label: `${workflow} failed: ${failureClass === 'platform' ? "the platform's error" : "the tenant's workload"}`,
      });
    const executionFailures = new Map<WorkflowName, cloudwatch.IMetric>();
    for (const [workflow, stateMachine] of props.stateMachines) {
      const failures = new cloudwatch.MathExpression({
        expression: 'platform + timedOut',
        usingMetrics: {
          platform: workflowFailed(workflow, 'platform'),
          timedOut: stateMachine.metricTimedOut({ period: FIVE_MINUTES, statistic: cloudwatch.Stats.SUM }),
        },
        label: `${workflow} failed (platform) or timed out`,
        period: FIVE_MINUTES,
      });
      executionFailures.set(workflow, failures);
      alarm(`${constructIdFor(workflow)}ExecutionsFailedAlarm`, {
        alarmName: `${props.prefix}-${workflow}-executions-failed`,
        alarmDescription: `An execution of the ${workflow} state machine failed for a reason of the platform (not the tenant's model or image), or timed out. Find it under Step Functions > State machines > ${props.prefix}-${workflow} (filter by status); the deployment's fail_reason names the cause.`,
        metric: failures,
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
    }

    for (const { name, kind, fn } of props.functions) {
      const { errors, period } = ERROR_ALARM_THRESHOLDS[kind];
      const taskFailed = new cloudwatch.Metric({
        namespace: props.metricsNamespace,
        metricName: METRIC.taskFailed,
        dimensionsMap: { service: props.prefix, task: name },
        statistic: cloudwatch.Stats.SUM,
        period,
      });
      alarm(`${constructIdFor(name)}ErrorsAlarm`, {
        alarmName: `${props.prefix}-${name}-errors`,
        alarmDescription:
          kind === 'workflow'
            ? `${fn.node.id}: at least ${errors} unexpected task error(s) in ${period.toMinutes()} minutes (TaskFailed: not-ready polls, superseded and classified deploy failures excluded). Logs: /aws/lambda/${props.prefix}-${name}.`
            : `${fn.node.id}: at least ${errors} Lambda error(s) in ${period.toMinutes()} minutes. Logs: /aws/lambda/${props.prefix}-${name}.`,
        metric: kind === 'workflow' ? taskFailed : fn.metricErrors({ period, statistic: cloudwatch.Stats.SUM }),
        threshold: errors,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
    }

    const api5xx = props.httpApi.metricServerError({ period: FIVE_MINUTES, statistic: cloudwatch.Stats.SUM });
    alarm('Api5xxAlarm', {
      alarmName: `${props.prefix}-api-5xx`,
      alarmDescription: 'The HTTP API answered 5xx (a handler failed or timed out). Access logs: /aws/vendedlogs/apigateway/' + `${props.prefix}-api.`,
      metric: api5xx,
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: props.prefix,
      defaultInterval: Duration.hours(3),
    });
    const byKind = (kind: FunctionKind) => props.functions.filter((f) => f.kind === kind);
    const perFunction = (kind: FunctionKind, metric: (fn: ControlPlaneFunction) => cloudwatch.IMetric, label: string) =>
      byKind(kind).map(({ name, fn }) => (metric(fn) as cloudwatch.Metric).with({ label: `${name} ${label}`.trim() }));
    const custom = (metricName: string, dimensions: Record<string, string>, statistic: string, label: string) =>
      new cloudwatch.Metric({
        namespace: props.metricsNamespace,
        metricName,
        dimensionsMap: { service: props.prefix, ...dimensions },
        statistic,
        period: FIVE_MINUTES,
        label,
      });
    const taskNames = byKind('workflow').map((f) => f.name);

    this.dashboard.addWidgets(
      new cloudwatch.TextWidget({
        markdown: `# GPU control plane \`${props.prefix}\`\nAPI, workflows (one execution per operation), task functions and table. Alarms notify the SNS topic \`${props.prefix}-alarms\`.`,
        width: 24,
        height: 2,
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'API requests and errors',
        left: [
          props.httpApi.metricCount({ period: FIVE_MINUTES, label: 'requests' }),
          props.httpApi.metricClientError({ period: FIVE_MINUTES, label: '4xx' }),
          api5xx.with({ label: '5xx' }),
        ],
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: 'API latency (ms)',
        left: [
          props.httpApi.metricLatency({ period: FIVE_MINUTES, statistic: 'p50', label: 'p50' }),
          props.httpApi.metricLatency({ period: FIVE_MINUTES, statistic: 'p99', label: 'p99' }),
          props.httpApi.metricIntegrationLatency({ period: FIVE_MINUTES, statistic: 'p99', label: 'integration p99' }),
        ],
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: 'API handler errors (5xx answers, by route)',
        left: [
          new cloudwatch.MathExpression({
            expression: `SEARCH('{${props.metricsNamespace},route,service} MetricName="${METRIC.apiServerError}" service="${props.prefix}"', 'Sum', 300)`,
            label: '',
            period: FIVE_MINUTES,
          }),
        ],
        width: 8,
      }),
    );
    this.dashboard.addWidgets(
      ...[...props.stateMachines].map(
        ([workflow, stateMachine]) =>
          new cloudwatch.GraphWidget({
            title: `${workflow} executions`,
            left: [
              stateMachine.metricStarted({ period: FIVE_MINUTES, label: 'started' }),
              stateMachine.metricSucceeded({ period: FIVE_MINUTES, label: 'succeeded' }),
              stateMachine.metricAborted({ period: FIVE_MINUTES, label: 'superseded (aborted)' }),
              stateMachine.metricFailed({ period: FIVE_MINUTES, label: 'failed (any)' }),
              executionFailures.get(workflow)!,
              workflowFailed(workflow, 'workload'),
            ],
            right: [stateMachine.metricTime({ period: FIVE_MINUTES, statistic: 'p90', label: 'duration p90 (ms)' })],
            width: 8,
          }),
      ),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Workflow task failures (thrown, by task)',
        left: taskNames.map((task) => custom(METRIC.taskFailed, { task }, 'Sum', task)),
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: 'Workflow task duration p90 (ms)',
        left: taskNames.map((task) => custom(METRIC.taskDuration, { task }, 'p90', task)),
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: 'Task throttles and concurrency (reserved on Kubernetes tasks)',
        left: perFunction('workflow', (fn) => fn.metricThrottles({ period: FIVE_MINUTES }), 'throttles'),
        right: perFunction('workflow', (fn) => fn.metric('ConcurrentExecutions', { period: FIVE_MINUTES, statistic: 'Maximum' }), ''),
        width: 8,
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Lambda errors: API handlers',
        left: perFunction('api', (fn) => fn.metricErrors({ period: FIVE_MINUTES }), ''),
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: 'Lambda errors: workflow tasks',
        left: perFunction('workflow', (fn) => fn.metricErrors({ period: FIVE_MINUTES }), ''),
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: 'Table: consumed capacity and throttled requests',
        left: [
          props.table.metricConsumedReadCapacityUnits({ period: FIVE_MINUTES, label: 'read units' }),
          props.table.metricConsumedWriteCapacityUnits({ period: FIVE_MINUTES, label: 'write units' }),
        ],
        right: [
          new cloudwatch.Metric({
            namespace: 'AWS/DynamoDB',
            metricName: 'ThrottledRequests',
            dimensionsMap: { TableName: props.table.tableName },
            statistic: 'Sum',
            period: FIVE_MINUTES,
            label: 'throttled requests',
          }),
        ],
        width: 8,
      }),
    );
    this.dashboard.addWidgets(new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: this.alarms, width: 24 }));
  }
}
