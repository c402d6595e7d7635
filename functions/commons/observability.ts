/**
 * Metrics and traces for every function, beside the logger (./logger.ts): one Powertools
 * Metrics and one Tracer per container, a middy middleware set for the API handlers
 * (./http.ts) and a wrapper for the workflow tasks (./workflow.ts), which are plain functions.
 *
 * - Metrics go to CloudWatch as EMF log lines, in the namespace POWERTOOLS_METRICS_NAMESPACE
 *   (set by the CDK function construct). Where it is not set (the local cloud, tests) nothing
 *   is recorded or printed: no EMF noise on stdout.
 * - Traces: the Tracer switches itself on only inside Lambda with active tracing. It then also
 *   captures outgoing HTTPS calls (AWS SDK and Kubernetes API). Responses are never attached
 *   to a trace: they are large and belong in the logs, not in X-Ray metadata.
 * - Only metrics with a bounded set of dimension values: `service` (the prefix) plus `route`
 *   (the API route key) or `task` (the workflow task name).
 */
import { MetricUnit, Metrics } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import type { MiddlewareObj, Request } from '@middy/core';
import type { Context } from 'aws-lambda';
import * as z from 'zod';
import { readEnv } from './env';

const env = readEnv({
  POWERTOOLS_SERVICE_NAME: z.string().min(1).default('gpu-control-plane'),
  POWERTOOLS_METRICS_NAMESPACE: z.string().min(1).optional(),
});

const serviceName = env.POWERTOOLS_SERVICE_NAME;

/** Whether metrics are recorded at all: only where a namespace is configured (in AWS). */
export const metricsEnabled = env.POWERTOOLS_METRICS_NAMESPACE !== undefined;

export const metrics = new Metrics({ serviceName, namespace: env.POWERTOOLS_METRICS_NAMESPACE });
export const tracer = new Tracer({ serviceName, captureHTTPsRequests: true });

/** Names of the custom metrics, for the handlers here and the CloudWatch dashboard and alarms. */
export const METRIC = {
  /** A route answered 5xx (an unexpected error, mapped to internal_error). Dimension `route`. */
  apiServerError: 'ApiServerError',
  /** A workflow task threw (the state machine retries or catches it). Dimension `task`. */
  taskFailed: 'TaskFailed',
  /** A task found its deployment owned by a newer operation. Dimension `task`. */
  taskSuperseded: 'TaskSuperseded',
  /** Wall time of one task invocation. Dimension `task`. */
  taskDuration: 'TaskDuration',
  /** A deploy, scale or delete failed (recorded by record-failure). Dimensions `workflow` and `class` (domain/failure-class.ts). */
  workflowFailed: 'WorkflowFailed',
} as const;

/** Records the cold start (Powertools emits it once per on-demand container, with the function name). */
const recordColdStart = (context: Context | undefined): void => {
  if (metricsEnabled) metrics.captureColdStartMetric(context?.functionName);
};

/** One WorkflowFailed count, with its own dimensions (not the task's), published at once. */
export const recordWorkflowFailure = (workflow: string, failureClass: string): void => {
  if (!metricsEnabled) return;
  const single = metrics.singleMetric();
  single.addDimensions({ workflow, class: failureClass });
  single.addMetric(METRIC.workflowFailed, MetricUnit.Count, 1);
};

/** Publishes what was recorded during this invocation; nothing (not even a warning) when empty. */
const flushMetrics = (): void => {
  if (metricsEnabled && metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
  else metrics.clearMetrics();
};

/**
 * The middlewares an API handler chain starts with: the Lambda handler's trace segment (cold
 * start and service annotations, the route as an annotation, errors as metadata) and the
 * metrics (cold start; a server-error count per route), flushed after every invocation.
 * Registered before the error mapper, their onError runs after it, with its response.
 */
export const apiObservability = <E extends { routeKey?: string }, R extends { statusCode?: number }>(): MiddlewareObj<E, R>[] => {
  const recordResponse = (request: Request<E, R>): void => {
    const statusCode = request.response ? (request.response.statusCode ?? 200) : 500;
    if (metricsEnabled && statusCode >= 500) {
      metrics.addDimension('route', request.event.routeKey ?? 'unknown');
      metrics.addMetric(METRIC.apiServerError, MetricUnit.Count, 1);
    }
    flushMetrics();
  };
  const routeMetrics: MiddlewareObj<E, R> = {
    before: (request) => {
      recordColdStart(request.context);
      if (tracer.isTracingEnabled() && request.event.routeKey) tracer.putAnnotation('route', request.event.routeKey);
    },
    after: recordResponse,
    onError: recordResponse,
  };
  return [captureLambdaHandler(tracer, { captureResponse: false }) as MiddlewareObj<E, R>, routeMetrics];
};

export interface TaskObservation {
  readonly task: string;
  readonly deploymentId?: string;
  readonly execution?: string;
  readonly context?: Context;
}

/**
 * Runs one workflow task inside its own trace subsegment (annotated with the task and the
 * deployment, so X-Ray can find every trace of one deployment) and records its duration and
 * outcome as metrics. `isSuperseded` tells an expected hand-over apart from a failure.
 */
export const observeTask = async <O>(
  observation: TaskObservation,
  run: () => Promise<O>,
  classify: (error: unknown) => 'superseded' | 'not-ready' | 'classified' | 'failed',
): Promise<O> => {
  recordColdStart(observation.context);
  const started = performance.now();
  const parent = tracer.isTracingEnabled() ? tracer.getSegment() : undefined;
  const subsegment = parent?.addNewSubsegment(`## ${observation.task}`);
  if (subsegment) {
    tracer.setSegment(subsegment);
    tracer.annotateColdStart();
    tracer.addServiceNameAnnotation();
    tracer.putAnnotation('task', observation.task);
    if (observation.deploymentId) tracer.putAnnotation('deploymentId', observation.deploymentId);
  }
  let outcome: typeof METRIC.taskFailed | typeof METRIC.taskSuperseded | undefined;
  try {
    return await run();
  } catch (error) {
    // A readiness poll that is not ready yet is the state machine's Retry loop, not a failure; a
    // classified failure (DeploymentFailed) is the workflow's outcome, counted by WorkflowFailed.
    const kind = classify(error);
    outcome = kind === 'superseded' ? METRIC.taskSuperseded : kind === 'failed' ? METRIC.taskFailed : undefined;
    if (subsegment && outcome === METRIC.taskFailed) tracer.addErrorAsMetadata(error as Error);
    throw error;
  } finally {
    if (metricsEnabled) {
      metrics.addDimension('task', observation.task);
      metrics.addMetric(METRIC.taskDuration, MetricUnit.Milliseconds, Math.round(performance.now() - started));
      if (outcome) metrics.addMetric(outcome, MetricUnit.Count, 1);
    }
    flushMetrics();
    if (subsegment && parent) {
      subsegment.close();
      tracer.setSegment(parent);
    }
  }
};
