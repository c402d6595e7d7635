/**
 * Records where a deploy or scale settled: `ready`, the endpoint and, if it was not serving
 * before, when it became ready; or, with 0 replicas, `paused` (not serving, so status
 * `initializing`, no endpoint, uptime 0) and how long to keep its GPUs before giving them back.
 * Either way the usage segment follows the replicas now serving.
 */
import * as z from 'zod';
import { now, timeScale } from '../adapters/clock';
import { recordColdStart } from '../adapters/cold-start-stats';
import { updateDeployment } from '../adapters/deployment-records';
import { namespace } from '../adapters/model-namespace';
import { readEnv } from '../commons/env';
import { asSuperseded, ownedDeployment, workflowTask, type TaskInput } from '../commons/workflow';
import { workloadName } from '../domain/deployment';
import { closeSegment, serveFrom } from '../domain/usage';

const env = readEnv({
  ENDPOINT_URL_TEMPLATE: z.string().includes('{service}').default('http://{service}.{namespace}.svc.cluster.local:8000/v1'),
  /** Cluster seconds a paused deployment keeps its GPUs and nodes (a quick resume finds them). */
  PAUSE_RELEASE_DELAY_SECONDS: z.coerce.number().int().min(0).max(86_400).default(600),
});

export const pauseReleaseDelaySeconds = env.PAUSE_RELEASE_DELAY_SECONDS;

export const endpointUrl = (service: string): string =>
  env.ENDPOINT_URL_TEMPLATE.replaceAll('{service}', service).replaceAll('{namespace}', namespace);

export const markReady = async (input: TaskInput) => {
  const record = await ownedDeployment(input);
  const at = now();
  if (record.replicas === 0) {
    const paused = await updateDeployment(
      record,
      record.id,
      { status: 'initializing', phase: 'paused', fail_reason: null, endpoint_url: null, ready_since: null, usage: closeSegment(record.usage, at) },
      { executionArn: input.execution },
      { now: at, event: { type: 'paused', message: `paused: no pods; GPUs and nodes are given back in ${env.PAUSE_RELEASE_DELAY_SECONDS} s unless it resumes` } },
    ).catch(asSuperseded);
    return { status: paused.status, replicas: 0, ready_since: null, paused: true, release_after_seconds: env.PAUSE_RELEASE_DELAY_SECONDS };
  }
  const updated = await updateDeployment(
    record,
    record.id,
    {
      status: 'ready',
      phase: 'ready',
      fail_reason: null,
      endpoint_url: endpointUrl(workloadName(record.id)),
      ready_since: record.status === 'ready' && record.ready_since ? record.ready_since : at.toISOString(),
      usage: serveFrom(record.usage, at, record.replicas * record.gpu_count),
    },
    { executionArn: input.execution },
    {
      now: at,
      milestones: ['ready'],
      event: { type: 'ready', message: `${record.replicas} replica(s) ready; serving at the endpoint` },
    },
  ).catch(asSuperseded);
  if (record.operation === 'deploy' && updated.timeline.accepted) {
    await recordColdStart(record.catalog_id, record.gpu_config_id, (at.getTime() - Date.parse(updated.timeline.accepted)) / 1000 / timeScale);
  }
  return { status: updated.status, replicas: updated.replicas, ready_since: updated.ready_since, paused: false };
};

export const handler = workflowTask('mark-ready', markReady);
