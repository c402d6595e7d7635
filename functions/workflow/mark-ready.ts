/**
 * Records that a deploy or scale settled with every replica Ready (lifecycle `markReady`): the
 * endpoint, when it became ready if it was not serving before, and a usage segment that follows
 * the replicas now serving. A deploy's cold start also feeds the ETA statistics.
 */
import * as z from 'zod';
import { now, timeScale } from '../adapters/clock';
import { recordColdStart } from '../adapters/cold-start-stats';
import { updateDeployment } from '../adapters/deployment-records';
import { namespace } from '../adapters/model-namespace';
import { readEnv } from '../commons/env';
import { asSuperseded, ownedDeployment, workflowTask, type TaskInput } from '../commons/workflow';
import { workloadName } from '../domain/deployment';
import * as lifecycle from '../domain/lifecycle';

const env = readEnv({
  ENDPOINT_URL_TEMPLATE: z.string().includes('{service}').default('http://{service}.{namespace}.svc.cluster.local:8000/v1'),
});

export const endpointUrl = (service: string): string =>
  env.ENDPOINT_URL_TEMPLATE.replaceAll('{service}', service).replaceAll('{namespace}', namespace);

export const markReady = async (input: TaskInput) => {
  const record = await ownedDeployment(input);
  const at = now();
  const settled = lifecycle.markReady(record, at, endpointUrl(workloadName(record.id)));
  const updated = await updateDeployment(record, record.id, settled.changes, { executionArn: input.execution }, {
    now: at,
    milestones: settled.milestones,
    event: settled.event,
  }).catch(asSuperseded);
  if (record.operation === 'deploy' && updated.timeline.accepted) {
    await recordColdStart(record.catalog_id, record.gpu_config_id, (at.getTime() - Date.parse(updated.timeline.accepted)) / 1000 / timeScale);
  }
  return { status: updated.status, replicas: updated.replicas, ready_since: updated.ready_since, paused: false };
};

export const handler = workflowTask('mark-ready', markReady);
